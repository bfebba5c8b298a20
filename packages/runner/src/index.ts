/**
 * Runs compiled pipelines in a workspace: the orchestrator, a runtime and the store, composed.
 *
 * @example
 * ```ts
 * import { runPipeline } from "@canal/runner";
 * import { LocalRuntime } from "@canal/runtime-local";
 * import { openWorkspace } from "@canal/store";
 * const workspace = openWorkspace(".");
 * const { run } = await runPipeline({ workspace, artifactDir: "canal-out/iris", runtime: new LocalRuntime({ cacheDir: ".canal/cache" }) });
 * // Or the runtime of the workspace's targets, every step checked against its target first:
 * const { runtime } = await prepareTargets(workspace, readArtifact("canal-out/iris").pipeline, { profile: "prod" });
 * ```
 */

export type { TargetErrorCode } from "./errors.js";
export { ExecError, ExperimentNameError, GcBusyError, TargetError } from "./errors.js";
export type { ExecStepOptions } from "./exec-step.js";
export { execStep } from "./exec-step.js";
export type { GcItem, GcItemKind, GcOptions, GcReport } from "./gc.js";
export { collectGarbage } from "./gc.js";
export type { Leftovers } from "./leftovers.js";
export { endLeftovers } from "./leftovers.js";
export type { PreparedTargets } from "./prepare.js";
export { placementText, prepareTargets } from "./prepare.js";
export type { RecorderHooks } from "./recorder.js";
export { RunRecorder } from "./recorder.js";
export type { RunPipelineOptions } from "./run.js";
export { canalDir, runPipeline } from "./run.js";
export type { RuntimeFactory, RuntimeFactoryContext } from "./runtimes.js";
export { RuntimeRegistry, runtimeRegistry } from "./runtimes.js";
export type { SourceChange, StaleSources } from "./sources.js";
export { changedSources } from "./sources.js";
export type { SelectOptions, Target, TargetSelection } from "./targets.js";
export { formatMemory, placeSteps, selectTargets, workspaceTargets } from "./targets.js";
