import { parseArgs } from "node:util";
import { driverProcess, judgeRun } from "@canal/runner";
import type { StepRun } from "@canal/store";
import { type Io, UsageError } from "../io.js";
import { stepIdOf, suggestion } from "../suggest.js";
import { withWorkspace } from "../workspace.js";
import { driverCheck } from "./runs.js";

export const logsHelp = `Usage: canal logs RUN [STEP] [-f] [--json]

Prints the stdout and stderr of a run's steps (every attempt), or of one step ("train" for all its
fan-out iterations, "train[2]" for one). For a run started with \`canal run --detach\`, the output of
its driver process comes first, its lines marked "(run)".

  -f, --follow   keep printing as the steps write, until the run ends
  --json         one JSON object per line: {"step","attempt","stream","text"} (with -f, as they come)
`;

const DRIVER_LAST_WORDS_MS = 5000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function keyOf(step: StepRun): string {
  return step.instance >= 0 ? `${step.stepId}[${step.instance}]` : step.stepId;
}

export async function logsCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { follow: { type: "boolean", short: "f" }, json: { type: "boolean" } },
  });
  const [runId, stepName] = positionals;
  if (!runId) throw new UsageError("canal logs needs a run id; `canal runs` lists them");
  return withWorkspace(io, async ({ metadata }) => {
    const check = await driverCheck([await metadata.getRun(runId)]);
    const offsets = new Map<string, number>();
    let runLogNext = 0;
    const matches = (step: StepRun) => !stepName || step.stepId === stepName || keyOf(step) === stepName;
    let everMatched = false;
    let followedToEnd = false;
    for (;;) {
      const run = await metadata.getRun(runId);
      const steps = (await metadata.listStepRuns(runId)).filter(matches);
      everMatched ||= steps.length > 0;
      // The driver's output, every page of it (what a detached run's driver printed).
      for (let more = !stepName; more; ) {
        const page = await metadata.readRunLog(runId, runLogNext);
        more = page.chunks.length > 0;
        for (const chunk of page.chunks) {
          const write = chunk.stream === "stderr" ? io.stderr : io.stdout;
          for (const line of chunk.text.split(/(?<=\n)/))
            write(`(run) | ${line}${line.endsWith("\n") ? "" : "\n"}`);
        }
        runLogNext = page.next;
      }
      for (const step of steps) {
        for (const attempt of await metadata.listAttempts(step.id)) {
          const id = `${step.id}:${attempt.number}`;
          // Every page there is now, not only the first: a long log is read to its end.
          for (let more = true; more; ) {
            const page = await metadata.readLog(step.id, attempt.number, offsets.get(id) ?? 0);
            more = page.chunks.length > 0;
            for (const chunk of page.chunks) {
              if (values.json) {
                // Both streams on stdout, told apart by "stream": one reader gets them in order.
                const record = { step: keyOf(step), attempt: attempt.number, stream: chunk.stream };
                io.stdout(`${JSON.stringify({ ...record, text: chunk.text })}\n`);
                continue;
              }
              const prefix = `${keyOf(step)}${attempt.number > 1 ? `#${attempt.number}` : ""}`;
              const write = chunk.stream === "stderr" ? io.stderr : io.stdout;
              for (const line of chunk.text.split(/(?<=\n)/))
                write(`${prefix} | ${line}${line.endsWith("\n") ? "" : "\n"}`);
            }
            offsets.set(id, page.next);
          }
        }
      }
      if (!values.follow || followedToEnd) break;
      // Once the run has ended its driver still writes its last lines (a detached run's summary):
      // followed until that process is gone (a few seconds at most: a process that drives many
      // runs lives on), then read once more.
      const live = run.status === "running" || run.status === "queued";
      // A driver on another machine (its process unknown here) is given the whole few seconds.
      const [control] = await metadata.readRunControl([run.id]);
      const writing =
        !live &&
        driverProcess(run, control?.heartbeat, check) !== "ended" &&
        Date.now() - (run.endedAt ?? 0) < DRIVER_LAST_WORDS_MS;
      if (live ? judgeRun(run, control, check).interrupted : !writing) followedToEnd = true;
      else await sleep(250);
    }
    if (stepName && !everMatched) {
      const ids = [...new Set((await metadata.listStepRuns(runId)).map((s) => s.stepId))];
      io.stderr(
        `run ${runId} has no step \`${stepName}\`; its steps are ${ids.join(", ") || "none yet"}${await suggestion(stepIdOf(stepName), ids)}\n`,
      );
      return 1;
    }
    return 0;
  });
}
