/**
 * Runs compiled pipelines in a workspace: the orchestrator, a runtime and the store, composed.
 *
 * @example
 * ```ts
 * import { runPipeline } from "@canal/runner";
 * import { LocalRuntime } from "@canal/runtime-local";
 * import { openWorkspace } from "@canal/store";
 * const workspace = await openWorkspace(".");
 * const { run } = await runPipeline({ workspace, artifactDir: "canal-out/iris", runtime: new LocalRuntime({ cacheDir: ".canal/cache" }) });
 * // Or the runtime of the workspace's targets, every step checked against its target first:
 * const runtimes = new RuntimeRegistry([localRuntime]);
 * const { runtime } = await prepareTargets(workspace, readArtifact("canal-out/iris").pipeline, runtimes, { profile: "prod" });
 * // From any process or machine sharing the store: cancel it, see how it stands, rerun it from a step.
 * await cancelRun(workspace, run.id, runtimes);
 * const { status, driver } = await runState(workspace.metadata, run.id); // "canceled", or "interrupted"…
 * await rerunFrom(await planRerun(workspace, run.id, "train"), { workspace, runtime });
 * ```
 */

export { formatMemory } from "@canal/ir";
export type {
  CancelOptions,
  CancelOutcome,
  ControlSettings,
  DriverControl,
  DriverState,
  LiveRun,
  LiveStateOptions,
  ProcessStartedAt,
  RunState,
} from "./control.js";
export {
  CANCEL_POLL_MS,
  cancelRequestText,
  cancelRun,
  controlSettings,
  driverProcess,
  HEARTBEAT_INTERVAL_MS,
  HEARTBEAT_STALE_MS,
  judgeRun,
  liveRuns,
  requester,
  runState,
  startDriverControl,
  userName,
} from "./control.js";
export type { DataOrigin } from "./data-lookups.js";
export type { PushErrorCode, RerunErrorCode, TargetErrorCode } from "./errors.js";
export { ExecError, ExperimentNameError, GcBusyError, PushError, RerunError, TargetError } from "./errors.js";
export type { ExecStepOptions } from "./exec-step.js";
export { execStep } from "./exec-step.js";
export type { GcItem, GcItemKind, GcOptions, GcReport } from "./gc.js";
export { collectGarbage } from "./gc.js";
export { keepArtifact, registerVersion, versionArtifact } from "./kept-artifacts.js";
export type { Leftovers } from "./leftovers.js";
export { endLeftovers } from "./leftovers.js";
export type { PreparedTargets } from "./prepare.js";
export { placementText, prepareTargets } from "./prepare.js";
export type { PushOptions } from "./push.js";
export { pushWorkspace } from "./push.js";
export type { PushCount, PushReport } from "./push-report.js";
export { pushSummary } from "./push-report.js";
export type { RecorderHooks } from "./recorder.js";
export { RunRecorder } from "./recorder.js";
export type { RerunOptions, RerunPlan } from "./rerun.js";
export { downstreamOf, planRerun, rerunFrom } from "./rerun.js";
export type { RunPipelineOptions } from "./run.js";
export { canalDir, runPipeline } from "./run.js";
export type { RunOutput } from "./run-outputs.js";
export { pipelineOutputs } from "./run-outputs.js";
export { RuntimeRegistry } from "./runtimes.js";
export type { SourceChange, StaleSources } from "./sources.js";
export { changedSources } from "./sources.js";
export type { RuntimeKinds, SelectOptions, Target, TargetSelection } from "./targets.js";
export { placeSteps, selectTargets, workspaceTargets } from "./targets.js";
export type { UpstreamChange } from "./upstream.js";
export type { WhyCache, WhyReport } from "./why.js";
export { explainStepRuns, whyLines } from "./why.js";
export type { WrittenOutput } from "./write-back.js";
