import type Database from "better-sqlite3";
import { RunNotFoundError, StepRunNotFoundError, StoreError } from "./errors.js";
import {
  type ArtifactRow,
  collectDigests,
  type LineageRow,
  PIPELINE_VERSION_SELECT,
  type PipelineVersionRow,
  RUN_SELECT,
  type RunRow,
  STEP_RUN_SELECT,
  type StepRunRow,
  toArtifact,
  toLineageEdge,
  toPipelineVersion,
  toRun,
  toStepRun,
} from "./sqlite-rows.js";
import type {
  ArtifactInfo,
  Lineage,
  PipelineInfo,
  PipelineVersion,
  Run,
  StepRun,
  StoreReferences,
} from "./types.js";

/**
 * The read side of the SQLite store, plain SELECTs: the connection and the lookups every layer
 * shares, and the reads of pipelines, artifacts and what the store references. Runs and what
 * they record are read in SqliteRunReads, cache entries in SqliteCacheReads.
 */
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
        // Every block of step runs up to the newest, each looked up by the digest's prefix in
        // artifact_uses_by_digest (SQLite migration 18): the expressions are the index's own.
        `WITH RECURSIVE blocks (b) AS (
           SELECT 0 UNION ALL SELECT b + 1 FROM blocks WHERE b < (SELECT max(id) FROM step_runs) >> 10)
         SELECT u.direction, u.name, s.id AS step_run_id, s.step_id, s.instance, s.status, s.run_id,
           p.name AS pipeline, coalesce(s.ended_at, s.started_at, s.created_at) AS at
         FROM artifact_uses u JOIN step_runs s ON s.id = u.step_run_id JOIN runs r ON r.id = s.run_id
         JOIN pipeline_versions pv ON pv.id = r.pipeline_version_id JOIN pipelines p ON p.id = pv.pipeline_id
         WHERE (u.step_run_id >> 10) IN blocks AND substr(u.digest, 1, 8) = substr(?, 1, 8)
           AND u.digest = ? AND p.workspace_id = ?
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
