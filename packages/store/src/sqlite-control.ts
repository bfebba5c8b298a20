// Run control as data, on SQLite: the driver's heartbeat and cancel requests, one row per run in
// `run_control` (migration 3), and the runs' claims on cache keys in `step_claims` (migration 6).
// The driver polls for a cancel request (SQLite cannot notify); every statement here is a
// primary-key lookup or upsert, so a poll costs microseconds.
import { SqliteRecords } from "./sqlite-records.js";
import { type ClaimRow, type ControlRow, toCancel, toClaimHolder, toControl } from "./sqlite-rows.js";
import type {
  CancelRequest,
  NewCancelRequest,
  NewHeartbeat,
  NewStepClaim,
  RunControl,
  StepClaimResult,
} from "./types.js";

export abstract class SqliteControl extends SqliteRecords {
  /** Inside the caller's write transaction. */
  protected saveHeartbeat(runId: string, beat: NewHeartbeat): void {
    this.requireRun(runId);
    this.stmt(
      `INSERT INTO run_control (run_id, driver_host, driver_pid, heartbeat_at, heartbeat_interval_ms)
       VALUES (@runId, @host, @pid, @at, @interval)
       ON CONFLICT (run_id) DO UPDATE SET driver_host = excluded.driver_host, driver_pid = excluded.driver_pid,
         heartbeat_at = excluded.heartbeat_at, heartbeat_interval_ms = excluded.heartbeat_interval_ms`,
    ).run({ runId, host: beat.host, pid: beat.pid, at: beat.at ?? Date.now(), interval: beat.intervalMs });
    // The driver is alive: so are the claims of the steps it executes.
    this.stmt("UPDATE step_claims SET expires_at = ? + ttl_ms WHERE run_id = ?").run(Date.now(), runId);
  }

  /**
   * Inside the caller's write transaction: one upsert that takes the key when it is free or its
   * claim expired, and the holder read only when it lost. Times are this machine's: every
   * process on one SQLite file shares its clock.
   */
  protected saveStepClaim(key: string, claim: NewStepClaim): StepClaimResult {
    const now = Date.now();
    const won = this.stmt(
      `INSERT INTO step_claims (workspace_id, key, run_id, host, pid, ttl_ms, claimed_at, expires_at)
       VALUES (@workspace, @key, @runId, @host, @pid, @ttl, @now, @now + @ttl)
       ON CONFLICT (workspace_id, key) DO UPDATE SET run_id = excluded.run_id, host = excluded.host,
         pid = excluded.pid, ttl_ms = excluded.ttl_ms, claimed_at = excluded.claimed_at,
         expires_at = excluded.expires_at
       WHERE step_claims.expires_at <= excluded.claimed_at
       RETURNING run_id`,
    ).get({
      workspace: this.workspaceId,
      key,
      runId: claim.runId,
      host: claim.host,
      pid: claim.pid,
      ttl: Math.max(1, Math.round(claim.ttlMs)),
      now,
    });
    if (won) return { won: true };
    const holder = this.stmt(
      `SELECT run_id, host, pid, claimed_at, expires_at - ? AS expires_in_ms FROM step_claims
       WHERE workspace_id = ? AND key = ?`,
    ).get(now, this.workspaceId, key) as ClaimRow;
    return { won: false, holder: toClaimHolder(holder) };
  }

  /** Inside the caller's write transaction. */
  protected dropStepClaim(key: string, runId: string): boolean {
    return (
      this.stmt("DELETE FROM step_claims WHERE workspace_id = ? AND key = ? AND run_id = ?").run(
        this.workspaceId,
        key,
        runId,
      ).changes > 0
    );
  }

  /** Inside the caller's write transaction: the first request stays. */
  protected saveCancelRequest(runId: string, request: NewCancelRequest): CancelRequest {
    this.requireRun(runId);
    this.stmt(
      `INSERT INTO run_control (run_id, cancel_requested_at, cancel_requested_by, cancel_reason)
       VALUES (@runId, @at, @by, @reason)
       ON CONFLICT (run_id) DO UPDATE SET
         cancel_requested_by = CASE WHEN cancel_requested_at IS NULL THEN excluded.cancel_requested_by ELSE cancel_requested_by END,
         cancel_reason = CASE WHEN cancel_requested_at IS NULL THEN excluded.cancel_reason ELSE cancel_reason END,
         cancel_requested_at = coalesce(cancel_requested_at, excluded.cancel_requested_at)`,
    ).run({ runId, at: request.at ?? Date.now(), by: request.by ?? null, reason: request.reason ?? null });
    const row = this.stmt("SELECT * FROM run_control WHERE run_id = ?").get(runId) as ControlRow;
    return toCancel(row) as CancelRequest;
  }

  async readRunControl(runIds: string[]): Promise<RunControl[]> {
    if (runIds.length === 0) return [];
    const rows = this.stmt(
      `SELECT c.* FROM run_control c
       JOIN runs r ON r.id = c.run_id
       JOIN pipeline_versions pv ON pv.id = r.pipeline_version_id
       JOIN pipelines p ON p.id = pv.pipeline_id
       WHERE p.workspace_id = ? AND c.run_id IN (SELECT value FROM json_each(?))`,
    ).all(this.workspaceId, JSON.stringify(runIds)) as ControlRow[];
    const now = Date.now();
    return rows.map((row) =>
      toControl(row, row.heartbeat_at === null ? 0 : Math.max(0, now - row.heartbeat_at)),
    );
  }

  /** Inside the caller's write transaction: the first key kept stays. */
  protected saveRunKey(runId: string, runtime: string, key: string): string {
    this.requireRun(runId);
    this.stmt(
      "INSERT INTO run_keys (run_id, runtime, key, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (run_id, runtime) DO NOTHING",
    ).run(runId, runtime, key, Date.now());
    return this.runKeyOf(runId, runtime) as string;
  }

  protected runKeyOf(runId: string, runtime: string): string | undefined {
    const row = this.stmt(
      `SELECT k.key FROM run_keys k
       JOIN runs r ON r.id = k.run_id
       JOIN pipeline_versions pv ON pv.id = r.pipeline_version_id
       JOIN pipelines p ON p.id = pv.pipeline_id
       WHERE k.run_id = ? AND k.runtime = ? AND p.workspace_id = ?`,
    ).get(runId, runtime, this.workspaceId) as { key: string } | undefined;
    return row?.key;
  }

  /** Inside the caller's write transaction. */
  protected deleteRunKey(runId: string, runtime: string): void {
    if (this.runKeyOf(runId, runtime) === undefined) return;
    this.stmt("DELETE FROM run_keys WHERE run_id = ? AND runtime = ?").run(runId, runtime);
  }

  async keepRunKey(runId: string, runtime: string, key: string): Promise<string> {
    return this.write(() => this.saveRunKey(runId, runtime, key));
  }

  async readRunKey(runId: string, runtime: string): Promise<string | undefined> {
    return this.read(() => this.runKeyOf(runId, runtime));
  }

  async dropRunKey(runId: string, runtime: string): Promise<void> {
    await this.write(() => this.deleteRunKey(runId, runtime));
  }

  protected abstract write<T>(fn: () => T): T | Promise<T>;
}
