// The write side of the SQLite store: each method is one transaction of its own on a store
// handle, or part of the unit on a unit's handle. Which one is `write`'s business. Pipeline versions
// and runs are written in SqliteRunWrites (sqlite-run-writes.ts).
import { checkEntryMaker, checkNewStepRun, StoreError } from "./errors.js";
import { entryMakers } from "./sqlite-entry-makers.js";
import { endValueRows, STEP_RUN_SELECT, type StepRunRow, toStepRun } from "./sqlite-rows.js";
import { SqliteRunWrites } from "./sqlite-run-writes.js";
import type {
  ArtifactInfo,
  Attempt,
  AttemptEnd,
  MetadataTransaction,
  MetricPoint,
  NewCacheEntry,
  NewStepRun,
  StepRun,
  StepRunEnd,
  StepRunEnding,
  StoredValue,
} from "./types.js";

export abstract class SqliteWrites extends SqliteRunWrites implements MetadataTransaction {
  async createStepRun(stepRun: NewStepRun): Promise<StepRun> {
    checkNewStepRun(stepRun);
    const instance = stepRun.instance ?? -1;
    return this.write(() => {
      this.requireRun(stepRun.runId);
      if (stepRun.status === "cached") {
        const [id] = this.insertStepRuns([stepRun]);
        return toStepRun(this.stmt(`${STEP_RUN_SELECT} WHERE s.id = ?`).get(id) as StepRunRow);
      }
      const created = this.stmt(
        `INSERT INTO step_runs (run_id, step_id, instance, status, error, created_at, ended_at)
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, step_id, instance) DO NOTHING RETURNING *`,
      ).get(
        stepRun.runId,
        stepRun.stepId,
        instance,
        stepRun.status ?? "queued",
        stepRun.error ?? null,
        stepRun.createdAt ?? Date.now(),
        stepRun.endedAt ?? null,
      ) as Omit<StepRunRow, "reused_run_id"> | undefined;
      // A new step run is reused from nothing; an existing one is read as it is.
      if (created) return toStepRun({ ...created, reused_run_id: null });
      const row = this.stmt(`${STEP_RUN_SELECT} WHERE s.run_id = ? AND s.step_id = ? AND s.instance = ?`).get(
        stepRun.runId,
        stepRun.stepId,
        instance,
      ) as StepRunRow;
      return toStepRun(row);
    });
  }

  async createStepRuns(stepRuns: NewStepRun[]): Promise<number[]> {
    for (const stepRun of stepRuns) checkNewStepRun(stepRun);
    if (stepRuns.length === 0) return [];
    return this.write(() => {
      for (const runId of new Set(stepRuns.map((s) => s.runId))) this.requireRun(runId);
      return this.insertStepRuns(stepRuns);
    });
  }

  /**
   * Inserts the step runs that are not there yet, in order, inside the caller's transaction (their
   * runs checked): a cached one in its end state, with its values. Their ids, in the order given.
   */
  private insertStepRuns(stepRuns: NewStepRun[]): number[] {
    const now = Date.now();
    const ids = new Map<string, number>();
    const key = (runId: unknown, stepId: unknown, instance: unknown) => `${runId}\0${stepId}\0${instance}`;
    // A cached step run names the one whose outputs it reused: the cache entry's, read for all of
    // them in a few statements.
    const reused = this.reusedStepRuns(stepRuns.filter((s) => s.status === "cached").map((s) => s.cacheKey));
    const rows = stepRuns.map((s) => [
      s.runId,
      s.stepId,
      s.instance ?? -1,
      s.status ?? "queued",
      s.error ?? null,
      s.createdAt ?? now,
      s.endedAt ?? (s.status === "cached" ? now : null),
      s.cacheKey ?? null,
      s.cacheKey === undefined ? null : (reused.get(s.cacheKey) ?? null),
    ]);
    const made = this.manyRows<{ id: number; run_id: string; step_id: string; instance: number }>(
      "INSERT INTO step_runs (run_id, step_id, instance, status, error, created_at, ended_at, cache_key, reused_from) VALUES",
      "ON CONFLICT (run_id, step_id, instance) DO NOTHING RETURNING id, run_id, step_id, instance",
      rows,
    );
    for (const row of made) ids.set(key(row.run_id, row.step_id, row.instance), row.id);
    // Only a step run made here takes the values given with it: one that was there is left as it is.
    const values: EndValues[] = [];
    const valued = new Set<number>();
    for (const s of stepRuns) {
      if (s.status !== "cached") continue;
      const id = ids.get(key(s.runId, s.stepId, s.instance ?? -1));
      if (id === undefined || valued.has(id)) continue;
      valued.add(id);
      values.push({ stepRunId: id, inputs: s.inputs, outputs: s.outputs });
    }
    this.saveEndValues(values);
    const find = this.stmt("SELECT id FROM step_runs WHERE run_id = ? AND step_id = ? AND instance = ?");
    return stepRuns.map((s) => {
      const instance = s.instance ?? -1;
      const known = ids.get(key(s.runId, s.stepId, instance));
      return known ?? (find.get(s.runId, s.stepId, instance) as { id: number }).id;
    });
  }

  /** The step run of the cache entry under each of `keys` that has one. */
  private reusedStepRuns(keys: Array<string | undefined>): Map<string, number> {
    // Those the probes read are kept (while unchanged); the others read here.
    const { found, unknown: unique } = entryMakers(this.db).known(
      [...new Set(keys)].filter((k): k is string => k !== undefined),
    );
    for (let at = 0; at < unique.length; at += KEYS_PER_STATEMENT) {
      const some = unique.slice(at, at + KEYS_PER_STATEMENT);
      const rows = this.stmt(
        `SELECT key, step_run_id FROM cache_entries WHERE workspace_id = ? AND key IN (${some.map(() => "?").join(", ")})`,
      ).all(this.workspaceId, ...some) as Array<{ key: string; step_run_id: number }>;
      for (const row of rows) found.set(row.key, row.step_run_id);
    }
    return found;
  }

  async startAttempt(stepRunId: number, number: number, startedAt: number = Date.now()): Promise<Attempt> {
    return this.write(() => {
      this.requireStepRun(stepRunId);
      this.beginAttempt(stepRunId, number, startedAt);
      return this.attempt(stepRunId, number);
    });
  }

  /** An attempt's start, the step run checked: its row unless there, the step run running. */
  private beginAttempt(stepRunId: number, number: number, startedAt: number): void {
    this.stmt(
      `INSERT INTO attempts (step_run_id, number, status, started_at) VALUES (?, ?, 'running', ?)
       ON CONFLICT (step_run_id, number) DO NOTHING`,
    ).run(stepRunId, number, startedAt);
    this.stmt(
      "UPDATE step_runs SET status = 'running', started_at = coalesce(started_at, ?), error = NULL WHERE id = ?",
    ).run(startedAt, stepRunId);
  }

  async finishAttempt(stepRunId: number, end: AttemptEnd): Promise<Attempt> {
    return this.write(() => this.endAttempt(stepRunId, end));
  }

  async finishStepRun(stepRunId: number, end: StepRunEnd): Promise<StepRun> {
    checkEnd(stepRunId, end);
    return this.write(() => {
      this.requireStepRun(stepRunId);
      this.endStepRun(stepRunId, end, end.endedAt ?? Date.now());
      // In this workspace: checked above, in this same transaction.
      return toStepRun(this.stmt(`${STEP_RUN_SELECT} WHERE s.id = ?`).get(stepRunId) as StepRunRow);
    });
  }

  async finishStepRuns(ends: StepRunEnding[]): Promise<void> {
    for (const end of ends) checkEnd(end.stepRunId, end);
    if (ends.length === 0) return;
    return this.write(() => {
      this.requireStepRuns(ends.map((end) => end.stepRunId));
      const now = Date.now();
      // The values of every end first; then each row in order (a cached step names the entry an
      // earlier one in the list may have made).
      this.saveEndValues(ends);
      // The rows of ends that write nothing else (no attempt, metrics or cache entry: a cached
      // step's) are updated many a statement; any other end is written alone, in its place, so
      // that a later cached step finds the cache entry it made.
      let rows: unknown[][] = [];
      let ids = new Set<number>();
      const flush = () => {
        if (rows.length > 0) this.endStepRunRows(rows);
        rows = [];
        ids = new Set();
      };
      for (const end of ends) {
        const { artifacts: _saved, inputs: _in, outputs: _out, ...rest } = end;
        const endedAt = end.endedAt ?? now;
        if (rest.attempt || rest.metrics || makesCacheEntry(rest, end.outputs)) {
          flush();
          this.endStepRun(end.stepRunId, rest, endedAt, end.outputs);
          continue;
        }
        // A step run ended twice in one list ends as the last end says, as when written in turn.
        if (ids.has(end.stepRunId)) flush();
        ids.add(end.stepRunId);
        rows.push([
          end.stepRunId,
          rest.status,
          endedAt,
          rest.error ?? null,
          rest.cacheKey ?? null,
          rest.components ? JSON.stringify(rest.components) : null,
          this.workspaceId,
        ]);
      }
      flush();
    });
  }

  /**
   * What step runs' ends write besides their own rows, for all of them at once: the artifacts
   * first (the uses name them), then the values and uses.
   */
  private saveEndValues(ends: EndValues[]): void {
    const { values, artifacts, uses } = endValueRows(ends);
    this.saveArtifacts(artifacts);
    for (const direction of ["input", "output"] as const) {
      this.manyRows(
        `INSERT INTO ${direction === "input" ? "step_inputs" : "step_outputs"} (step_run_id, name, value) VALUES`,
        "ON CONFLICT (step_run_id, name) DO UPDATE SET value = excluded.value",
        values[direction],
      );
    }
    this.manyRows(
      "INSERT INTO artifact_uses (digest, step_run_id, direction, name) VALUES",
      "ON CONFLICT DO NOTHING",
      uses,
    );
  }

  /**
   * What {@link endStepRun} writes to the step run's own row, for many rows of `[id, status,
   * endedAt, error, cacheKey, components, workspace]` at once.
   */
  private endStepRunRows(rows: unknown[][]): void {
    this.manyRows(
      "WITH ends (id, status, ended_at, error, cache_key, components, workspace) AS (VALUES",
      `) UPDATE step_runs SET status = ends.status, ended_at = ends.ended_at, error = ends.error,
           cache_key = coalesce(ends.cache_key, step_runs.cache_key),
           cache_components = coalesce(ends.components, step_runs.cache_components),
           reused_from = CASE WHEN ends.status = 'cached'
             THEN (SELECT step_run_id FROM cache_entries WHERE workspace_id = ends.workspace AND key = ends.cache_key) END
         FROM ends WHERE step_runs.id = ends.id`,
      rows,
    );
  }

  /**
   * A step run's end, inside the caller's transaction, the step run checked. `outputs` saved
   * already (finishStepRuns saves every end's values at once) still make its cache entry.
   */
  private endStepRun(
    stepRunId: number,
    end: StepRunEnd,
    endedAt: number,
    savedOutputs?: Record<string, StoredValue>,
  ): void {
    if (end.attempt && end.startedAt !== undefined)
      this.beginAttempt(stepRunId, end.attempt.number, end.startedAt);
    if (end.attempt) this.endAttempt(stepRunId, { endedAt, ...end.attempt });
    this.saveArtifacts(end.artifacts ?? []);
    if (end.inputs) this.saveValues(stepRunId, "input", end.inputs);
    if (end.outputs) this.saveValues(stepRunId, "output", end.outputs);
    if (end.metrics) this.saveMetrics(stepRunId, end.metrics, endedAt);
    // A cached step run names the one whose outputs it reused: the cache entry's.
    this.stmt(
      `UPDATE step_runs SET status = @status, ended_at = @endedAt, error = @error,
         cache_key = coalesce(@cacheKey, cache_key), cache_components = coalesce(@components, cache_components),
         reused_from = CASE WHEN @status = 'cached'
           THEN (SELECT step_run_id FROM cache_entries WHERE workspace_id = @workspace AND key = @cacheKey) END
       WHERE id = @id`,
    ).run({
      id: stepRunId,
      status: end.status,
      endedAt,
      error: end.error ?? null,
      cacheKey: end.cacheKey ?? null,
      components: end.components ? JSON.stringify(end.components) : null,
      workspace: this.workspaceId,
    });
    const outputs = end.outputs ?? savedOutputs;
    if (makesCacheEntry(end, outputs) && end.cacheKey && end.components && outputs) {
      this.insertCacheEntry(
        { key: end.cacheKey, outputs, components: end.components, stepRunId, createdAt: endedAt },
        Boolean(end.replaceCacheEntry),
      );
    }
  }

  async appendLog(
    stepRunId: number,
    attempt: number,
    stream: "stdout" | "stderr",
    text: string,
    at: number = Date.now(),
  ): Promise<number> {
    return this.write(() => {
      const exists = this.stmt("SELECT 1 FROM attempts WHERE step_run_id = ? AND number = ?").get(
        stepRunId,
        attempt,
      );
      if (!exists) throw this.attemptNotStarted(stepRunId, attempt);
      const { seq } = this.stmt(
        "SELECT coalesce(max(seq), -1) + 1 AS seq FROM log_chunks WHERE step_run_id = ? AND attempt = ?",
      ).get(stepRunId, attempt) as { seq: number };
      this.stmt(
        "INSERT INTO log_chunks (step_run_id, attempt, seq, stream, text, at) VALUES (?, ?, ?, ?, ?, ?)",
      ).run(stepRunId, attempt, seq, stream, text, at);
      return seq;
    });
  }

  async logMetrics(stepRunId: number, points: MetricPoint[]): Promise<void> {
    await this.write(() => {
      this.stepRunById(stepRunId);
      this.saveMetrics(stepRunId, points, Date.now());
    });
  }

  async recordArtifacts(artifacts: ArtifactInfo[]): Promise<void> {
    await this.write(() => this.saveArtifacts(artifacts));
  }

  async putCacheEntry(entry: NewCacheEntry): Promise<boolean> {
    return this.write(() => {
      checkEntryMaker(this.stepRunById(entry.stepRunId));
      return this.insertCacheEntry(entry);
    });
  }

  async releaseStep(key: string, runId: string): Promise<boolean> {
    return this.write(() => this.dropStepClaim(key, runId));
  }

  async releaseSteps(keys: string[], runId: string): Promise<number> {
    if (keys.length === 0) return 0;
    // In-process statements cost little: one per key, in one write.
    return this.write(() => {
      let released = 0;
      for (const key of new Set(keys)) if (this.dropStepClaim(key, runId)) released++;
      return released;
    });
  }

  async deleteCacheEntry(key: string): Promise<boolean> {
    return this.write(() => {
      entryMakers(this.db).forget();
      return (
        this.stmt("DELETE FROM cache_entries WHERE workspace_id = ? AND key = ?").run(this.workspaceId, key)
          .changes > 0
      );
    });
  }
}

/** Cache keys looked up a statement. */
const KEYS_PER_STATEMENT = 100;

/** The values of a step run's end, and the artifacts they name. */
type EndValues = Pick<StepRunEnding, "stepRunId" | "inputs" | "outputs" | "artifacts">;

/** A cached end names the key it was found under: the step run it reused is found by it. */
function checkEnd(stepRunId: number, end: StepRunEnd): void {
  if (end.status === "cached" && !end.cacheKey) {
    throw new StoreError(
      "CANAL_STORE_INVALID_RECORD",
      `step run ${stepRunId} is recorded as cached without the cache key it was found under; pass \`cacheKey\``,
    );
  }
}

/** Whether a step run's end stores its outputs as a cache entry. */
function makesCacheEntry(end: StepRunEnd, outputs: Record<string, StoredValue> | undefined): boolean {
  return end.status === "succeeded" && Boolean(end.reusable && end.cacheKey && end.components && outputs);
}
