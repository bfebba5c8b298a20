import { parseArgs } from "node:util";
import { cancelRun, placementText, planRerun, RerunError, type RerunPlan, rerunFrom } from "@canal/runner";
import { parseInstanceKey } from "@canal/runtime-core";
import {
  type CacheKeyChange,
  describeCacheKeyChange,
  explainCacheMiss,
  type MetadataStore,
  type Run,
  type StepRun,
} from "@canal/store";
import { cancellation } from "../cancel-signals.js";
import { type Io, UsageError } from "../io.js";
import { Progress } from "../progress.js";
import { runtimes } from "../runtimes.js";
import { suggestion } from "../suggest.js";
import { targetHelp, targetOptions, targetsFor } from "../targets.js";
import { describeInputChange, Producers, type UpstreamChange, upstreamOf } from "../upstream.js";
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

/** Why one step instance ran or was reused, as `canal why --json` prints it. */
interface WhyReport {
  step: string;
  status: string;
  /**
   * cached: reused; no-key: ended before it computed a cache key; regenerate: the run ran every
   * step; same-key: an earlier run cached the same key (made to run, or the outputs were gone);
   * first: no earlier entry for the step; reuse-off: the key matches the last entry's; changed.
   */
  reason: "cached" | "no-key" | "regenerate" | "same-key" | "first" | "reuse-off" | "changed";
  /** The run it was reused from, that had the same key, or that made the last entry. */
  run?: string;
  error?: string;
  /** The changes of its cache key, most specific first, each with its line of text. */
  changes?: Array<CacheKeyChange & { text: string; upstream?: UpstreamChange }>;
  /** The step's outputs replaced the cache entry (same-key). */
  replacedEntry?: boolean;
}

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
  return withWorkspace(io, async ({ metadata }) => {
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
    let producers: Producers | undefined;
    let bindings: Map<string, string> | undefined;
    const reports: WhyReport[] = [];
    for (const stepRun of stepRuns) {
      const key = stepRun.instance >= 0 ? `${stepRun.stepId}[${stepRun.instance}]` : stepRun.stepId;
      const base = { step: key, status: stepRun.status };
      if (stepRun.status === "cached") {
        reports.push({
          ...base,
          reason: "cached",
          ...(stepRun.reusedFrom ? { run: stepRun.reusedFrom.runId } : {}),
        });
        continue;
      }
      if (!stepRun.cacheComponents) {
        reports.push({
          ...base,
          reason: "no-key",
          ...(stepRun.error ? { error: stepRun.error.split("\n")[0] as string } : {}),
        });
        continue;
      }
      if (run.regenerate) {
        reports.push({ ...base, reason: "regenerate" });
        continue;
      }
      // A step made to run under a key an earlier run had already cached replaced that entry, so
      // the entry is its own now: the earlier step run with the same key is what explains it.
      const sameKey = await earlierStepRunWithKey(metadata, run, stepRun);
      if (sameKey) {
        const own =
          (await metadata.getCacheEntry(stepRun.cacheKey ?? ""))?.producedBy.stepRunId === stepRun.id;
        reports.push({ ...base, reason: "same-key", run: sameKey, replacedEntry: own });
        continue;
      }
      const previous = await metadata.lastCacheEntryForStep(run.pipeline, stepRun.stepId, {
        ...(stepRun.instance >= 0 ? { instance: stepRun.instance } : {}),
        before: stepRun.startedAt ?? stepRun.createdAt,
      });
      if (!previous) {
        reports.push({ ...base, reason: "first" });
        continue;
      }
      const changes = explainCacheMiss(previous.components, stepRun.cacheComponents);
      const since = previous.producedBy.runId;
      if (changes.length === 0) {
        reports.push({ ...base, reason: "reuse-off", run: since });
        continue;
      }
      producers ??= await producersOf(metadata, run, all);
      bindings ??= await upstreamSteps(metadata, run);
      const explained = changes.map((change) => {
        if (change.field !== "input") return { ...change, text: describeCacheKeyChange(change) };
        const boundTo = bindings?.get(`${stepRun.stepId}\u0000${change.name}`);
        const upstream = upstreamOf(change, producers as Producers, boundTo);
        const text = describeInputChange(change, upstream) ?? describeCacheKeyChange(change);
        return { ...change, text, ...(upstream ? { upstream } : {}) };
      });
      reports.push({ ...base, reason: "changed", run: since, changes: explained });
    }
    if (values.json) io.stdout(`${JSON.stringify(reports, null, 2)}\n`);
    else for (const report of reports) io.stdout(whyText(report, run));
    return 0;
  });
}

/** Where each artifact of the run came from: its steps' outputs and its artifact parameters. */
async function producersOf(metadata: MetadataStore, run: Run, stepRuns: StepRun[]): Promise<Producers> {
  const producers = new Producers();
  for (const stepRun of stepRuns) {
    const key = stepRun.instance >= 0 ? `${stepRun.stepId}[${stepRun.instance}]` : stepRun.stepId;
    producers.addOutputs(key, await metadata.getOutputs(stepRun.id));
  }
  producers.addParameters(run.parameters);
  return producers;
}

/** The upstream step each step input is bound to in the run's pipeline version, by "step\0input". */
async function upstreamSteps(metadata: MetadataStore, run: Run): Promise<Map<string, string>> {
  const bound = new Map<string, string>();
  try {
    const ir = JSON.parse((await metadata.getPipelineVersion(run.pipelineVersionId)).ir) as {
      steps?: Array<{
        id: string;
        inputs?: Array<{ name: string; binding?: Record<string, { step?: string }> }>;
      }>;
    };
    for (const step of ir.steps ?? [])
      for (const input of step.inputs ?? []) {
        const from = input.binding?.output?.step ?? input.binding?.collect?.step;
        if (from) bound.set(`${step.id}\u0000${input.name}`, from);
      }
  } catch {
    // A version recorded without a readable IR: the outputs are named by digest alone.
  }
  return bound;
}

function whyText(report: WhyReport, run: Run): string {
  const key = report.step;
  switch (report.reason) {
    case "cached":
      return `${key}: reused from the cache${report.run ? ` (run ${report.run})` : ""}\n`;
    case "no-key":
      return `${key}: ${report.status}${report.error ? ` (${report.error})` : ""}; it never computed a cache key\n`;
    case "regenerate":
      return `${key}: ran because the run was started with --regenerate\n`;
    case "same-key":
      return `${key}: its cache key matches run ${report.run}'s; it ran because it was made to (\`canal rerun --from\`, reuse: false) or the cached outputs were missing or damaged${report.replacedEntry ? "; what it produced replaced the cache entry" : ""}\n`;
    case "first":
      return `${key}: ran because it never ran before in pipeline ${run.pipeline} (no earlier cache entry)\n`;
    case "reuse-off":
      return `${key}: its cache key matches run ${report.run}'s; it ran because reuse was off (reuse: false or --from) or the cached outputs were missing or damaged\n`;
    case "changed":
      return `${key}: ran because, since run ${report.run}:\n${(report.changes ?? []).map((c) => `  - ${c.text}\n`).join("")}`;
  }
}

/** The newest earlier run of the pipeline (of the last 100) whose same step finished under the same cache key. */
async function earlierStepRunWithKey(
  metadata: MetadataStore,
  run: Run,
  stepRun: StepRun,
): Promise<string | undefined> {
  if (!stepRun.cacheKey) return undefined;
  for (const earlier of await metadata.listRuns({ pipeline: run.pipeline, limit: 100 })) {
    if (earlier.id === run.id || earlier.createdAt > run.createdAt) continue;
    const same = (await metadata.listStepRuns(earlier.id)).find(
      (s) =>
        s.stepId === stepRun.stepId &&
        s.instance === stepRun.instance &&
        s.cacheKey === stepRun.cacheKey &&
        (s.status === "succeeded" || s.status === "cached"),
    );
    if (same) return earlier.id;
  }
  return undefined;
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
      canceled.dispose();
      await runtime.close();
    }
  });
}
