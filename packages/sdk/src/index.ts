/**
 * The Canal SDK: declare typed steps and pipelines in TypeScript; `canal compile` turns them into
 * a portable, content-hashed IR that any Canal runtime executes.
 *
 * @example
 * ```ts
 * import { Dataset, Directory, Metrics, Model, env, pipeline, step } from "@canal/sdk";
 *
 * export class Iris {
 *   @step.script({ source: "./prep", run: "python prep.py {raw} {prepped}", env: env.python() })
 *   prepare(raw: Dataset): { prepped: Directory } { return step.declared(); }
 *
 *   @step({ retries: 2 })
 *   async train(prepped: Directory, lr: number): Promise<{ model: Model; metrics: Metrics }> { ... }
 *
 *   @pipeline({ name: "iris" })
 *   run(raw: Dataset = Dataset.from("data/iris.csv"), lrs: number[] = [0.01, 0.1]) {
 *     const { prepped } = this.prepare(raw);
 *     return lrs.map((lr) => this.train(prepped, lr));
 *   }
 * }
 * ```
 */
export type { DataOptions } from "./artifacts.js";
export { Artifact, Dataset, Directory, File, Metrics, Model, Table } from "./artifacts.js";
export type { StepContext } from "./context.js";
export { context, installStepContext } from "./context.js";
export type {
  Environment,
  EnvironmentVariables,
  ImageEnvironmentOptions,
  NodeEnvironmentOptions,
  PythonEnvironmentOptions,
} from "./env.js";
export { env } from "./env.js";
export type {
  Duration,
  Memory,
  PipelineOptions,
  Resources,
  ScriptStepOptions,
  StepMetadata,
  StepOptions,
} from "./step.js";
export { pipeline, pipelineMetadata, step, stepMetadata } from "./step.js";
