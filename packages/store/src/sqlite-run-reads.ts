import { StepRunNotFoundError } from "./errors.js";
import { lastMetricsOf, metricRunsLimit, type RunMetricRow, toRunMetrics } from "./run-metrics.js";
import { SqliteReads } from "./sqlite-reads.js";
import {
  type AttemptRow,
  type MetricRow,
  RUN_PAGE_SELECT,
  RUN_SELECT,
  type RunRow,
  STEP_RUN_SELECT,
  type StepRunRow,
  stepLabel,
  toAttempt,
  toMetric,
  toRun,
  toStepRun,
} from "./sqlite-rows.js";
import type {
  Attempt,
  ExperimentInfo,
  LogChunk,
  LogPage,
  Metric,
  MetricFilter,
  Run,
  RunFilter,
  RunMetrics,
  RunMetricsFilter,
  StepRun,
  StoredValue,
} from "./types.js";

/**
 * Below this many runs, a pipeline's page is read by sorting its runs rather than by walking every
 * run newest first until the page is full: ~1 ms either way at this size (2,000 runs sorted, or a
 * walk that meets one of the pipeline's runs at least every 50 at 100,000 runs).
 */
const FEW_RUNS = 2000;

/** The SQLite store's reads of runs and what they record: step runs, attempts, logs, metrics, values. */
export class SqliteRunReads extends SqliteReads {
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
}
