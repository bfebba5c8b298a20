// A unit's pipelines and runs: versions numbered under the pipeline's row lock, run ids drawn
// again on a collision.
import { checkDigest, StoreError } from "../errors.js";
import { newRunId } from "../ids.js";
import { type PipelineVersionRow, type RunRow, toPipelineVersion, toRun } from "../sqlite-rows.js";
import type {
  ExperimentInfo,
  NewPipelineVersion,
  NewRun,
  PipelineInfo,
  PipelineVersion,
  Run,
  RunFilter,
  RunUpdate,
} from "../types.js";
import { PgUnitBase, PIPELINE_VERSION_SELECT, RUN_SELECT } from "./unit-base.js";

/** Pipelines, their versions, and runs. */
export abstract class PgRuns extends PgUnitBase {
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
}
