// Schedules and their ticks (docs/server.md), as SQL both backends run, over the same statements
// as the endpoint records (service-records.ts). The tick of a slot is inserted if absent, under
// the unique (schedule_id, scheduled_at): of any number of schedulers racing on a slot, one wins.
import { StoreError } from "./errors.js";
import type { ServiceBackend } from "./service-records.js";
import type {
  CatchUp,
  NewSchedule,
  NewTick,
  Schedule,
  ScheduleKind,
  ScheduleRecords,
  ScheduleTick,
  ScheduleUpdate,
  TickEnd,
  TickStatus,
} from "./types.js";

interface ScheduleRow {
  id: number;
  name: string;
  endpoint: string;
  kind: ScheduleKind;
  cron: string | null;
  timezone: string | null;
  catch_up: CatchUp;
  datastore: string | null;
  path: string | null;
  debounce_ms: number | null;
  paths_param: string | null;
  parameters: string;
  experiment: string | null;
  paused: number;
  anchor_at: number;
  cursor_at: number;
  state: string | null;
  revision: number;
  created_by: string | null;
  created_at: number;
  updated_at: number;
}

interface TickRow {
  id: number;
  schedule_id: number;
  scheduled_at: number;
  status: TickStatus;
  run_id: string | null;
  reason: string | null;
  error: string | null;
  paths: string | null;
  host: string | null;
  pid: number | null;
  claimed_at: number;
  ended_at: number | null;
}

const SCHEDULE_SELECT = "SELECT * FROM schedules WHERE workspace_id = ?";
const TICK_COLUMNS =
  "id, schedule_id, scheduled_at, status, run_id, reason, error, paths, host, pid, claimed_at, ended_at";

function present<T>(key: string, value: T | null): Record<string, T> {
  return value === null ? {} : { [key]: value };
}

function toSchedule(row: ScheduleRow): Schedule {
  return {
    id: Number(row.id),
    name: row.name,
    endpoint: row.endpoint,
    kind: row.kind,
    ...present("cron", row.cron),
    ...present("timezone", row.timezone),
    catchUp: row.catch_up,
    ...present("datastore", row.datastore),
    ...present("path", row.path),
    ...present("debounceMs", row.debounce_ms === null ? null : Number(row.debounce_ms)),
    ...present("pathsParam", row.paths_param),
    parameters: JSON.parse(row.parameters) as Record<string, unknown>,
    ...present("experiment", row.experiment),
    paused: Number(row.paused) === 1,
    anchorAt: Number(row.anchor_at),
    cursorAt: Number(row.cursor_at),
    ...present("state", row.state),
    revision: Number(row.revision),
    ...present("createdBy", row.created_by),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

function toTick(row: TickRow): ScheduleTick {
  return {
    id: Number(row.id),
    scheduleId: Number(row.schedule_id),
    scheduledAt: Number(row.scheduled_at),
    status: row.status,
    ...present("runId", row.run_id),
    ...present("reason", row.reason),
    ...present("error", row.error),
    ...(row.paths === null ? {} : { paths: JSON.parse(row.paths) as string[] }),
    ...present("host", row.host),
    ...present("pid", row.pid === null ? null : Number(row.pid)),
    claimedAt: Number(row.claimed_at),
    ...present("endedAt", row.ended_at === null ? null : Number(row.ended_at)),
  };
}

/** `ScheduleRecords` over a backend's statements. */
export class ScheduleStore implements ScheduleRecords {
  constructor(private readonly backend: ServiceBackend) {}

  async createSchedule(schedule: NewSchedule): Promise<Schedule> {
    const at = schedule.createdAt ?? Date.now();
    const inserted = await this.backend.unit((sql) =>
      sql<{ id: number }>(
        `INSERT INTO schedules (workspace_id, name, endpoint, kind, cron, timezone, catch_up, datastore, path,
           debounce_ms, paths_param, parameters, experiment, paused, anchor_at, cursor_at, state, revision,
           created_by, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)
         ON CONFLICT (workspace_id, name) DO NOTHING RETURNING id`,
        [
          this.backend.workspaceId,
          schedule.name,
          schedule.endpoint,
          schedule.kind,
          schedule.cron ?? null,
          schedule.timezone ?? null,
          schedule.catchUp ?? "none",
          schedule.datastore ?? null,
          schedule.path ?? null,
          schedule.debounceMs ?? null,
          schedule.pathsParam ?? null,
          JSON.stringify(schedule.parameters ?? {}),
          schedule.experiment ?? null,
          schedule.paused ? 1 : 0,
          at,
          at,
          schedule.state ?? null,
          schedule.createdBy ?? null,
          at,
          at,
        ],
      ),
    );
    if (inserted.length === 0)
      throw new StoreError(
        "CANAL_STORE_SCHEDULE_EXISTS",
        `workspace ${this.backend.location} has a schedule ${schedule.name} already; pick another name, or change it with \`canal schedules edit ${schedule.name}\``,
      );
    return (await this.getSchedule(schedule.name)) as Schedule;
  }

  async listSchedules(): Promise<Schedule[]> {
    const rows = await this.backend.read<ScheduleRow>(`${SCHEDULE_SELECT} ORDER BY name`, [
      this.backend.workspaceId,
    ]);
    return rows.map(toSchedule);
  }

  async getSchedule(name: string): Promise<Schedule | undefined> {
    const [row] = await this.backend.read<ScheduleRow>(`${SCHEDULE_SELECT} AND name = ?`, [
      this.backend.workspaceId,
      name,
    ]);
    return row ? toSchedule(row) : undefined;
  }

  async updateSchedule(name: string, update: ScheduleUpdate): Promise<Schedule | undefined> {
    const sets: string[] = [];
    const params: unknown[] = [];
    const set = (column: string, value: unknown) => {
      sets.push(`${column} = ?`);
      params.push(value);
    };
    if (update.cron !== undefined) set("cron", update.cron);
    if (update.timezone !== undefined) set("timezone", update.timezone);
    if (update.catchUp !== undefined) set("catch_up", update.catchUp);
    if (update.debounceMs !== undefined) set("debounce_ms", update.debounceMs);
    if (update.parameters !== undefined) set("parameters", JSON.stringify(update.parameters));
    if (update.experiment !== undefined) set("experiment", update.experiment);
    if (update.paused !== undefined) set("paused", update.paused ? 1 : 0);
    if (update.state !== undefined) set("state", update.state);
    if (update.reanchorAt !== undefined) {
      set("anchor_at", update.reanchorAt);
      set("cursor_at", update.reanchorAt);
    }
    set("updated_at", update.at ?? Date.now());
    await this.backend.unit((sql) =>
      sql(
        `UPDATE schedules SET ${sets.join(", ")}, revision = revision + 1 WHERE workspace_id = ? AND name = ?`,
        [...params, this.backend.workspaceId, name],
        true,
      ),
    );
    return this.getSchedule(name);
  }

  async advanceSchedule(
    id: number,
    revision: number,
    changes: { cursorAt?: number; state?: string },
  ): Promise<boolean> {
    const sets = ["revision = revision + 1"];
    const params: unknown[] = [];
    if (changes.cursorAt !== undefined) {
      // Never back: a slower scheduler's older cursor leaves a newer one as it is.
      sets.push("cursor_at = CASE WHEN cursor_at < ? THEN ? ELSE cursor_at END");
      params.push(changes.cursorAt, changes.cursorAt);
    }
    if (changes.state !== undefined) {
      sets.push("state = ?");
      params.push(changes.state);
    }
    const rows = await this.backend.unit((sql) =>
      sql<{ id: number }>(
        `UPDATE schedules SET ${sets.join(", ")} WHERE workspace_id = ? AND id = ? AND revision = ? RETURNING id`,
        [...params, this.backend.workspaceId, id, revision],
      ),
    );
    return rows.length === 1;
  }

  async deleteSchedule(name: string): Promise<boolean> {
    return this.backend.unit(async (sql) => {
      const [row] = await sql<{ id: number }>(
        "SELECT id FROM schedules WHERE workspace_id = ? AND name = ?",
        [this.backend.workspaceId, name],
      );
      if (!row) return false;
      await sql("DELETE FROM schedule_ticks WHERE schedule_id = ?", [row.id]);
      await sql("DELETE FROM schedules WHERE id = ?", [row.id]);
      return true;
    });
  }

  async claimTick(tick: NewTick): Promise<ScheduleTick | undefined> {
    const at = tick.at ?? Date.now();
    const final = tick.status !== "claimed";
    const [row] = await this.backend.unit(async (sql) => {
      const owned = await sql<{ id: number }>("SELECT id FROM schedules WHERE id = ? AND workspace_id = ?", [
        tick.scheduleId,
        this.backend.workspaceId,
      ]);
      if (owned.length === 0) return [];
      return sql<TickRow>(
        `INSERT INTO schedule_ticks (schedule_id, scheduled_at, status, reason, paths, host, pid, claimed_at, ended_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (schedule_id, scheduled_at) DO NOTHING RETURNING ${TICK_COLUMNS}`,
        [
          tick.scheduleId,
          tick.scheduledAt,
          tick.status,
          tick.reason ?? null,
          tick.paths ? JSON.stringify(tick.paths) : null,
          tick.host ?? null,
          tick.pid ?? null,
          at,
          final ? at : null,
        ],
      );
    });
    return row ? toTick(row) : undefined;
  }

  async finishTick(id: number, end: TickEnd): Promise<ScheduleTick> {
    const [row] = await this.backend.unit((sql) =>
      sql<TickRow>(
        `UPDATE schedule_ticks SET status = ?, run_id = ?, error = ?, ended_at = ?
         WHERE id = ? AND schedule_id IN (SELECT id FROM schedules WHERE workspace_id = ?) RETURNING ${TICK_COLUMNS}`,
        [
          end.status,
          end.runId ?? null,
          end.error ?? null,
          end.at ?? Date.now(),
          id,
          this.backend.workspaceId,
        ],
      ),
    );
    if (!row)
      throw new StoreError(
        "CANAL_STORE_INVALID_RECORD",
        `no tick #${id} of a schedule in workspace ${this.backend.location}`,
      );
    return toTick(row);
  }

  async listTicks(scheduleId: number, options: { limit?: number } = {}): Promise<ScheduleTick[]> {
    const rows = await this.backend.read<TickRow>(
      `SELECT ${TICK_COLUMNS} FROM schedule_ticks
       WHERE schedule_id = ? AND schedule_id IN (SELECT id FROM schedules WHERE workspace_id = ?)
       ORDER BY scheduled_at DESC LIMIT ?`,
      [scheduleId, this.backend.workspaceId, options.limit ?? 20],
    );
    return rows.map(toTick);
  }
}
