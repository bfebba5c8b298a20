// What every part of a PostgreSQL unit stands on: the unit's connection and state, the statement
// helpers that record a unit's first failure, the SELECTs the parts share, and the lookups of a run
// or step run in the workspace.
import { RunNotFoundError, StepRunNotFoundError, StoreError } from "../errors.js";
import { type RunRow, type StepRunRow, stepLabel, toRun, toStepRun } from "../sqlite-rows.js";
import type { Run, StepRun } from "../types.js";
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

// The server's clock, in epoch milliseconds.
export const SERVER_NOW = "(extract(epoch FROM clock_timestamp()) * 1000)::bigint";

export const PIPELINE_VERSION_SELECT = `
SELECT pv.id, p.name AS pipeline, pv.version, pv.hash, pv.ir, pv.artifact_location, pv.artifact_digest,
  pv.created_at
FROM pipeline_versions pv JOIN pipelines p ON p.id = pv.pipeline_id
WHERE p.workspace_id = $1`;

export const RUN_SELECT = `
SELECT r.id, r.pipeline_version_id, r.status, r.parameters, r.git_commit, r.git_branch, r.git_dirty, r.runtime,
  r.regenerate, r.pid, r.error, r.created_at, r.started_at, r.ended_at, coalesce(r.experiment, p.name) AS experiment,
  r.started_by, r.host, p.name AS pipeline, pv.version AS pipeline_version, pv.hash AS pipeline_hash
FROM runs r
JOIN pipeline_versions pv ON pv.id = r.pipeline_version_id
JOIN pipelines p ON p.id = pv.pipeline_id
WHERE p.workspace_id = $1`;

export const STEP_RUN_SELECT = `
SELECT s.*, src.run_id AS reused_run_id
FROM step_runs s LEFT JOIN step_runs src ON src.id = s.reused_from`;

// A step run joined to its workspace: `$1` is the workspace id.
export const IN_WORKSPACE = `JOIN runs r ON r.id = s.run_id JOIN pipeline_versions pv ON pv.id = r.pipeline_version_id
  JOIN pipelines p ON p.id = pv.pipeline_id`;

export const CACHE_ENTRY_SELECT = `
SELECT ce.key, ce.outputs, ce.components, ce.step_run_id, ce.created_at, s.run_id, s.step_id, s.instance
FROM cache_entries ce JOIN step_runs s ON s.id = ce.step_run_id
WHERE ce.workspace_id = $1`;

/** A step run by its id, found only in the workspace `$1`; the second takes its row lock. */
const STEP_RUN_BY_ID = named(`${STEP_RUN_SELECT} ${IN_WORKSPACE} WHERE s.id = $2 AND p.workspace_id = $1`);
const STEP_RUN_BY_ID_LOCKED = named(
  `${STEP_RUN_SELECT} ${IN_WORKSPACE} WHERE s.id = $2 AND p.workspace_id = $1 FOR NO KEY UPDATE OF s`,
);

/** Whether a run is in the workspace `$1`; the second takes its row lock (a heartbeat's first statement). */
const RUN_EXISTS_TEXT = `SELECT 1 FROM runs r JOIN pipeline_versions pv ON pv.id = r.pipeline_version_id
  JOIN pipelines p ON p.id = pv.pipeline_id WHERE r.id = $2 AND p.workspace_id = $1`;
const RUN_EXISTS = named(RUN_EXISTS_TEXT);
const RUN_EXISTS_LOCKED = named(`${RUN_EXISTS_TEXT} FOR NO KEY UPDATE OF r`);

/** The plumbing every part of a unit shares: its connection, its state, and the lookups they all make. */
export abstract class PgUnitBase {
  constructor(
    protected readonly db: Queryable,
    readonly workspace: string,
    protected readonly workspaceId: number,
    protected readonly location: string,
    protected readonly state: PgUnitState,
  ) {}

  protected check(): void {
    if (!this.state.open) {
      throw new StoreError(
        "CANAL_STORE_INVALID_RECORD",
        `a unit's handle of workspace ${this.location} was used after its transaction ended; ` +
          "make every call of the unit inside its `transaction(async (tx) => …)` and await it there",
      );
    }
  }

  /** One statement and its rows: for the records kept outside MetadataTransaction (datasets). */
  rows<T>(sql: NamedStatement | string, params: unknown[] = []): Promise<T[]> {
    return this.q<T>(sql, params);
  }

  protected fail(error: unknown): void {
    if (this.state.tracked) this.state.failure ??= error;
  }

  /**
   * One statement written with `?` placeholders (numbered here): for the records of
   * service-records.ts and schedule-records.ts. Sent by name unless `built` (its text made from
   * which fields a call gives, see Sql), so it never takes one of the named statements' places.
   */
  sql<T>(sql: string, params: unknown[] = [], built = false): Promise<T[]> {
    let n = 0;
    const text = sql.replace(/\?/g, () => `$${++n}`);
    return this.q<T>(built ? text : named(text), params);
  }

  protected async q<T>(sql: NamedStatement | string, params: unknown[] = []): Promise<T[]> {
    this.check();
    try {
      return (await this.send(sql, params)).rows as T[];
    } catch (error) {
      this.fail(error);
      throw error;
    }
  }

  protected async one<T>(sql: NamedStatement | string, params: unknown[] = []): Promise<T | undefined> {
    return (await this.q<T>(sql, params))[0];
  }

  protected send(sql: NamedStatement | string, params: unknown[]) {
    // A unit's state is tracked: it is a transaction, which a failed statement aborts.
    return send(this.db, sql, params, { prepared: this.state.prepared, inTransaction: this.state.tracked });
  }

  protected async count(sql: NamedStatement | string, params: unknown[] = []): Promise<number> {
    this.check();
    try {
      return (await this.send(sql, params)).rowCount ?? 0;
    } catch (error) {
      this.fail(error);
      throw error;
    }
  }

  /** A write that fails fails the unit, even where the caller catches it. */
  protected async write<T>(fn: () => Promise<T>): Promise<T> {
    this.check();
    try {
      return await fn();
    } catch (error) {
      this.fail(error);
      throw error;
    }
  }

  // ---- lookups -------------------------------------------------------------------------------

  protected async runById(id: string, lock = false): Promise<Run> {
    const row = await this.one<RunRow>(
      `${RUN_SELECT} AND r.id = $2${lock ? " FOR NO KEY UPDATE OF r" : ""}`,
      [this.workspaceId, id],
    );
    if (!row) throw new RunNotFoundError(id, this.location);
    return toRun(row);
  }

  protected async requireRun(id: string, lock = false): Promise<void> {
    const found = await this.one(lock ? RUN_EXISTS_LOCKED : RUN_EXISTS, [this.workspaceId, id]);
    if (!found) throw new RunNotFoundError(id, this.location);
  }

  protected async stepRunById(id: number, lock = false): Promise<StepRun> {
    const row = await this.one<StepRunRow>(lock ? STEP_RUN_BY_ID_LOCKED : STEP_RUN_BY_ID, [
      this.workspaceId,
      id,
    ]);
    if (!row) throw new StepRunNotFoundError(undefined, `#${id}`, this.location);
    return toStepRun(row);
  }

  protected versionNotFound(id: number): StoreError {
    return new StoreError(
      "CANAL_STORE_PIPELINE_VERSION_NOT_FOUND",
      `no pipeline version #${id} in workspace ${this.location}; register it with registerPipelineVersion first`,
    );
  }

  protected async attemptNotStarted(stepRunId: number, number: number): Promise<StoreError> {
    const stepRun = await this.stepRunById(stepRunId);
    return new StoreError(
      "CANAL_STORE_INVALID_RECORD",
      `attempt ${number} of step \`${stepLabel(stepRun.stepId, stepRun.instance)}\` in run \`${stepRun.runId}\` ` +
        "was never started; record it with startAttempt first",
    );
  }
}
