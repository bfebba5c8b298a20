import { parseArgs } from "node:util";
import { judgeRun } from "@canal/runner";
import { type Run, RunNotFoundError, type StepRun, type Workspace } from "@canal/store";
import { closest } from "../closest.js";
import { type Io, UsageError } from "../io.js";
import { withWorkspace } from "../workspace.js";
import { driverCheck } from "./runs.js";

export const waitHelp = `Usage: canal wait RUN [--json]

Follows a run until it ends (AzureML's wait_for_completion): prints each step's changes of state
as they are recorded, then how the run ended, and exits with its status. A run that has already
ended is answered at once. RUN is a run id, as \`canal run --detach\` and \`canal runs\` print it.

  --json   print only the ended run, as JSON

Exit status: 0 succeeded, 1 failed, 130 canceled, 3 interrupted (its driver process ended
without recording an end: it stopped writing its heartbeat, see \`canal runs show RUN\`; \`canal
cancel RUN\` ends what it left), 2 no such run or a usage mistake.
`;

/** `canal wait`'s exit status for how a run ended; documented in waitHelp and the README. */
export const WAIT_STATUS = { succeeded: 0, failed: 1, canceled: 130, interrupted: 3, unknown: 2 } as const;

const POLL_MS = 200;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const keyOf = (step: StepRun) => (step.instance >= 0 ? `${step.stepId}[${step.instance}]` : step.stepId);

function seconds(from: number, to: number): string {
  return `${((to - from) / 1000).toFixed(1)}s`;
}

function stepLine(step: StepRun): string {
  const key = keyOf(step);
  switch (step.status) {
    case "succeeded":
      return `${key}: succeeded${step.startedAt && step.endedAt ? ` in ${seconds(step.startedAt, step.endedAt)}` : ""}`;
    case "cached":
      return `${key}: cached${step.reusedFrom ? ` (from ${step.reusedFrom.runId})` : ""}`;
    case "failed":
      return `${key}: FAILED${step.error ? `: ${step.error.split("\n")[0]}` : ""}`;
    case "skipped":
      return `${key}: skipped${step.error ? ` (${step.error})` : ""}`;
    default:
      return `${key}: ${step.status}`;
  }
}

/** The run, or a message that names the runs there are and the one meant, when there is none such. */
async function findRun(workspace: Workspace, id: string, io: Io): Promise<Run | undefined> {
  try {
    return await workspace.metadata.getRun(id);
  } catch (error) {
    if (!(error instanceof RunNotFoundError)) throw error;
    const recent = await workspace.metadata.listRuns({ limit: 1000 });
    const near = closest(
      id,
      recent.map((r) => r.id),
    );
    const shown = recent.slice(0, 5).map((r) => `${r.id} (${r.pipeline}, ${r.status})`);
    io.stderr(
      `canal wait: no run \`${id}\` in this workspace${near ? ` (did you mean \`${near}\`?)` : ""}; ${
        shown.length ? `the newest: ${shown.join(", ")}; \`canal runs\` lists them all` : "it has no runs yet"
      }\n`,
    );
    return undefined;
  }
}

export async function waitCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: "boolean" } },
  });
  const [id, extra] = positionals;
  if (!id)
    throw new UsageError("canal wait needs a run id, e.g. `canal wait run-…`; `canal runs` lists them");
  if (extra !== undefined)
    throw new UsageError(`unexpected argument \`${extra}\`; canal wait takes one run id`);
  return withWorkspace(io, async (workspace) => {
    const { metadata } = workspace;
    let run = await findRun(workspace, id, io);
    if (!run) return WAIT_STATUS.unknown;
    const say = values.json ? () => {} : io.stdout;
    const live = (r: Run) => r.status === "running" || r.status === "queued";
    if (live(run))
      say(
        `run ${run.id}: pipeline ${run.pipeline} v${run.pipelineVersion}, experiment ${run.experiment}, ${run.status}${run.pid ? ` (driver process ${run.pid})` : ""}\n`,
      );
    const shown = new Map<number, string>();
    // A run that had ended already is answered with its end alone.
    const following = live(run);
    for (;;) {
      // The run, then its steps: every step of a run read as ended has its own end recorded.
      const now = await metadata.getRun(id);
      if (following)
        for (const step of await metadata.listStepRuns(id)) {
          if (step.status === "queued" || shown.get(step.id) === step.status) continue;
          shown.set(step.id, step.status);
          say(`${stepLine(step)}\n`);
        }
      run = now;
      if (!live(run)) break;
      const [control] = await metadata.readRunControl([id]);
      const judged = judgeRun(run, control, await driverCheck());
      if (judged.interrupted) {
        // It may have recorded its end just before it exited: then that end is shown.
        if (!live(await metadata.getRun(id))) continue;
        if (values.json) io.stdout(`${JSON.stringify({ ...run, status: "interrupted" }, null, 2)}\n`);
        io.stderr(
          `run ${run.id} was interrupted: ${judged.reason ?? "its driver process ended"}, without recording an end; ` +
            `\`canal cancel ${run.id}\` ends what it left running, \`canal rerun ${run.id}\` runs it again reusing what finished\n`,
        );
        return WAIT_STATUS.interrupted;
      }
      await sleep(POLL_MS);
    }
    if (values.json) io.stdout(`${JSON.stringify(run, null, 2)}\n`);
    else {
      const took = run.startedAt && run.endedAt ? ` in ${seconds(run.startedAt, run.endedAt)}` : "";
      io.stdout(`run ${run.id} ${run.status}${took}${run.error ? `: ${run.error}` : ""}\n`);
    }
    return WAIT_STATUS[run.status as "succeeded" | "failed" | "canceled"];
  });
}
