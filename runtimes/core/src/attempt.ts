import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { type Environment, pathInside, type RetryPolicy, type SharedBlobs, type Step } from "@canal/ir";
import type { StoredValue } from "./cache-key.js";
import { adoptOutputs, collectOutputs, type OutputStore, readMetrics } from "./collect.js";
import type { AttemptResult, Runtime, StepTask, TaskBlobs } from "./contract.js";
import type { Metric } from "./events.js";
import { type FolderSurvey, type RecycledFolders, surveyFolder } from "./folder-recycling.js";
import { attemptFolder, type MadeAhead } from "./folders-ahead.js";
import { dropSnapshotAhead, materializeSnapshotAhead } from "./materialize.js";
import type { StepInstance } from "./plan.js";
import { type Materializer, outputTargets, stageInputs } from "./staging.js";
import { declaredValues } from "./step-variables.js";
import { tableInputProblem } from "./table-check.js";

/** How one attempt ended. */
export type AttemptOutcome =
  | { status: "succeeded"; outputs: Record<string, StoredValue>; metrics: Metric[] }
  | { status: "failed"; error: string; retryable: boolean }
  | { status: "canceled" };

/** What one attempt needs of the run. */
export interface AttemptContext {
  runId: string;
  artifactDir: string;
  /** Attempts' scratch folders are made under `<workRoot>/<runId>/`. */
  workRoot: string;
  runtime: Runtime;
  blobs: Materializer & OutputStore & { shared?: SharedBlobs };
  environment(step: Step): Environment | undefined;
  /** Where the variables a step declares are read from. */
  variables: Record<string, string | undefined>;
  /** The run's cancel. */
  cancel: AbortSignal;
  log(instance: StepInstance, attempt: number, stream: "stdout" | "stderr", text: string): void;
  /** The attempt was handed to the runtime (execute was called), and when it ended. */
  executed?(key: string): void;
  ended?(key: string): void;
  /** The attempt's folder is done with: removed now or later, as the run likes. */
  release(dir: string): void;
  /** The attempt's folder when it was made ahead (a fresh one, for this attempt only); else undefined. */
  madeAhead?(key: string, attempt: number, dir: string): MadeAhead | undefined;
  /**
   * Finished folders kept for the next attempt of the same shape (see RecycledFolders), where the
   * runtime says nothing of an attempt runs once it ended; absent: every folder is released.
   */
  recycled?: Pick<RecycledFolders, "keeps" | "keep" | "take">;
}

/**
 * The timeout clock of one attempt: counts from the start, at once or (for a queued runtime) when
 * the runtime says the attempt began to run; aborts with the reason "timeout".
 */
export class AttemptClock {
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly timeoutMs: number | undefined,
    private readonly abort: AbortController,
  ) {}

  start(): void {
    if (this.timeoutMs && !this.timer && !this.abort.signal.aborted)
      this.timer = setTimeout(() => this.abort.abort("timeout"), this.timeoutMs);
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}

/**
 * One attempt of one instance: a fresh scratch folder, inputs staged into it, the runtime's
 * execute under the timeout clock and the run's cancel, and the outputs collected into the store.
 */
export async function runAttempt(
  context: AttemptContext,
  instance: StepInstance,
  inputs: Record<string, StoredValue>,
  attempt: number,
): Promise<AttemptOutcome> {
  const { step } = instance;
  const { runtime, cancel } = context;
  const environment = context.environment(step);
  const refused = runtime.cannotRun?.(step, environment);
  if (refused) return { status: "failed", error: `step ${instance.key}: ${refused}`, retryable: false };
  const workDir = attemptFolder(context.workRoot, context.runId, instance.key, attempt);
  const inDir = join(workDir, "in");
  const outDir = join(workDir, "out");
  const recycled = context.recycled?.keeps && runtime.settlesFolder?.(step) ? context.recycled : undefined;
  const ahead = context.madeAhead?.(instance.key, attempt, workDir) ?? recycled?.take(step, workDir);
  let snapshotAhead = ahead !== undefined;
  if (!ahead) {
    rmSync(workDir, { recursive: true, force: true });
    // The folder first, then out/: a recursive mkdir of out/ would fail once on the missing parent.
    mkdirSync(workDir, { recursive: true });
    mkdirSync(outDir);
    // A folder that may be kept is surveyed before the command starts: its snapshot is there by then.
    const snapshot = step.kind === "SCRIPT" ? step.script?.snapshot : undefined;
    if (recycled && snapshot) {
      try {
        materializeSnapshotAhead(context.artifactDir, snapshot, join(workDir, "src"));
        snapshotAhead = true;
      } catch {
        // The runtime's own rebuild says what is wrong, as the step's failure.
        rmSync(join(workDir, "src"), { recursive: true, force: true });
      }
    }
  }
  let survey: FolderSurvey | undefined;
  let succeeded = false;
  // A runtime whose steps reach the shared store move their own bytes: the inputs are only
  // planned here (each digest and its path), never read, and the outputs come back as reports.
  const shared = context.blobs.shared;
  const moving = shared && runtime.movesBlobs?.(shared.place, step, environment) ? shared : undefined;
  const fetch: TaskBlobs["fetch"] = [];
  const planned = {
    materialize: async (digest: string, path: string) => {
      fetch.push({ digest, path });
    },
  };
  try {
    const mounted = step.inputs.find((input) => {
      const value = inputs[input.name];
      return value && "digest" in value && value.mount;
    });
    if (mounted && (moving || !runtime.readsInPlace?.(step)))
      return {
        status: "failed",
        error: `step ${instance.key}: input \`${mounted.name}\` is read in place (access "mount"), which runtime ${runtime.name} cannot do: its steps do not read this machine's files where they lie; read it with access "download", or run the step on the local runtime`,
        retryable: false,
      };
    const staged = await stageInputs(instance.key, step, inputs, inDir, moving ? planned : context.blobs, {
      inMade: ahead?.in === true,
      inputsMade: ahead?.inputs ?? [],
      filesMade: ahead?.files ?? [],
      inputFolders: !moving,
    });
    // A table without a declared column fails here, before the command starts: the data is wrong,
    // so running again cannot help. A step that fetches its own inputs checks them once fetched.
    const tableProblem = moving ? undefined : await tableInputProblem(instance.key, step, staged.inputs);
    if (tableProblem) return { status: "failed", error: tableProblem, retryable: false };
    const targets = outputTargets(step, (name) => pathInside(outDir, name));
    const task: StepTask = {
      runId: context.runId,
      stepKey: instance.key,
      attempt,
      artifactDir: context.artifactDir,
      step,
      environment,
      inputs: staged.inputs,
      outputs: targets,
      workDir,
      metricsFile: join(workDir, "metrics.jsonl"),
    };
    // The store's credentials first: a step's own variable of the same name is what it reads.
    const declared = {
      ...(moving ? await moving.credentials(fetch.map((blob) => blob.digest)) : {}),
      ...declaredValues(step, context.variables),
    };
    if (Object.keys(declared).length) task.variables = declared;
    if (moving) task.blobs = { place: moving.place, fetch };
    // The folder as made, for a next attempt of its shape once this one succeeded (see RecycledFolders).
    if (recycled && !moving) {
      const files = Object.entries(targets).flatMap(([name, target]) => (target.directory ? [] : [name]));
      survey = surveyFolder(workDir, step, staged.paths.keys(), files);
    }
    const attemptAbort = new AbortController();
    const onCancel = () => attemptAbort.abort("canceled");
    cancel.addEventListener("abort", onCancel);
    // Canceled while its inputs were copied in: the listener came too late to hear it.
    if (cancel.aborted) onCancel();
    const clock = new AttemptClock(step.timeoutMs, attemptAbort);
    if (!runtime.queued) clock.start();
    let result: AttemptResult;
    try {
      const execution = runtime.execute(task, {
        signal: attemptAbort.signal,
        log: (stream, text) => context.log(instance, attempt, stream, text),
        started: () => clock.start(),
      });
      // After execute() was called: a runtime queues what comes next behind this attempt.
      context.executed?.(instance.key);
      result = await execution;
    } finally {
      context.ended?.(instance.key);
      clock.stop();
      cancel.removeEventListener("abort", onCancel);
    }
    if (attemptAbort.signal.aborted && attemptAbort.signal.reason === "timeout") {
      return {
        status: "failed",
        error: `step ${instance.key} timed out after ${step.timeoutMs} ms`,
        retryable: true,
      };
    }
    if (result.status === "canceled" || cancel.aborted) return { status: "canceled" };
    if (result.status === "timed-out") return { status: "failed", error: result.error, retryable: true };
    if (result.status === "failed") return result;
    // Data read in place must be what was verified when the step started, or its outputs are of
    // other bytes than its cache key says.
    for (const [name, input] of staged.mounted) {
      const changed = await input.changed();
      if (changed)
        return {
          status: "failed",
          error: `step ${instance.key}: input \`${name}\`, read in place, changed while the step ran: ${changed}; a step must not write its mounted inputs, and their datastore must not change under a run`,
          retryable: false,
        };
    }
    const collected = moving
      ? await adoptOutputs(instance.key, step, result, moving)
      : await collectOutputs(
          {
            stepKey: instance.key,
            step,
            targets,
            outDir,
            inputPaths: staged.paths,
            values: result.values,
            returned: result.returned,
          },
          context.blobs,
        );
    if (collected.status === "failed") return collected;
    succeeded = true;
    return { status: "succeeded", outputs: collected.outputs, metrics: readMetrics(task.metricsFile) };
  } finally {
    // A snapshot made ahead that the runtime never asked for (the attempt ended before its start).
    if (snapshotAhead) dropSnapshotAhead(join(workDir, "src"));
    if (survey && succeeded && recycled) recycled.keep(survey);
    else context.release(workDir);
  }
}

/** The wait before retry `attempt + 1`: the step's backoff (default 1 s), doubled per attempt. */
export function backoffDelay(retry: RetryPolicy | undefined, attempt: number): number {
  return (retry?.backoffMs ?? 1000) * 2 ** (attempt - 1);
}

/** How an instance ended after its attempts; `attempt` absent: canceled before one started. */
export type Attempts =
  | { status: "succeeded"; attempt: number; outputs: Record<string, StoredValue>; metrics: Metric[] }
  | { status: "failed"; attempt: number; error: string }
  | { status: "canceled"; attempt?: number };

export interface RetryHooks {
  /** Runs attempt `n` (from 1). */
  attempt(n: number): Promise<AttemptOutcome>;
  started(n: number): Promise<void> | void;
  retrying(n: number, error: string, delayMs: number): Promise<void> | void;
  /** Waits out a backoff; ends early on cancel. */
  wait?(ms: number, signal: AbortSignal): Promise<void>;
}

/** Attempts until one succeeds, one fails for good, the retries are spent or the run is canceled. */
export async function withRetries(
  retry: RetryPolicy | undefined,
  cancel: AbortSignal,
  hooks: RetryHooks,
): Promise<Attempts> {
  const maxRetries = retry?.maxRetries ?? 0;
  const wait = hooks.wait ?? sleep;
  for (let attempt = 1; ; attempt++) {
    if (cancel.aborted) return { status: "canceled" };
    await hooks.started(attempt);
    const outcome = await hooks.attempt(attempt);
    if (outcome.status === "succeeded") return { ...outcome, attempt };
    if (outcome.status === "canceled") return { status: "canceled", attempt };
    if (outcome.retryable && attempt <= maxRetries && !cancel.aborted) {
      const delayMs = backoffDelay(retry, attempt);
      await hooks.retrying(attempt, outcome.error, delayMs);
      await wait(delayMs, cancel);
      continue;
    }
    return { status: "failed", attempt, error: outcome.error };
  }
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
