/**
 * The Slurm runtime: executes a compiled pipeline's steps as Slurm jobs, one job per step attempt,
 * through a directory every node shares.
 *
 * @example
 * ```ts
 * import { SlurmRuntime } from "@canal/runtime-slurm";
 * const runtime = new SlurmRuntime({ sharedDir: "/shared/canal", partition: "gpu", gres: "gpu" });
 * ```
 */
export type { SubmitSettings } from "./batch-script.js";
/** What a job runs for one attempt, from the artifact staged (and checked) in the shared directory. */
export { JobScripts } from "./job-script.js";
export type { SlurmSettings } from "./module.js";
export { slurmRuntime } from "./module.js";
export type { SlurmRuntimeOptions } from "./slurm-options.js";
export { SlurmRuntime } from "./slurm-runtime.js";
