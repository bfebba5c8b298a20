// How a `canal run` or `canal rerun` in this process is canceled: Ctrl-C from its terminal, a
// SIGTERM, or a cancel request recorded in the store (`canal cancel`, from this machine or another;
// the runner watches for it). It says which, so a run canceled from another terminal does not tell
// this one to press Ctrl-C.
import { cancelRequestText } from "@canal/runner";
import type { CancelRequest } from "@canal/store";
import type { Io } from "./io.js";
import type { Progress } from "./progress.js";

export interface Cancellation {
  /** Aborted by Ctrl-C or a SIGTERM (a cancel request aborts the runner's own). */
  readonly signal: AbortSignal;
  /** Names the run in what is printed, once it is recorded. */
  started(runId: string): void;
  /** For runPipeline's `onCancelRequest`. */
  onCancelRequest(request: CancelRequest): void;
  /** "from elsewhere (…)" when it was canceled from elsewhere. */
  readonly from: string | undefined;
  /** Stops listening for signals. */
  dispose(): void;
}

/** Listens for Ctrl-C and SIGTERM until `dispose()`; a second Ctrl-C quits at once. */
export function cancellation(command: string, io: Io, progress: Progress, runId?: string): Cancellation {
  const controller = new AbortController();
  let startedId = runId;
  let from: string | undefined;
  const name = () => (startedId ? `run ${startedId}` : "the run");
  const elsewhere = (what: string) => {
    if (from || controller.signal.aborted) return;
    from = `from elsewhere (${what})`;
    progress.aside(() => io.stderr(`\ncanal ${command}: ${name()} was canceled ${from}; ending its steps\n`));
    progress.canceling();
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(130);
    if (signal === "SIGINT") {
      progress.aside(() =>
        io.stderr(`\ncanal ${command}: canceling ${name()} (Ctrl-C again to quit at once)\n`),
      );
      progress.canceling();
    } else elsewhere(`a SIGTERM sent to process ${process.pid}`);
    controller.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return {
    signal: controller.signal,
    started: (id) => {
      startedId = id;
    },
    onCancelRequest: (request) => elsewhere(cancelRequestText(request)),
    get from() {
      return from;
    },
    dispose: () => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    },
  };
}
