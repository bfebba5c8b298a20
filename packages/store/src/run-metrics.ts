// What both backends share for `lastMetrics`: the bounds of its filter, and how the one query's
// rows (a run's columns, then one metric's, or none) become runs with their metrics.
import { StoreError } from "./errors.js";
import { type MetricRow, type RunRow, toMetric, toRun } from "./sqlite-rows.js";
import type { RunMetrics, RunMetricsFilter } from "./types.js";

/** The most runs `lastMetrics` reads in one call, by id or a pipeline's newest. */
export const MAX_METRIC_RUNS = 500;
const DEFAULT_METRIC_RUNS = 50;

/** The number of runs a pipeline filter reads; throws for a filter outside the bounds. */
export function metricRunsLimit(filter: RunMetricsFilter): number {
  const limit = filter.limit ?? DEFAULT_METRIC_RUNS;
  if (filter.runIds !== undefined && filter.pipeline !== undefined)
    throw new StoreError("CANAL_STORE_INVALID_RECORD", "lastMetrics: give `runIds` or `pipeline`, not both");
  if (filter.runIds === undefined && filter.pipeline === undefined)
    throw new StoreError("CANAL_STORE_INVALID_RECORD", "lastMetrics: give `runIds` or `pipeline`");
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_METRIC_RUNS)
    throw new StoreError(
      "CANAL_STORE_INVALID_RECORD",
      `lastMetrics: limit ${limit} is outside 1..${MAX_METRIC_RUNS}; read older runs with \`before\` in listRuns`,
    );
  if (filter.runIds !== undefined && filter.runIds.length > MAX_METRIC_RUNS)
    throw new StoreError(
      "CANAL_STORE_INVALID_RECORD",
      `lastMetrics: ${filter.runIds.length} run ids, more than ${MAX_METRIC_RUNS}; ask for them in parts`,
    );
  return limit;
}

/** The metric's columns of a row, beside the run's (`s` a step run, `m` its metric). */
const LAST_METRICS_COLUMNS = `s.id AS m_step_run_id, s.step_id AS m_step_id, s.instance AS m_instance,
  m.name AS m_name, m.sequence AS m_sequence, m.kind AS m_kind, m.number AS m_number, m.text AS m_text, m.at AS m_at`;

/**
 * The rest of lastMetrics' statement, after a `WITH RECURSIVE picked AS (the runs)`: each picked
 * run's step runs (of step `stepId`, when not null) and each one's metrics (named `name`, when not
 * null) at their highest sequence. A step run's metric names are found one after the other, each
 * the least name above the one before, and each name's last point by its highest sequence: index
 * seeks along the primary key (step_run_id, name, sequence), never a read of every point.
 */
export function lastMetricsOf(stepId: string, name: string): string {
  return `steps AS (
    SELECT s.id, s.run_id, s.step_id, s.instance FROM picked JOIN step_runs s ON s.run_id = picked.id
    WHERE ${stepId} IS NULL OR s.step_id = ${stepId}
  ),
  names (step_run_id, name) AS (
    SELECT steps.id, CASE WHEN ${name} IS NULL
      THEN (SELECT min(f.name) FROM metrics f WHERE f.step_run_id = steps.id)
      ELSE (SELECT f.name FROM metrics f WHERE f.step_run_id = steps.id AND f.name = ${name} LIMIT 1) END
    FROM steps
    UNION ALL
    SELECT names.step_run_id,
      (SELECT min(f.name) FROM metrics f WHERE f.step_run_id = names.step_run_id AND f.name > names.name)
    FROM names WHERE names.name IS NOT NULL AND ${name} IS NULL
  )
  SELECT picked.*, ${LAST_METRICS_COLUMNS}
  FROM picked LEFT JOIN steps s ON s.run_id = picked.id
  LEFT JOIN names n ON n.step_run_id = s.id AND n.name IS NOT NULL
  LEFT JOIN metrics m ON m.step_run_id = n.step_run_id AND m.name = n.name
    AND m.sequence = (SELECT max(l.sequence) FROM metrics l WHERE l.step_run_id = n.step_run_id AND l.name = n.name)`;
}

/** A row of the query: the run's columns, and one metric's (`m_name` null for a run without any). */
export interface RunMetricRow extends RunRow {
  m_step_run_id: number | null;
  m_step_id: string | null;
  m_instance: number | null;
  m_name: string | null;
  m_sequence: number | null;
  m_kind: MetricRow["kind"] | null;
  m_number: number | null;
  m_text: string | null;
  m_at: number | null;
}

/** Rows ordered by run, then metric, grouped: one entry per run in the order met. */
export function toRunMetrics(rows: RunMetricRow[]): RunMetrics[] {
  const runs = new Map<string, RunMetrics>();
  for (const row of rows) {
    let entry = runs.get(row.id);
    if (!entry) {
      entry = { run: toRun(row), metrics: [] };
      runs.set(row.id, entry);
    }
    if (row.m_name === null || row.m_kind === null) continue;
    entry.metrics.push(
      toMetric({
        step_run_id: Number(row.m_step_run_id),
        step_id: row.m_step_id ?? "",
        instance: Number(row.m_instance),
        name: row.m_name,
        sequence: Number(row.m_sequence),
        kind: row.m_kind,
        number: row.m_number,
        text: row.m_text,
        at: Number(row.m_at),
      }),
    );
  }
  return [...runs.values()];
}
