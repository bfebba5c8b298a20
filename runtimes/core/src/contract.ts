import type { BlobPlace, DatasetOrigin, Environment, Step, StoredValue } from "@canal/ir";

/**
 * The runtime contract. A runtime executes one attempt of one step instance at a time, from the
 * compiled artifact alone; the orchestrator (shared by every runtime) decides what runs when,
 * retries, caches and records. Local processes, Docker containers and Slurm jobs all implement it.
 */
export interface Runtime {
  /** "local", "docker", "slurm". */
  readonly name: string;
  /** How many attempts may run at once on this runtime (the orchestrator takes the smaller of this and its own bound). */
  readonly maxParallel: number;
  /**
   * Its attempts may wait in a queue before they run (a batch scheduler): it calls
   * `hooks.started()` when one begins to run, and the step's timeout counts from then, not from
   * the submission (as Slurm's `--time` and Kubernetes' `activeDeadlineSeconds` do).
   */
  readonly queued?: boolean;
  /** Executes one attempt. Resolves when it ended, however it ended; rejects only for a broken runtime. */
  execute(task: StepTask, hooks: AttemptHooks): Promise<AttemptResult>;
  /**
   * Variables this runtime sets for every step (a Docker target's `env`): they join every step's
   * cache key, as declared variables do.
   */
  readonly variables?: Record<string, string>;
  /** Frees warm workers, connections. */
  close(): Promise<void>;
  /**
   * Optional. `upcoming` will probably be executed once the attempts it waits on succeed. A runtime
   * whose start-up is slow (a batch scheduler's queue) may queue it ahead, so that it starts as soon
   * as they end; it returns whether it did. If so, either `execute` follows for it, or `dismiss`.
   */
  anticipate?(upcoming: UpcomingStep): boolean;
  /** An anticipated step instance will not be executed in this run (cached, skipped, canceled). */
  dismiss?(runId: string, stepKey: string): void;
  /**
   * Optional. Ends what run `runId` still has running here although the process that drove it is
   * gone (killed, its machine rebooted): processes, containers, jobs. Returns what it ended, in
   * words ("Slurm job 12"), for `canal cancel` to report.
   */
  endRun?(runId: string): Promise<string[]>;
  /**
   * Optional. Connects to what runs the steps (an engine, a scheduler) and reports what it offers,
   * or exactly why steps cannot run there and what to set: `canal targets --check`. `target` is
   * the target's name in canal.config.json, for the settings a problem names.
   */
  check?(target: string): Promise<TargetCheck>;
  /**
   * Optional. Whether `step`, run here in `environment`, can reach the shared blob store `place`
   * and move its own bytes: fetch its inputs from it and store its outputs in it (see
   * {@link TaskBlobs}). Then the process that drives the run reads none of its bytes; otherwise
   * it stages the inputs into the step's folder and collects the outputs from there.
   */
  movesBlobs?(place: BlobPlace, step: Step, environment: Environment | undefined): boolean;
  /**
   * Optional. Why `step`, in `environment`, can never run here (a batch scheduler that cannot start
   * a container image), in words that follow "step <key>: " and name the fix; undefined when it
   * can. Asked before anything of the attempt is staged: no folder made, no input fetched.
   */
  cannotRun?(step: Step, environment: Environment | undefined): string | undefined;
  /**
   * Optional. Whether `step`, run here, reads this machine's files at their paths, as they are
   * (symbolic and hard links included): only then may it read data in place (access `mount`).
   */
  readsInPlace?(step: Step): boolean;
  /**
   * Optional. Whether, once `execute` of an attempt of `step` resolved, nothing that attempt
   * started runs any more (its leftover processes ended) and its folder lies on this machine's
   * file system, as the orchestrator sees it: only then may a succeeded attempt's folder, proven
   * exactly as it was made, be handed to the next attempt of the same shape (see RecycledFolders).
   */
  settlesFolder?(step: Step): boolean;
}

/** What {@link Runtime.check} found on a target. */
export interface TargetCheck {
  /** What it offers, in the order shown: `{ label: "engine", value: "Docker 20.10.24 (API 1.41)" }`. */
  offers: Array<{ label: string; value: string | string[] }>;
  /** Why steps cannot run there, each naming the setting or the fix; empty when they can. */
  problems: string[];
}

/** A step instance the orchestrator expects to run next (see {@link Runtime.anticipate}). */
export interface UpcomingStep {
  runId: string;
  stepKey: string;
  step: Step;
  environment: Environment | undefined;
  /** The step keys it waits on that have not ended: executing now, or themselves anticipated. */
  after: string[];
}

/** An input as a step receives it: a local path (or paths, for a fan-in) or a JSON value. */
export type TaskInput =
  | {
      kind: "artifact";
      path: string;
      directory: boolean;
      /** The registered dataset version it is, when it was read from one. */
      dataset?: DatasetOrigin;
    }
  /** `listFile`: the paths, one per line, relative to the list's folder (CANAL_INPUT_<NAME>_FILE). */
  | { kind: "artifacts"; paths: string[]; listFile?: string }
  /** `file`: the value's JSON, for a value too large for the environment (CANAL_PARAM_<NAME>_FILE). */
  | { kind: "value"; value: unknown; file?: string };

/** Where the step writes an output: a fresh empty directory for Directory outputs, else a file path. */
export interface TaskOutput {
  kind: "artifact" | "value";
  path: string;
  directory: boolean;
}

/**
 * For a runtime that moves blobs itself: the blobs a step fetches before it runs, each to the path
 * its input names (a fan-in item's kind is found in the store), verified against its digest. Once
 * it succeeded, its artifact outputs are stored there too, and reported in
 * {@link AttemptResult}'s `stored` (the step's folder is `workDir/out`, as everywhere).
 */
export interface TaskBlobs {
  place: BlobPlace;
  fetch: Array<{ digest: string; path: string }>;
}

/** Everything one attempt needs, in plain JSON, so a remote worker can receive it as a file. */
export interface StepTask {
  runId: string;
  /** "train" or "train[2]" for the third iteration of a fan-out. */
  stepKey: string;
  attempt: number;
  /** The compiled artifact's directory (bundles and snapshots are read from its blobs/). */
  artifactDir: string;
  step: Step;
  environment: Environment | undefined;
  inputs: Record<string, TaskInput>;
  outputs: Record<string, TaskOutput>;
  /** A scratch directory for this attempt: the snapshot is materialised under it. */
  workDir: string;
  /** Where the step appends metrics, one JSON object per line ({"name", "value"}). */
  metricsFile: string;
  /**
   * The values of the variables the step declares (`passEnv`) that are set in the run's
   * environment. They may be secrets: a runtime passes them to the step's processes only, and
   * never writes them into a file (a task file it writes leaves them out). With `blobs`, they
   * hold the blob store's credentials too (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
   * AWS_SESSION_TOKEN), which reach the step's environment the same way.
   */
  variables?: Record<string, string>;
  /** Present when the runtime moves the step's bytes itself ({@link Runtime.movesBlobs}). */
  blobs?: TaskBlobs;
}

export interface AttemptHooks {
  /** Aborted on cancel or timeout: the runtime ends the attempt's processes. */
  signal: AbortSignal;
  /** Receives the attempt's stdout and stderr as they come. */
  log(stream: "stdout" | "stderr", text: string): void;
  /** A queued runtime's attempt began to run (see {@link Runtime.queued}); later calls are ignored. */
  started(): void;
}

export type AttemptResult =
  /**
   * `values`: value outputs. `returned`: for TypeScript steps, the path each artifact output was
   * returned with (it may be an input's path, or a file in the output folder). `stored`: for a
   * task with `blobs`, every output as the step stored it (artifacts in the blob store, values as
   * JSON), and `sizes` the bytes of each file output, for the orchestrator to check.
   */
  | {
      status: "succeeded";
      values: Record<string, unknown>;
      returned: Record<string, string>;
      stored?: Record<string, StoredValue>;
      sizes?: Record<string, number>;
    }
  | { status: "failed"; error: string; exitCode?: number; retryable: boolean }
  | { status: "timed-out"; error: string }
  | { status: "canceled" };
