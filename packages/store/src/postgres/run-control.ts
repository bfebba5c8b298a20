// A unit's run control: drivers' heartbeats, step claims (taken by one statement, safe under
// concurrent writers) and cancel requests, announced on CANCEL_CHANNEL.
import { StoreError } from "../errors.js";
import {
  type ClaimRow,
  type ControlRow as SharedControlRow,
  toCancel,
  toClaimHolder,
  toControl,
} from "../sqlite-rows.js";
import type {
  CachedOrClaim,
  CancelRequest,
  NewCancelRequest,
  NewHeartbeat,
  NewStepClaim,
  RunControl,
  StepClaimResult,
  StoredValue,
} from "../types.js";
import { named } from "./query.js";
import { PgStepRuns } from "./step-runs.js";
import { SERVER_NOW } from "./unit-base.js";

/** A run's runtime key (see RunKeyRecords, migration 14): the first one kept stays. */
const KEEP_RUN_KEY = named(
  "INSERT INTO run_keys (run_id, runtime, key, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (run_id, runtime) DO NOTHING",
);
const RUN_KEY = named(
  `SELECT k.key FROM run_keys k JOIN runs r ON r.id = k.run_id
   JOIN pipeline_versions pv ON pv.id = r.pipeline_version_id JOIN pipelines p ON p.id = pv.pipeline_id
   WHERE p.workspace_id = $1 AND k.run_id = $2 AND k.runtime = $3`,
);
const DROP_RUN_KEY = named("DELETE FROM run_keys WHERE run_id = $1 AND runtime = $2");

/** The channel cancel requests are announced on, with `{ workspace, runId, request }` as payload. */
export const CANCEL_CHANNEL = "canal_cancel";

/** A step's claim: taken when free or expired, else its holder read back (see claimStep). */
const CLAIM = named(
  `WITH taken AS (
           INSERT INTO step_claims (workspace_id, key, run_id, host, pid, ttl_ms, claimed_at, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6, ${SERVER_NOW}, ${SERVER_NOW} + $6)
           ON CONFLICT (workspace_id, key) DO UPDATE SET run_id = excluded.run_id, host = excluded.host,
             pid = excluded.pid, ttl_ms = excluded.ttl_ms, claimed_at = excluded.claimed_at,
             expires_at = excluded.expires_at
           WHERE step_claims.expires_at <= excluded.claimed_at
           RETURNING run_id
         )
         SELECT true AS won, run_id, '' AS host, 0 AS pid, 0 AS claimed_at, 0 AS expires_in_ms FROM taken
         UNION ALL
         SELECT false, run_id, host, pid, claimed_at, expires_at - ${SERVER_NOW} FROM step_claims
         WHERE workspace_id = $1 AND key = $2 AND NOT EXISTS (SELECT 1 FROM taken)`,
);

/**
 * A cache lookup and, only where the key has no entry, the step's claim (see lookupOrClaimStep):
 * the entry's outputs, else the claim won, else its holder. A function of the schema's
 * (canal_lookup_or_claim, migration 17), whose statements each read a snapshot of their own.
 */
const LOOKUP_OR_CLAIM = named("SELECT * FROM canal_lookup_or_claim($1, $2, $3, $4, $5, $6)");

/** How many times a claim that found neither itself nor a holder is made again (see claimStep). */
const CLAIM_TRIES = 10;

/** A claim's release. */
const RELEASE_CLAIM = named("DELETE FROM step_claims WHERE workspace_id = $1 AND key = $2 AND run_id = $3");

/** The release of a batch's claims. */
const RELEASE_CLAIMS = named(
  "DELETE FROM step_claims WHERE workspace_id = $1 AND key = ANY($2::text[]) AND run_id = $3",
);

/** A driver's heartbeat, its time also kept by the server's clock (less the time it took to reach it). */
const SAVE_HEARTBEAT = named(
  `INSERT INTO run_control (run_id, driver_host, driver_pid, heartbeat_at, heartbeat_server_at, heartbeat_interval_ms)
   VALUES ($1, $2, $3, $4, ${SERVER_NOW} - $5::bigint, $6)
   ON CONFLICT (run_id) DO UPDATE SET driver_host = excluded.driver_host, driver_pid = excluded.driver_pid,
     heartbeat_at = excluded.heartbeat_at, heartbeat_server_at = excluded.heartbeat_server_at,
     heartbeat_interval_ms = excluded.heartbeat_interval_ms`,
);

/** The claims of a run's steps, extended by its driver's heartbeat. */
const EXTEND_CLAIMS = named(`UPDATE step_claims SET expires_at = ${SERVER_NOW} + ttl_ms WHERE run_id = $1`);

/** The control rows of some runs of the workspace, with each heartbeat's age by the server's clock. */
const READ_RUN_CONTROL = named(
  `SELECT c.*, greatest(0, ${SERVER_NOW} - c.heartbeat_server_at) AS age_ms FROM run_control c
   JOIN runs r ON r.id = c.run_id
   JOIN pipeline_versions pv ON pv.id = r.pipeline_version_id
   JOIN pipelines p ON p.id = pv.pipeline_id
   WHERE p.workspace_id = $1 AND c.run_id = ANY($2::text[])`,
);

/** A `run_control` row with its heartbeat's age by the server's clock. */
interface ControlRow extends SharedControlRow {
  age_ms: number | null;
}

/** Heartbeats, claims and cancel requests. */
export abstract class PgRunControl extends PgStepRuns {
  // ---- run control ---------------------------------------------------------------------------

  /** Part of a unit: the heartbeat's time is also kept by the server's clock, for `ageMs`. */
  async saveHeartbeat(runId: string, beat: NewHeartbeat): Promise<void> {
    return this.write(async () => {
      await this.requireRun(runId);
      const at = beat.at ?? Date.now();
      await this.q(SAVE_HEARTBEAT, [
        runId,
        beat.host,
        beat.pid,
        at,
        Math.max(0, Date.now() - at),
        beat.intervalMs,
      ]);
      // The driver is alive: so are the claims of the steps it executes.
      await this.q(EXTEND_CLAIMS, [runId]);
    });
  }

  /**
   * One statement, safe under concurrent writers: the INSERT takes a free key; on a conflict it
   * takes the key only when the claim there expired (PostgreSQL locks the row and judges the
   * WHERE on its newest version, so two drivers taking over one expired claim cannot both win).
   * When it did not win, the same statement reads the holder. That read sees the statement's
   * snapshot, which misses a claim made by a writer that committed after the statement began:
   * then the statement found neither, and it is made again.
   */
  async claimStep(key: string, claim: NewStepClaim): Promise<StepClaimResult> {
    for (let round = 1; ; round++) {
      const rows = await this.q<ClaimRow & { won: boolean }>(CLAIM, this.claimParams(key, claim));
      const row = rows[0];
      if (!row && round < CLAIM_TRIES) continue;
      if (!row) throw this.changedHands(key);
      return row.won ? { won: true } : { won: false, holder: toClaimHolder(row) };
    }
  }

  /**
   * One round trip (canal_lookup_or_claim): the entry is looked up, and the claim taken only when
   * there is none, as claimStep takes it. A claim won after waiting on a holder that wrote its
   * entry and let go meanwhile is followed by a fresh look at the entry, in the same call: the
   * entry is answered and the claim let go, so the step does not run twice. Found neither an
   * entry nor a claim (see claimStep): made again.
   */
  async lookupOrClaimStep(key: string, claim: NewStepClaim): Promise<CachedOrClaim> {
    for (let round = 1; ; round++) {
      const rows = await this.q<ClaimRow & { outputs: string | null; won: boolean | null }>(
        LOOKUP_OR_CLAIM,
        this.claimParams(key, claim),
      );
      const row = rows[0];
      if (row?.outputs != null) return { cached: JSON.parse(row.outputs) as Record<string, StoredValue> };
      if (row) return { claim: row.won ? { won: true } : { won: false, holder: toClaimHolder(row) } };
      if (round >= CLAIM_TRIES) throw this.changedHands(key);
    }
  }

  /** The parameters $1–$6 of CLAIM and LOOKUP_OR_CLAIM. */
  private claimParams(key: string, claim: NewStepClaim): unknown[] {
    return [this.workspaceId, key, claim.runId, claim.host, claim.pid, Math.max(1, Math.round(claim.ttlMs))];
  }

  /** A claim that found neither itself nor a holder on every try. */
  private changedHands(key: string): StoreError {
    return new StoreError(
      "CANAL_STORE_INVALID_RECORD",
      `the claim on cache key ${key} in workspace ${this.location} changed hands on every one of ${CLAIM_TRIES} tries; claim it again`,
    );
  }

  async releaseStep(key: string, runId: string): Promise<boolean> {
    return this.write(async () => (await this.count(RELEASE_CLAIM, [this.workspaceId, key, runId])) > 0);
  }

  async releaseSteps(keys: string[], runId: string): Promise<number> {
    if (keys.length === 0) return 0;
    return this.write(() => this.count(RELEASE_CLAIMS, [this.workspaceId, [...new Set(keys)], runId]));
  }

  /**
   * Part of a unit: the first request stays. A new one is announced on CANCEL_CHANNEL, which the
   * server delivers to every listener once the unit commits.
   */
  async saveCancelRequest(runId: string, request: NewCancelRequest): Promise<CancelRequest> {
    return this.write(async () => {
      await this.requireRun(runId, true);
      const before = await this.one<ControlRow>("SELECT * FROM run_control WHERE run_id = $1 FOR UPDATE", [
        runId,
      ]);
      const kept = before ? toCancel(before) : undefined;
      if (kept) return kept;
      const row = await this.one<ControlRow>(
        `INSERT INTO run_control (run_id, cancel_requested_at, cancel_requested_by, cancel_reason)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (run_id) DO UPDATE SET cancel_requested_at = excluded.cancel_requested_at,
           cancel_requested_by = excluded.cancel_requested_by, cancel_reason = excluded.cancel_reason
         RETURNING *`,
        [runId, request.at ?? Date.now(), request.by ?? null, request.reason ?? null],
      );
      const cancel = toCancel(row as ControlRow) as CancelRequest;
      await this.q("SELECT pg_notify($1, $2)", [
        CANCEL_CHANNEL,
        JSON.stringify({ workspace: this.workspaceId, runId, request: cancel }),
      ]);
      return cancel;
    });
  }

  async readRunControl(runIds: string[]): Promise<RunControl[]> {
    if (runIds.length === 0) return [];
    const rows = await this.q<ControlRow>(READ_RUN_CONTROL, [this.workspaceId, runIds]);
    return rows.map((row) => toControl(row, row.age_ms ?? 0));
  }

  // ---- runtime keys: read by every checkout sharing the store (a cancel from any machine) ----

  async keepRunKey(runId: string, runtime: string, key: string): Promise<string> {
    return this.write(async () => {
      await this.requireRun(runId);
      await this.q(KEEP_RUN_KEY, [runId, runtime, key, Date.now()]);
      return (await this.runKeyOf(runId, runtime)) as string;
    });
  }

  /** Undefined when none is kept, or the run is not in this workspace. */
  async runKeyOf(runId: string, runtime: string): Promise<string | undefined> {
    return (await this.one<{ key: string }>(RUN_KEY, [this.workspaceId, runId, runtime]))?.key;
  }

  async dropRunKey(runId: string, runtime: string): Promise<void> {
    await this.write(async () => {
      if ((await this.runKeyOf(runId, runtime)) === undefined) return;
      await this.q(DROP_RUN_KEY, [runId, runtime]);
    });
  }
}
