import { parseArgs } from "node:util";
import { pipelineEdges, readArtifact } from "@canal/ir";
import { endLeftovers, placementText, runPipeline } from "@canal/runner";
import { parseInstanceKey } from "@canal/runtime-core";
import {
  describeCacheKeyChange,
  explainCacheMiss,
  type MetadataStore,
  type Run,
  type StepRun,
  type Workspace,
} from "@canal/store";
import { type Io, UsageError } from "../io.js";
import { Progress } from "../progress.js";
import { targetHelp, targetOptions, targetsFor } from "../targets.js";
import { withWorkspace } from "../workspace.js";
import { isDriver } from "./runs.js";

export { initCommand, initHelp } from "./init.js";

export const cancelHelp = `Usage: canal cancel RUN

Cancels a running run: its steps' processes are ended and the run is recorded as canceled.
When the \`canal run\` that drove it is gone (killed, its machine rebooted), what the run left
running on its targets is ended: step processes on this machine, its containers, its Slurm jobs.
`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The process that drove run `id` is gone (killed, rebooted): ends what it left running on its
 * targets (processes, containers, Slurm jobs), and records the end it could not.
 */
async function endOrphaned(workspace: Workspace, id: string, runtime: string, io: Io): Promise<number> {
  const { ended, problems } = await endLeftovers(workspace, id, runtime);
  await workspace.metadata.updateRun(id, {
    status: "canceled",
    endedAt: Date.now(),
    error: "canceled after its driver process ended",
  });
  const what = ended.length ? `; ended ${ended.join(", ")}` : "; nothing of it was still running";
  io.stdout(`run ${id} canceled (its driver process had already ended${what})\n`);
  for (const problem of problems)
    io.stderr(`could not look for what run ${id} left on ${problem}; end it there by hand\n`);
  return problems.length ? 1 : 0;
}

export async function cancelCommand(args: string[], io: Io): Promise<number> {
  const [id] = parseArgs({ args, allowPositionals: true, options: {} }).positionals;
  if (!id) throw new UsageError("canal cancel needs a run id; `canal runs --status running` lists them");
  return withWorkspace(io, async (workspace) => {
    const { metadata } = workspace;
    const run = await metadata.getRun(id);
    if (run.status !== "running" && run.status !== "queued") {
      io.stderr(`run ${id} is already ${run.status}; nothing to cancel\n`);
      return 1;
    }
    // The recorded pid is only signalled while it is still the driver's (see isDriver): a pid of
    // a driver that is gone may have been given to an unrelated process since.
    if (!isDriver(run)) return endOrphaned(workspace, id, run.runtime, io);
    try {
      process.kill(run.pid as number, "SIGTERM");
    } catch {
      // Ended just now: the loop below sees the end it recorded, or that it is gone.
    }
    for (let waited = 0; waited < 30_000; waited += 200) {
      const now = await metadata.getRun(id);
      if (now.status !== "running" && now.status !== "queued") {
        io.stdout(`run ${id} ${now.status}\n`);
        return 0;
      }
      if (!isDriver(now)) return endOrphaned(workspace, id, run.runtime, io);
      await sleep(200);
    }
    io.stderr(`run ${id} did not stop within 30 s; its driver is process ${run.pid}\n`);
    return 1;
  });
}

export const whyHelp = `Usage: canal why RUN STEP

Explains why STEP ran in RUN instead of reusing a cached result: which part of its cache key changed
since the last time it ran — a code file, an input (which upstream output), a parameter, the
environment. STEP is a step id, or "train[2]" for a fan-out iteration.
`;

export async function whyCommand(args: string[], io: Io): Promise<number> {
  const [runId, stepName] = parseArgs({ args, allowPositionals: true, options: {} }).positionals;
  if (!runId || !stepName)
    throw new UsageError("canal why needs a run id and a step, e.g. `canal why run-… train`");
  const { stepId, index } = parseInstanceKey(stepName);
  const instance = index < 0 ? undefined : index;
  return withWorkspace(io, async ({ metadata }) => {
    const run = await metadata.getRun(runId);
    const stepRuns = (await metadata.listStepRuns(runId)).filter(
      (s) => s.stepId === stepId && (instance === undefined || s.instance === instance),
    );
    if (stepRuns.length === 0) {
      const names = [...new Set((await metadata.listStepRuns(runId)).map((s) => s.stepId))].join(", ");
      io.stderr(`run ${runId} has no step \`${stepName}\`; its steps are ${names}\n`);
      return 1;
    }
    for (const stepRun of stepRuns) {
      const key = stepRun.instance >= 0 ? `${stepRun.stepId}[${stepRun.instance}]` : stepRun.stepId;
      if (stepRun.status === "cached") {
        io.stdout(
          `${key}: reused from the cache${stepRun.reusedFrom ? ` (run ${stepRun.reusedFrom.runId})` : ""}\n`,
        );
        continue;
      }
      if (!stepRun.cacheComponents) {
        io.stdout(
          `${key}: ${stepRun.status}${stepRun.error ? ` (${stepRun.error.split("\n")[0]})` : ""}; it never computed a cache key\n`,
        );
        continue;
      }
      if (run.regenerate) {
        io.stdout(`${key}: ran because the run was started with --regenerate\n`);
        continue;
      }
      // A step made to run under a key an earlier run had already cached replaced that entry, so
      // the entry is its own now: the earlier step run with the same key is what explains it.
      const sameKey = await earlierStepRunWithKey(metadata, run, stepRun);
      if (sameKey) {
        const own =
          (await metadata.getCacheEntry(stepRun.cacheKey ?? ""))?.producedBy.stepRunId === stepRun.id;
        io.stdout(
          `${key}: its cache key matches run ${sameKey}'s; it ran because it was made to (\`canal rerun --from\`, reuse: false) or the cached outputs were missing or damaged${own ? "; what it produced replaced the cache entry" : ""}\n`,
        );
        continue;
      }
      const previous = await metadata.lastCacheEntryForStep(run.pipeline, stepRun.stepId, {
        ...(stepRun.instance >= 0 ? { instance: stepRun.instance } : {}),
        before: stepRun.startedAt ?? stepRun.createdAt,
      });
      if (!previous) {
        io.stdout(
          `${key}: ran because it never ran before in pipeline ${run.pipeline} (no earlier cache entry)\n`,
        );
        continue;
      }
      const changes = explainCacheMiss(previous.components, stepRun.cacheComponents);
      if (changes.length === 0) {
        io.stdout(
          `${key}: its cache key matches run ${previous.producedBy.runId}'s; it ran because reuse was off (reuse: false or --from) or the cached outputs were missing or damaged\n`,
        );
        continue;
      }
      io.stdout(`${key}: ran because, since run ${previous.producedBy.runId}:\n`);
      for (const change of changes) io.stdout(`  - ${describeCacheKeyChange(change)}\n`);
    }
    return 0;
  });
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

${targetHelp}`;

/** What a user reaching for `canal run`'s options with rerun means, and how to say it. */
const notRerunOptions: Record<string, string> = {
  "-p": "rerun keeps RUN's parameters; to change them, run the pipeline again: `canal run ARTIFACT -p name=value`",
  "--param":
    "rerun keeps RUN's parameters; to change them, run the pipeline again: `canal run ARTIFACT -p name=value`",
  "--regenerate":
    "rerun reuses the cache except from --from STEP on; to run every step again, use `canal run ARTIFACT --regenerate`",
};

export async function rerunCommand(args: string[], io: Io): Promise<number> {
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
    const previous = await workspace.metadata.getRun(runId);
    const version = await workspace.metadata.getPipelineVersion(previous.pipelineVersionId);
    if (!version.artifactLocation)
      throw new Error(`run ${runId} has no stored artifact; run the pipeline again with \`canal run\``);
    const pipeline = readArtifact(version.artifactLocation).pipeline;
    const force = new Set<string>();
    if (values.from) {
      if (!pipeline.steps.some((s) => s.id === values.from)) {
        throw new UsageError(
          `pipeline ${pipeline.name} has no step \`${values.from}\`; its steps are ${pipeline.steps.map((s) => s.id).join(", ")}`,
        );
      }
      const edges = pipelineEdges(pipeline);
      const queue = [values.from];
      while (queue.length) {
        const id = queue.pop() as string;
        if (force.has(id)) continue;
        force.add(id);
        for (const edge of edges) if (edge.from === id) queue.push(edge.to);
      }
    }
    // Artifact parameters were recorded as stored values ({ digest, directory }), which a run accepts as they are.
    const parameters = previous.parameters;
    const prepared = targetsFor(workspace, version.artifactLocation, values);
    const { runtime } = prepared;
    const progress = new Progress(values.json ? () => {} : io.stdout, Boolean(io.tty));
    try {
      const { run } = await runPipeline({
        workspace,
        artifactDir: version.artifactLocation,
        parameters,
        runtime,
        force,
        onStart: (started) => {
          if (!values.json)
            io.stdout(
              `run ${started.id}: rerun of ${runId}${values.from ? ` from ${values.from} (${[...force].join(", ")})` : ""} on ${placementText(prepared)}\n`,
            );
        },
        onEvent: (event) => progress.on(event),
      });
      progress.finish();
      if (values.json) io.stdout(`${JSON.stringify(run, null, 2)}\n`);
      else io.stdout(`run ${run.id} ${run.status}${run.error ? `: ${run.error}` : ""}\n`);
      return run.status === "succeeded" ? 0 : run.status === "canceled" ? 130 : 1;
    } finally {
      await runtime.close();
    }
  });
}
