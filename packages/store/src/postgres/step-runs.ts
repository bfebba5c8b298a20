// A unit's step runs and their attempts: made one by one or in a batch, started, and ended in one
// statement that also writes values, artifacts, metrics' row lock and the cache entry.
import { checkNewStepRun, StepRunNotFoundError, StoreError } from "../errors.js";
import {
  type AttemptRow,
  endValueRows,
  type StepRunRow,
  stepLabel,
  toAttempt,
  toStepRun,
} from "../sqlite-rows.js";
import type { Attempt, AttemptEnd, NewStepRun, StepRun, StepRunEnd, StepRunEnding } from "../types.js";
import { PgCacheEntries } from "./cache-entries.js";
import { named } from "./query.js";
import { artifactsInsert } from "./step-records.js";
import { IN_WORKSPACE, STEP_RUN_SELECT } from "./unit-base.js";

/**
 * The end of a step run as one statement, its parameters appended to `params`. The step run's
 * UPDATE comes first: it finds the step run only in this workspace and takes its row lock before
 * anything else is written (every other part reads from it, so runs after it, and writes nothing
 * when it found nothing). Then, as parts of the same statement: the attempt's end, the artifacts
 * its values name (in digest order, as artifactsInsert writes them), the values and the artifacts'
 * uses (their references are checked at the statement's end, once the artifacts are in), and the
 * cache entry of a reusable success. The row read back is the step run as it now is, with
 * `attempt_ended`: whether the attempt's UPDATE found the attempt (an attempt started with its end,
 * `startedAt`, is inserted unless there: always).
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
  // An attempt started and ended at once: the step run's start is set as startAttempt sets it.
  const begun = end.attempt && end.startedAt !== undefined ? p(end.startedAt) : undefined;
  const started = begun ? ` started_at = coalesce(s.started_at, ${begun}::bigint),` : "";
  // A cached step run names the one whose outputs it reused: the cache entry's.
  const parts = [
    `u AS (
       UPDATE step_runs s SET status = ${status}, ended_at = ${p(endedAt)}, error = ${p(end.error ?? null)},${started}
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
    // Started with its end: inserted ended, or (there already) ended as the UPDATE would end it.
    parts.push(
      begun
        ? `a AS (
         INSERT INTO attempts AS t (step_run_id, number, status, started_at, exit_code, error, ended_at, stdout_digest, stderr_digest)
         SELECT u.id, ${p(a.number)}, ${p(a.status)}, ${begun}, ${p(a.exitCode ?? null)}, ${p(a.error ?? null)}, ${p(a.endedAt)},
           ${p(a.stdoutDigest ?? null)}, ${p(a.stderrDigest ?? null)}
         FROM u
         ON CONFLICT (step_run_id, number) DO UPDATE SET status = excluded.status, exit_code = excluded.exit_code,
           error = excluded.error, ended_at = excluded.ended_at, stdout_digest = excluded.stdout_digest,
           stderr_digest = excluded.stderr_digest
         RETURNING 1)`
        : `a AS (
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

/** Step runs and attempts. */
export abstract class PgStepRuns extends PgCacheEntries {
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

  protected async endAttempt(stepRunId: number, end: AttemptEnd): Promise<Attempt> {
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
        if (
          end.attempt &&
          end.startedAt === undefined &&
          !(await this.attemptExists(stepRunId, end.attempt.number))
        )
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

  protected async attemptExists(stepRunId: number, number: number): Promise<boolean> {
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
  protected async saveEndValues(
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
}
