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
 * ```
 */
export { RunRecorder } from "./recorder.js";
export type { RunPipelineOptions } from "./run.js";
export { canalDir, runPipeline } from "./run.js";
