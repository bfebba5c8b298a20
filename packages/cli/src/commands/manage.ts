import { parseArgs } from "node:util";
import {
  cancelRun,
  explainStepRuns,
  placementText,
  planRerun,
  RerunError,
  type RerunPlan,
  rerunFrom,
  type WhyReport,
  whyLines,
} from "@canal/runner";
import { parseInstanceKey } from "@canal/runtime-core";
import { metadataStorePlace, type Run } from "@canal/store";
import { cancellation } from "../cancel-signals.js";
import { type Io, UsageError } from "../io.js";
import { Progress } from "../progress.js";
import { runtimes } from "../runtimes.js";
import { suggestion } from "../suggest.js";
import { targetHelp, targetOptions, targetsFor } from "../targets.js";
import { withWorkspace } from "../workspace.js";
import { detachedRunId, detachedStartedBy, driveDetached } from "./detach.js";
import { driverCheck } from "./runs.js";

export { initCommand, initHelp } from "./init.js";

export const cancelHelp = `Usage: canal cancel RUN [--reason TEXT] [--json]

Cancels a running run: records a cancel request in the workspace's store, which the \`canal run\`
driving the run acts on wherever it runs (this machine or another sharing the store): its steps'
processes are ended and the run is recorded as canceled. Waits until it is.
When the \`canal run\` that drove it is gone (its heartbeat stale, or its process ended on this
machine), what the run left running on its targets is ended: step processes on this machine, its
containers, its Slurm jobs. The \`canal run\` that drives it says on its own terminal who canceled it.

  --reason TEXT   kept with the request (\`canal runs show RUN\` shows it)
  --json          print {"run", "status", "driverGone"} (with "ended": what of a run whose driver was
                  gone was ended on its targets)
`;

export async function cancelCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: "boolean" }, reason: { type: "string" } },
  });
  const [id] = positionals;
  const json = values.json ?? false;
  if (!id) throw new UsageError("canal cancel needs a run id; `canal runs --status running` lists them");
  return withWorkspace(io, async (workspace) => {
    const outcome = await cancelRun(workspace, id, runtimes, {
      ...(await driverCheck()),
      ...(values.reason ? { reason: values.reason } : {}),
    });
    switch (outcome.kind) {
      case "already-ended":
        io.stderr(`run ${id} is already ${outcome.run.status}; nothing to cancel\n`);
        return 1;
      case "requested":
      case "stopped":
        if (json)
          io.stdout(`${JSON.stringify({ run: id, status: outcome.run.status, driverGone: false })}\n`);
        else io.stdout(`run ${id} ${outcome.run.status}\n`);
        return 0;
      case "driver-gone": {
        const { ended, problems } = outcome;
        const what = ended.length ? `; ended ${ended.join(", ")}` : "; nothing of it was still running";
        if (json)
          io.stdout(
            `${JSON.stringify({ run: id, status: "canceled", driverGone: true, ended, problems })}\n`,
          );
        else io.stdout(`run ${id} canceled (its driver process had already ended${what})\n`);
        for (const problem of problems)
          io.stderr(`could not look for what run ${id} left on ${problem}; end it there by hand\n`);
        return problems.length ? 1 : 0;
      }
      case "timed-out": {
        const { driver } = outcome;
        const where = driver?.host ? `; its driver is process ${driver.pid} on ${driver.host}` : "";
        io.stderr(
          `run ${id} did not stop in time${where}; the cancel request stays recorded and its driver ends the run when it can (\`canal wait ${id}\` follows it)\n`,
        );
        return 1;
      }
    }
  });
}

export const whyHelp = `Usage: canal why RUN STEP [--json]

Explains why STEP ran in RUN instead of reusing a cached result: which part of its cache key changed
since the last time it ran — a code file, an input (and the upstream step output whose content
changed; for a fan-in, which elements), a parameter, the environment. STEP is a step id, or
"train[2]" for a fan-out iteration.

  --json   the explanation of each step instance as JSON
`;

export async function whyCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: "boolean" } },
  });
  const [runId, stepName] = positionals;
  if (!runId || !stepName)
    throw new UsageError("canal why needs a run id and a step, e.g. `canal why run-… train`");
  const { stepId, index } = parseInstanceKey(stepName);
  const instance = index < 0 ? undefined : index;
  return withWorkspace(io, async (workspace) => {
    const { metadata } = workspace;
    const run = await metadata.getRun(runId);
    const all = await metadata.listStepRuns(runId);
    const stepRuns = all.filter(
      (s) => s.stepId === stepId && (instance === undefined || s.instance === instance),
    );
    if (stepRuns.length === 0) {
      const ids = [...new Set(all.map((s) => s.stepId))];
      io.stderr(
        `run ${runId} has no step \`${stepName}\`; its steps are ${ids.join(", ")}${await suggestion(stepId, ids)}\n`,
      );
      return 1;
    }
    const cache = { name: workspace.config.workspace, store: metadataStorePlace(workspace) };
    const reports = await explainStepRuns(metadata, run, stepRuns, all, cache);
    if (values.json) io.stdout(`${JSON.stringify(reports, null, 2)}\n`);
    else for (const report of reports) io.stdout(whyText(report, run));
    return 0;
  });
}

function whyText(report: WhyReport, run: Run): string {
  const lines = whyLines(report, run);
  if (report.reason === "changed")
    return `${report.step}: ran because, since run ${report.run}:\n${lines.map((line) => `  - ${line}\n`).join("")}`;
  return `${report.step}: ${lines[0]}\n`;
}

export const rerunHelp = `Usage: canal rerun RUN [--from STEP] [--target NAME | --profile NAME] [--json]

Runs RUN's pipeline version again with the same parameters. With --from, STEP and every step that
depends on it run regardless of the cache; everything else is reused when it can be.

${targetHelp}
Exit status: 0 succeeded, 1 failed, 130 canceled (Ctrl-C, \`canal cancel\` or a SIGTERM).
`;

/** What a user reaching for `canal run`'s options with rerun means, and how to say it. */
const notRerunOptions: Record<string, string> = {
  "-p": "rerun keeps RUN's parameters; to change them, run the pipeline again: `canal run ARTIFACT -p name=value`",
  "--param":
    "rerun keeps RUN's parameters; to change them, run the pipeline again: `canal run ARTIFACT -p name=value`",
  "--regenerate":
    "rerun reuses the cache except from --from STEP on; to run every step again, use `canal run ARTIFACT --regenerate`",
};

export async function rerunCommand(args: string[], io: Io): Promise<number> {
  // The driver of a rerun a server started in the background (as `canal run --detach` starts one).
  const driven = detachedRunId();
  if (driven) {
    const startedBy = detachedStartedBy();
    return driveDetached(driven, io, (log) => rerunHere(args, log, driven, startedBy));
  }
  return rerunHere(args, io);
}

async function rerunHere(args: string[], io: Io, driven?: string, startedBy?: string): Promise<number> {
  for (const arg of args) {
    const hint = notRerunOptions[arg.split("=")[0] as string];
    if (hint) throw new UsageError(`\`${arg}\` is not an option of canal rerun: ${hint}`);
  }
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { from: { type: "string" }, json: { type: "boolean" }, ...targetOptions },
  });
  const [runId, extra] = positionals;
  if (!runId) throw new UsageError("canal rerun needs a run id; `canal runs` lists them");
  if (extra !== undefined)
    throw new UsageError(`unexpected argument \`${extra}\`; canal rerun takes one run id`);
  return withWorkspace(io, async (workspace) => {
    let plan: RerunPlan;
    try {
      plan = await planRerun(workspace, runId, values.from);
    } catch (error) {
      if (error instanceof RerunError && error.code === "CANAL_RERUN_STEP_UNKNOWN")
        throw new UsageError(error.message);
      throw error;
    }
    const prepared = await targetsFor(workspace, plan.artifactDir, values);
    const { runtime } = prepared;
    const progress = new Progress(values.json ? () => {} : io.stdout, Boolean(io.tty));
    const canceled = cancellation("rerun", io, progress, driven);
    try {
      const { run } = await rerunFrom(plan, {
        workspace,
        runtime,
        ...(driven ? { runId: driven } : {}),
        ...(startedBy ? { startedBy } : {}),
        signal: canceled.signal,
        onStart: (started) => {
          canceled.started(started.id);
          if (!values.json)
            io.stdout(
              `run ${started.id}: rerun of ${runId}${values.from ? ` from ${values.from} (${[...plan.force].join(", ")})` : ""} on ${placementText(prepared)}\n`,
            );
        },
        onEvent: (event) => progress.on(event),
        onCancelRequest: canceled.onCancelRequest,
      });
      progress.finish();
      if (values.json) io.stdout(`${JSON.stringify(run, null, 2)}\n`);
      else io.stdout(`run ${run.id} ${run.status}${run.error ? `: ${run.error}` : ""}\n`);
      return run.status === "succeeded" ? 0 : run.status === "canceled" ? 130 : 1;
    } finally {
      // A run whose driving failed leaves no status line under the error.
      progress.finish();
      canceled.dispose();
      await runtime.close();
    }
  });
}
