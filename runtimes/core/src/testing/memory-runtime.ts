import { appendFileSync, writeFileSync } from "node:fs";
import type { AttemptHooks, AttemptResult, Runtime, StepTask, UpcomingStep } from "../contract.js";

/** What a step function is given: its task, its inputs as plain values or paths, and the hooks. */
export interface StepCall {
  task: StepTask;
  /** Input name -> its value, the path of an artifact, or the paths of a fan-in. */
  inputs: Record<string, unknown>;
  /** Aborted on cancel or timeout; a function that runs long should end when it is. */
  signal: AbortSignal;
  /** Where the step writes an artifact output (a file path, or an existing empty folder). */
  outputPath(output: string): string;
  log(text: string, stream?: "stdout" | "stderr"): void;
  /** Appends a metric as a step would (`ctx.log(name, value)`). */
  metric(name: string, value: number | string): void;
}

/**
 * What a step function returns: value outputs by name (or nothing, for a step that writes them as
 * files), and optionally the path each artifact output is returned with.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: a step function that writes its outputs as files returns nothing
export type StepReturn = void | { values?: Record<string, unknown>; returned?: Record<string, string> };

export type StepFunction = (call: StepCall) => StepReturn | Promise<StepReturn>;

/** A step function's failure; `retryable: false` for one a retry cannot fix. */
export class StepFailure extends Error {
  constructor(
    message: string,
    readonly retryable = true,
  ) {
    super(message);
  }
}

/** The step ran past a limit the runtime itself enforces (a scheduler's `--time`): `timed-out`. */
export class StepTimedOut extends Error {}

export interface MemoryRuntimeOptions {
  /** Step id -> the function that runs it. */
  steps: Record<string, StepFunction>;
  maxParallel?: number;
  /**
   * A queued runtime: each attempt first waits for `queue(task)` (its place in a scheduler's
   * queue), then says it started; the timeout counts from then.
   */
  queue?: (task: StepTask) => Promise<void>;
  /** Takes what the orchestrator anticipates (see Runtime.anticipate). */
  anticipates?: boolean;
  variables?: Record<string, string>;
  /** Says that nothing of an attempt runs once it ended (see Runtime.settlesFolder), for every step. */
  settles?: boolean;
}

/**
 * A runtime that runs each step as a function in this process: no processes, no containers, so
 * a test of the orchestrator is deterministic and takes milliseconds. It implements the runtime
 * contract in full — inputs as paths and values, outputs written where the task says, metrics,
 * logs, cancel and the queued start — and records what it was asked, for tests to read.
 *
 * @example
 * ```ts
 * const runtime = new MemoryRuntime({ steps: { double: ({ inputs }) => ({ values: { y: 2 * (inputs.x as number) } }) } });
 * ```
 */
export class MemoryRuntime implements Runtime {
  readonly name = "memory";
  readonly maxParallel: number;
  readonly queued?: boolean;
  readonly variables?: Record<string, string>;
  /** Every attempt executed, in the order execute was called. */
  readonly tasks: StepTask[] = [];
  /** The most attempts that ran at once. */
  maxRunning = 0;
  readonly anticipated: UpcomingStep[] = [];
  readonly dismissed: string[] = [];
  closed = false;
  private running = 0;

  constructor(private readonly options: MemoryRuntimeOptions) {
    this.maxParallel = options.maxParallel ?? 4;
    if (options.queue) this.queued = true;
    if (options.variables) this.variables = options.variables;
    if (options.settles) this.settlesFolder = () => true;
    if (options.anticipates) {
      this.anticipate = (upcoming) => {
        this.anticipated.push(upcoming);
        return true;
      };
      this.dismiss = (_runId, stepKey) => void this.dismissed.push(stepKey);
    }
  }

  anticipate?: (upcoming: UpcomingStep) => boolean;
  settlesFolder?: () => boolean;
  dismiss?: (runId: string, stepKey: string) => void;

  async execute(task: StepTask, hooks: AttemptHooks): Promise<AttemptResult> {
    this.tasks.push(task);
    const run = this.options.steps[task.step.id];
    if (!run) return { status: "failed", error: `no function for step ${task.step.id}`, retryable: false };
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    try {
      if (this.options.queue) {
        await Promise.race([this.options.queue(task), aborted(hooks.signal)]);
        if (hooks.signal.aborted) return { status: "canceled" };
        hooks.started();
      }
      const inputs: Record<string, unknown> = {};
      for (const [name, input] of Object.entries(task.inputs))
        inputs[name] =
          input.kind === "value" ? input.value : input.kind === "artifact" ? input.path : input.paths;
      const call: StepCall = {
        task,
        inputs,
        signal: hooks.signal,
        outputPath: (output) => {
          const target = task.outputs[output];
          if (!target) throw new StepFailure(`step ${task.step.id} has no output \`${output}\``, false);
          return target.path;
        },
        log: (text, stream = "stdout") => hooks.log(stream, text),
        metric: (name, value) => appendFileSync(task.metricsFile, `${JSON.stringify({ name, value })}\n`),
      };
      const outcome = await Promise.race([
        Promise.resolve()
          .then(() => run(call))
          .then(
            (returned) => ({ returned }),
            (error: unknown) => ({ error }),
          ),
        aborted(hooks.signal).then(() => ({ aborted: true as const })),
      ]);
      if ("aborted" in outcome || hooks.signal.aborted) return { status: "canceled" };
      if ("error" in outcome) {
        const error = outcome.error;
        if (error instanceof StepTimedOut) return { status: "timed-out", error: error.message };
        return {
          status: "failed",
          error: error instanceof Error ? error.message : String(error),
          retryable: error instanceof StepFailure ? error.retryable : true,
        };
      }
      const values = outcome.returned?.values ?? {};
      // A value output written as a value is also left as its file, as a process step leaves it.
      for (const [name, value] of Object.entries(values)) {
        const target = task.outputs[name];
        if (target?.kind === "value") writeFileSync(target.path, JSON.stringify(value));
      }
      return { status: "succeeded", values, returned: outcome.returned?.returned ?? {} };
    } finally {
      this.running--;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/** Resolves when `signal` is aborted (never, if it is not). */
function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
}
