// What a step run leaves: its log chunks and the run's, its metrics (numbered under the step run's
// row lock), its input and output values, and the artifacts they name with their lineage.
import { checkDigest } from "../errors.js";
import { lastMetricsOf, metricRunsLimit, type RunMetricRow, toRunMetrics } from "../run-metrics.js";
import {
  type ArtifactRow,
  type LineageRow,
  type MetricRow,
  metricColumns,
  toArtifact,
  toLineageEdge,
  toMetric,
} from "../sqlite-rows.js";
import type {
  ArtifactInfo,
  Lineage,
  LogChunk,
  LogPage,
  LogStream,
  Metric,
  MetricFilter,
  MetricPoint,
  RunMetrics,
  RunMetricsFilter,
  StoredValue,
} from "../types.js";
import { PgRuns } from "./runs.js";
import { IN_WORKSPACE, RUN_SELECT } from "./unit-base.js";

/**
 * The upsert of `artifacts` (merged by digest), its parameters appended to `params`; undefined
 * when there are none. `gate` (a WHERE clause) makes it part of a larger statement. In digest order, so two writers upserting the same artifacts take their
 * row locks alike.
 */
export function artifactsInsert(artifacts: ArtifactInfo[], params: unknown[], gate = ""): string | undefined {
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

/** Logs, metrics, values and artifacts. */
export abstract class PgStepRecords extends PgRuns {
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

  protected async saveMetrics(stepRunId: number, points: MetricPoint[], at: number): Promise<void> {
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

  protected async values(
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
  protected async saveArtifacts(artifacts: ArtifactInfo[]): Promise<void> {
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
}
