/**
 * The local runtime: executes a compiled pipeline's steps as processes on this machine.
 *
 * @example
 * ```ts
 * import { LocalRuntime } from "@canal/runtime-local";
 * const runtime = new LocalRuntime({ cacheDir: ".canal/cache" });
 * ```
 */

export { EnvironmentError, pythonEnvironment, systemPython } from "@canal/runtime-core";
export { processStartedAt } from "./leftovers.js";
export type { LocalRuntimeOptions } from "./local-runtime.js";
export { LocalRuntime } from "./local-runtime.js";
export type { LocalSettings } from "./module.js";
export { localRuntime } from "./module.js";
