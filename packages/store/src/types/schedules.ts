// Schedules and data triggers of published endpoints, and their ticks.

/** What starts a schedule's runs: the slots of a cron expression, or changes of a datastore's files. */
export type ScheduleKind = "cron" | "data";

/** What a cron schedule does with the slots that came due while no scheduler ran (docs/server.md). */
export type CatchUp = "none" | "latest" | "all";

/** A schedule or data trigger of a published endpoint (AzureML Schedule, a Flyte launch plan). */
export interface Schedule {
  id: number;
  name: string;
  /** The endpoint whose default version each run runs. */
  endpoint: string;
  kind: ScheduleKind;
  /** cron: the expression (5 fields, or 6 with seconds first). */
  cron?: string;
  /** cron: the IANA time zone the expression is read in. */
  timezone?: string;
  catchUp: CatchUp;
  /** data: the datastore and the path (file, folder or glob) watched. */
  datastore?: string;
  path?: string;
  /** data: how long the files must stay unchanged before one run takes the batch. */
  debounceMs?: number;
  /** data: the parameter the changed paths are passed as. */
  pathsParam?: string;
  /** The parameters every run gets (checked against the endpoint's pipeline when made). */
  parameters: Record<string, unknown>;
  experiment?: string;
  paused: boolean;
  /**
   * Slots at or before this time never fire: the schedule's creation, its last edit of the cron
   * or time zone, its last resume. Nothing from before an edit or from a pause is caught up.
   */
  anchorAt: number;
  /** The latest slot the schedulers have dealt with (fired, skipped or missed). */
  cursorAt: number;
  /** A data trigger's listing and pending batch, as the scheduler keeps them (JSON). */
  state?: string;
  /** One more at every change: what a scheduler's compare-and-set (`advanceSchedule`) checks. */
  revision: number;
  createdBy?: string;
  createdAt: number;
  updatedAt: number;
}

export interface NewSchedule {
  name: string;
  endpoint: string;
  kind: ScheduleKind;
  cron?: string;
  timezone?: string;
  catchUp?: CatchUp;
  datastore?: string;
  path?: string;
  debounceMs?: number;
  pathsParam?: string;
  parameters?: Record<string, unknown>;
  experiment?: string;
  paused?: boolean;
  state?: string;
  createdBy?: string;
  /** Default now: the anchor and the cursor start here. */
  createdAt?: number;
}

/** What a person changes of a schedule; absent fields stay. A `null` clears an optional field. */
export interface ScheduleUpdate {
  cron?: string;
  timezone?: string;
  catchUp?: CatchUp;
  debounceMs?: number;
  parameters?: Record<string, unknown>;
  experiment?: string | null;
  paused?: boolean;
  /** Moves the anchor and the cursor here (an edit of the cron or zone, a resume). */
  reanchorAt?: number;
  state?: string | null;
  at?: number;
}

/** What became of one slot of a schedule (or one batch of a data trigger). */
export type TickStatus = "claimed" | "fired" | "skipped" | "missed" | "failed";

export interface ScheduleTick {
  id: number;
  scheduleId: number;
  /** The slot's time (a data trigger's: when its batch's first change was seen). */
  scheduledAt: number;
  status: TickStatus;
  runId?: string;
  /** Why it was skipped or missed. */
  reason?: string;
  error?: string;
  /** A data trigger's changed paths. */
  paths?: string[];
  /** The scheduler that claimed it. */
  host?: string;
  pid?: number;
  claimedAt: number;
  endedAt?: number;
}

export interface NewTick {
  scheduleId: number;
  scheduledAt: number;
  /** "claimed" for a slot about to fire; a final status for one recorded as skipped or missed. */
  status: TickStatus;
  reason?: string;
  paths?: string[];
  host?: string;
  pid?: number;
  at?: number;
}

export interface TickEnd {
  status: Exclude<TickStatus, "claimed">;
  runId?: string;
  error?: string;
  at?: number;
}

/** Schedules and their ticks: records of the workspace, shared by every server on the store. */
export interface ScheduleRecords {
  /** A name already taken is an error (CANAL_STORE_SCHEDULE_EXISTS). */
  createSchedule(schedule: NewSchedule): Promise<Schedule>;
  /** By name. */
  listSchedules(): Promise<Schedule[]>;
  getSchedule(name: string): Promise<Schedule | undefined>;
  /** Undefined when there is no such schedule. Every update moves `revision` on. */
  updateSchedule(name: string, update: ScheduleUpdate): Promise<Schedule | undefined>;
  /**
   * A scheduler's compare-and-set: moves the cursor on (never back) and replaces the state, only
   * while the schedule is still at `revision`. False when someone changed it meanwhile.
   */
  advanceSchedule(
    id: number,
    revision: number,
    changes: { cursorAt?: number; state?: string },
  ): Promise<boolean>;
  /** Deletes it with its ticks; false when there was none. */
  deleteSchedule(name: string): Promise<boolean>;
  /**
   * Records the slot `scheduledAt` of the schedule, unless a tick of that slot exists: one
   * statement, atomic against every other scheduler on the store. The tick when this call wrote
   * it, undefined when another had (so only one scheduler ever fires a slot).
   */
  claimTick(tick: NewTick): Promise<ScheduleTick | undefined>;
  /** Ends a claimed tick: fired with its run, or failed with the error. */
  finishTick(id: number, end: TickEnd): Promise<ScheduleTick>;
  /** The schedule's ticks, newest slot first (default 20). */
  listTicks(scheduleId: number, options?: { limit?: number }): Promise<ScheduleTick[]>;
}
