import type Database from "better-sqlite3";
import { RunNotFoundError, StepRunNotFoundError, StoreError } from "./errors.js";
import { lastMetricsOf, metricRunsLimit, type RunMetricRow, toRunMetrics } from "./run-metrics.js";
import { entryMakers } from "./sqlite-entry-makers.js";
import {
  type ArtifactRow,
  type AttemptRow,
  CACHE_ENTRY_SELECT,
  type CacheEntryRow,
  collectDigests,
  type LineageRow,
  type MetricRow,
  PIPELINE_VERSION_SELECT,
  type PipelineVersionRow,
  RUN_PAGE_SELECT,
  RUN_SELECT,
  type RunRow,
  STEP_RUN_SELECT,
  type StepRunRow,
  stepLabel,
  toArtifact,
  toAttempt,
  toCacheEntry,
  toLineageEdge,
  toMetric,
  toPipelineVersion,
  toRun,
  toStepRun,
} from "./sqlite-rows.js";
import type {
  ArtifactInfo,
  Attempt,
  CacheEntry,
  CacheEntryFilter,
  ExperimentInfo,
  Lineage,
  LogChunk,
  LogPage,
  Metric,
  MetricFilter,
  PipelineInfo,
  PipelineVersion,
  Run,
  RunFilter,
  RunMetrics,
  RunMetricsFilter,
  StepRun,
  StoredValue,
  StoreReferences,
} from "./types.js";

/**
 * Below this many runs, a pipeline's page is read by sorting its runs rather than by walking every
 * run newest first until the page is full: ~1 ms either way at this size (2,000 runs sorted, or a
 * walk that meets one of the pipeline's runs at least every 50 at 100,000 runs).
 */
const FEW_RUNS = 2000;
// Keys bound in one read of cache entries (SQLite binds at most 32,766 parameters a statement).
const KEYS_PER_READ = 500;

/** The read side of the SQLite store: plain SELECTs. */
export class SqliteReads {
  protected constructor(
    protected readonly db: Database.Database,
    readonly workspace: string,
    protected readonly workspaceId: number,
    protected readonly location: string,
    /** Shared by the store handle and its units: they use the same connection. */
    protected readonly statements: Map<string, Database.Statement>,
  ) {}

  /**
   * Runs a read. A store handle waits while a unit is open on its connection, so that what it
   * reads is committed; a unit's handle reads at once, its own writes included.
   */
  protected read<T>(fn: () => T): T | Promise<T> {
    return fn();
  }

  /** Prepared once per connection: preparing is most of the cost of a small statement. */
  protected stmt(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  protected runById(id: string): Run {
    const row = this.stmt(`${RUN_SELECT} AND r.id = @id`).get({ workspace: this.workspaceId, id }) as
      | RunRow
      | undefined;
    if (!row) throw new RunNotFoundError(id, this.location);
    return toRun(row);
  }

  /** Throws RunNotFoundError unless the run is in this workspace: a check, without reading it. */
  protected requireRun(id: string): void {
    const found = this.stmt(
      `SELECT 1 FROM runs r JOIN pipeline_versions pv ON pv.id = r.pipeline_version_id
       JOIN pipelines p ON p.id = pv.pipeline_id WHERE r.id = ? AND p.workspace_id = ?`,
    ).get(id, this.workspaceId);
    if (!found) throw new RunNotFoundError(id, this.location);
  }

  /** Throws StepRunNotFoundError unless the step run is in this workspace. */
  protected requireStepRun(id: number): void {
    const found = this.stmt(
      `SELECT 1 FROM step_runs s JOIN runs r ON r.id = s.run_id JOIN pipeline_versions pv ON pv.id = r.pipeline_version_id
       JOIN pipelines p ON p.id = pv.pipeline_id WHERE s.id = ? AND p.workspace_id = ?`,
    ).get(id, this.workspaceId);
    if (!found) throw new StepRunNotFoundError(undefined, `#${id}`, this.location);
  }

  /** Throws StepRunNotFoundError for the first of `ids` that is not a step run in this workspace. */
  protected requireStepRuns(ids: number[]): void {
    const found = new Set(
      (
        this.stmt(
          `SELECT s.id FROM json_each(?) j JOIN step_runs s ON s.id = j.value JOIN runs r ON r.id = s.run_id
           JOIN pipeline_versions pv ON pv.id = r.pipeline_version_id JOIN pipelines p ON p.id = pv.pipeline_id
           WHERE p.workspace_id = ?`,
        ).all(JSON.stringify(ids), this.workspaceId) as Array<{ id: number }>
      ).map((row) => row.id),
    );
    const missing = ids.find((id) => !found.has(id));
    if (missing !== undefined) throw new StepRunNotFoundError(undefined, `#${missing}`, this.location);
  }

  protected stepRunById(id: number): StepRun {
    const row = this.stmt(
      `${STEP_RUN_SELECT} JOIN runs r ON r.id = s.run_id JOIN pipeline_versions pv ON pv.id = r.pipeline_version_id
       JOIN pipelines p ON p.id = pv.pipeline_id WHERE s.id = ? AND p.workspace_id = ?`,
    ).get(id, this.workspaceId) as StepRunRow | undefined;
    if (!row) throw new StepRunNotFoundError(undefined, `#${id}`, this.location);
    return toStepRun(row);
  }

  protected versionNotFound(id: number): StoreError {
    return new StoreError(
      "CANAL_STORE_PIPELINE_VERSION_NOT_FOUND",
      `no pipeline version #${id} in workspace ${this.location}; register it with registerPipelineVersion first`,
    );
  }

  async getPipelineVersion(id: number): Promise<PipelineVersion> {
    return this.read(() => {
      const row = this.stmt(`${PIPELINE_VERSION_SELECT} AND pv.id = @id`).get({
        workspace: this.workspaceId,
        id,
      }) as PipelineVersionRow | undefined;
      if (!row) throw this.versionNotFound(id);
      return toPipelineVersion(row);
    });
  }

  async listPipelines(): Promise<PipelineInfo[]> {
    return this.read(() => {
      const rows = this.stmt(
        `SELECT p.name, p.created_at, count(pv.id) AS versions,
           (SELECT hash FROM pipeline_versions WHERE pipeline_id = p.id ORDER BY version DESC LIMIT 1) AS latest_hash
         FROM pipelines p LEFT JOIN pipeline_versions pv ON pv.pipeline_id = p.id
         WHERE p.workspace_id = ? GROUP BY p.id ORDER BY p.name`,
      ).all(this.workspaceId) as Array<{
        name: string;
        created_at: number;
        versions: number;
        latest_hash: string | null;
      }>;
      return rows.map((row) => {
        const info: PipelineInfo = { name: row.name, createdAt: row.created_at, versions: row.versions };
        if (row.latest_hash !== null) info.latestHash = row.latest_hash;
        return info;
      });
    });
  }

  async listPipelineVersions(pipeline: string): Promise<PipelineVersion[]> {
    return this.read(() => {
      const rows = this.stmt(`${PIPELINE_VERSION_SELECT} AND p.name = @pipeline ORDER BY pv.version`).all({
        workspace: this.workspaceId,
        pipeline,
      }) as PipelineVersionRow[];
      return rows.map(toPipelineVersion);
    });
  }

  async getRun(id: string): Promise<Run> {
    return this.read(() => this.runById(id));
  }

  async listRuns(filter: RunFilter = {}): Promise<Run[]> {
    return this.read(() => {
      const statuses = filter.status === undefined ? [] : ([] as string[]).concat(filter.status);
      const clauses = [
        filter.pipeline === undefined ? "" : "AND p.name = @pipeline",
        filter.experiment === undefined ? "" : "AND coalesce(r.experiment, p.name) = @experiment",
        filter.startedBy === undefined ? "" : "AND r.started_by = @startedBy",
        filter.host === undefined ? "" : "AND r.host = @host",
        // One status is read along `runs_by_status`, already in order; several along the time
        // index (`+` keeps SQLite from reading each status's runs there and sorting them all).
        statuses.length === 0
          ? ""
          : statuses.length === 1
            ? "AND r.status = @status0"
            : `AND +r.status IN (${statuses.map((_, i) => `@status${i}`).join(", ")})`,
        filter.before === undefined ? "" : "AND (r.created_at, r.id) < (@beforeAt, @beforeId)",
      ];
      const params: Record<string, unknown> = { workspace: this.workspaceId, limit: filter.limit ?? 100 };
      if (filter.pipeline !== undefined) params.pipeline = filter.pipeline;
      if (filter.experiment !== undefined) params.experiment = filter.experiment;
      if (filter.startedBy !== undefined) params.startedBy = filter.startedBy;
      if (filter.host !== undefined) params.host = filter.host;
      if (filter.before !== undefined) {
        params.beforeAt = filter.before.createdAt;
        params.beforeId = filter.before.id;
      }
      statuses.forEach((status, i) => {
        params[`status${i}`] = status;
      });
      const select = filter.pipeline !== undefined && this.fewRunsOf(params) ? RUN_SELECT : RUN_PAGE_SELECT;
      // Ties on the millisecond fall back to the id, which starts with the same time: a stable order.
      const rows = this.stmt(
        `${select} ${clauses.join(" ")} ORDER BY r.created_at DESC, r.id DESC LIMIT @limit`,
      ).all(params) as RunRow[];
      return rows.map(toRun);
    });
  }

  /**
   * Whether the pipeline `params.pipeline` has fewer than FEW_RUNS runs (older than the keyset):
   * then its runs are read through `runs_by_version` and sorted (RUN_SELECT's plan), instead of
   * walking the time index past every other pipeline's runs to fill the page (RUN_PAGE_SELECT's).
   * Counted in the index alone, and at most FEW_RUNS of them: well under a millisecond.
   */
  private fewRunsOf(params: Record<string, unknown>): boolean {
    const { n } = this.stmt(
      `SELECT count(*) AS n FROM (SELECT 1 FROM runs r WHERE r.pipeline_version_id IN
         (SELECT pv.id FROM pipeline_versions pv JOIN pipelines p ON p.id = pv.pipeline_id
          WHERE p.workspace_id = @workspace AND p.name = @pipeline)
       ${params.beforeAt === undefined ? "" : "AND r.created_at <= @beforeAt"} LIMIT ${FEW_RUNS})`,
    ).get(params) as { n: number };
    return n < FEW_RUNS;
  }

  async listExperiments(): Promise<ExperimentInfo[]> {
    return this.read(() => {
      const rows = this.stmt(
        `SELECT coalesce(r.experiment, p.name) AS name, count(*) AS runs, max(r.created_at) AS last_run_at
         FROM runs r JOIN pipeline_versions pv ON pv.id = r.pipeline_version_id JOIN pipelines p ON p.id = pv.pipeline_id
         WHERE p.workspace_id = ? GROUP BY 1 ORDER BY last_run_at DESC, name`,
      ).all(this.workspaceId) as Array<{ name: string; runs: number; last_run_at: number }>;
      return rows.map((row) => ({ name: row.name, runs: row.runs, lastRunAt: row.last_run_at }));
    });
  }

  async getStepRun(runId: string, stepId: string, instance = -1): Promise<StepRun> {
    return this.read(() => {
      this.runById(runId);
      const row = this.stmt(`${STEP_RUN_SELECT} WHERE s.run_id = ? AND s.step_id = ? AND s.instance = ?`).get(
        runId,
        stepId,
        instance,
      ) as StepRunRow | undefined;
      if (!row) throw new StepRunNotFoundError(runId, stepLabel(stepId, instance), this.location);
      return toStepRun(row);
    });
  }

  async listStepRuns(runId: string): Promise<StepRun[]> {
    return this.read(() => {
      this.runById(runId);
      const rows = this.stmt(`${STEP_RUN_SELECT} WHERE s.run_id = ? ORDER BY s.id`).all(
        runId,
      ) as StepRunRow[];
      return rows.map(toStepRun);
    });
  }

  async listAttempts(stepRunId: number): Promise<Attempt[]> {
    return this.read(() => {
      this.stepRunById(stepRunId);
      const rows = this.stmt("SELECT * FROM attempts WHERE step_run_id = ? ORDER BY number").all(
        stepRunId,
      ) as AttemptRow[];
      return rows.map(toAttempt);
    });
  }

  async readLog(stepRunId: number, attempt: number, from = 0, limit = 1000): Promise<LogPage> {
    return this.read(() => {
      const chunks = this.stmt(
        `SELECT seq, stream, text, at FROM log_chunks WHERE step_run_id = ? AND attempt = ? AND seq >= ?
         ORDER BY seq LIMIT ?`,
      ).all(stepRunId, attempt, from, limit) as LogChunk[];
      const last = chunks.at(-1);
      return { chunks, next: last ? last.seq + 1 : from };
    });
  }

  async readRunLog(runId: string, from = 0, limit = 1000): Promise<LogPage> {
    return this.read(() => {
      this.requireRun(runId);
      const chunks = this.stmt(
        "SELECT seq, stream, text, at FROM run_logs WHERE run_id = ? AND seq >= ? ORDER BY seq LIMIT ?",
      ).all(runId, from, limit) as LogChunk[];
      const last = chunks.at(-1);
      return { chunks, next: last ? last.seq + 1 : from };
    });
  }

  async getMetrics(filter: MetricFilter): Promise<Metric[]> {
    return this.read(() => {
      const rows = this.stmt(
        `SELECT m.*, s.step_id, s.instance FROM metrics m
         JOIN step_runs s ON s.id = m.step_run_id JOIN runs r ON r.id = s.run_id
         JOIN pipeline_versions pv ON pv.id = r.pipeline_version_id JOIN pipelines p ON p.id = pv.pipeline_id
         WHERE p.workspace_id = @workspace AND (@runId IS NULL OR s.run_id = @runId)
           AND (@stepRunId IS NULL OR m.step_run_id = @stepRunId) AND (@name IS NULL OR m.name = @name)
         ORDER BY m.step_run_id, m.name, m.sequence`,
      ).all({
        workspace: this.workspaceId,
        runId: filter.runId ?? null,
        stepRunId: filter.stepRunId ?? null,
        name: filter.name ?? null,
      }) as MetricRow[];
      return rows.map(toMetric);
    });
  }

  async lastMetrics(filter: RunMetricsFilter): Promise<RunMetrics[]> {
    const limit = metricRunsLimit(filter);
    return this.read(() => {
      // The runs first (a pipeline's newest along the time index, as a page of listRuns walks
      // it; named ones by id), then each one's metrics at their highest sequence, read along the
      // metrics' primary key: one statement, whatever the number of runs.
      const picked =
        filter.pipeline !== undefined
          ? `${RUN_PAGE_SELECT} AND p.name = @pipeline ORDER BY r.created_at DESC, r.id DESC LIMIT @limit`
          : `${RUN_SELECT} AND r.id IN (SELECT value FROM json_each(@ids))`;
      const rows = this.stmt(
        `WITH RECURSIVE picked AS (${picked}),
         ${lastMetricsOf("@stepId", "@name")}
         ORDER BY picked.created_at DESC, picked.id DESC, s.step_id, s.instance, m.name`,
      ).all({
        workspace: this.workspaceId,
        ...(filter.pipeline !== undefined
          ? { pipeline: filter.pipeline, limit }
          : { ids: JSON.stringify(filter.runIds ?? []) }),
        name: filter.name ?? null,
        stepId: filter.stepId ?? null,
      }) as RunMetricRow[];
      return toRunMetrics(rows);
    });
  }

  async getInputs(stepRunId: number): Promise<Record<string, StoredValue>> {
    return this.read(() => this.values("step_inputs", stepRunId));
  }

  async getOutputs(stepRunId: number): Promise<Record<string, StoredValue>> {
    return this.read(() => this.values("step_outputs", stepRunId));
  }

  private values(table: "step_inputs" | "step_outputs", stepRunId: number): Record<string, StoredValue> {
    this.stepRunById(stepRunId);
    const rows = this.stmt(`SELECT name, value FROM ${table} WHERE step_run_id = ? ORDER BY name`).all(
      stepRunId,
    ) as Array<{ name: string; value: string }>;
    return Object.fromEntries(rows.map((row) => [row.name, JSON.parse(row.value) as StoredValue]));
  }

  async getArtifact(digest: string): Promise<ArtifactInfo | undefined> {
    return this.read(() => {
      const row = this.stmt("SELECT * FROM artifacts WHERE digest = ?").get(digest) as
        | ArtifactRow
        | undefined;
      return row ? toArtifact(row) : undefined;
    });
  }

  async lineage(digest: string): Promise<Lineage> {
    return this.read(() => {
      const rows = this.stmt(
        `SELECT u.direction, u.name, s.id AS step_run_id, s.step_id, s.instance, s.status, s.run_id,
           p.name AS pipeline, coalesce(s.ended_at, s.started_at, s.created_at) AS at
         FROM artifact_uses u JOIN step_runs s ON s.id = u.step_run_id JOIN runs r ON r.id = s.run_id
         JOIN pipeline_versions pv ON pv.id = r.pipeline_version_id JOIN pipelines p ON p.id = pv.pipeline_id
         WHERE substr(u.digest, 1, 8) = substr(?, 1, 8) AND u.digest = ? AND p.workspace_id = ?
         ORDER BY at, s.id, u.name`,
      ).all(digest, digest, this.workspaceId) as LineageRow[];
      const lineage: Lineage = {
        producedBy: rows.filter((r) => r.direction === "output").map(toLineageEdge),
        consumedBy: rows.filter((r) => r.direction === "input").map(toLineageEdge),
      };
      const artifact = this.stmt("SELECT * FROM artifacts WHERE digest = ?").get(digest) as
        | ArtifactRow
        | undefined;
      if (artifact) lineage.artifact = toArtifact(artifact);
      return lineage;
    });
  }

  async getCachedOutputs(key: string): Promise<Record<string, StoredValue> | undefined> {
    return this.read(() => {
      const row = this.stmt("SELECT outputs FROM cache_entries WHERE workspace_id = ? AND key = ?").get(
        this.workspaceId,
        key,
      ) as { outputs: string } | undefined;
      return row ? (JSON.parse(row.outputs) as Record<string, StoredValue>) : undefined;
    });
  }

  async getCachedOutputsMany(keys: string[]): Promise<Map<string, Record<string, StoredValue>>> {
    return this.read(() => {
      const found = new Map<string, Record<string, StoredValue>>();
      const unique = [...new Set(keys)];
      for (let i = 0; i < unique.length; i += KEYS_PER_READ) {
        const some = unique.slice(i, i + KEYS_PER_READ);
        // Kept prepared, one statement for each number of keys: a run's probes read a few keys
        // at a time, and preparing the statement cost more than running it.
        const rows = this.stmt(
          `SELECT key, outputs, step_run_id FROM cache_entries WHERE workspace_id = ? AND key IN (${some.map(() => "?").join(", ")})`,
        ).all(this.workspaceId, ...some) as { key: string; outputs: string; step_run_id: number }[];
        for (const row of rows) found.set(row.key, JSON.parse(row.outputs) as Record<string, StoredValue>);
        // A cached step run recorded from these names the entry's maker without reading it again.
        entryMakers(this.db).remember(rows);
      }
      return found;
    });
  }

  async getCachedOutputsOfLastRun(runId: string): Promise<Map<string, Record<string, StoredValue>>> {
    // The newest ended run of each version of the pipeline, the first row of `runs_ended_by_version`
    // for it, then the newest of those: not every run of the pipeline read and sorted, nor the
    // runs of other pipelines walked newest first.
    return this.read(() => {
      const rows = this.stmt(
        `SELECT ce.key, ce.outputs, ce.step_run_id FROM cache_entries ce
         WHERE ce.workspace_id = @workspace AND ce.key IN (
           SELECT s.cache_key FROM step_runs s WHERE s.cache_key IS NOT NULL AND s.run_id = (
             SELECT r.id FROM runs r WHERE r.id IN (
               SELECT (SELECT r.id FROM runs r WHERE r.pipeline_version_id = pv.id AND r.id <> @runId
                   AND r.status IN ('succeeded', 'failed', 'canceled')
                 ORDER BY r.created_at DESC, r.id DESC LIMIT 1)
               FROM pipeline_versions pv WHERE pv.pipeline_id = (
                 SELECT pv.pipeline_id FROM runs r JOIN pipeline_versions pv ON pv.id = r.pipeline_version_id
                 JOIN pipelines p ON p.id = pv.pipeline_id WHERE r.id = @runId AND p.workspace_id = @workspace))
             ORDER BY r.created_at DESC, r.id DESC LIMIT 1))`,
      ).all({ workspace: this.workspaceId, runId }) as {
        key: string;
        outputs: string;
        step_run_id: number;
      }[];
      entryMakers(this.db).remember(rows);
      return new Map(rows.map((row) => [row.key, JSON.parse(row.outputs) as Record<string, StoredValue>]));
    });
  }

  async getCacheEntry(key: string): Promise<CacheEntry | undefined> {
    return this.read(() => {
      const row = this.stmt(`${CACHE_ENTRY_SELECT} AND ce.key = @key`).get({
        workspace: this.workspaceId,
        key,
      }) as CacheEntryRow | undefined;
      return row ? toCacheEntry(row) : undefined;
    });
  }

  async workspacesWithCacheEntry(key: string, options: { before?: number } = {}): Promise<string[]> {
    return this.read(() => {
      // Across workspaces: the key is the first column of the table's primary key (migration 16),
      // so this reads the few entries under the key (`canal why` asks it once per step that missed).
      const rows = this.stmt(
        `SELECT w.name FROM cache_entries ce JOIN workspaces w ON w.id = ce.workspace_id
         WHERE ce.key = @key AND ce.workspace_id <> @workspace AND (@before IS NULL OR ce.created_at < @before)
         ORDER BY w.name`,
      ).all({ workspace: this.workspaceId, key, before: options.before ?? null }) as { name: string }[];
      return rows.map((row) => row.name);
    });
  }

  async lastCacheEntryForStep(
    pipeline: string,
    stepId: string,
    options: { instance?: number; before?: number } = {},
  ): Promise<CacheEntry | undefined> {
    return this.read(() => {
      const row = this.stmt(
        `${CACHE_ENTRY_SELECT} AND s.step_id = @stepId AND s.status <> 'cached' AND (@instance IS NULL OR s.instance = @instance)
           AND (@before IS NULL OR ce.created_at < @before)
           AND EXISTS (SELECT 1 FROM runs r JOIN pipeline_versions pv ON pv.id = r.pipeline_version_id
             JOIN pipelines p ON p.id = pv.pipeline_id WHERE r.id = s.run_id AND p.name = @pipeline)
         ORDER BY ce.created_at DESC, ce.rowid DESC LIMIT 1`,
      ).get({
        workspace: this.workspaceId,
        pipeline,
        stepId,
        instance: options.instance ?? null,
        before: options.before ?? null,
      }) as CacheEntryRow | undefined;
      return row ? toCacheEntry(row) : undefined;
    });
  }

  async listCacheEntries(filter: CacheEntryFilter = {}): Promise<CacheEntry[]> {
    return this.read(() => {
      const prefix = filter.keyPrefix?.toLowerCase();
      if (prefix !== undefined && !/^[0-9a-f]{6,64}$/.test(prefix)) {
        throw new StoreError(
          "CANAL_STORE_INVALID_RECORD",
          `\`${filter.keyPrefix}\` is not a cache key: give a key or its first 6 or more hex characters, as \`canal cache ls\` shows them`,
        );
      }
      if (filter.runId !== undefined) this.requireRun(filter.runId);
      // Only the filters given are in the statement, so that each is what SQLite finds the entries
      // by: the cache key leads the primary key (migration 16), not the workspace, so a statement
      // that may drop every filter reads every workspace's entries. A step's entries come from
      // `step_runs_by_step`; a run's by key; a key prefix is a range of keys: those that start with
      // "ab12" run from it up to "ab13", by bytes (the prefix is ASCII).
      const params: Record<string, string | number> = { workspace: this.workspaceId };
      const where: string[] = [];
      if (filter.stepId !== undefined) {
        where.push("s.step_id = @stepId");
        params.stepId = filter.stepId;
      }
      if (filter.instance !== undefined) {
        where.push("s.instance = @instance");
        params.instance = filter.instance;
      }
      if (prefix !== undefined) {
        where.push("ce.key >= @prefix AND ce.key < @prefixEnd");
        params.prefix = prefix;
        params.prefixEnd =
          prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
      }
      if (filter.runId !== undefined) {
        where.push("ce.key IN (SELECT cache_key FROM step_runs WHERE run_id = @runId)");
        params.runId = filter.runId;
      }
      const rows = this.stmt(
        `${CACHE_ENTRY_SELECT} AND s.status <> 'cached' ${where.map((condition) => `AND ${condition}`).join(" ")}
         ORDER BY ce.created_at DESC, ce.key`,
      ).all(params) as CacheEntryRow[];
      return rows.map(toCacheEntry);
    });
  }

  async references(): Promise<StoreReferences> {
    return this.read(() => {
      const digests = this.referencedDigests();
      const versions = this.stmt(
        `SELECT hash, artifact_location, artifact_digest, ir,
           (EXISTS (SELECT 1 FROM runs r WHERE r.pipeline_version_id = pv.id)
           OR EXISTS (SELECT 1 FROM endpoint_versions ev WHERE ev.pipeline_version_id = pv.id)) AS has_runs
         FROM pipeline_versions pv`,
      ).all() as Array<{
        hash: string;
        artifact_location: string | null;
        artifact_digest: string | null;
        ir: string;
        has_runs: number;
      }>;
      for (const v of versions) if (v.has_runs === 1 && v.artifact_digest) digests.add(v.artifact_digest);
      return {
        digests: [...digests].sort(),
        pipelineVersions: versions.map((v) => ({
          hash: v.hash,
          ir: v.ir,
          hasRuns: v.has_runs === 1,
          ...(v.artifact_location ? { artifactLocation: v.artifact_location } : {}),
          ...(v.artifact_digest ? { artifactDigest: v.artifact_digest } : {}),
        })),
      };
    });
  }

  /** Every digest a record of the store file names: step inputs and outputs, cache entries, run parameters, logs. */
  protected referencedDigests(): Set<string> {
    const digests = new Set<string>();
    const addValue = (json: string) => collectDigests(JSON.parse(json) as unknown, digests);
    for (const table of ["step_inputs", "step_outputs"]) {
      for (const row of this.stmt(`SELECT value FROM ${table}`).iterate() as Iterable<{ value: string }>)
        addValue(row.value);
    }
    for (const row of this.stmt("SELECT outputs FROM cache_entries").iterate() as Iterable<{
      outputs: string;
    }>)
      addValue(row.outputs);
    for (const row of this.stmt("SELECT parameters FROM runs").iterate() as Iterable<{ parameters: string }>)
      addValue(row.parameters);
    for (const row of this.stmt("SELECT stdout_digest, stderr_digest FROM attempts").iterate() as Iterable<{
      stdout_digest: string | null;
      stderr_digest: string | null;
    }>) {
      if (row.stdout_digest) digests.add(row.stdout_digest);
      if (row.stderr_digest) digests.add(row.stderr_digest);
    }
    return digests;
  }
}
