// The writes of pipeline versions and runs on the SQLite store: each method is one transaction of
// its own on a store handle, or part of the unit on a unit's handle. Which one is `write`'s business.
// Step runs, their attempts, logs, metrics and cache entries are written in SqliteWrites.
import { checkDigest, StoreError } from "./errors.js";
import { newRunId } from "./ids.js";
import { SqliteControl } from "./sqlite-control.js";
import { entryMakers } from "./sqlite-entry-makers.js";
import {
  PIPELINE_VERSION_SELECT,
  type PipelineVersionRow,
  RUN_SELECT,
  toPipelineVersion,
} from "./sqlite-rows.js";
import type { NewPipelineVersion, NewRun, PipelineVersion, Run, RunUpdate } from "./types.js";

export abstract class SqliteRunWrites extends SqliteControl {
  /** Runs `fn`, whose statements all finish synchronously, as (part of) one write transaction. */
  protected abstract override write<T>(fn: () => T): T | Promise<T>;

  async registerPipelineVersion(version: NewPipelineVersion): Promise<PipelineVersion> {
    return this.write(() => {
      const at = version.createdAt ?? Date.now();
      this.stmt(
        "INSERT INTO pipelines (workspace_id, name, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
      ).run(this.workspaceId, version.pipeline, at);
      const pipeline = this.stmt("SELECT id FROM pipelines WHERE workspace_id = ? AND name = ?").get(
        this.workspaceId,
        version.pipeline,
      ) as { id: number };
      const select = this.stmt(
        `${PIPELINE_VERSION_SELECT} AND pv.pipeline_id = @pipeline AND pv.hash = @hash`,
      );
      const key = { workspace: this.workspaceId, pipeline: pipeline.id, hash: version.hash };
      const known = select.get(key) as PipelineVersionRow | undefined;
      if (known && (!version.artifactDigest || known.artifact_digest === version.artifactDigest))
        return toPipelineVersion(known);
      if (known) {
        this.stmt("UPDATE pipeline_versions SET artifact_digest = ? WHERE id = ?").run(
          checkDigest(version.artifactDigest as string),
          known.id,
        );
        return toPipelineVersion(select.get(key) as PipelineVersionRow);
      }
      this.stmt(
        `INSERT INTO pipeline_versions (pipeline_id, version, hash, ir, artifact_location, artifact_digest, created_at)
         SELECT @pipeline, coalesce(max(version), 0) + 1, @hash, @ir, @location, @digest, @at
         FROM pipeline_versions WHERE pipeline_id = @pipeline
         ON CONFLICT (pipeline_id, hash) DO NOTHING`,
      ).run({
        pipeline: pipeline.id,
        hash: version.hash,
        ir: typeof version.ir === "function" ? version.ir() : version.ir,
        location: version.artifactLocation ?? null,
        digest: version.artifactDigest === undefined ? null : checkDigest(version.artifactDigest),
        at,
      });
      return toPipelineVersion(select.get(key) as PipelineVersionRow);
    });
  }

  async createRun(run: NewRun): Promise<Run> {
    const createdAt = run.createdAt ?? Date.now();
    return this.write(() => {
      const version = this.stmt(`${PIPELINE_VERSION_SELECT} AND pv.id = @id`).get({
        workspace: this.workspaceId,
        id: run.pipelineVersionId,
      });
      if (!version) throw this.versionNotFound(run.pipelineVersionId);
      const insert = this.stmt(
        `INSERT INTO runs (id, pipeline_version_id, status, parameters, git_commit, git_branch, git_dirty, runtime,
           regenerate, pid, started_by, host, created_at, started_at, experiment)
         VALUES (@id, @version, @status, @parameters, @commit, @branch, @dirty, @runtime, @regenerate, @pid,
           @startedBy, @host, @at, @startedAt, coalesce(@experiment, (SELECT p.name FROM pipeline_versions pv
             JOIN pipelines p ON p.id = pv.pipeline_id WHERE pv.id = @version)))
         ON CONFLICT (id) DO NOTHING`,
      );
      const values = {
        version: run.pipelineVersionId,
        status: run.status ?? "queued",
        parameters: JSON.stringify(run.parameters ?? {}),
        commit: run.git?.commit ?? null,
        branch: run.git?.branch ?? null,
        dirty: run.git?.dirty === undefined ? null : run.git.dirty ? 1 : 0,
        runtime: run.runtime,
        regenerate: run.regenerate ? 1 : 0,
        pid: run.pid ?? null,
        startedBy: run.startedBy ?? null,
        host: run.host ?? null,
        experiment: run.experiment ?? null,
        at: createdAt,
        startedAt: run.startedAt ?? null,
      };
      // A generated id collides only when two runs start in the same second and draw the same
      // suffix; a caller-chosen id that exists is a caller error.
      for (let tries = 0; tries < 16; tries++) {
        const id = run.id ?? newRunId(createdAt);
        if (insert.run({ id, ...values }).changes === 1) return this.runById(id);
        if (run.id) break;
      }
      throw new StoreError(
        "CANAL_STORE_INVALID_RECORD",
        `run id \`${run.id ?? "(generated)"}\` is already taken in workspace ${this.location}; use a new id`,
      );
    });
  }

  async updateRun(id: string, update: RunUpdate): Promise<Run> {
    return this.write(() => {
      const run = this.runById(id);
      this.stmt(
        `UPDATE runs SET status = @status, started_at = @startedAt, ended_at = @endedAt, error = @error, pid = @pid
         WHERE id = @id`,
      ).run({
        id,
        status: update.status ?? run.status,
        startedAt: update.startedAt ?? run.startedAt ?? null,
        endedAt: update.endedAt ?? run.endedAt ?? null,
        error: update.error ?? run.error ?? null,
        pid: update.pid ?? run.pid ?? null,
      });
      return this.runById(id);
    });
  }

  async appendRunLog(
    runId: string,
    stream: "stdout" | "stderr",
    text: string,
    at: number = Date.now(),
  ): Promise<number> {
    return this.write(() => {
      this.requireRun(runId);
      const { seq } = this.stmt(
        "SELECT coalesce(max(seq), -1) + 1 AS seq FROM run_logs WHERE run_id = ?",
      ).get(runId) as { seq: number };
      this.stmt("INSERT INTO run_logs (run_id, seq, stream, text, at) VALUES (?, ?, ?, ?, ?)").run(
        runId,
        seq,
        stream,
        text,
        at,
      );
      return seq;
    });
  }

  async deleteRuns(ids: string[]): Promise<string[]> {
    return this.write(() => {
      const deleted: string[] = [];
      const run = this.stmt(`${RUN_SELECT} AND r.id = @id`);
      for (const id of ids) {
        const found = run.get({ workspace: this.workspaceId, id }) as { status: string } | undefined;
        if (!found || found.status === "running" || found.status === "queued") continue;
        entryMakers(this.db).forget();
        this.stmt(
          "DELETE FROM cache_entries WHERE step_run_id IN (SELECT id FROM step_runs WHERE run_id = ?)",
        ).run(id);
        this.stmt(
          "DELETE FROM log_chunks WHERE step_run_id IN (SELECT id FROM step_runs WHERE run_id = ?)",
        ).run(id);
        this.stmt("DELETE FROM runs WHERE id = ?").run(id);
        deleted.push(id);
      }
      // Artifact rows that nothing names any more: their sizes and kinds describe nothing kept.
      if (deleted.length > 0) {
        const named = this.referencedDigests();
        const drop = this.stmt("DELETE FROM artifacts WHERE digest = ?");
        for (const { digest } of this.stmt("SELECT digest FROM artifacts").all() as Array<{ digest: string }>)
          if (!named.has(digest)) drop.run(digest);
      }
      return deleted;
    });
  }
}
