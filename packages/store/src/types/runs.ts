// Pipelines, runs, step runs and their attempts, logs, metrics, the cache index and lineage.

import type {
  AttemptStatus,
  CacheKeyComponents,
  Metric as MetricValue,
  RunStatus,
  StepOutcome,
  StepRunStatus,
  StoredValue,
} from "@canal/ir/run-types";

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
  /** Sortable and unique: `run-20261125-141523-ab12cd34`. */
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
  /**
   * When `attempt` started, for an attempt whose start is recorded with its end (no startAttempt
   * before it, as a run's recorder writes a step that started and ended within one batch): the
   * attempt is recorded as startAttempt records it, unless it is there, then ended.
   */
  startedAt?: number;
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
