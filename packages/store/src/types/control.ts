// Run control as data: the driver's heartbeat, step claims and cancel requests.
import type { StepClaimResult, StoredValue } from "@canal/ir/run-types";

/**
 * The last heartbeat of the process driving a run: where it runs (host and pid) and when it last
 * said it is alive. A run still marked running whose heartbeat is stale was interrupted.
 */
export interface DriverHeartbeat {
  /** The driver's host name (`os.hostname()`, or `$CANAL_HOSTNAME`). */
  host: string;
  pid: number;
  /** When it last beat, by the writer's clock. */
  at: number;
  /** How often the driver promised to beat: a reader waits at least a few of these before calling it stale. */
  intervalMs: number;
  /**
   * How long ago it beat, measured by the store when read (SQLite: the reader's clock; a server
   * store: the server's), so that readers on machines whose clocks differ judge alike.
   */
  ageMs: number;
}

/** A claim on a cache key: which run's driver is about to execute the step instance under it. */
export interface NewStepClaim {
  runId: string;
  host: string;
  pid: number;
  /** How long the claim lasts without a heartbeat of its run's driver renewing it. */
  ttlMs: number;
}

/**
 * What looking up a cache key and, only where it has no entry, claiming it gave
 * (`lookupOrClaimStep`): the entry's outputs, or the claim and who holds it.
 */
export type CachedOrClaim = { cached: Record<string, StoredValue> } | { claim: StepClaimResult };

export interface NewHeartbeat {
  host: string;
  pid: number;
  intervalMs: number;
  /** Default now. */
  at?: number;
}

/** A request that a run be canceled, recorded for the driving process to act on. */
export interface CancelRequest {
  at: number;
  /** Who asked, as `user@host` or a client's name. */
  by?: string;
  reason?: string;
}

export interface NewCancelRequest {
  by?: string;
  reason?: string;
  /** Default now. */
  at?: number;
}

/** What the store holds to control one run: its driver's heartbeat and a cancel request, when there are. */
export interface RunControl {
  runId: string;
  heartbeat?: DriverHeartbeat;
  cancel?: CancelRequest;
}

/**
 * The key a runtime tags one run's work with on a shared system (a Slurm cluster's job comments and
 * folders), kept in the store so that every checkout sharing the workspace's metadata finds it:
 * `canal cancel` from another machine ends a killed driver's jobs, and only that run's. One key per
 * run and runtime kind; it never reaches the IR or a cache key.
 */
export interface RunKeyRecords {
  /**
   * Keeps `key` as run `runId`'s key on `runtime` unless one is kept already; returns the key kept
   * (the earlier one, when there was). Throws RunNotFoundError unless the run is in this workspace.
   */
  keepRunKey(runId: string, runtime: string, key: string): Promise<string>;
  /** The key kept for run `runId` on `runtime`; undefined when none is (or the run is not in this workspace). */
  readRunKey(runId: string, runtime: string): Promise<string | undefined>;
  /** Forgets run `runId`'s key on `runtime`: nothing of the run is left there. No error when there is none. */
  dropRunKey(runId: string, runtime: string): Promise<void>;
}
