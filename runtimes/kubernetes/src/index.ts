/**
 * Kubernetes export: a compiled pipeline as batch/v1 Jobs (one per step instance, fan-outs expanded
 * at export time) or as one Argo Workflow (a DAG with fan-outs, retries and deadlines), from the IR
 * alone. Steps run `canal exec` on the artifact kept on a shared volume; see README.md.
 *
 * @example
 * ```ts
 * import { readArtifact } from "@canal/ir";
 * import { exportPipeline } from "@canal/runtime-kubernetes";
 * const { pipeline } = readArtifact("canal-out/iris");
 * writeFileSync("iris.yaml", exportPipeline(pipeline, "argo", { image: "registry.local/canal-worker:1" }));
 * ```
 */
import type { Pipeline } from "@canal/ir";
import { argoWorkflow } from "./argo.js";
import type { ExportOptions } from "./common.js";
import { type JobsOptions, kubernetesJobs } from "./jobs.js";
import { manifestYaml } from "./yaml.js";

export type { ArgoExport } from "./argo.js";
export { argoWorkflow } from "./argo.js";
export type { ExportOptions } from "./common.js";
export { DEFAULT_GPU_TYPE_LABEL, DEFAULT_VOLUME_CLAIM, defaultImage } from "./common.js";
export { ExportError } from "./errors.js";
export type { JobsExport, JobsOptions } from "./jobs.js";
export { kubernetesJobs } from "./jobs.js";
export { manifestYaml } from "./yaml.js";

/** What `canal export --to` writes. */
export type ExportFormat = "kubernetes" | "argo";
export const EXPORT_FORMATS: readonly ExportFormat[] = ["kubernetes", "argo"];

/** The pipeline's manifests as YAML, with notes on how to apply them at the head. */
export function exportPipeline(
  pipeline: Pipeline,
  format: ExportFormat,
  options: JobsOptions & ExportOptions = {},
): string {
  if (format === "argo") {
    const { workflow, notes } = argoWorkflow(pipeline, options);
    return manifestYaml([workflow], notes);
  }
  const { jobs, notes } = kubernetesJobs(pipeline, options);
  return manifestYaml(jobs, notes);
}
