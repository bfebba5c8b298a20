import type { Environment } from "./env.js";

/** "90s", "30m", "1h", "2d", or milliseconds. */
export type Duration = `${number}${"ms" | "s" | "m" | "h" | "d"}` | number;

/** "512Mi", "8Gi", "1G", or bytes. */
export type Memory = `${number}${"Ki" | "Mi" | "Gi" | "Ti" | "K" | "M" | "G" | "T"}` | number;

export interface Resources {
  cpu?: number;
  memory?: Memory;
  gpu?: number;
  /** e.g. "a100": becomes the GRES type on Slurm, a node selector on Kubernetes. */
  gpuType?: string;
}

export interface StepOptions {
  /** The step's name in the IR; default: the method or variable name. */
  name?: string;
  description?: string;
  env?: Environment;
  /** A named compute target, resolved per workspace profile (AzureML compute_target). */
  compute?: string;
  resources?: Resources;
  /** How many times a failed attempt is retried, or the full policy. */
  retries?: number | { max: number; backoff?: Duration };
  timeout?: Duration;
  /** AzureML allow_reuse. Default true: an unchanged step with unchanged inputs is not re-run. */
  reuse?: boolean;
  /** Extra files or directories, relative to the source file, whose contents enter the step's hash. */
  hashPaths?: string[];
  /** Names of steps that must finish before this one although no data flows (AzureML run_after). */
  after?: string[];
  /**
   * Variables of the environment `canal run` was started in that the step reads, e.g.
   * `["SEED", "HF_HOME"]`. No other variable of yours reaches a step (only Canal's own: see the
   * README, "Step I/O"); a declared variable's value joins the step's cache key (as a keyed digest,
   * never the value), so changing it re-runs the step. Names are environment variable names.
   */
  passEnv?: readonly string[];
}

export interface ScriptStepOptions extends StepOptions {
  /** The directory snapshotted for the step (AzureML source_directory), relative to the source file. */
  source: string;
  /** The command, run in the snapshot, with {input}, {output} and {parameter} placeholders. */
  run: string;
}

export interface StepMetadata {
  kind: "typescript" | "script";
  options: StepOptions | ScriptStepOptions;
}

export interface PipelineOptions {
  name?: string;
  description?: string;
  /**
   * Pipeline outputs written to a datastore once produced, and registered as a dataset version
   * (AzureML `OutputFileDatasetConfig(destination=(datastore, path)).register_on_complete(name)`):
   * `{ best: { to: "workspace:models/{run}/", register: "iris-model" } }`. `{run}` is the run's id;
   * a path ending in "/" is a folder the output is written into. Nothing is written or registered
   * for an output whose step failed or was canceled.
   */
  outputs?: Record<string, { to: string; register?: string }>;
}

type AnyFunction = (...args: any[]) => any;
type MethodDecorator = <T extends AnyFunction>(target: T, context: ClassMethodDecoratorContext) => void;

const steps = new WeakMap<AnyFunction, StepMetadata>();
const pipelines = new WeakMap<AnyFunction, PipelineOptions>();

function isDecoratorContext(value: unknown): value is ClassMethodDecoratorContext {
  return typeof value === "object" && value !== null && (value as { kind?: unknown }).kind === "method";
}

function mark<T extends AnyFunction>(fn: T, metadata: StepMetadata): T {
  steps.set(fn, metadata);
  return fn;
}

function typescriptStep<T extends AnyFunction>(target: T, context: ClassMethodDecoratorContext): void;
function typescriptStep(options: StepOptions): MethodDecorator;
function typescriptStep(first: AnyFunction | StepOptions, context?: unknown): MethodDecorator | undefined {
  if (typeof first === "function" && isDecoratorContext(context)) {
    mark(first, { kind: "typescript", options: {} });
    return undefined;
  }
  const options = first as StepOptions;
  return (target) => {
    mark(target, { kind: "typescript", options });
  };
}

function scriptStep(options: ScriptStepOptions): MethodDecorator {
  return (target) => {
    mark(target, { kind: "script", options });
  };
}

/**
 * Declares a step.
 *
 * @example
 * ```ts
 * class Iris {
 *   @step({ resources: { gpu: 1 }, retries: 2, timeout: "1h" })
 *   async train(data: Directory, lr: number): Promise<{ model: Model; metrics: Metrics }> { ... }
 *
 *   @step.script({ source: "./prep", run: "python prep.py {raw} {out}", env: env.python() })
 *   prepare(raw: Dataset): { out: Directory } { return step.declared(); }
 * }
 * // or, as a value that other modules can import:
 * export const clean = step.fn({ retries: 1 }, async function clean(t: Table): Promise<Table> { ... });
 * ```
 */
export const step = Object.assign(typescriptStep, {
  /** A script step (AzureML PythonScriptStep): a command run in a snapshot of `source`. */
  script: Object.assign(scriptStep, {
    /** The function form of a script step; the function only declares the signature. */
    fn<T extends AnyFunction>(options: ScriptStepOptions, signature: T): T {
      return mark(signature, { kind: "script", options });
    },
  }),
  /** The function form of a TypeScript step. */
  fn: stepFunction,
  /**
   * The body of a script step's declaration: its command does the work. Returns the declared
   * outputs' type so the signature type-checks; throws if the declaration is ever called directly.
   */
  declared<T>(): T {
    throw new Error(
      "a script step's method only declares its signature; run the pipeline with `canal run` instead of calling it",
    );
  },
});

function stepFunction<T extends AnyFunction>(fn: T): T;
function stepFunction<T extends AnyFunction>(options: StepOptions, fn: T): T;
function stepFunction<T extends AnyFunction>(first: StepOptions | T, second?: T): T {
  if (typeof first === "function") return mark(first, { kind: "typescript", options: {} });
  return mark(second as T, { kind: "typescript", options: first });
}

function pipelineDecorator<T extends AnyFunction>(target: T, context: ClassMethodDecoratorContext): void;
function pipelineDecorator(options: PipelineOptions): MethodDecorator;
function pipelineDecorator(
  first: AnyFunction | PipelineOptions,
  context?: unknown,
): MethodDecorator | undefined {
  if (typeof first === "function" && isDecoratorContext(context)) {
    pipelines.set(first, {});
    return undefined;
  }
  return (target) => {
    pipelines.set(target, first as PipelineOptions);
  };
}

/**
 * Declares a pipeline: its parameters are the pipeline's parameters (with defaults), its body
 * wires steps together. `canal compile` reads the body; it is never executed.
 */
export const pipeline = pipelineDecorator;

/** The step metadata of a function or method, if it is a step. Runtimes use it to check a bundle. */
export function stepMetadata(fn: unknown): StepMetadata | undefined {
  return typeof fn === "function" ? steps.get(fn as AnyFunction) : undefined;
}

/** The options of a pipeline method, if it is one. */
export function pipelineMetadata(fn: unknown): PipelineOptions | undefined {
  return typeof fn === "function" ? pipelines.get(fn as AnyFunction) : undefined;
}
