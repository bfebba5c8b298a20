// The records of one workspace on PostgreSQL: every MetadataTransaction method as SQL on one
// connection. Inside a unit that connection is the unit's pooled client (BEGIN … COMMIT); for the
// store's own reads it is the pool. Writes that number things (versions, log chunks, metric
// sequences) first lock the row they number under, so concurrent writers from any process queue
// there instead of colliding; shared rows (cache entries, artifacts) are first-writer-wins upserts.
import {
  checkDigest,
  checkEntryMaker,
  checkNewStepRun,
  RunNotFoundError,
  StepRunNotFoundError,
  StoreError,
} from "../errors.js";
import { newRunId } from "../ids.js";
import { lastMetricsOf, metricRunsLimit, type RunMetricRow, toRunMetrics } from "../run-metrics.js";
import {
  type ArtifactRow,
  type AttemptRow,
  artifactRefs,
  type CacheEntryRow,
  type ClaimRow,
  collectDigests,
  endValueRows,
  type LineageRow,
  type MetricRow,
  metricColumns,
  type PipelineVersionRow,
  type RunRow,
  type ControlRow as SharedControlRow,
  type StepRunRow,
  stepLabel,
  toArtifact,
  toAttempt,
  toCacheEntry,
  toCancel,
  toClaimHolder,
  toControl,
  toLineageEdge,
  toMetric,
  toPipelineVersion,
  toRun,
  toStepRun,
} from "../sqlite-rows.js";
import type {
  ArtifactInfo,
  Attempt,
  AttemptEnd,
  CacheEntry,
  CacheEntryFilter,
  CancelRequest,
  ExperimentInfo,
  Lineage,
  LogChunk,
  LogPage,
  LogStream,
  MetadataTransaction,
  Metric,
  MetricFilter,
  MetricPoint,
  NewCacheEntry,
  NewCancelRequest,
  NewHeartbeat,
  NewPipelineVersion,
  NewRun,
  NewStepClaim,
  NewStepRun,
  PipelineInfo,
  PipelineVersion,
  Run,
  RunControl,
  RunFilter,
  RunMetrics,
  RunMetricsFilter,
  RunUpdate,
  StepClaimResult,
  StepRun,
  StepRunEnd,
  StepRunEnding,
  StoredValue,
  StoreReferences,
} from "../types.js";
import { type NamedStatement, named, type Queryable, send } from "./query.js";

/** What one unit knows about itself: whether it is still open, and the first query or write that failed. */
export interface PgUnitState {
  open: boolean;
  /** Record failures (a unit's): PostgreSQL aborts the transaction on any failed statement anyway. */
  tracked: boolean;
  /**
   * Send the hot statements by name (`store.preparedStatements`); off for a unit run again after
   * the server refused a cached plan, and behind a pooler in transaction mode.
   */
  prepared: boolean;
  failure?: unknown;
}

/** The channel cancel requests are announced on, with `{ workspace, runId, request }` as payload. */
export const CANCEL_CHANNEL = "canal_cancel";

// The server's clock, in epoch milliseconds.
const SERVER_NOW = "(extract(epoch FROM clock_timestamp()) * 1000)::bigint";

const PIPELINE_VERSION_SELECT = `
SELECT pv.id, p.name AS pipeline, pv.version, pv.hash, pv.ir, pv.artifact_location, pv.artifact_digest,
  pv.created_at
FROM pipeline_versions pv JOIN pipelines p ON p.id = pv.pipeline_id
WHERE p.workspace_id = $1`;

const RUN_SELECT = `
SELECT r.id, r.pipeline_version_id, r.status, r.parameters, r.git_commit, r.git_branch, r.git_dirty, r.runtime,
  r.regenerate, r.pid, r.error, r.created_at, r.started_at, r.ended_at, coalesce(r.experiment, p.name) AS experiment,
  r.started_by, r.host, p.name AS pipeline, pv.version AS pipeline_version, pv.hash AS pipeline_hash
FROM runs r
JOIN pipeline_versions pv ON pv.id = r.pipeline_version_id
JOIN pipelines p ON p.id = pv.pipeline_id
WHERE p.workspace_id = $1`;

const STEP_RUN_SELECT = `
SELECT s.*, src.run_id AS reused_run_id
FROM step_runs s LEFT JOIN step_runs src ON src.id = s.reused_from`;

// A step run joined to its workspace: `$1` is the workspace id.
const IN_WORKSPACE = `JOIN runs r ON r.id = s.run_id JOIN pipeline_versions pv ON pv.id = r.pipeline_version_id
  JOIN pipelines p ON p.id = pv.pipeline_id`;

const CACHE_ENTRY_SELECT = `
SELECT ce.key, ce.outputs, ce.components, ce.step_run_id, ce.created_at, s.run_id, s.step_id, s.instance
FROM cache_entries ce JOIN step_runs s ON s.id = ce.step_run_id
WHERE ce.workspace_id = $1`;

/**
 * The upsert of `artifacts` (merged by digest), its parameters appended to `params`; undefined
 * when there are none. `gate` (a WHERE clause) makes it part of a larger statement. In digest order, so two writers upserting the same artifacts take their
 * row locks alike.
 */
function artifactsInsert(artifacts: ArtifactInfo[], params: unknown[], gate = ""): string | undefined {
  if (artifacts.length === 0) return undefined;
  const merged = new Map<
    string,
    { kind: string | null; size: number | null; media: string | null; at: number }
  >();
  for (const a of artifacts) {
    const digest = checkDigest(a.digest);
    const known = merged.get(digest);
    if (!known) {
      merged.set(digest, {
        kind: a.kind ?? null,
        size: a.size ?? null,
        media: a.mediaType ?? null,
        at: a.createdAt ?? Date.now(),
      });
      continue;
    }
    known.kind ??= a.kind ?? null;
    known.size ??= a.size ?? null;
    known.media ??= a.mediaType ?? null;
  }
  const digests = [...merged.keys()].sort();
  const rows = digests.map((digest) => merged.get(digest) as NonNullable<ReturnType<typeof merged.get>>);
  const first = params.length + 1;
  params.push(
    digests,
    rows.map((r) => r.kind),
    rows.map((r) => r.size),
    rows.map((r) => r.media),
    rows.map((r) => r.at),
  );
  const [d, k, z, m, t] = [0, 1, 2, 3, 4].map((i) => `$${first + i}`);
  return `INSERT INTO artifacts (digest, kind, size, media_type, created_at)
     SELECT * FROM unnest(${d}::text[], ${k}::text[], ${z}::bigint[], ${m}::text[], ${t}::bigint[])${gate} ORDER BY 1
     ON CONFLICT (digest) DO UPDATE SET kind = coalesce(artifacts.kind, excluded.kind),
       size = coalesce(artifacts.size, excluded.size), media_type = coalesce(artifacts.media_type, excluded.media_type)
     WHERE (artifacts.kind IS NULL AND excluded.kind IS NOT NULL)
       OR (artifacts.size IS NULL AND excluded.size IS NOT NULL)
       OR (artifacts.media_type IS NULL AND excluded.media_type IS NOT NULL)`;
}

/**
 * The end of a step run as one statement, its parameters appended to `params`. The step run's
 * UPDATE comes first: it finds the step run only in this workspace and takes its row lock before
 * anything else is written (every other part reads from it, so runs after it, and writes nothing
 * when it found nothing). Then, as parts of the same statement: the attempt's end, the artifacts
 * its values name (in digest order, as artifactsInsert writes them), the values and the artifacts'
 * uses (their references are checked at the statement's end, once the artifacts are in), and the
 * cache entry of a reusable success. The row read back is the step run as it now is, with
 * `attempt_ended`: whether the attempt's UPDATE found the attempt.
 */
function finishStatement(
  workspaceId: number,
  stepRunId: number,
  end: StepRunEnd,
  endedAt: number,
  params: unknown[],
): string {
  const p = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const { values, artifacts: all, uses } = endValueRows([{ ...end, stepRunId }]);
  const ws = p(workspaceId);
  const status = p(end.status);
  const key = p(end.cacheKey ?? null);
  // A cached step run names the one whose outputs it reused: the cache entry's.
  const parts = [
    `u AS (
       UPDATE step_runs s SET status = ${status}, ended_at = ${p(endedAt)}, error = ${p(end.error ?? null)},
         cache_key = coalesce(${key}, s.cache_key),
         cache_components = coalesce(${p(end.components ? JSON.stringify(end.components) : null)}, s.cache_components),
         reused_from = CASE WHEN ${status} = 'cached'
           THEN (SELECT step_run_id FROM cache_entries WHERE workspace_id = ${ws} AND key = ${key}) END
       FROM runs r JOIN pipeline_versions pv ON pv.id = r.pipeline_version_id JOIN pipelines p ON p.id = pv.pipeline_id
       WHERE s.id = ${p(stepRunId)} AND r.id = s.run_id AND p.workspace_id = ${ws}
       RETURNING s.*)`,
  ];
  let attempt = "false";
  if (end.attempt) {
    const a = { endedAt, ...end.attempt };
    parts.push(
      `a AS (
         UPDATE attempts t SET status = ${p(a.status)}, exit_code = ${p(a.exitCode ?? null)}, error = ${p(a.error ?? null)},
           ended_at = ${p(a.endedAt)}, stdout_digest = ${p(a.stdoutDigest ?? null)}, stderr_digest = ${p(a.stderrDigest ?? null)}
         FROM u WHERE t.step_run_id = u.id AND t.number = ${p(a.number)}
         RETURNING 1)`,
    );
    attempt = "EXISTS (SELECT 1 FROM a)";
  }
  const saved = artifactsInsert(all, params, " WHERE EXISTS (SELECT 1 FROM u)");
  if (saved) parts.push(`w AS (${saved})`);
  for (const direction of ["input", "output"] as const) {
    const entries = values[direction];
    if (entries.length === 0) continue;
    const table = direction === "input" ? "step_inputs" : "step_outputs";
    parts.push(
      `${direction}s AS (
         INSERT INTO ${table} (step_run_id, name, value)
         SELECT u.id, v.name, v.value
         FROM u, unnest(${p(entries.map(([, name]) => name))}::text[], ${p(entries.map(([, , json]) => json))}::text[]) AS v(name, value)
         ON CONFLICT (step_run_id, name) DO UPDATE SET value = excluded.value)`,
    );
  }
  if (uses.length > 0)
    parts.push(
      `uses AS (
         INSERT INTO artifact_uses (digest, step_run_id, direction, name)
         SELECT v.digest, u.id, v.direction, v.name
         FROM u, unnest(${p(uses.map(([digest]) => digest))}::text[], ${p(uses.map(([, , direction]) => direction))}::text[], ${p(uses.map(([, , , name]) => name))}::text[]) AS v(digest, direction, name)
         ON CONFLICT DO NOTHING)`,
    );
  if (end.status === "succeeded" && end.reusable && end.cacheKey && end.components && end.outputs) {
    // Its outputs' artifacts are the step run's, saved by the part above.
    parts.push(
      `entry AS (
         INSERT INTO cache_entries (workspace_id, key, outputs, components, step_run_id, created_at)
         SELECT ${ws}, ${key}, ${p(JSON.stringify(end.outputs))}, ${p(JSON.stringify(end.components))}, u.id, ${p(endedAt)}
         FROM u ON CONFLICT (workspace_id, key) ${cacheConflict(Boolean(end.replaceCacheEntry))})`,
    );
  }
  return `WITH ${parts.join(",\n")}
    SELECT u.*, src.run_id AS reused_run_id, ${attempt} AS attempt_ended
    FROM u LEFT JOIN step_runs src ON src.id = u.reused_from`;
}

/** First writer wins, unless `replace`: then the entry becomes the new one. */
function cacheConflict(replace: boolean): string {
  return replace
    ? `DO UPDATE SET outputs = excluded.outputs, components = excluded.components,
         step_run_id = excluded.step_run_id, created_at = excluded.created_at`
    : "DO NOTHING";
}

/** The attempt's start: the step run marked running, its attempt inserted or read back. */
const START_ATTEMPT = named(
  `WITH s AS (
           UPDATE step_runs s SET status = 'running', started_at = coalesce(s.started_at, $3), error = NULL
           FROM runs r JOIN pipeline_versions pv ON pv.id = r.pipeline_version_id JOIN pipelines p ON p.id = pv.pipeline_id
           WHERE s.id = $2 AND r.id = s.run_id AND p.workspace_id = $1
           RETURNING s.id),
         a AS (
           INSERT INTO attempts (step_run_id, number, status, started_at) SELECT id, $4, 'running', $3 FROM s
           ON CONFLICT (step_run_id, number) DO NOTHING
           RETURNING *)
         SELECT * FROM a
         UNION ALL
         SELECT t.* FROM attempts t JOIN s ON t.step_run_id = s.id WHERE t.number = $4 AND NOT EXISTS (SELECT 1 FROM a)`,
);

/** A step's claim: taken when free or expired, else its holder read back (see claimStep). */
const CLAIM = named(
  `WITH taken AS (
           INSERT INTO step_claims (workspace_id, key, run_id, host, pid, ttl_ms, claimed_at, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6, ${SERVER_NOW}, ${SERVER_NOW} + $6)
           ON CONFLICT (workspace_id, key) DO UPDATE SET run_id = excluded.run_id, host = excluded.host,
             pid = excluded.pid, ttl_ms = excluded.ttl_ms, claimed_at = excluded.claimed_at,
             expires_at = excluded.expires_at
           WHERE step_claims.expires_at <= excluded.claimed_at
           RETURNING run_id
         )
         SELECT true AS won, run_id, '' AS host, 0 AS pid, 0 AS claimed_at, 0 AS expires_in_ms FROM taken
         UNION ALL
         SELECT false, run_id, host, pid, claimed_at, expires_at - ${SERVER_NOW} FROM step_claims
         WHERE workspace_id = $1 AND key = $2 AND NOT EXISTS (SELECT 1 FROM taken)`,
);

/** A cache lookup: the outputs a key names. */
const CACHED_OUTPUTS = named("SELECT outputs FROM cache_entries WHERE workspace_id = $1 AND key = $2");

/** A cache lookup of many keys at once. */
const CACHED_OUTPUTS_MANY = named(
  "SELECT key, outputs FROM cache_entries WHERE workspace_id = $1 AND key = ANY($2::text[])",
);

/** A claim's release. */
const RELEASE_CLAIM = named("DELETE FROM step_claims WHERE workspace_id = $1 AND key = $2 AND run_id = $3");

/** The release of a batch's claims. */
const RELEASE_CLAIMS = named(
  "DELETE FROM step_claims WHERE workspace_id = $1 AND key = ANY($2::text[]) AND run_id = $3",
);

/** A cache entry by its key. */
const CACHE_ENTRY_BY_KEY = named(`${CACHE_ENTRY_SELECT} AND ce.key = $2`);

/** A step run by its id, found only in the workspace `$1`; the second takes its row lock. */
const STEP_RUN_BY_ID = named(`${STEP_RUN_SELECT} ${IN_WORKSPACE} WHERE s.id = $2 AND p.workspace_id = $1`);
const STEP_RUN_BY_ID_LOCKED = named(
  `${STEP_RUN_SELECT} ${IN_WORKSPACE} WHERE s.id = $2 AND p.workspace_id = $1 FOR NO KEY UPDATE OF s`,
);

/** A `run_control` row with its heartbeat's age by the server's clock. */
interface ControlRow extends SharedControlRow {
  age_ms: number | null;
}

export class PostgresUnit implements MetadataTransaction {
  constructor(
    private readonly db: Queryable,
    readonly workspace: string,
    private readonly workspaceId: number,
    private readonly location: string,
    private readonly state: PgUnitState,
  ) {}

  private check(): void {
    if (!this.state.open) {
      throw new StoreError(
        "CANAL_STORE_INVALID_RECORD",
        `a unit's handle of workspace ${this.location} was used after its transaction ended; ` +
          "make every call of the unit inside its `transaction(async (tx) => …)` and await it there",
      );
    }
  }

  /** The unit's connection, for the records kept outside MetadataTransaction (datasets). */
  connection(): Queryable {
    this.check();
    return this.db;
  }

  private fail(error: unknown): void {
    if (this.state.tracked) this.state.failure ??= error;
  }

  /** One statement written with `?` placeholders (numbered here): for the records of service-records.ts. */
  sql<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    let n = 0;
    return this.q<T>(
      sql.replace(/\?/g, () => `$${++n}`),
      params,
    );
  }

  private async q<T>(sql: NamedStatement | string, params: unknown[] = []): Promise<T[]> {
    this.check();
    try {
      return (await this.send(sql, params)).rows as T[];
    } catch (error) {
      this.fail(error);
      throw error;
    }
  }

  private async one<T>(sql: NamedStatement | string, params: unknown[] = []): Promise<T | undefined> {
    return (await this.q<T>(sql, params))[0];
  }

  private send(sql: NamedStatement | string, params: unknown[]) {
    // A unit's state is tracked: it is a transaction, which a failed statement aborts.
    return send(this.db, sql, params, { prepared: this.state.prepared, inTransaction: this.state.tracked });
  }

  private async count(sql: NamedStatement | string, params: unknown[] = []): Promise<number> {
    this.check();
    try {
      return (await this.send(sql, params)).rowCount ?? 0;
    } catch (error) {
      this.fail(error);
      throw error;
    }
  }

  /** A write that fails fails the unit, even where the caller catches it. */
  private async write<T>(fn: () => Promise<T>): Promise<T> {
    this.check();
    try {
      return await fn();
    } catch (error) {
      this.fail(error);
      throw error;
    }
  }

  // ---- lookups -------------------------------------------------------------------------------

  private async runById(id: string, lock = false): Promise<Run> {
    const row = await this.one<RunRow>(
      `${RUN_SELECT} AND r.id = $2${lock ? " FOR NO KEY UPDATE OF r" : ""}`,
      [this.workspaceId, id],
    );
    if (!row) throw new RunNotFoundError(id, this.location);
    return toRun(row);
  }

  private async requireRun(id: string, lock = false): Promise<void> {
    const found = await this.one(
      `SELECT 1 FROM runs r JOIN pipeline_versions pv ON pv.id = r.pipeline_version_id
       JOIN pipelines p ON p.id = pv.pipeline_id WHERE r.id = $2 AND p.workspace_id = $1${lock ? " FOR NO KEY UPDATE OF r" : ""}`,
      [this.workspaceId, id],
    );
    if (!found) throw new RunNotFoundError(id, this.location);
  }

  private async stepRunById(id: number, lock = false): Promise<StepRun> {
    const row = await this.one<StepRunRow>(lock ? STEP_RUN_BY_ID_LOCKED : STEP_RUN_BY_ID, [
      this.workspaceId,
      id,
    ]);
    if (!row) throw new StepRunNotFoundError(undefined, `#${id}`, this.location);
    return toStepRun(row);
  }

  private versionNotFound(id: number): StoreError {
    return new StoreError(
      "CANAL_STORE_PIPELINE_VERSION_NOT_FOUND",
      `no pipeline version #${id} in workspace ${this.location}; register it with registerPipelineVersion first`,
    );
  }

  private async attemptNotStarted(stepRunId: number, number: number): Promise<StoreError> {
    const stepRun = await this.stepRunById(stepRunId);
    return new StoreError(
      "CANAL_STORE_INVALID_RECORD",
      `attempt ${number} of step \`${stepLabel(stepRun.stepId, stepRun.instance)}\` in run \`${stepRun.runId}\` ` +
        "was never started; record it with startAttempt first",
    );
  }

  // ---- pipelines -----------------------------------------------------------------------------

  registerPipelineVersion(version: NewPipelineVersion): Promise<PipelineVersion> {
    return this.write(async () => {
      const at = version.createdAt ?? Date.now();
      await this.q(
        "INSERT INTO pipelines (workspace_id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        [this.workspaceId, version.pipeline, at],
      );
      // Versions are numbered under the pipeline's row lock: one writer at a time, from any process.
      const pipeline = (await this.one<{ id: number }>(
        "SELECT id FROM pipelines WHERE workspace_id = $1 AND name = $2 FOR UPDATE",
        [this.workspaceId, version.pipeline],
      )) as { id: number };
      const select = `${PIPELINE_VERSION_SELECT} AND pv.pipeline_id = $2 AND pv.hash = $3`;
      const key = [this.workspaceId, pipeline.id, version.hash];
      const known = await this.one<PipelineVersionRow>(select, key);
      if (known && (!version.artifactDigest || known.artifact_digest === version.artifactDigest))
        return toPipelineVersion(known);
      if (known) {
        await this.q("UPDATE pipeline_versions SET artifact_digest = $1 WHERE id = $2", [
          checkDigest(version.artifactDigest as string),
          known.id,
        ]);
      } else {
        await this.q(
          `INSERT INTO pipeline_versions (pipeline_id, version, hash, ir, artifact_location, artifact_digest, created_at)
           SELECT $1, coalesce(max(version), 0) + 1, $2, $3, $4, $5, $6 FROM pipeline_versions WHERE pipeline_id = $1`,
          [
            pipeline.id,
            version.hash,
            typeof version.ir === "function" ? version.ir() : version.ir,
            version.artifactLocation ?? null,
            version.artifactDigest === undefined ? null : checkDigest(version.artifactDigest),
            at,
          ],
        );
      }
      return toPipelineVersion((await this.one<PipelineVersionRow>(select, key)) as PipelineVersionRow);
    });
  }

  async getPipelineVersion(id: number): Promise<PipelineVersion> {
    const row = await this.one<PipelineVersionRow>(`${PIPELINE_VERSION_SELECT} AND pv.id = $2`, [
      this.workspaceId,
      id,
    ]);
    if (!row) throw this.versionNotFound(id);
    return toPipelineVersion(row);
  }

  async listPipelines(): Promise<PipelineInfo[]> {
    const rows = await this.q<{
      name: string;
      created_at: number;
      versions: number;
      latest_hash: string | null;
    }>(
      `SELECT p.name, p.created_at, count(pv.id) AS versions,
         (SELECT hash FROM pipeline_versions WHERE pipeline_id = p.id ORDER BY version DESC LIMIT 1) AS latest_hash
       FROM pipelines p LEFT JOIN pipeline_versions pv ON pv.pipeline_id = p.id
       WHERE p.workspace_id = $1 GROUP BY p.id ORDER BY p.name`,
      [this.workspaceId],
    );
    return rows.map((row) => ({
      name: row.name,
      createdAt: row.created_at,
      versions: row.versions,
      ...(row.latest_hash !== null ? { latestHash: row.latest_hash } : {}),
    }));
  }

  async listPipelineVersions(pipeline: string): Promise<PipelineVersion[]> {
    const rows = await this.q<PipelineVersionRow>(
      `${PIPELINE_VERSION_SELECT} AND p.name = $2 ORDER BY pv.version`,
      [this.workspaceId, pipeline],
    );
    return rows.map(toPipelineVersion);
  }

  // ---- runs ----------------------------------------------------------------------------------

  createRun(run: NewRun): Promise<Run> {
    const createdAt = run.createdAt ?? Date.now();
    return this.write(async () => {
      const version = await this.one(`${PIPELINE_VERSION_SELECT} AND pv.id = $2`, [
        this.workspaceId,
        run.pipelineVersionId,
      ]);
      if (!version) throw this.versionNotFound(run.pipelineVersionId);
      const values = [
        run.pipelineVersionId,
        run.status ?? "queued",
        JSON.stringify(run.parameters ?? {}),
        run.git?.commit ?? null,
        run.git?.branch ?? null,
        run.git?.dirty === undefined ? null : run.git.dirty ? 1 : 0,
        run.runtime,
        run.regenerate ? 1 : 0,
        run.pid ?? null,
        createdAt,
        run.startedAt ?? null,
        run.experiment ?? null,
        run.startedBy ?? null,
        run.host ?? null,
      ];
      // A generated id collides only when two runs start in the same second and draw the same
      // suffix (on any machine): the first writer keeps it, the other draws again.
      for (let tries = 0; tries < 16; tries++) {
        const id = run.id ?? newRunId(createdAt);
        const inserted = await this.count(
          `INSERT INTO runs (id, pipeline_version_id, status, parameters, git_commit, git_branch, git_dirty, runtime,
             regenerate, pid, created_at, started_at, experiment, started_by, host)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, coalesce($13, (SELECT p.name FROM pipeline_versions pv
             JOIN pipelines p ON p.id = pv.pipeline_id WHERE pv.id = $2)), $14, $15)
           ON CONFLICT (id) DO NOTHING`,
          [id, ...values],
        );
        if (inserted === 1) return this.runById(id);
        if (run.id) break;
      }
      throw new StoreError(
        "CANAL_STORE_INVALID_RECORD",
        `run id \`${run.id ?? "(generated)"}\` is already taken in workspace ${this.location}; use a new id`,
      );
    });
  }

  updateRun(id: string, update: RunUpdate): Promise<Run> {
    return this.write(async () => {
      const run = await this.runById(id, true);
      await this.q(
        "UPDATE runs SET status = $2, started_at = $3, ended_at = $4, error = $5, pid = $6 WHERE id = $1",
        [
          id,
          update.status ?? run.status,
          update.startedAt ?? run.startedAt ?? null,
          update.endedAt ?? run.endedAt ?? null,
          update.error ?? run.error ?? null,
          update.pid ?? run.pid ?? null,
        ],
      );
      return this.runById(id);
    });
  }

  getRun(id: string): Promise<Run> {
    return this.runById(id);
  }

  async listRuns(filter: RunFilter = {}): Promise<Run[]> {
    const statuses = filter.status === undefined ? [] : ([] as string[]).concat(filter.status);
    const params: unknown[] = [this.workspaceId];
    const clauses: string[] = [];
    if (filter.pipeline !== undefined) {
      params.push(filter.pipeline);
      clauses.push(`AND p.name = $${params.length}`);
    }
    if (filter.experiment !== undefined) {
      params.push(filter.experiment);
      clauses.push(`AND coalesce(r.experiment, p.name) = $${params.length}`);
    }
    if (filter.startedBy !== undefined) {
      params.push(filter.startedBy);
      clauses.push(`AND r.started_by = $${params.length}`);
    }
    if (filter.host !== undefined) {
      params.push(filter.host);
      clauses.push(`AND r.host = $${params.length}`);
    }
    if (statuses.length > 0) {
      params.push(statuses);
      clauses.push(`AND r.status = ANY($${params.length}::text[])`);
    }
    if (filter.before !== undefined) {
      params.push(filter.before.createdAt, filter.before.id);
      const at = params.length - 1;
      clauses.push(`AND (r.created_at, r.id) < ($${at}, $${at + 1})`);
    }
    params.push(filter.limit ?? 100);
    // Ties on the millisecond fall back to the id, which starts with the same time: a stable order.
    const rows = await this.q<RunRow>(
      `${RUN_SELECT} ${clauses.join(" ")} ORDER BY r.created_at DESC, r.id DESC LIMIT $${params.length}`,
      params,
    );
    return rows.map(toRun);
  }

  async listExperiments(): Promise<ExperimentInfo[]> {
    const rows = await this.q<{ name: string; runs: number; last_run_at: number }>(
      `SELECT coalesce(r.experiment, p.name) AS name, count(*) AS runs, max(r.created_at) AS last_run_at
       FROM runs r JOIN pipeline_versions pv ON pv.id = r.pipeline_version_id JOIN pipelines p ON p.id = pv.pipeline_id
       WHERE p.workspace_id = $1 GROUP BY 1 ORDER BY last_run_at DESC, name`,
      [this.workspaceId],
    );
    return rows.map((row) => ({ name: row.name, runs: row.runs, lastRunAt: row.last_run_at }));
  }

  // ---- step runs and attempts ----------------------------------------------------------------

  createStepRun(stepRun: NewStepRun): Promise<StepRun> {
    checkNewStepRun(stepRun);
    const instance = stepRun.instance ?? -1;
    if (stepRun.status === "cached") {
      return this.write(async () => {
        await this.createStepRuns([stepRun]);
        return this.getStepRun(stepRun.runId, stepRun.stepId, instance);
      });
    }
    return this.write(async () => {
      // One round trip when the run is there and the step run is new; a run of another
      // workspace (or none) inserts nothing and is told apart below.
      const created = await this.one<Omit<StepRunRow, "reused_run_id">>(
        `INSERT INTO step_runs (run_id, step_id, instance, status, error, created_at, ended_at)
         SELECT $1::text, $2::text, $3::integer, $4::text, $5::text, $6::bigint, $7::bigint WHERE EXISTS (
           SELECT 1 FROM runs r JOIN pipeline_versions pv ON pv.id = r.pipeline_version_id
           JOIN pipelines p ON p.id = pv.pipeline_id WHERE r.id = $1 AND p.workspace_id = $8)
         ON CONFLICT (run_id, step_id, instance) DO NOTHING RETURNING *`,
        [
          stepRun.runId,
          stepRun.stepId,
          instance,
          stepRun.status ?? "queued",
          stepRun.error ?? null,
          stepRun.createdAt ?? Date.now(),
          stepRun.endedAt ?? null,
          this.workspaceId,
        ],
      );
      if (created) return toStepRun({ ...created, reused_run_id: null });
      await this.requireRun(stepRun.runId);
      const row = await this.one<StepRunRow>(
        `${STEP_RUN_SELECT} WHERE s.run_id = $1 AND s.step_id = $2 AND s.instance = $3`,
        [stepRun.runId, stepRun.stepId, instance],
      );
      return toStepRun(row as StepRunRow);
    });
  }

  createStepRuns(stepRuns: NewStepRun[]): Promise<number[]> {
    try {
      for (const stepRun of stepRuns) checkNewStepRun(stepRun);
    } catch (error) {
      return Promise.reject(error);
    }
    if (stepRuns.length === 0) return Promise.resolve([]);
    return this.write(async () => {
      for (const runId of new Set(stepRuns.map((s) => s.runId))) await this.requireRun(runId);
      const key = (s: NewStepRun) => JSON.stringify([s.runId, s.stepId, s.instance ?? -1]);
      // The first of a step run named twice is the one made, as when made in turn.
      const byKey = new Map<string, NewStepRun>();
      for (const s of stepRuns) if (!byKey.has(key(s))) byKey.set(key(s), s);
      const unique = [...byKey.values()];
      const now = Date.now();
      // One statement for all: those that are new are inserted (a cached one in its end state,
      // naming the step run of the entry it reused), those that were there are read.
      const rows = await this.q<{ n: number; id: number; made: boolean }>(
        `WITH given AS (
           SELECT * FROM unnest($1::text[], $2::text[], $3::integer[], $4::text[], $5::text[], $6::bigint[], $7::bigint[],
             $8::text[]) WITH ORDINALITY AS g(run_id, step_id, instance, status, error, created_at, ended_at, cache_key, n)),
         made AS (
           INSERT INTO step_runs (run_id, step_id, instance, status, error, created_at, ended_at, cache_key, reused_from)
           SELECT run_id, step_id, instance, status, error, created_at, ended_at, cache_key,
             CASE WHEN status = 'cached'
               THEN (SELECT step_run_id FROM cache_entries c WHERE c.workspace_id = $9 AND c.key = given.cache_key) END
           FROM given ORDER BY n
           ON CONFLICT (run_id, step_id, instance) DO NOTHING RETURNING id, run_id, step_id, instance)
         SELECT g.n, coalesce(m.id, s.id) AS id, m.id IS NOT NULL AS made FROM given g
           LEFT JOIN made m ON m.run_id = g.run_id AND m.step_id = g.step_id AND m.instance = g.instance
           LEFT JOIN step_runs s ON s.run_id = g.run_id AND s.step_id = g.step_id AND s.instance = g.instance`,
        [
          unique.map((s) => s.runId),
          unique.map((s) => s.stepId),
          unique.map((s) => s.instance ?? -1),
          unique.map((s) => s.status ?? "queued"),
          unique.map((s) => s.error ?? null),
          unique.map((s) => s.createdAt ?? now),
          unique.map((s) => s.endedAt ?? (s.status === "cached" ? now : null)),
          unique.map((s) => s.cacheKey ?? null),
          this.workspaceId,
        ],
      );
      // Only a step run made here takes the values given with it: one that was there is left as it is.
      await this.saveEndValues(
        rows
          .filter((row) => row.made && unique[row.n - 1]?.status === "cached")
          .map((row) => {
            const s = unique[row.n - 1] as NewStepRun;
            return { stepRunId: row.id, inputs: s.inputs, outputs: s.outputs };
          }),
      );
      const ids = new Map(rows.map((row) => [key(unique[row.n - 1] as NewStepRun), row.id]));
      return stepRuns.map((s) => ids.get(key(s)) as number);
    });
  }

  async getStepRun(runId: string, stepId: string, instance = -1): Promise<StepRun> {
    await this.runById(runId);
    const row = await this.one<StepRunRow>(
      `${STEP_RUN_SELECT} WHERE s.run_id = $1 AND s.step_id = $2 AND s.instance = $3`,
      [runId, stepId, instance],
    );
    if (!row) throw new StepRunNotFoundError(runId, stepLabel(stepId, instance), this.location);
    return toStepRun(row);
  }

  async listStepRuns(runId: string): Promise<StepRun[]> {
    await this.runById(runId);
    const rows = await this.q<StepRunRow>(`${STEP_RUN_SELECT} WHERE s.run_id = $1 ORDER BY s.id`, [runId]);
    return rows.map(toStepRun);
  }

  startAttempt(stepRunId: number, number: number, startedAt: number = Date.now()): Promise<Attempt> {
    return this.write(async () => {
      // One round trip: the step run is marked running (its UPDATE takes the row lock, and finds it
      // only in this workspace), its attempt inserted unless already there, and the attempt read
      // back as it now stands, the inserted row or the one that was there.
      const row = await this.one<AttemptRow>(START_ATTEMPT, [this.workspaceId, stepRunId, startedAt, number]);
      if (row) return toAttempt(row);
      // Nothing read back: the step run is not in this workspace (this names it so), or another
      // connection inserted the attempt while this statement waited for the step run's lock, after
      // the statement's snapshot was taken; a new statement sees it.
      await this.stepRunById(stepRunId);
      const there = await this.one<AttemptRow>(
        "SELECT * FROM attempts WHERE step_run_id = $1 AND number = $2",
        [stepRunId, number],
      );
      if (there) return toAttempt(there);
      throw await this.attemptNotStarted(stepRunId, number);
    });
  }

  private async endAttempt(stepRunId: number, end: AttemptEnd): Promise<Attempt> {
    const row = await this.one<AttemptRow>(
      `UPDATE attempts SET status = $3, exit_code = $4, error = $5, ended_at = $6, stdout_digest = $7, stderr_digest = $8
       WHERE step_run_id = $1 AND number = $2
       RETURNING *`,
      [
        stepRunId,
        end.number,
        end.status,
        end.exitCode ?? null,
        end.error ?? null,
        end.endedAt ?? Date.now(),
        end.stdoutDigest ?? null,
        end.stderrDigest ?? null,
      ],
    );
    if (!row) throw await this.attemptNotStarted(stepRunId, end.number);
    return toAttempt(row);
  }

  finishAttempt(stepRunId: number, end: AttemptEnd): Promise<Attempt> {
    return this.write(async () => {
      await this.stepRunById(stepRunId);
      return this.endAttempt(stepRunId, end);
    });
  }

  async listAttempts(stepRunId: number): Promise<Attempt[]> {
    await this.stepRunById(stepRunId);
    const rows = await this.q<AttemptRow>("SELECT * FROM attempts WHERE step_run_id = $1 ORDER BY number", [
      stepRunId,
    ]);
    return rows.map(toAttempt);
  }

  finishStepRun(stepRunId: number, end: StepRunEnd): Promise<StepRun> {
    if (end.status === "cached" && !end.cacheKey) {
      return Promise.reject(
        new StoreError(
          "CANAL_STORE_INVALID_RECORD",
          `step run ${stepRunId} is recorded as cached without the cache key it was found under; pass \`cacheKey\``,
        ),
      );
    }
    return this.write(async () => {
      const endedAt = end.endedAt ?? Date.now();
      let sql: string;
      const params: unknown[] = [];
      try {
        sql = finishStatement(this.workspaceId, stepRunId, end, endedAt, params);
      } catch (error) {
        // A digest that is not one: named after what a lookup would have said first, as when
        // each part was its own statement.
        await this.stepRunById(stepRunId);
        if (end.attempt && !(await this.attemptExists(stepRunId, end.attempt.number)))
          throw await this.attemptNotStarted(stepRunId, end.attempt.number);
        throw error;
      }
      // One text per combination of the parts an end has: a small fixed family, so named.
      const row = await this.one<StepRunRow & { attempt_ended: boolean }>(named(sql), params);
      if (!row) throw new StepRunNotFoundError(undefined, `#${stepRunId}`, this.location);
      // The attempt's UPDATE sees the statement's snapshot, taken before the step run's lock was
      // granted: an attempt that another connection started meanwhile is found by a new statement
      // (which names it never started when it is not there either).
      if (end.attempt && !row.attempt_ended) await this.endAttempt(stepRunId, { endedAt, ...end.attempt });
      // Numbered under the step run's row lock, which the statement above took.
      if (end.metrics) await this.saveMetrics(stepRunId, end.metrics, endedAt);
      const { attempt_ended: _, ...stepRun } = row;
      return toStepRun(stepRun);
    });
  }

  private async attemptExists(stepRunId: number, number: number): Promise<boolean> {
    return (
      (await this.one("SELECT 1 FROM attempts WHERE step_run_id = $1 AND number = $2", [
        stepRunId,
        number,
      ])) !== undefined
    );
  }

  finishStepRuns(ends: StepRunEnding[]): Promise<void> {
    const uncached = ends.find((end) => end.status === "cached" && !end.cacheKey);
    if (uncached) return this.finishStepRun(uncached.stepRunId, uncached).then(() => undefined);
    if (ends.length === 0) return Promise.resolve();
    return this.write(async () => {
      const ids = ends.map((end) => end.stepRunId);
      const found = new Set(
        (
          await this.q<{ id: number }>(
            `SELECT s.id FROM step_runs s ${IN_WORKSPACE} WHERE s.id = ANY($2::bigint[]) AND p.workspace_id = $1
             ORDER BY s.id FOR NO KEY UPDATE OF s`,
            [this.workspaceId, ids],
          )
        ).map((row) => row.id),
      );
      const missing = ids.find((id) => !found.has(id));
      if (missing !== undefined) throw new StepRunNotFoundError(undefined, `#${missing}`, this.location);
      // The ends the cache answered, with nothing but their values: a few statements for all of
      // them. Any other end is written as finishStepRun writes it, in order.
      const plain = (end: StepRunEnding) =>
        end.status === "cached" &&
        !end.attempt &&
        !end.components &&
        !end.metrics?.length &&
        !end.artifacts?.length;
      if (!ends.every(plain)) {
        for (const end of ends) await this.finishStepRun(end.stepRunId, end);
        return;
      }
      await this.saveEndValues(ends);
      const now = Date.now();
      await this.q(
        `UPDATE step_runs s SET status = 'cached', ended_at = e.ended_at, error = e.error, cache_key = e.cache_key,
           reused_from = (SELECT step_run_id FROM cache_entries WHERE workspace_id = $5 AND key = e.cache_key)
         FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[]) AS e(id, ended_at, error, cache_key)
         WHERE s.id = e.id`,
        [
          ids,
          ends.map((end) => end.endedAt ?? now),
          ends.map((end) => end.error ?? null),
          ends.map((end) => end.cacheKey),
          this.workspaceId,
        ],
      );
    });
  }

  /**
   * The values of plain cached ends (no artifact list of their own) and the artifacts and uses
   * they name, a few statements for all of them.
   */
  private async saveEndValues(
    ends: Array<Pick<StepRunEnding, "stepRunId" | "inputs" | "outputs">>,
  ): Promise<void> {
    const { values: rows, artifacts, uses: useRows } = endValueRows(ends);
    // As columns, for unnest.
    const columns = <T extends unknown[]>(list: T[], width: number) =>
      Array.from({ length: width }, (_, i) => list.map((row) => row[i]));
    const values = { input: columns(rows.input, 3), output: columns(rows.output, 3) };
    const uses = columns(useRows, 4);
    await this.saveArtifacts(artifacts);
    for (const direction of ["input", "output"] as const) {
      if (values[direction][0]?.length === 0) continue;
      await this.q(
        `INSERT INTO ${direction === "input" ? "step_inputs" : "step_outputs"} (step_run_id, name, value)
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[])
         ON CONFLICT (step_run_id, name) DO UPDATE SET value = excluded.value`,
        values[direction],
      );
    }
    if (uses[0]?.length)
      await this.q(
        `INSERT INTO artifact_uses (digest, step_run_id, direction, name)
         SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[]) ON CONFLICT DO NOTHING`,
        uses,
      );
  }

  // ---- logs ----------------------------------------------------------------------------------

  appendLog(
    stepRunId: number,
    attempt: number,
    stream: LogStream,
    text: string,
    at: number = Date.now(),
  ): Promise<number> {
    return this.write(async () => {
      // The attempt's row lock numbers its chunks: concurrent appenders queue, never collide.
      const exists = await this.one(
        "SELECT 1 FROM attempts WHERE step_run_id = $1 AND number = $2 FOR NO KEY UPDATE",
        [stepRunId, attempt],
      );
      if (!exists) throw await this.attemptNotStarted(stepRunId, attempt);
      const row = await this.one<{ seq: number }>(
        `INSERT INTO log_chunks (step_run_id, attempt, seq, stream, text, at)
         SELECT $1, $2, coalesce(max(seq), -1) + 1, $3, $4, $5 FROM log_chunks WHERE step_run_id = $1 AND attempt = $2
         RETURNING seq`,
        [stepRunId, attempt, stream, text, at],
      );
      return (row as { seq: number }).seq;
    });
  }

  async readLog(stepRunId: number, attempt: number, from = 0, limit = 1000): Promise<LogPage> {
    const chunks = await this.q<LogChunk>(
      `SELECT seq, stream, text, at FROM log_chunks WHERE step_run_id = $1 AND attempt = $2 AND seq >= $3
       ORDER BY seq LIMIT $4`,
      [stepRunId, attempt, from, limit],
    );
    const last = chunks.at(-1);
    return { chunks, next: last ? last.seq + 1 : from };
  }

  appendRunLog(runId: string, stream: LogStream, text: string, at: number = Date.now()): Promise<number> {
    return this.write(async () => {
      await this.requireRun(runId, true);
      const row = await this.one<{ seq: number }>(
        `INSERT INTO run_logs (run_id, seq, stream, text, at)
         SELECT $1, coalesce(max(seq), -1) + 1, $2, $3, $4 FROM run_logs WHERE run_id = $1 RETURNING seq`,
        [runId, stream, text, at],
      );
      return (row as { seq: number }).seq;
    });
  }

  async readRunLog(runId: string, from = 0, limit = 1000): Promise<LogPage> {
    await this.requireRun(runId);
    const chunks = await this.q<LogChunk>(
      "SELECT seq, stream, text, at FROM run_logs WHERE run_id = $1 AND seq >= $2 ORDER BY seq LIMIT $3",
      [runId, from, limit],
    );
    const last = chunks.at(-1);
    return { chunks, next: last ? last.seq + 1 : from };
  }

  // ---- metrics, values, artifacts ------------------------------------------------------------

  private async saveMetrics(stepRunId: number, points: MetricPoint[], at: number): Promise<void> {
    for (const point of points) {
      const columns = metricColumns(point.value);
      const values = [point.name, columns.kind, columns.number, columns.text, point.at ?? at];
      if (point.sequence === undefined) {
        // Numbered under the step run's row lock, taken by the caller.
        await this.q(
          `INSERT INTO metrics (step_run_id, name, sequence, kind, number, text, at)
           SELECT $1, $2, coalesce(max(sequence), -1) + 1, $3, $4, $5, $6 FROM metrics WHERE step_run_id = $1 AND name = $2`,
          [stepRunId, ...values],
        );
      } else {
        await this.q(
          `INSERT INTO metrics (step_run_id, name, sequence, kind, number, text, at) VALUES ($1, $2, $7, $3, $4, $5, $6)
           ON CONFLICT (step_run_id, name, sequence) DO UPDATE SET kind = excluded.kind, number = excluded.number,
             text = excluded.text, at = excluded.at`,
          [stepRunId, ...values, point.sequence],
        );
      }
    }
  }

  logMetrics(stepRunId: number, points: MetricPoint[]): Promise<void> {
    return this.write(async () => {
      await this.stepRunById(stepRunId, true);
      await this.saveMetrics(stepRunId, points, Date.now());
    });
  }

  async getMetrics(filter: MetricFilter): Promise<Metric[]> {
    const rows = await this.q<MetricRow>(
      `SELECT m.*, s.step_id, s.instance FROM metrics m
       JOIN step_runs s ON s.id = m.step_run_id ${IN_WORKSPACE}
       WHERE p.workspace_id = $1 AND ($2::text IS NULL OR s.run_id = $2)
         AND ($3::bigint IS NULL OR m.step_run_id = $3) AND ($4::text IS NULL OR m.name = $4)
       ORDER BY m.step_run_id, m.name, m.sequence`,
      [this.workspaceId, filter.runId ?? null, filter.stepRunId ?? null, filter.name ?? null],
    );
    return rows.map(toMetric);
  }

  async lastMetrics(filter: RunMetricsFilter): Promise<RunMetrics[]> {
    const limit = metricRunsLimit(filter);
    // The runs first (a pipeline's newest, or the named ones), then each one's metrics at their
    // highest sequence, read along the metrics' primary key: one statement, whatever the number of runs.
    const params: unknown[] = [this.workspaceId, filter.name ?? null, filter.stepId ?? null];
    let picked: string;
    if (filter.pipeline !== undefined) {
      params.push(filter.pipeline, limit);
      picked = `${RUN_SELECT} AND p.name = $4 ORDER BY r.created_at DESC, r.id DESC LIMIT $5`;
    } else {
      params.push(filter.runIds ?? []);
      picked = `${RUN_SELECT} AND r.id = ANY($4::text[])`;
    }
    const rows = await this.q<RunMetricRow>(
      `WITH RECURSIVE picked AS (${picked}),
       ${lastMetricsOf("$3::text", "$2::text")}
       ORDER BY picked.created_at DESC, picked.id DESC, s.step_id COLLATE "C", s.instance, m.name COLLATE "C"`,
      params,
    );
    return toRunMetrics(rows);
  }

  private async values(
    table: "step_inputs" | "step_outputs",
    stepRunId: number,
  ): Promise<Record<string, StoredValue>> {
    await this.stepRunById(stepRunId);
    const rows = await this.q<{ name: string; value: string }>(
      `SELECT name, value FROM ${table} WHERE step_run_id = $1 ORDER BY name`,
      [stepRunId],
    );
    return Object.fromEntries(rows.map((row) => [row.name, JSON.parse(row.value) as StoredValue]));
  }

  getInputs(stepRunId: number): Promise<Record<string, StoredValue>> {
    return this.values("step_inputs", stepRunId);
  }

  getOutputs(stepRunId: number): Promise<Record<string, StoredValue>> {
    return this.values("step_outputs", stepRunId);
  }

  /**
   * Upserts artifacts in one statement. What one call knows of a digest is merged first (each
   * field's first known value, as upserting them one by one would keep), and what the table holds
   * is kept: a field is only filled where it was unknown.
   */
  private async saveArtifacts(artifacts: ArtifactInfo[]): Promise<void> {
    const params: unknown[] = [];
    const sql = artifactsInsert(artifacts, params);
    if (sql) await this.q(sql, params);
  }

  recordArtifacts(artifacts: ArtifactInfo[]): Promise<void> {
    return this.write(() => this.saveArtifacts(artifacts));
  }

  async getArtifact(digest: string): Promise<ArtifactInfo | undefined> {
    const row = await this.one<ArtifactRow>("SELECT * FROM artifacts WHERE digest = $1", [digest]);
    return row ? toArtifact(row) : undefined;
  }

  async lineage(digest: string): Promise<Lineage> {
    const rows = await this.q<LineageRow>(
      `SELECT u.direction, u.name, s.id AS step_run_id, s.step_id, s.instance, s.status, s.run_id,
         p.name AS pipeline, coalesce(s.ended_at, s.started_at, s.created_at) AS at
       FROM artifact_uses u JOIN step_runs s ON s.id = u.step_run_id ${IN_WORKSPACE}
       WHERE u.digest = $2 AND p.workspace_id = $1 ORDER BY at, s.id, u.name`,
      [this.workspaceId, digest],
    );
    const lineage: Lineage = {
      producedBy: rows.filter((r) => r.direction === "output").map(toLineageEdge),
      consumedBy: rows.filter((r) => r.direction === "input").map(toLineageEdge),
    };
    const artifact = await this.getArtifact(digest);
    if (artifact) lineage.artifact = artifact;
    return lineage;
  }

  // ---- the cache -----------------------------------------------------------------------------

  /** First writer wins (ON CONFLICT). */
  private async insertCacheEntry(entry: NewCacheEntry): Promise<boolean> {
    await this.saveArtifacts(Object.values(entry.outputs).flatMap(artifactRefs));
    const inserted = await this.count(
      `INSERT INTO cache_entries (workspace_id, key, outputs, components, step_run_id, created_at)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (workspace_id, key) DO NOTHING`,
      [
        this.workspaceId,
        entry.key,
        JSON.stringify(entry.outputs),
        JSON.stringify(entry.components),
        entry.stepRunId,
        entry.createdAt ?? Date.now(),
      ],
    );
    return inserted === 1;
  }

  putCacheEntry(entry: NewCacheEntry): Promise<boolean> {
    return this.write(async () => {
      checkEntryMaker(await this.stepRunById(entry.stepRunId));
      return this.insertCacheEntry(entry);
    });
  }

  async getCacheEntry(key: string): Promise<CacheEntry | undefined> {
    const row = await this.one<CacheEntryRow>(CACHE_ENTRY_BY_KEY, [this.workspaceId, key]);
    return row ? toCacheEntry(row) : undefined;
  }

  async getCachedOutputs(key: string): Promise<Record<string, StoredValue> | undefined> {
    const row = await this.one<{ outputs: string }>(CACHED_OUTPUTS, [this.workspaceId, key]);
    return row ? (JSON.parse(row.outputs) as Record<string, StoredValue>) : undefined;
  }

  async getCachedOutputsMany(keys: string[]): Promise<Map<string, Record<string, StoredValue>>> {
    const found = new Map<string, Record<string, StoredValue>>();
    if (keys.length === 0) return found;
    const rows = await this.q<{ key: string; outputs: string }>(CACHED_OUTPUTS_MANY, [
      this.workspaceId,
      [...new Set(keys)],
    ]);
    for (const row of rows) found.set(row.key, JSON.parse(row.outputs) as Record<string, StoredValue>);
    return found;
  }

  async getCachedOutputsOfLastRun(runId: string): Promise<Map<string, Record<string, StoredValue>>> {
    // As on SQLite: the newest ended run of each version from `runs_ended_by_version`, then the newest.
    const rows = await this.q<{ key: string; outputs: string }>(
      `SELECT ce.key, ce.outputs FROM cache_entries ce
       WHERE ce.workspace_id = $1 AND ce.key IN (
         SELECT s.cache_key FROM step_runs s WHERE s.cache_key IS NOT NULL AND s.run_id = (
           SELECT r.id FROM runs r WHERE r.id IN (
             SELECT (SELECT r.id FROM runs r WHERE r.pipeline_version_id = pv.id AND r.id <> $2
                 AND r.status IN ('succeeded', 'failed', 'canceled')
               ORDER BY r.created_at DESC, r.id DESC LIMIT 1)
             FROM pipeline_versions pv WHERE pv.pipeline_id = (
               SELECT pv.pipeline_id FROM runs r JOIN pipeline_versions pv ON pv.id = r.pipeline_version_id
               JOIN pipelines p ON p.id = pv.pipeline_id WHERE r.id = $2 AND p.workspace_id = $1))
           ORDER BY r.created_at DESC, r.id DESC LIMIT 1))`,
      [this.workspaceId, runId],
    );
    return new Map(rows.map((row) => [row.key, JSON.parse(row.outputs) as Record<string, StoredValue>]));
  }

  deleteCacheEntry(key: string): Promise<boolean> {
    return this.write(
      async () =>
        (await this.count("DELETE FROM cache_entries WHERE workspace_id = $1 AND key = $2", [
          this.workspaceId,
          key,
        ])) > 0,
    );
  }

  async listCacheEntries(filter: CacheEntryFilter = {}): Promise<CacheEntry[]> {
    const prefix = filter.keyPrefix?.toLowerCase();
    if (prefix !== undefined && !/^[0-9a-f]{6,64}$/.test(prefix)) {
      throw new StoreError(
        "CANAL_STORE_INVALID_RECORD",
        `\`${filter.keyPrefix}\` is not a cache key: give a key or its first 6 or more hex characters, as \`canal cache ls\` shows them`,
      );
    }
    if (filter.runId !== undefined) await this.requireRun(filter.runId);
    const rows = await this.q<CacheEntryRow>(
      `${CACHE_ENTRY_SELECT} AND s.status <> 'cached' AND ($2::text IS NULL OR s.step_id = $2)
         AND ($3::integer IS NULL OR s.instance = $3)
         AND ($4::text IS NULL OR substr(ce.key, 1, length($4)) = $4)
         AND ($5::text IS NULL OR ce.key IN (SELECT cache_key FROM step_runs WHERE run_id = $5))
       ORDER BY ce.created_at DESC, ce.key`,
      [
        this.workspaceId,
        filter.stepId ?? null,
        filter.instance ?? null,
        prefix ?? null,
        filter.runId ?? null,
      ],
    );
    return rows.map(toCacheEntry);
  }

  async workspacesWithCacheEntry(key: string, options: { before?: number } = {}): Promise<string[]> {
    // Across workspaces: the key leads the table's primary key (migration 12), so this is an index lookup.
    const rows = await this.q<{ name: string }>(
      `SELECT w.name FROM cache_entries ce JOIN workspaces w ON w.id = ce.workspace_id
       WHERE ce.key = $2 AND ce.workspace_id <> $1 AND ($3::bigint IS NULL OR ce.created_at < $3)
       ORDER BY w.name COLLATE "C"`,
      [this.workspaceId, key, options.before ?? null],
    );
    return rows.map((row) => row.name);
  }

  async lastCacheEntryForStep(
    pipeline: string,
    stepId: string,
    options: { instance?: number; before?: number } = {},
  ): Promise<CacheEntry | undefined> {
    const row = await this.one<CacheEntryRow>(
      `${CACHE_ENTRY_SELECT} AND s.step_id = $3 AND s.status <> 'cached' AND ($4::integer IS NULL OR s.instance = $4)
         AND ($5::bigint IS NULL OR ce.created_at < $5)
         AND EXISTS (SELECT 1 FROM runs r JOIN pipeline_versions pv ON pv.id = r.pipeline_version_id
           JOIN pipelines p ON p.id = pv.pipeline_id WHERE r.id = s.run_id AND p.name = $2)
       ORDER BY ce.created_at DESC, ce.seq DESC LIMIT 1`,
      [this.workspaceId, pipeline, stepId, options.instance ?? null, options.before ?? null],
    );
    return row ? toCacheEntry(row) : undefined;
  }

  // ---- forgetting, and what gc must keep -----------------------------------------------------

  deleteRuns(ids: string[]): Promise<string[]> {
    return this.write(async () => {
      const deleted: string[] = [];
      for (const id of ids) {
        const found = await this.one<{ status: string }>(`${RUN_SELECT} AND r.id = $2 FOR UPDATE OF r`, [
          this.workspaceId,
          id,
        ]);
        if (!found || found.status === "running" || found.status === "queued") continue;
        await this.q(
          "DELETE FROM cache_entries WHERE step_run_id IN (SELECT id FROM step_runs WHERE run_id = $1)",
          [id],
        );
        await this.q(
          "DELETE FROM log_chunks WHERE step_run_id IN (SELECT id FROM step_runs WHERE run_id = $1)",
          [id],
        );
        await this.q("DELETE FROM runs WHERE id = $1", [id]);
        deleted.push(id);
      }
      // Artifact rows that nothing names any more: their sizes and kinds describe nothing kept.
      if (deleted.length > 0) {
        const named = await this.referencedDigests();
        const rows = await this.q<{ digest: string }>("SELECT digest FROM artifacts");
        const gone = rows.map((r) => r.digest).filter((digest) => !named.has(digest));
        if (gone.length > 0) {
          await this.q(
            `DELETE FROM artifacts a WHERE a.digest = ANY($1::text[])
               AND NOT EXISTS (SELECT 1 FROM artifact_uses u WHERE u.digest = a.digest)`,
            [gone],
          );
        }
      }
      return deleted;
    });
  }

  async references(): Promise<StoreReferences> {
    const digests = await this.referencedDigests();
    const versions = await this.q<{
      hash: string;
      artifact_location: string | null;
      artifact_digest: string | null;
      ir: string;
      has_runs: boolean;
    }>(
      `SELECT hash, artifact_location, artifact_digest, ir,
         (EXISTS (SELECT 1 FROM runs r WHERE r.pipeline_version_id = pv.id)
           OR EXISTS (SELECT 1 FROM endpoint_versions ev WHERE ev.pipeline_version_id = pv.id)) AS has_runs
       FROM pipeline_versions pv`,
    );
    for (const v of versions) if (v.has_runs && v.artifact_digest) digests.add(v.artifact_digest);
    return {
      digests: [...digests].sort(),
      pipelineVersions: versions.map((v) => ({
        hash: v.hash,
        ir: v.ir,
        hasRuns: v.has_runs,
        ...(v.artifact_location ? { artifactLocation: v.artifact_location } : {}),
        ...(v.artifact_digest ? { artifactDigest: v.artifact_digest } : {}),
      })),
    };
  }

  /** Every digest a record names: step inputs and outputs, cache entries, run parameters, logs. */
  private async referencedDigests(): Promise<Set<string>> {
    const digests = new Set<string>();
    const rows = await this.q<{ value: string }>(
      `SELECT value FROM step_inputs UNION ALL SELECT value FROM step_outputs
       UNION ALL SELECT outputs FROM cache_entries UNION ALL SELECT parameters FROM runs`,
    );
    for (const row of rows) collectDigests(JSON.parse(row.value) as unknown, digests);
    const logs = await this.q<{ digest: string }>(
      `SELECT stdout_digest AS digest FROM attempts WHERE stdout_digest IS NOT NULL
       UNION SELECT stderr_digest FROM attempts WHERE stderr_digest IS NOT NULL`,
    );
    for (const row of logs) digests.add(row.digest);
    return digests;
  }

  // ---- run control ---------------------------------------------------------------------------

  /** Part of a unit: the heartbeat's time is also kept by the server's clock, for `ageMs`. */
  async saveHeartbeat(runId: string, beat: NewHeartbeat): Promise<void> {
    return this.write(async () => {
      await this.requireRun(runId);
      const at = beat.at ?? Date.now();
      await this.q(
        `INSERT INTO run_control (run_id, driver_host, driver_pid, heartbeat_at, heartbeat_server_at, heartbeat_interval_ms)
         VALUES ($1, $2, $3, $4, ${SERVER_NOW} - $5::bigint, $6)
         ON CONFLICT (run_id) DO UPDATE SET driver_host = excluded.driver_host, driver_pid = excluded.driver_pid,
           heartbeat_at = excluded.heartbeat_at, heartbeat_server_at = excluded.heartbeat_server_at,
           heartbeat_interval_ms = excluded.heartbeat_interval_ms`,
        [runId, beat.host, beat.pid, at, Math.max(0, Date.now() - at), beat.intervalMs],
      );
      // The driver is alive: so are the claims of the steps it executes.
      await this.q(`UPDATE step_claims SET expires_at = ${SERVER_NOW} + ttl_ms WHERE run_id = $1`, [runId]);
    });
  }

  /**
   * One statement, safe under concurrent writers: the INSERT takes a free key; on a conflict it
   * takes the key only when the claim there expired (PostgreSQL locks the row and judges the
   * WHERE on its newest version, so two drivers taking over one expired claim cannot both win).
   * When it did not win, the same statement reads the holder. That read sees the statement's
   * snapshot, which misses a claim made by a writer that committed after the statement began:
   * then the statement found neither, and it is made again.
   */
  async claimStep(key: string, claim: NewStepClaim): Promise<StepClaimResult> {
    for (let round = 1; ; round++) {
      const rows = await this.q<ClaimRow & { won: boolean }>(CLAIM, [
        this.workspaceId,
        key,
        claim.runId,
        claim.host,
        claim.pid,
        Math.max(1, Math.round(claim.ttlMs)),
      ]);
      const row = rows[0];
      if (!row && round < 10) continue;
      if (!row)
        throw new StoreError(
          "CANAL_STORE_INVALID_RECORD",
          `the claim on cache key ${key} in workspace ${this.location} changed hands on every one of 10 tries; claim it again`,
        );
      return row.won ? { won: true } : { won: false, holder: toClaimHolder(row) };
    }
  }

  async releaseStep(key: string, runId: string): Promise<boolean> {
    return this.write(async () => (await this.count(RELEASE_CLAIM, [this.workspaceId, key, runId])) > 0);
  }

  async releaseSteps(keys: string[], runId: string): Promise<number> {
    if (keys.length === 0) return 0;
    return this.write(() => this.count(RELEASE_CLAIMS, [this.workspaceId, [...new Set(keys)], runId]));
  }

  /**
   * Part of a unit: the first request stays. A new one is announced on CANCEL_CHANNEL, which the
   * server delivers to every listener once the unit commits.
   */
  async saveCancelRequest(runId: string, request: NewCancelRequest): Promise<CancelRequest> {
    return this.write(async () => {
      await this.requireRun(runId, true);
      const before = await this.one<ControlRow>("SELECT * FROM run_control WHERE run_id = $1 FOR UPDATE", [
        runId,
      ]);
      const kept = before ? toCancel(before) : undefined;
      if (kept) return kept;
      const row = await this.one<ControlRow>(
        `INSERT INTO run_control (run_id, cancel_requested_at, cancel_requested_by, cancel_reason)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (run_id) DO UPDATE SET cancel_requested_at = excluded.cancel_requested_at,
           cancel_requested_by = excluded.cancel_requested_by, cancel_reason = excluded.cancel_reason
         RETURNING *`,
        [runId, request.at ?? Date.now(), request.by ?? null, request.reason ?? null],
      );
      const cancel = toCancel(row as ControlRow) as CancelRequest;
      await this.q("SELECT pg_notify($1, $2)", [
        CANCEL_CHANNEL,
        JSON.stringify({ workspace: this.workspaceId, runId, request: cancel }),
      ]);
      return cancel;
    });
  }

  async readRunControl(runIds: string[]): Promise<RunControl[]> {
    if (runIds.length === 0) return [];
    const rows = await this.q<ControlRow>(
      `SELECT c.*, greatest(0, ${SERVER_NOW} - c.heartbeat_server_at) AS age_ms FROM run_control c
       JOIN runs r ON r.id = c.run_id
       JOIN pipeline_versions pv ON pv.id = r.pipeline_version_id
       JOIN pipelines p ON p.id = pv.pipeline_id
       WHERE p.workspace_id = $1 AND c.run_id = ANY($2::text[])`,
      [this.workspaceId, runIds],
    );
    return rows.map((row) => toControl(row, row.age_ms ?? 0));
  }
}
