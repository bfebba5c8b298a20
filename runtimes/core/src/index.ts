/**
 * The runtime contract and the orchestrator that every Canal runtime shares: scheduling, retries,
 * timeouts, cancellation, the content-addressed cache and run events; plus the worker entrypoint
 * that executes a step from a compiled artifact alone.
 *
 * @example
 * ```ts
 * import { orchestrate } from "@canal/runtime-core";
 * const summary = await orchestrate({ runId, pipeline, artifactDir, parameters, artifactParameters: {},
 *   runtime, blobs, cache, workRoot: ".canal/work", onEvent: (e) => console.log(e.type, e.key) });
 * ```
 */

export type { RunKeyRecords } from "@canal/store";
export type { AttemptOutcome } from "./attempt.js";
export type { BindingOrigin, BindingPlan } from "./bindings.js";
export {
  bindingOrigin,
  instancesByStep,
  isArtifactType,
  isDirectoryType,
  outputField,
  outputType,
  sameIteration,
} from "./bindings.js";
export { bundleModulePath } from "./bundle-module.js";
export type { CacheKeyComponents, StoredValue } from "./cache-key.js";
export { cacheKey, valueJson } from "./cache-key.js";
export type {
  AttemptHooks,
  AttemptResult,
  Runtime,
  StepTask,
  TargetCheck,
  TaskBlobs,
  TaskInput,
  TaskOutput,
  UpcomingStep,
} from "./contract.js";
export { EnvironmentError, ParameterError, PlanError } from "./errors.js";
export type { Metric, RunEvent, RunOutcome, RunStatus, RunSummary, StepOutcome } from "./events.js";
export { timesShowEveryChange } from "./folder-recycling.js";
export { LARGE_COMMAND_BYTES, LARGE_VALUE_BYTES, shellCommand, shownCommand } from "./large-values.js";
export { artifactBlobPath, materializeSnapshot } from "./materialize.js";
export type { Blobs, CacheIndex, OrchestrateOptions, SharedBlobs } from "./orchestrate-options.js";
export { orchestrate } from "./orchestrator.js";
export type { StepInstance } from "./plan.js";
export { instanceKey, parseInstanceKey, planInstances } from "./plan.js";
export type { RuntimeContext, RuntimeModule, RuntimeTarget } from "./runtime-module.js";
export { askRuntime } from "./runtime-module.js";
export { renderCommand, shellQuote } from "./script-command.js";
export type { Flight, FlightOptions, FlightTiming, StepClaims } from "./single-flight.js";
export { FLIGHT_TIMING, singleFlight } from "./single-flight.js";
export type { Materializer, MountedInput } from "./staging.js";
export { outputTargets } from "./staging.js";
export type { StepBlobStore } from "./step-blobs.js";
export { fetchInputs, storeOutputs, withStepBlobs } from "./step-blobs.js";
export { envName, stepEnvironment } from "./step-environment.js";
export { runTypescriptStep } from "./step-runner.js";
export type { RunVariables } from "./step-variables.js";
export {
  baseEnvironment,
  DEVICE_ASSIGNMENT,
  declaredValues,
  FIXED,
  PASSED_THROUGH,
  processVariables,
  variableDigest,
} from "./step-variables.js";
export type { WorkerReply, WorkerRequest } from "./worker-main.js";
export { runWorkerTask } from "./worker-task.js";

/** Path of the worker entrypoint script (run with node). */
export const workerEntrypoint = new URL("../dist/worker-main.js", import.meta.url).pathname;
export type { StepFile, StepFileResult } from "./step-main.js";
/** Path of the entrypoint of a step that moves its own bytes (run with node; see {@link TaskBlobs}). */
export const stepEntrypoint = new URL("../dist/step-main.js", import.meta.url).pathname;
export type { ArtifactParameter } from "./parameters.js";
export { parseParameterArgs, resolveParameters, schemaFor } from "./parameters.js";
/** Python environments a script step runs in: a checked virtualenv per environment id. */
export { pythonEnvironment, systemPython } from "./python-env.js";
export { checkTableParameters, tableInputProblem, tableProblem } from "./table-check.js";
