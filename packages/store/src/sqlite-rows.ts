// Rows as better-sqlite3 returns them, and their mapping to the store's vocabulary. NULL columns
// become absent fields, never `undefined`-valued ones, so records compare and serialize cleanly.
import type {
  ArtifactInfo,
  ArtifactKind,
  Attempt,
  AttemptStatus,
  CacheEntry,
  CancelRequest,
  LineageEdge,
  Metric,
  PipelineVersion,
  Run,
  RunControl,
  RunStatus,
  StepClaimHolder,
  StepRun,
  StepRunStatus,
} from "./types.js";

// What a stored value names, which both stores' writers use: imported from here by them.
export { artifactRefs, collectDigests, endValueRows } from "./value-refs.js";

type Nullable<T> = T | null;

/** Drops absent fields so a record never carries `key: undefined`. */
export function defined<T extends object>(record: T): T {
  for (const key of Object.keys(record) as Array<keyof T>) if (record[key] == null) delete record[key];
  return record;
}

const opt = <T>(value: Nullable<T>): T | undefined => value ?? undefined;

export interface PipelineVersionRow {
  id: number;
  pipeline: string;
  version: number;
  hash: string;
  ir: string;
  artifact_location: Nullable<string>;
  artifact_digest: Nullable<string>;
  created_at: number;
}

export const PIPELINE_VERSION_SELECT = `
SELECT pv.id, p.name AS pipeline, pv.version, pv.hash, pv.ir, pv.artifact_location, pv.artifact_digest,
  pv.created_at
FROM pipeline_versions pv JOIN pipelines p ON p.id = pv.pipeline_id
WHERE p.workspace_id = @workspace`;

export function toPipelineVersion(row: PipelineVersionRow): PipelineVersion {
  return defined({
    id: row.id,
    pipeline: row.pipeline,
    version: row.version,
    hash: row.hash,
    ir: row.ir,
    artifactLocation: opt(row.artifact_location),
    artifactDigest: opt(row.artifact_digest),
    createdAt: row.created_at,
  });
}

export interface RunRow {
  id: string;
  pipeline: string;
  pipeline_version_id: number;
  pipeline_version: number;
  pipeline_hash: string;
  status: RunStatus;
  parameters: string;
  git_commit: Nullable<string>;
  git_branch: Nullable<string>;
  git_dirty: Nullable<number>;
  runtime: string;
  regenerate: number;
  pid: Nullable<number>;
  error: Nullable<string>;
  created_at: number;
  started_at: Nullable<number>;
  ended_at: Nullable<number>;
  experiment: string;
  started_by: Nullable<string>;
  host: Nullable<string>;
}

// A run recorded before experiments existed belongs to its pipeline's experiment, as a new run
// started without --experiment does.
const RUN_COLUMNS = `
SELECT r.id, r.pipeline_version_id, r.status, r.parameters, r.git_commit, r.git_branch, r.git_dirty, r.runtime,
  r.regenerate, r.pid, r.error, r.created_at, r.started_at, r.ended_at, coalesce(r.experiment, p.name) AS experiment,
  r.started_by, r.host, p.name AS pipeline, pv.version AS pipeline_version, pv.hash AS pipeline_hash`;

export const RUN_SELECT = `${RUN_COLUMNS}
FROM runs r
JOIN pipeline_versions pv ON pv.id = r.pipeline_version_id
JOIN pipelines p ON p.id = pv.pipeline_id
WHERE p.workspace_id = @workspace`;

/**
 * RUN_SELECT for a page of runs newest first. CROSS JOIN fixes the join order (SQLite's way to
 * choose a plan): the runs are walked along `runs_by_created` from the keyset and the walk stops
 * once the page is full. Left to itself, SQLite starts from the workspace's pipelines, reads every
 * run of their versions through `runs_by_version` and sorts them all: 25 ms a page at 100,000
 * runs, growing with the store (test/bench/server-bench.mjs). A filter on a value few runs have
 * walks further (up to the whole index: ~20 ms at 100,000 runs), no worse than the sort was.
 */
export const RUN_PAGE_SELECT = `${RUN_COLUMNS}
FROM runs r
CROSS JOIN pipeline_versions pv ON pv.id = r.pipeline_version_id
CROSS JOIN pipelines p ON p.id = pv.pipeline_id
WHERE p.workspace_id = @workspace`;

export function toRun(row: RunRow): Run {
  const git = defined({
    commit: opt(row.git_commit),
    branch: opt(row.git_branch),
    dirty: row.git_dirty == null ? undefined : row.git_dirty === 1,
  });
  return defined({
    id: row.id,
    pipeline: row.pipeline,
    experiment: row.experiment,
    pipelineVersionId: row.pipeline_version_id,
    pipelineVersion: row.pipeline_version,
    pipelineHash: row.pipeline_hash,
    status: row.status,
    parameters: JSON.parse(row.parameters) as Record<string, unknown>,
    git: Object.keys(git).length > 0 ? git : undefined,
    runtime: row.runtime,
    regenerate: row.regenerate === 1,
    pid: opt(row.pid),
    startedBy: opt(row.started_by),
    host: opt(row.host),
    error: opt(row.error),
    createdAt: row.created_at,
    startedAt: opt(row.started_at),
    endedAt: opt(row.ended_at),
  });
}

export interface StepRunRow {
  id: number;
  run_id: string;
  step_id: string;
  instance: number;
  status: StepRunStatus;
  cache_key: Nullable<string>;
  cache_components: Nullable<string>;
  reused_from: Nullable<number>;
  reused_run_id: Nullable<string>;
  error: Nullable<string>;
  created_at: number;
  started_at: Nullable<number>;
  ended_at: Nullable<number>;
}

export const STEP_RUN_SELECT = `
SELECT s.*, src.run_id AS reused_run_id
FROM step_runs s LEFT JOIN step_runs src ON src.id = s.reused_from`;

export function toStepRun(row: StepRunRow): StepRun {
  return defined({
    id: row.id,
    runId: row.run_id,
    stepId: row.step_id,
    instance: row.instance,
    status: row.status,
    cacheKey: opt(row.cache_key),
    cacheComponents: row.cache_components == null ? undefined : JSON.parse(row.cache_components),
    reusedFrom:
      row.reused_from == null || row.reused_run_id == null
        ? undefined
        : { runId: row.reused_run_id, stepRunId: row.reused_from },
    error: opt(row.error),
    createdAt: row.created_at,
    startedAt: opt(row.started_at),
    endedAt: opt(row.ended_at),
  });
}

/** "train" or "train[2]", as the orchestrator and the CLI name step instances. */
export function stepLabel(stepId: string, instance: number): string {
  return instance < 0 ? stepId : `${stepId}[${instance}]`;
}

export interface AttemptRow {
  step_run_id: number;
  number: number;
  status: AttemptStatus;
  exit_code: Nullable<number>;
  error: Nullable<string>;
  started_at: number;
  ended_at: Nullable<number>;
  stdout_digest: Nullable<string>;
  stderr_digest: Nullable<string>;
}

export function toAttempt(row: AttemptRow): Attempt {
  return defined({
    stepRunId: row.step_run_id,
    number: row.number,
    status: row.status,
    exitCode: opt(row.exit_code),
    error: opt(row.error),
    startedAt: row.started_at,
    endedAt: opt(row.ended_at),
    stdoutDigest: opt(row.stdout_digest),
    stderrDigest: opt(row.stderr_digest),
  });
}

export interface ArtifactRow {
  digest: string;
  kind: Nullable<ArtifactKind>;
  size: Nullable<number>;
  media_type: Nullable<string>;
  created_at: number;
}

export function toArtifact(row: ArtifactRow): ArtifactInfo {
  return defined({
    digest: row.digest,
    kind: opt(row.kind),
    size: opt(row.size),
    mediaType: opt(row.media_type),
    createdAt: row.created_at,
  });
}

export interface MetricRow {
  step_run_id: number;
  step_id: string;
  instance: number;
  name: string;
  sequence: number;
  kind: "number" | "string";
  number: Nullable<number>;
  text: Nullable<string>;
  at: number;
}

export function toMetric(row: MetricRow): Metric {
  const value = row.kind === "string" ? (row.text ?? "") : (row.number ?? Number(row.text));
  return {
    stepRunId: row.step_run_id,
    stepId: row.step_id,
    instance: row.instance,
    name: row.name,
    value,
    sequence: row.sequence,
    at: row.at,
  };
}

/** The columns a metric value is stored in. */
export function metricColumns(value: number | string): {
  kind: "number" | "string";
  number: number | null;
  text: string | null;
} {
  if (typeof value === "string") return { kind: "string", number: null, text: value };
  return Number.isFinite(value)
    ? { kind: "number", number: value, text: null }
    : { kind: "number", number: null, text: String(value) };
}

export interface CacheEntryRow {
  key: string;
  outputs: string;
  components: string;
  step_run_id: number;
  run_id: string;
  step_id: string;
  instance: number;
  created_at: number;
}

export const CACHE_ENTRY_SELECT = `
SELECT ce.key, ce.outputs, ce.components, ce.step_run_id, ce.created_at, s.run_id, s.step_id, s.instance
FROM cache_entries ce JOIN step_runs s ON s.id = ce.step_run_id
WHERE ce.workspace_id = @workspace`;

export function toCacheEntry(row: CacheEntryRow): CacheEntry {
  return {
    key: row.key,
    outputs: JSON.parse(row.outputs),
    components: JSON.parse(row.components),
    producedBy: {
      runId: row.run_id,
      stepRunId: row.step_run_id,
      stepId: row.step_id,
      instance: row.instance,
    },
    createdAt: row.created_at,
  };
}

export interface LineageRow {
  direction: "input" | "output";
  name: string;
  step_run_id: number;
  step_id: string;
  instance: number;
  status: StepRunStatus;
  run_id: string;
  pipeline: string;
  at: number;
}

export function toLineageEdge(row: LineageRow): LineageEdge {
  return {
    runId: row.run_id,
    pipeline: row.pipeline,
    stepRunId: row.step_run_id,
    stepId: row.step_id,
    instance: row.instance,
    name: row.name,
    status: row.status,
    at: row.at,
  };
}

/** A `run_control` row, in either store (PostgreSQL computes the heartbeat's age itself). */
export interface ControlRow {
  run_id: string;
  driver_host: string | null;
  driver_pid: number | null;
  heartbeat_at: number | null;
  heartbeat_interval_ms: number | null;
  cancel_requested_at: number | null;
  cancel_requested_by: string | null;
  cancel_reason: string | null;
}

export function toCancel(row: ControlRow): CancelRequest | undefined {
  if (row.cancel_requested_at === null) return undefined;
  return {
    at: row.cancel_requested_at,
    ...(row.cancel_requested_by !== null ? { by: row.cancel_requested_by } : {}),
    ...(row.cancel_reason !== null ? { reason: row.cancel_reason } : {}),
  };
}

/** A run's control record; `ageMs` is its heartbeat's age, by whichever clock the store trusts. */
export function toControl(row: ControlRow, ageMs: number): RunControl {
  const cancel = toCancel(row);
  return {
    runId: row.run_id,
    ...(row.heartbeat_at !== null
      ? {
          heartbeat: {
            host: row.driver_host ?? "",
            pid: row.driver_pid ?? 0,
            at: row.heartbeat_at,
            intervalMs: row.heartbeat_interval_ms ?? 0,
            ageMs,
          },
        }
      : {}),
    ...(cancel ? { cancel } : {}),
  };
}

/** A `step_claims` row with how long it has left, in either store. */
export interface ClaimRow {
  run_id: string;
  host: string;
  pid: number;
  claimed_at: number | string;
  expires_in_ms: number | string;
}

export function toClaimHolder(row: ClaimRow): StepClaimHolder {
  return {
    runId: row.run_id,
    host: row.host,
    pid: Number(row.pid),
    claimedAt: Number(row.claimed_at),
    expiresInMs: Math.max(0, Number(row.expires_in_ms)),
  };
}
