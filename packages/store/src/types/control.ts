// Run control as data: the driver's heartbeat, step claims and cancel requests.

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
