// The store's two interfaces for its records, `MetadataTransaction` and `MetadataStore`, and its
// whole vocabulary, re-exported from types/ (runs and the cache, services, schedules, datasets, run
// control, blobs). SQLite + a local directory and PostgreSQL + S3 implement the same interfaces, so
// every method is async and every write that one event makes is one method (one transaction), never
// a sequence the caller must keep atomic. Writes that belong together go through an explicit unit,
// `transaction(async (tx) => …)`: the nested writes name the unit they belong to (`tx`), so a store
// on a pool of connections can run them on the unit's connection; nothing is joined to a
// transaction by being called while one is open.

import type {
  AttemptStatus,
  CacheKeyComponents,
  RunStatus,
  StepClaimHolder,
  StepClaimResult,
  StepOutcome,
  StepRunStatus,
  StoredValue,
} from "@canal/ir/run-types";
import type { TableFormat, TableSchema } from "@canal/ir/table-schema";
import type { SmallBlobHost } from "./types/blobs.js";
import type {
  CachedOrClaim,
  CancelRequest,
  NewCancelRequest,
  NewHeartbeat,
  NewStepClaim,
  RunControl,
  RunKeyRecords,
} from "./types/control.js";
import type {
  DatasetFile,
  DatasetFilesPage,
  DatasetSummary,
  DatasetUse,
  DatasetVersion,
  NewDatasetUse,
  NewDatasetVersion,
  RegisteredDatasetVersion,
} from "./types/datasets.js";
import type {
  ArtifactInfo,
  Attempt,
  AttemptEnd,
  CacheEntry,
  CacheEntryFilter,
  ExperimentInfo,
  Lineage,
  LogPage,
  LogStream,
  Metric,
  MetricFilter,
  MetricPoint,
  NewCacheEntry,
  NewPipelineVersion,
  NewRun,
  NewStepRun,
  PipelineInfo,
  PipelineVersion,
  Run,
  RunFilter,
  RunMetrics,
  RunMetricsFilter,
  RunUpdate,
  StepRun,
  StepRunEnd,
  StepRunEnding,
  StoreReferences,
} from "./types/runs.js";
import type { ScheduleRecords } from "./types/schedules.js";
import type { ServiceRecords } from "./types/services.js";

export type * from "./types/blobs.js";
export type * from "./types/control.js";
export type * from "./types/datasets.js";
export type * from "./types/runs.js";
export type * from "./types/schedules.js";
export type * from "./types/services.js";
// The run vocabulary (statuses, stored values, cache key components) is @canal/ir's: the runtimes
// report in it and the store keeps it, one shape on both sides.
export type {
  AttemptStatus,
  CacheKeyComponents,
  RunStatus,
  StepClaimHolder,
  StepClaimResult,
  StepOutcome,
  StepRunStatus,
  StoredValue,
  TableFormat,
  TableSchema,
};

/**
 * The records of one workspace, read and written: what a store handle and a unit's `tx` both offer.
 * Through a `tx`, every call is part of its unit and sees the unit's own writes.
 */
export interface MetadataTransaction {
  /** The workspace every read and write is scoped to. */
  readonly workspace: string;

  /**
   * Idempotent: the version already stored under this hash is returned as it is, except that a
   * given `artifactDigest` becomes its artifact (the writer has just stored that blob; any blob
   * recorded for the hash is the same pipeline's artifact).
   */
  registerPipelineVersion(version: NewPipelineVersion): Promise<PipelineVersion>;
  getPipelineVersion(id: number): Promise<PipelineVersion>;
  listPipelines(): Promise<PipelineInfo[]>;
  listPipelineVersions(pipeline: string): Promise<PipelineVersion[]>;

  createRun(run: NewRun): Promise<Run>;
  updateRun(id: string, update: RunUpdate): Promise<Run>;
  getRun(id: string): Promise<Run>;
  listRuns(filter?: RunFilter): Promise<Run[]>;
  /** The experiments runs were recorded under, with how many runs each has; newest first. */
  listExperiments(): Promise<ExperimentInfo[]>;

  /** Idempotent per (run, step, instance): a step run that exists is returned unchanged. */
  createStepRun(stepRun: NewStepRun): Promise<StepRun>;
  /**
   * Many step runs at once, each as createStepRun makes it (one that exists stays as it is):
   * their ids, in the order given. Atomic: all are made or none. What a run records when it
   * queues its steps, or when the cache answers steps it has not recorded yet (created "cached",
   * with no update after): a few statements for all of them instead of a few for each.
   */
  createStepRuns(stepRuns: NewStepRun[]): Promise<number[]>;
  getStepRun(runId: string, stepId: string, instance?: number): Promise<StepRun>;
  listStepRuns(runId: string): Promise<StepRun[]>;
  /** Records the attempt and marks the step run running. */
  startAttempt(stepRunId: number, number: number, startedAt?: number): Promise<Attempt>;
  finishAttempt(stepRunId: number, end: AttemptEnd): Promise<Attempt>;
  listAttempts(stepRunId: number): Promise<Attempt[]>;
  /** Ends a step run with its attempt, inputs, outputs, metrics and cache entry, atomically. */
  finishStepRun(stepRunId: number, end: StepRunEnd): Promise<StepRun>;
  /**
   * Ends many step runs, in the order given, each as finishStepRun ends it; atomic: all end or
   * none. What a run records when the cache answers a stretch of its steps at once.
   */
  finishStepRuns(ends: StepRunEnding[]): Promise<void>;

  /** Appends live output of a running attempt; returns the chunk's seq. */
  appendLog(
    stepRunId: number,
    attempt: number,
    stream: LogStream,
    text: string,
    at?: number,
  ): Promise<number>;
  /** Chunks with seq >= from (default 0), in order. */
  readLog(stepRunId: number, attempt: number, from?: number, limit?: number): Promise<LogPage>;
  /** Appends output of the process driving the run (a detached `canal run`); returns the chunk's seq. */
  appendRunLog(runId: string, stream: LogStream, text: string, at?: number): Promise<number>;
  /** The driving process's output, chunks with seq >= from (default 0), in order. */
  readRunLog(runId: string, from?: number, limit?: number): Promise<LogPage>;

  logMetrics(stepRunId: number, points: MetricPoint[]): Promise<void>;
  getMetrics(filter: MetricFilter): Promise<Metric[]>;
  /**
   * The last value of each metric of each step run of many runs, newest run first, in one query
   * whatever the number of runs: what charts a metric across runs. Ids of runs not in this
   * workspace are left out; a run that logged nothing is there with no metrics.
   *
   * @example
   * const runs = await store.lastMetrics({ pipeline: "iris", limit: 20, name: "accuracy" });
   */
  lastMetrics(filter: RunMetricsFilter): Promise<RunMetrics[]>;
  getInputs(stepRunId: number): Promise<Record<string, StoredValue>>;
  getOutputs(stepRunId: number): Promise<Record<string, StoredValue>>;

  /** First writer wins; fields an earlier writer left unknown are filled in. */
  recordArtifacts(artifacts: ArtifactInfo[]): Promise<void>;
  getArtifact(digest: string): Promise<ArtifactInfo | undefined>;
  lineage(digest: string): Promise<Lineage>;

  /**
   * Lets go of run `runId`'s claim on cache key `key` (`claimStep`); a claim another run holds, or
   * none, is left as it is. Returns whether it released one. In the unit that records the step's
   * end, so that a run waiting on the claim finds the cache entry as soon as the claim is gone.
   */
  releaseStep(key: string, runId: string): Promise<boolean>;
  /**
   * `releaseStep` for the claims of many keys at once, as a run's recorder lets go of those whose
   * steps' ends one unit records; keys `runId` holds no claim on are left as they are. Returns how
   * many claims it released.
   */
  releaseSteps(keys: string[], runId: string): Promise<number>;
  /** Returns false when an entry for the key was already there: the first writer wins. */
  putCacheEntry(entry: NewCacheEntry): Promise<boolean>;
  getCacheEntry(key: string): Promise<CacheEntry | undefined>;
  /** Only the outputs of the entry under `key`: what a run looks up for every step it starts. */
  getCachedOutputs(key: string): Promise<Record<string, StoredValue> | undefined>;
  /**
   * The outputs of the entries under `keys`, each as getCachedOutputs answers it, in one read:
   * a run asks for the steps ahead at once (issue #11). A key with no entry is left out.
   */
  getCachedOutputsMany(keys: string[]): Promise<Map<string, Record<string, StoredValue>>>;
  /**
   * The outputs of the entries under the keys that the newest ended run of `runId`'s pipeline
   * (any version, `runId` left out) recorded its step runs under, in one read: what a run of the
   * pipeline most likely looks up, read before it can compute the keys along a chain (issue #11).
   * Each as getCachedOutputs answers it at the time of the read: read from the cache entries
   * themselves, so a key whose entry is gone is left out. Empty when there is no such run.
   */
  getCachedOutputsOfLastRun(runId: string): Promise<Map<string, Record<string, StoredValue>>>;
  /**
   * Drops an entry whose blobs turned out missing or corrupt, so that the re-run's outputs can
   * take its place.
   */
  deleteCacheEntry(key: string): Promise<boolean>;
  /** Entries matching `filter`, newest first. */
  listCacheEntries(filter?: CacheEntryFilter): Promise<CacheEntry[]>;
  /**
   * Forgets runs: their step runs, attempts, logs, metrics and lineage, and the cache entries their
   * step runs produced (an entry never outlives the record of the step run that made it). A run
   * still going is never deleted. Returns the ids deleted.
   */
  deleteRuns(ids: string[]): Promise<string[]>;
  /** What the records name, across every workspace of the store file. */
  references(): Promise<StoreReferences>;
  /**
   * The names of the other workspaces of this store (the same SQLite file or PostgreSQL database)
   * that hold a cache entry under `key`, written before `before` when given, in name order. For
   * `canal why`: a step that missed this workspace's cache may have run in another one, whose
   * entry a project joins by naming that workspace (`"workspace"` in canal.config.json).
   *
   * @example
   * ```ts
   * await metadata.workspacesWithCacheEntry(stepRun.cacheKey, { before: stepRun.startedAt }); // ["ci"]
   * ```
   */
  workspacesWithCacheEntry(key: string, options?: { before?: number }): Promise<string[]>;
  /** The newest entry written by this step of this pipeline (optionally before a time). */
  lastCacheEntryForStep(
    pipeline: string,
    stepId: string,
    options?: { instance?: number; before?: number },
  ): Promise<CacheEntry | undefined>;
}

/** Runs, their steps, logs, metrics, lineage and the cache index of one workspace. */
export interface MetadataStore
  extends MetadataTransaction,
    ServiceRecords,
    ScheduleRecords,
    RunKeyRecords,
    SmallBlobHost {
  /**
   * Records that the driver of run `runId` is alive (host, pid, when), and extends the run's step
   * claims (`claimStep`) by their time to live. Written every few seconds by the driving process,
   * never per step.
   */
  recordHeartbeat(runId: string, beat: NewHeartbeat): Promise<void>;
  /**
   * Records a request to cancel run `runId`, for its driver to act on. Idempotent: the first
   * request is kept and returned to every later one.
   */
  requestCancel(runId: string, request?: NewCancelRequest): Promise<CancelRequest>;
  /**
   * The control records of the given runs of this workspace, one read for all of them; a run
   * with neither a heartbeat nor a cancel request (or not in this workspace) is left out.
   */
  readRunControl(runIds: string[]): Promise<RunControl[]>;
  /**
   * Calls `listener` once a cancel request for `runId` is recorded, from any process: for a store
   * that can notify (PostgreSQL's LISTEN). Where it is absent the driver polls `readRunControl`.
   * Returns what stops listening.
   */
  watchCancelRequests?(runId: string, listener: (request: CancelRequest) => void): () => void;

  /**
   * Claims cache key `key` for run `claim.runId`, which is about to execute the step instance
   * under it (single-flight): one statement, atomic against every other writer. Won when no one
   * holds it, or the claim held expired (its driver stopped renewing it); lost otherwise, with
   * who holds it — another run, or this run itself for a second instance with the same key. A
   * claim lasts `ttlMs` from now, and every heartbeat of its run's driver (`recordHeartbeat`)
   * extends it by its `ttlMs` again, so a claim outlives its driver by at most `ttlMs`.
   */
  claimStep(key: string, claim: NewStepClaim): Promise<StepClaimResult>;
  /**
   * The cache lookup of `key` (`getCachedOutputs`) and, only when it has no entry, `claimStep`, in
   * one round trip: what a run asks before a step it expects to miss the cache. A hit takes no
   * claim. A claim won after its holder recorded its entry and let go answers that entry, the
   * claim let go (PostgreSQL: the function canal_lookup_or_claim looks again once it won).
   */
  lookupOrClaimStep(key: string, claim: NewStepClaim): Promise<CachedOrClaim>;

  /**
   * Runs `work` as one unit: every read and write it makes through `tx` is one transaction, so that
   * a run's many small events cost one commit instead of one each, and writes that belong together
   * land together. All or nothing: when `work` throws, or a write through `tx` fails (even one that
   * `work` catches), the whole unit is undone and `transaction` rejects with that error. Until the
   * unit commits, reads outside it (this handle, another handle, another process) do not see its
   * writes. A store may undo a unit that lost a race with another writer and call `work` again,
   * so `work` keeps no state of its own across calls (or resets it when called).
   * `tx` is good only until `work` settles. Inside a unit, go through `tx` only: a write
   * through a handle outside the unit may wait for the unit to end. Keep units short: a store may
   * hold a lock for as long as one is open.
   *
   * @example
   * ```ts
   * await metadata.transaction(async (tx) => {
   *   const step = await tx.createStepRun({ runId, stepId: "train" });
   *   await tx.startAttempt(step.id, 1);
   * });
   * ```
   */
  transaction<T>(work: (tx: MetadataTransaction) => Promise<T>): Promise<T>;

  /**
   * Records a version of dataset `version.name`: the next number when its content (the digest)
   * is new to the dataset, else the version that has it, unchanged (`created: false`).
   */
  registerDatasetVersion(version: NewDatasetVersion): Promise<RegisteredDatasetVersion>;
  /**
   * Version `version` of dataset `name` (default: its latest). An unknown dataset is an error
   * naming those there are; an unknown version one naming its versions.
   */
  getDatasetVersion(name: string, version?: number): Promise<DatasetVersion>;
  /** Every version of dataset `name`, newest first; an unknown dataset is an error naming those there are. */
  listDatasetVersions(name: string): Promise<DatasetVersion[]>;
  /** Each dataset of the workspace with its latest version, by name. */
  listDatasets(): Promise<DatasetSummary[]>;
  /**
   * The files of a dataset version (by its id), sorted by path (by its UTF-8 bytes); with `page`,
   * only those after path `page.after`, at most `page.limit` of them.
   */
  getDatasetFiles(versionId: number, page?: DatasetFilesPage): Promise<DatasetFile[]>;
  /**
   * Records that run `use.runId` read dataset version `use.versionId` as parameter `use.name`
   * (`input`), or registered it from output `use.name` (`output`): its lineage. Recording the
   * same use again changes nothing.
   */
  recordDatasetUse(use: NewDatasetUse): Promise<void>;
  /** The uses of one dataset version, or of one run, oldest first. */
  listDatasetUses(filter: { versionId: number } | { runId: string }): Promise<DatasetUse[]>;

  close(): Promise<void>;
}
