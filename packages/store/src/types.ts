// The store's vocabulary and its two interfaces. SQLite + a local directory implement them today;
// PostgreSQL + S3 will implement the same ones, so every method is async and every write that one
// event makes is one method (one transaction), never a sequence the caller must keep atomic. Writes
// that belong together go through an explicit unit, `transaction(async (tx) => …)`: the nested
// writes name the unit they belong to (`tx`), so a store on a pool of connections can run them on
// the unit's connection; nothing is joined to a transaction by being called while one is open.

import type {
  AttemptStatus,
  CacheKeyComponents,
  Metric as MetricValue,
  RunStatus,
  SharedBlobs,
  StepClaimHolder,
  StepClaimResult,
  StepOutcome,
  StepRunStatus,
  StoredValue,
} from "@canal/ir/run-types";
import type { TableFormat, TableSchema } from "@canal/ir/table-schema";

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
export type LogStream = "stdout" | "stderr";
export type ArtifactKind = "file" | "directory";

export interface GitInfo {
  commit?: string;
  branch?: string;
  dirty?: boolean;
}

export interface PipelineInfo {
  name: string;
  createdAt: number;
  versions: number;
  /** Hash of the newest version. */
  latestHash?: string;
}

export interface PipelineVersion {
  id: number;
  pipeline: string;
  /** 1, 2, 3… in the order the versions were first seen. */
  version: number;
  /** The IR pipeline hash: the version's identity. */
  hash: string;
  /** The IR in its readable JSON form. */
  ir: string;
  /**
   * The compiled artifact as a directory blob in the blob store: what `canal rerun` runs, with no
   * local copy needed. Absent for versions recorded before artifacts were kept there.
   */
  artifactDigest?: string;
  /** Where a local copy of the compiled artifact was kept (older records name only this). */
  artifactLocation?: string;
  createdAt: number;
}

export interface NewPipelineVersion {
  pipeline: string;
  hash: string;
  /** The readable IR, or what makes it: called only when the version is new (it can be large). */
  ir: string | (() => string);
  /** The artifact's directory blob, stored before: recorded for the version, new or known. */
  artifactDigest?: string;
  artifactLocation?: string;
  createdAt?: number;
}

export interface Run {
  /** Sortable and unique: `run-20261125-141523-ab12`. */
  id: string;
  pipeline: string;
  /** The experiment the run is grouped under (AzureML's Experiment): by default its pipeline's name. */
  experiment: string;
  pipelineVersionId: number;
  pipelineVersion: number;
  pipelineHash: string;
  status: RunStatus;
  parameters: Record<string, unknown>;
  git?: GitInfo;
  /** The runtime that executes it: "local", "docker", "slurm"… */
  runtime: string;
  /** `--regenerate`: every step ran regardless of the cache. */
  regenerate: boolean;
  /**
   * The process that started driving the run, on the machine that created it. Whether the driver
   * is alive, and where it runs, is its heartbeat's to say (`readRunControl`); a record from before
   * heartbeats has only this.
   */
  pid?: number;
  /** Who started the run (`user` in canal.config.json, else the OS user); absent on older records. */
  startedBy?: string;
  /** The host the run was started from; absent on older records. */
  host?: string;
  error?: string;
  createdAt: number;
  startedAt?: number;
  endedAt?: number;
}

export interface NewRun {
  /** Generated (`newRunId`) when absent. */
  id?: string;
  pipelineVersionId: number;
  /** Default: the pipeline's name. A name as `experimentNameProblem` accepts it. */
  experiment?: string;
  parameters?: Record<string, unknown>;
  git?: GitInfo;
  runtime: string;
  regenerate?: boolean;
  pid?: number;
  /** Who starts it: a name as the config's `user` or the OS gives it. */
  startedBy?: string;
  /** The host it is started from. */
  host?: string;
  status?: RunStatus;
  createdAt?: number;
  startedAt?: number;
}

/** Fields of a run that change while it goes; absent fields are left as they are. */
export interface RunUpdate {
  status?: RunStatus;
  startedAt?: number;
  endedAt?: number;
  error?: string;
  pid?: number;
}

export interface RunFilter {
  pipeline?: string;
  experiment?: string;
  /** Runs started by this user. */
  startedBy?: string;
  /** Runs started from this host. */
  host?: string;
  status?: RunStatus | RunStatus[];
  /**
   * Keyset paging: only runs older than this one (by creation time, then id), so that the next
   * page starts where the last ended whatever was recorded meanwhile.
   */
  before?: { createdAt: number; id: string };
  /** At most this many, newest first. Default 100. */
  limit?: number;
}

export interface StepRun {
  id: number;
  runId: string;
  stepId: string;
  /** The fan-out iteration, or -1 for a step that is not fanned out. */
  instance: number;
  status: StepRunStatus;
  cacheKey?: string;
  cacheComponents?: CacheKeyComponents;
  /** For a cached step run: the step run whose outputs it reused. */
  reusedFrom?: { runId: string; stepRunId: number };
  /** Why it failed, was skipped or canceled. */
  error?: string;
  createdAt: number;
  startedAt?: number;
  endedAt?: number;
}

export interface NewStepRun {
  runId: string;
  stepId: string;
  /** Default -1 (not fanned out). */
  instance?: number;
  /**
   * Default "queued". A step skipped before it was queued is created "skipped" with its reason; a
   * step the cache answered before it was recorded is created "cached" with `cacheKey` and its
   * values, as finishStepRun would end it (it names the step run of the entry under the key).
   */
  status?: StepRunStatus;
  error?: string;
  createdAt?: number;
  endedAt?: number;
  /** For a step run created "cached" (and required with its values): the key the cache answered it under. */
  cacheKey?: string;
  /** For a step run created "cached": the inputs it was keyed on and the outputs it reused. */
  inputs?: Record<string, StoredValue>;
  outputs?: Record<string, StoredValue>;
}

export interface Attempt {
  stepRunId: number;
  /** 1 for the first try, 2 for the first retry… */
  number: number;
  status: AttemptStatus;
  exitCode?: number;
  error?: string;
  startedAt: number;
  endedAt?: number;
  /** Digests of the complete logs in the blob store, once the attempt has ended. */
  stdoutDigest?: string;
  stderrDigest?: string;
}

export interface AttemptEnd {
  number: number;
  status: Exclude<AttemptStatus, "running">;
  exitCode?: number;
  error?: string;
  endedAt?: number;
  stdoutDigest?: string;
  stderrDigest?: string;
}

export interface LogChunk {
  /** 0, 1, 2… per attempt; read on from `seq + 1`. */
  seq: number;
  stream: LogStream;
  text: string;
  at: number;
}

export interface LogPage {
  chunks: LogChunk[];
  /** Pass as `from` to read what is appended after these chunks. */
  next: number;
}

export interface ExperimentInfo {
  name: string;
  runs: number;
  /** When its newest run was created. */
  lastRunAt: number;
}

export interface ArtifactInfo {
  digest: string;
  /** Unknown (absent) while the artifact is known only by reference, e.g. inside a fan-in list. */
  kind?: ArtifactKind;
  size?: number;
  mediaType?: string;
  createdAt?: number;
}

/** A metric value to record. */
export interface MetricPoint extends MetricValue {
  /** Default: one more than the last point of this metric in this step run. */
  sequence?: number;
  at?: number;
}

/** A recorded metric value: which step run logged it, and when. */
export interface Metric extends MetricValue {
  stepRunId: number;
  stepId: string;
  instance: number;
  sequence: number;
  at: number;
}

export interface MetricFilter {
  runId?: string;
  stepRunId?: number;
  name?: string;
}

/**
 * Which runs `lastMetrics` reads: the runs `runIds` names, or the newest `limit` runs of
 * `pipeline` (one of the two); optionally only metric `name`, only step `stepId`.
 */
export type RunMetricsFilter = (
  | { runIds: string[]; pipeline?: never }
  | { pipeline: string; runIds?: never }
) & {
  /** With `pipeline`: at most this many runs, newest first. Default 50, at most MAX_METRIC_RUNS (500). */
  limit?: number;
  name?: string;
  stepId?: string;
};

/** A run and the last value of each metric each of its step runs logged. */
export interface RunMetrics {
  run: Run;
  /** By step, instance, then name; a step run that logged nothing has none here. */
  metrics: Metric[];
}

/** How a step run ended, and everything it produced: written in one transaction. */
export interface StepRunEnd {
  status: StepOutcome;
  endedAt?: number;
  error?: string;
  /** The attempt that ended with it, if one ran. */
  attempt?: AttemptEnd;
  cacheKey?: string;
  components?: CacheKeyComponents;
  inputs?: Record<string, StoredValue>;
  outputs?: Record<string, StoredValue>;
  metrics?: MetricPoint[];
  /** Sizes, kinds and media types of the artifacts among the inputs and outputs, where known. */
  artifacts?: ArtifactInfo[];
  /**
   * For a succeeded step: write a cache entry (cacheKey -> outputs). First writer wins: when a
   * concurrent run wrote the same key first, its entry stays.
   */
  reusable?: boolean;
  /**
   * The step ran although the cache could have served it (`--regenerate`, `canal rerun --from`):
   * its entry replaces the one under the key, so the next plain run serves what it produced.
   */
  replaceCacheEntry?: boolean;
}

/** One step run's end, for finishStepRuns. */
export interface StepRunEnding extends StepRunEnd {
  stepRunId: number;
}

export interface CacheEntry {
  key: string;
  outputs: Record<string, StoredValue>;
  components: CacheKeyComponents;
  producedBy: { runId: string; stepRunId: number; stepId: string; instance: number };
  createdAt: number;
}

export interface NewCacheEntry {
  key: string;
  outputs: Record<string, StoredValue>;
  components: CacheKeyComponents;
  stepRunId: number;
  createdAt?: number;
}

/** Which cache entries `listCacheEntries` returns; every given field must match. */
export interface CacheEntryFilter {
  /** Entries of this step (any instance, or `instance` when given). */
  stepId?: string;
  instance?: number;
  /** Entries this run produced or reused: the keys its step runs were recorded under. */
  runId?: string;
  /** A full key or its first characters (at least 6). */
  keyPrefix?: string;
}

/** Everything the records of a store file name, for `canal gc`: what it may never delete. */
export interface StoreReferences {
  /**
   * Every artifact digest a run, step run, attempt or cache entry names, and the artifact of every
   * pipeline version that still has runs (directories not expanded).
   */
  digests: string[];
  pipelineVersions: Array<{
    hash: string;
    artifactDigest?: string;
    artifactLocation?: string;
    /** The readable IR. */
    ir: string;
    /** Whether a run of this version is still recorded, or an endpoint publishes it. */
    hasRuns: boolean;
  }>;
}

export interface LineageEdge {
  runId: string;
  pipeline: string;
  stepRunId: number;
  stepId: string;
  instance: number;
  /** The output (or input) name the artifact appears under. */
  name: string;
  /** "cached" marks a step run that reused the artifact rather than computing it. */
  status: StepRunStatus;
  at: number;
}

export interface Lineage {
  artifact?: ArtifactInfo;
  /** Step runs that output it, oldest first: the first executed one made it. */
  producedBy: LineageEdge[];
  /** Step runs that took it as an input, oldest first. */
  consumedBy: LineageEdge[];
}

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

/** What a token of `canal serve` may do: read; also start, cancel and rerun runs; also manage. */
export type TokenRole = "viewer" | "launcher" | "admin";

/** An API token as listed: never its secret, which only its creator saw once. */
export interface ApiToken {
  /** `tok-` and 12 hex digits: what `canal tokens revoke` takes. */
  id: string;
  role: TokenRole;
  /** A launcher token scoped to one endpoint starts runs of that endpoint only. */
  endpoint?: string;
  /** A label for people (`--name`). */
  name?: string;
  createdBy?: string;
  createdAt: number;
  revokedAt?: number;
}

export interface NewApiToken {
  id: string;
  /** sha256 hex of the secret: the store never holds the secret itself. */
  hash: string;
  role: TokenRole;
  endpoint?: string;
  name?: string;
  createdBy?: string;
  createdAt?: number;
}

/** One published version of an endpoint: a pipeline version behind a name (AzureML PipelineEndpoint). */
export interface EndpointVersion {
  /** 1, 2, 3… per endpoint, in the order they were published. */
  version: number;
  pipelineVersionId: number;
  pipeline: string;
  pipelineVersion: number;
  pipelineHash: string;
  publishedBy?: string;
  publishedAt: number;
}

export interface Endpoint {
  name: string;
  /** The version a request that names none runs. */
  defaultVersion: number;
  createdAt: number;
  /** Oldest first. */
  versions: EndpointVersion[];
}

export interface NewEndpointVersion {
  endpoint: string;
  pipelineVersionId: number;
  /** Make it the default version; the first version of an endpoint always is. */
  makeDefault?: boolean;
  publishedBy?: string;
  publishedAt?: number;
}

/** Published endpoints and the tokens of `canal serve`: records of the workspace, like runs. */
export interface ServiceRecords {
  /** Adds a version to endpoint `endpoint` (created when new); returns the endpoint as it now is. */
  publishEndpoint(version: NewEndpointVersion): Promise<Endpoint>;
  /** Every endpoint with its versions, by name: one read. */
  listEndpoints(): Promise<Endpoint[]>;
  getEndpoint(name: string): Promise<Endpoint | undefined>;
  /** Makes `version` the default of endpoint `name`; undefined when it has no such version. */
  setDefaultVersion(name: string, version: number): Promise<Endpoint | undefined>;
  createToken(token: NewApiToken): Promise<ApiToken>;
  /** Every token, revoked ones too, oldest first. */
  listTokens(): Promise<ApiToken[]>;
  /** The token whose secret hashes to `hash`, unless it is revoked. */
  findToken(hash: string): Promise<ApiToken | undefined>;
  /** Revokes it (idempotent); undefined when there is no such token. */
  revokeToken(id: string): Promise<ApiToken | undefined>;
}

/** What starts a schedule's runs: the slots of a cron expression, or changes of a datastore's files. */
export type ScheduleKind = "cron" | "data";

/** What a cron schedule does with the slots that came due while no scheduler ran (docs/server.md). */
export type CatchUp = "none" | "latest" | "all";

/** A schedule or data trigger of a published endpoint (AzureML Schedule, a Flyte launch plan). */
export interface Schedule {
  id: number;
  name: string;
  /** The endpoint whose default version each run runs. */
  endpoint: string;
  kind: ScheduleKind;
  /** cron: the expression (5 fields, or 6 with seconds first). */
  cron?: string;
  /** cron: the IANA time zone the expression is read in. */
  timezone?: string;
  catchUp: CatchUp;
  /** data: the datastore and the path (file, folder or glob) watched. */
  datastore?: string;
  path?: string;
  /** data: how long the files must stay unchanged before one run takes the batch. */
  debounceMs?: number;
  /** data: the parameter the changed paths are passed as. */
  pathsParam?: string;
  /** The parameters every run gets (checked against the endpoint's pipeline when made). */
  parameters: Record<string, unknown>;
  experiment?: string;
  paused: boolean;
  /**
   * Slots at or before this time never fire: the schedule's creation, its last edit of the cron
   * or time zone, its last resume. Nothing from before an edit or from a pause is caught up.
   */
  anchorAt: number;
  /** The latest slot the schedulers have dealt with (fired, skipped or missed). */
  cursorAt: number;
  /** A data trigger's listing and pending batch, as the scheduler keeps them (JSON). */
  state?: string;
  /** One more at every change: what a scheduler's compare-and-set (`advanceSchedule`) checks. */
  revision: number;
  createdBy?: string;
  createdAt: number;
  updatedAt: number;
}

export interface NewSchedule {
  name: string;
  endpoint: string;
  kind: ScheduleKind;
  cron?: string;
  timezone?: string;
  catchUp?: CatchUp;
  datastore?: string;
  path?: string;
  debounceMs?: number;
  pathsParam?: string;
  parameters?: Record<string, unknown>;
  experiment?: string;
  paused?: boolean;
  state?: string;
  createdBy?: string;
  /** Default now: the anchor and the cursor start here. */
  createdAt?: number;
}

/** What a person changes of a schedule; absent fields stay. A `null` clears an optional field. */
export interface ScheduleUpdate {
  cron?: string;
  timezone?: string;
  catchUp?: CatchUp;
  debounceMs?: number;
  parameters?: Record<string, unknown>;
  experiment?: string | null;
  paused?: boolean;
  /** Moves the anchor and the cursor here (an edit of the cron or zone, a resume). */
  reanchorAt?: number;
  state?: string | null;
  at?: number;
}

/** What became of one slot of a schedule (or one batch of a data trigger). */
export type TickStatus = "claimed" | "fired" | "skipped" | "missed" | "failed";

export interface ScheduleTick {
  id: number;
  scheduleId: number;
  /** The slot's time (a data trigger's: when its batch's first change was seen). */
  scheduledAt: number;
  status: TickStatus;
  runId?: string;
  /** Why it was skipped or missed. */
  reason?: string;
  error?: string;
  /** A data trigger's changed paths. */
  paths?: string[];
  /** The scheduler that claimed it. */
  host?: string;
  pid?: number;
  claimedAt: number;
  endedAt?: number;
}

export interface NewTick {
  scheduleId: number;
  scheduledAt: number;
  /** "claimed" for a slot about to fire; a final status for one recorded as skipped or missed. */
  status: TickStatus;
  reason?: string;
  paths?: string[];
  host?: string;
  pid?: number;
  at?: number;
}

export interface TickEnd {
  status: Exclude<TickStatus, "claimed">;
  runId?: string;
  error?: string;
  at?: number;
}

/** Schedules and their ticks: records of the workspace, shared by every server on the store. */
export interface ScheduleRecords {
  /** A name already taken is an error (CANAL_STORE_SCHEDULE_EXISTS). */
  createSchedule(schedule: NewSchedule): Promise<Schedule>;
  /** By name. */
  listSchedules(): Promise<Schedule[]>;
  getSchedule(name: string): Promise<Schedule | undefined>;
  /** Undefined when there is no such schedule. Every update moves `revision` on. */
  updateSchedule(name: string, update: ScheduleUpdate): Promise<Schedule | undefined>;
  /**
   * A scheduler's compare-and-set: moves the cursor on (never back) and replaces the state, only
   * while the schedule is still at `revision`. False when someone changed it meanwhile.
   */
  advanceSchedule(
    id: number,
    revision: number,
    changes: { cursorAt?: number; state?: string },
  ): Promise<boolean>;
  /** Deletes it with its ticks; false when there was none. */
  deleteSchedule(name: string): Promise<boolean>;
  /**
   * Records the slot `scheduledAt` of the schedule, unless a tick of that slot exists: one
   * statement, atomic against every other scheduler on the store. The tick when this call wrote
   * it, undefined when another had (so only one scheduler ever fires a slot).
   */
  claimTick(tick: NewTick): Promise<ScheduleTick | undefined>;
  /** Ends a claimed tick: fired with its run, or failed with the error. */
  finishTick(id: number, end: TickEnd): Promise<ScheduleTick>;
  /** The schedule's ticks, newest slot first (default 20). */
  listTicks(scheduleId: number, options?: { limit?: number }): Promise<ScheduleTick[]>;
}

/** Runs, their steps, logs, metrics, lineage and the cache index of one workspace. */
export interface MetadataStore extends MetadataTransaction, ServiceRecords, ScheduleRecords {
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
  /** The files of a dataset version (by its id), sorted by path. */
  getDatasetFiles(versionId: number): Promise<DatasetFile[]>;
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

/** A dataset is files (a FileDataset) or one table spread over files of one format (a TabularDataset). */
export type DatasetKind = "file" | "table";

/** One file of a dataset version: its path from the pattern's datastore root, its sha256, its size. */
export interface DatasetFile {
  path: string;
  digest: string;
  size: number;
}

/** A table dataset's format and columns, and whether the columns were inferred or declared. */
export interface DatasetTable {
  format: TableFormat;
  schema: TableSchema;
  schemaSource: "inferred" | "declared";
}

export interface NewDatasetVersion {
  name: string;
  kind: DatasetKind;
  /** The content's identity (see datasets/manifest.ts): the same digest is the same version. */
  digest: string;
  /** Where the files were found: the datastore's name and the pattern given. */
  datastore: string;
  pattern: string;
  /** Sorted by path, each path once. */
  files: DatasetFile[];
  table?: DatasetTable;
  description?: string;
  /** Who registered it and from which machine, as runs record it. */
  registeredBy?: string;
  host?: string;
  createdAt?: number;
}

export interface DatasetVersion {
  id: number;
  name: string;
  version: number;
  kind: DatasetKind;
  digest: string;
  datastore: string;
  pattern: string;
  fileCount: number;
  /** Bytes of all its files. */
  size: number;
  table?: DatasetTable;
  description?: string;
  registeredBy?: string;
  host?: string;
  createdAt: number;
}

export interface NewDatasetUse {
  runId: string;
  versionId: number;
  direction: "input" | "output";
  /** The parameter that read it, or the output registered as it. */
  name: string;
  createdAt?: number;
}

/** A run's use of a dataset version, with what a lineage view shows of both. */
export interface DatasetUse {
  runId: string;
  direction: "input" | "output";
  name: string;
  dataset: string;
  version: number;
  versionId: number;
  pipeline: string;
  runStatus: RunStatus;
  createdAt: number;
}

export interface RegisteredDatasetVersion {
  version: DatasetVersion;
  /** False when the content was registered before: `version` is the version that has it. */
  created: boolean;
}

export interface DatasetSummary {
  name: string;
  /** How many versions it has. */
  versions: number;
  latest: DatasetVersion;
}

/**
 * The last heartbeat of the process driving a run: where it runs (host and pid) and when it last
 * said it is alive. A run still marked running whose heartbeat is stale was interrupted.
 */
export interface DriverHeartbeat {
  /** The driver's host name (`os.hostname()`, or `$CANAL_HOSTNAME`). */
  host: string;
  pid: number;
  /** When it last beat, by the writer's clock. */
  at: number;
  /** How often the driver promised to beat: a reader waits at least a few of these before calling it stale. */
  intervalMs: number;
  /**
   * How long ago it beat, measured by the store when read (SQLite: the reader's clock; a server
   * store: the server's), so that readers on machines whose clocks differ judge alike.
   */
  ageMs: number;
}

/** A claim on a cache key: which run's driver is about to execute the step instance under it. */
export interface NewStepClaim {
  runId: string;
  host: string;
  pid: number;
  /** How long the claim lasts without a heartbeat of its run's driver renewing it. */
  ttlMs: number;
}

export interface NewHeartbeat {
  host: string;
  pid: number;
  intervalMs: number;
  /** Default now. */
  at?: number;
}

/** A request that a run be canceled, recorded for the driving process to act on. */
export interface CancelRequest {
  at: number;
  /** Who asked, as `user@host` or a client's name. */
  by?: string;
  reason?: string;
}

export interface NewCancelRequest {
  by?: string;
  reason?: string;
  /** Default now. */
  at?: number;
}

/** What the store holds to control one run: its driver's heartbeat and a cancel request, when there are. */
export interface RunControl {
  runId: string;
  heartbeat?: DriverHeartbeat;
  cancel?: CancelRequest;
}

/** One entry of a directory manifest; the manifest is a JSON array of these, sorted by path. */
export interface ManifestEntry {
  /** Relative, "/"-separated. */
  path: string;
  sha256: string;
  size: number;
  executable: boolean;
}

export interface BlobInfo {
  digest: string;
  kind: ArtifactKind;
  /** Bytes of the file, or of all files of a directory. */
  size: number;
}

export type BlobStatus = "ok" | "missing" | "corrupt";

export interface PutOptions {
  /** The caller gives the file up: the store may take it by renaming instead of copying. */
  move?: boolean;
  /**
   * Return once the blob is in place, and make it durable by the next flush() instead: for a
   * caller that writes its records in batches and flushes before each.
   */
  deferSync?: boolean;
}

/**
 * Content-addressed artifact bytes. Digests are sha256 hex; a directory's digest is its manifest's.
 * Nothing is ever returned unless it matches its digest.
 */
export interface BlobStore {
  put(bytes: Uint8Array | string): Promise<string>;
  /** Streams: memory stays flat whatever the file's size. */
  putFile(path: string, options?: PutOptions): Promise<string>;
  putDirectory(path: string, options?: PutOptions): Promise<string>;
  /** Waits until everything put with `deferSync` is durable; throws if that failed. */
  flush(): Promise<void>;
  /** Presence only; `verify` checks content. */
  has(digest: string): Promise<boolean>;
  stat(digest: string): Promise<BlobInfo | undefined>;
  /** The bytes, verified. For large blobs use `materialize`. */
  get(digest: string): Promise<Buffer>;
  readManifest(digest: string): Promise<ManifestEntry[]>;
  /**
   * Writes the file or rebuilds the directory at `destination`, verifying every byte (bytes this
   * store already verified, and unchanged since, are not hashed again).
   */
  materialize(digest: string, destination: string): Promise<void>;
  /**
   * A directory is ok only when its manifest and every file in it are. `kind`, where the caller
   * knows it (a stored value says which it is), spares looking the other kind up.
   */
  verify(digest: string, kind?: ArtifactKind): Promise<BlobStatus>;
  /** Lets go of what the store holds open (a remote store's connections); optional. */
  close?(): Promise<void>;
  /**
   * Present when steps can reach the store themselves (an S3 bucket): a runtime that moves blobs
   * then has its steps fetch and store their own bytes.
   */
  readonly shared?: SharedBlobs | undefined;
}
