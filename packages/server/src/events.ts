// A run's events as Server-Sent Events: the store is read every `pollMs` (one read of the run and
// one of its step runs), and what changed since the last read is sent. Every step's state first,
// so a client that connects late still knows them all; `end` once the run has ended.
import { judgeRun } from "@canal/runner";
import type { Run, StepRun } from "@canal/store";
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import type { ServerOptions } from "./context.js";
import { ended, shownRun } from "./shown.js";

/** Every how many reads the driver's heartbeat is looked at too: a run whose driver died ends its stream. */
const CONTROL_EVERY = 20;
/** A comment line at least this often keeps proxies from closing an idle stream. */
const KEEPALIVE_MS = 15_000;

export function runEvents(c: Context, options: ServerOptions, first: Run): Response {
  const { metadata } = options.workspace;
  const pollMs = options.pollMs ?? 250;
  return streamSSE(c, async (stream) => {
    let closed = false;
    stream.onAbort(() => {
      closed = true;
    });
    const seen = new Map<number, string>();
    let runState = "";
    let id = 0;
    let quietSince = Date.now();
    const send = async (event: string, data: unknown) => {
      quietSince = Date.now();
      await stream.writeSSE({ event, data: JSON.stringify(data), id: String(++id) });
    };
    const stepEvent = (step: StepRun) => ({
      runId: step.runId,
      stepRunId: step.id,
      stepId: step.stepId,
      instance: step.instance,
      status: step.status,
      ...(step.error ? { error: step.error } : {}),
      at: step.endedAt ?? step.startedAt ?? step.createdAt,
    });
    for (let round = 0; !closed; round++) {
      // The run is read before its steps: once it reads ended, the steps read after are final.
      const run = round === 0 ? first : await metadata.getRun(first.id);
      const steps = await metadata.listStepRuns(first.id);
      for (const step of steps) {
        if (seen.get(step.id) === step.status) continue;
        seen.set(step.id, step.status);
        await send("step", stepEvent(step));
      }
      if (run.status !== runState) {
        runState = run.status;
        await send("run", shownRun(run));
      }
      if (ended(run)) {
        await send("end", { runId: run.id, status: run.status, ...(run.error ? { error: run.error } : {}) });
        return;
      }
      if (round % CONTROL_EVERY === CONTROL_EVERY - 1) {
        const [control] = await metadata.readRunControl([run.id]);
        const live = judgeRun(run, control, options.liveState);
        if (live.interrupted) {
          await send("end", {
            runId: run.id,
            status: "interrupted",
            ...(live.reason ? { error: live.reason } : {}),
          });
          return;
        }
      }
      if (Date.now() - quietSince > KEEPALIVE_MS) {
        quietSince = Date.now();
        await stream.write(": keep-alive\n\n");
      }
      await stream.sleep(pollMs);
    }
  });
}
