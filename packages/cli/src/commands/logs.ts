import { parseArgs } from "node:util";
import type { StepRun } from "@canal/store";
import { type Io, UsageError } from "../io.js";
import { stepIdOf, suggestion } from "../suggest.js";
import { withWorkspace } from "../workspace.js";
import { driverGone } from "./runs.js";

export const logsHelp = `Usage: canal logs RUN [STEP] [-f] [--json]

Prints the stdout and stderr of a run's steps (every attempt), or of one step ("train" for all its
fan-out iterations, "train[2]" for one).

  -f, --follow   keep printing as the steps write, until the run ends
  --json         one JSON object per line: {"step","attempt","stream","text"} (with -f, as they come)
`;

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
    await metadata.getRun(runId);
    const offsets = new Map<string, number>();
    const matches = (step: StepRun) => !stepName || step.stepId === stepName || keyOf(step) === stepName;
    let everMatched = false;
    for (;;) {
      const run = await metadata.getRun(runId);
      const steps = (await metadata.listStepRuns(runId)).filter(matches);
      everMatched ||= steps.length > 0;
      for (const step of steps) {
        for (const attempt of await metadata.listAttempts(step.id)) {
          const id = `${step.id}:${attempt.number}`;
          const page = await metadata.readLog(step.id, attempt.number, offsets.get(id) ?? 0);
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
      const live = run.status === "running" || run.status === "queued";
      if (!values.follow || !live || driverGone(run)) break;
      await sleep(250);
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
