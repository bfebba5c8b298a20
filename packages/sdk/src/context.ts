/**
 * The step context: what a TypeScript step can ask of the run it belongs to (AzureML
 * `Run.get_context()`). The runtime that executes the step installs the implementation; the
 * bridge is a global symbol because a step's bundle carries its own copy of this module.
 */
export interface StepContext {
  readonly runId: string;
  readonly stepId: string;
  /** Attempt number, 1 for the first try. */
  readonly attempt: number;
  /**
   * Where to write the output `name`: a fresh, empty directory for Directory outputs, otherwise
   * a file path whose parent directory exists.
   */
  outputPath(name: string): string;
  /** Records a metric of the step (a number, or a string for tags). */
  log(name: string, value: number | string): void;
  /**
   * The registered dataset version that input `name` is (AzureML `Run.input_datasets["raw"]`): its
   * local path, the dataset's name and the version; undefined for an input not read from one.
   */
  dataset(name: string): { path: string; name: string; version: number } | undefined;
}

const slot = Symbol.for("canal.step-context");

/** The context of the step now running; throws when called outside a Canal runtime. */
export function context(): StepContext {
  const current = (globalThis as { [slot]?: StepContext })[slot];
  if (!current) {
    throw new Error("context() is only available while a step runs under a Canal runtime (`canal run`)");
  }
  return current;
}

/** For runtimes: installs the context of the step about to run (undefined clears it). */
export function installStepContext(value: StepContext | undefined): void {
  (globalThis as { [slot]?: StepContext })[slot] = value;
}
