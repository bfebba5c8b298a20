// `canal rerun RUN [--from STEP]` as a function: the run's pipeline version again, with the same
// parameters and experiment; with a step, that step and everything downstream of it run
// regardless of the cache. The CLI and a server call the same two functions.
import { didYouMean, type Pipeline, pipelineEdges, readArtifact } from "@canal/ir";
import type { RunSummary } from "@canal/runtime-core";
import type { Run, Workspace } from "@canal/store";
import { RerunError } from "./errors.js";
import { versionArtifact } from "./kept-artifacts.js";
import { type RunPipelineOptions, runPipeline } from "./run.js";

/** What a rerun of a run will run: made by `planRerun`, run by `rerunFrom`. */
export interface RerunPlan {
  /** The run rerun. */
  previous: Run;
  /** Its pipeline version's artifact, as a verified local directory. */
  artifactDir: string;
  pipeline: Pipeline;
  /** The step named by `from`, if any. */
  from?: string;
  /** The steps run regardless of the cache: `from` and every step downstream of it. */
  force: Set<string>;
}

/** The steps that depend on `from`, transitively, and `from` itself. */
export function downstreamOf(pipeline: Pipeline, from: string): Set<string> {
  const edges = pipelineEdges(pipeline);
  const force = new Set<string>();
  const queue = [from];
  while (queue.length) {
    const id = queue.pop() as string;
    if (force.has(id)) continue;
    force.add(id);
    for (const edge of edges) if (edge.from === id) queue.push(edge.to);
  }
  return force;
}

/**
 * Reads what a rerun of `runId` (from step `from`) needs: an ArtifactError when the run's artifact is
 * neither kept nor in the blob store, a RerunError for a step its pipeline does not have.
 */
export async function planRerun(workspace: Workspace, runId: string, from?: string): Promise<RerunPlan> {
  const previous = await workspace.metadata.getRun(runId);
  const version = await workspace.metadata.getPipelineVersion(previous.pipelineVersionId);
  // The kept copy, or rebuilt from the blob store: a rerun needs no local artifact directory.
  const artifactDir = await versionArtifact(workspace, version);
  const pipeline = readArtifact(artifactDir).pipeline;
  if (from !== undefined && !pipeline.steps.some((s) => s.id === from)) {
    const ids = pipeline.steps.map((s) => s.id);
    throw new RerunError(
      `pipeline ${pipeline.name} has no step \`${from}\`; its steps are ${ids.join(", ")}${didYouMean(from, ids)}`,
    );
  }
  return {
    previous,
    artifactDir,
    pipeline,
    ...(from !== undefined ? { from, force: downstreamOf(pipeline, from) } : { force: new Set<string>() }),
  };
}

/** Everything of `runPipeline`'s options but what the plan decides. */
export type RerunOptions = Omit<
  RunPipelineOptions,
  "artifactDir" | "parameters" | "force" | "experiment" | "regenerate"
>;

/**
 * Runs a plan: the previous run's parameters as recorded (artifact parameters as stored values,
 * which a run accepts as they are), under its experiment, the plan's steps forced.
 */
export function rerunFrom(
  plan: RerunPlan,
  options: RerunOptions,
): Promise<{ run: Run; summary: RunSummary }> {
  return runPipeline({
    ...options,
    artifactDir: plan.artifactDir,
    parameters: plan.previous.parameters,
    force: plan.force,
    experiment: plan.previous.experiment,
  });
}
