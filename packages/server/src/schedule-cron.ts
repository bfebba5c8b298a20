// Cron expressions read in a time zone (croner): checked when a schedule is made, and the slots
// between two instants enumerated for the scheduler. Croner reads 5 fields (minute first) or 6
// (seconds first); a local time that does not exist (spring forward) fires at the first instant
// after it, one that happens twice (fall back) fires once, at its first occurrence.
import { Cron } from "croner";
import { ScheduleError } from "./errors.js";

/** The catch-up policies of a cron schedule (docs/server.md): what becomes of the slots of a downtime. */
export const CATCH_UP = ["none", "latest", "all"] as const;

/** A schedule's cron and zone, checked: a clear error naming the field and the fix otherwise. */
export function checkCron(cron: string, timezone: string): Cron {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: timezone });
  } catch {
    throw new ScheduleError(
      "CANAL_SCHEDULE_TIMEZONE_INVALID",
      `--tz ${JSON.stringify(timezone)} is not a time zone; give an IANA name such as Europe/Madrid, America/New_York or UTC`,
      [
        {
          path: "timezone",
          message: `${JSON.stringify(timezone)} is not an IANA time zone`,
          hint: "e.g. Europe/Madrid or UTC",
        },
      ],
    );
  }
  const fields = cron.trim().split(/\s+/).length;
  let parsed: Cron | undefined;
  let reason = fields < 5 || fields > 6 ? `it has ${fields} field${fields === 1 ? "" : "s"}` : "";
  if (!reason) {
    try {
      parsed = new Cron(cron, { timezone, paused: true });
    } catch (error) {
      reason = (error instanceof Error ? error.message : String(error)).replace(/^CronPattern: /, "");
    }
  }
  if (!parsed || parsed.nextRun(new Date()) === null) {
    const why = reason || "it never comes due";
    throw new ScheduleError(
      "CANAL_SCHEDULE_CRON_INVALID",
      `--cron ${JSON.stringify(cron)} is not a cron expression Canal can schedule (${why}); write 5 fields "minute hour day month weekday" (e.g. "0 3 * * *": 03:00 daily), or 6 with seconds first ("*/10 * * * * *")`,
      [{ path: "cron", message: why, hint: 'e.g. "0 3 * * *"' }],
    );
  }
  return parsed;
}

/** Slots after `after` up to and including `upTo`: the latest `keep`, and how many there were in all. */
export interface Slots {
  latest: number[];
  total: number;
  /** The latest slot left out of `latest` (when `total` > `keep`). */
  dropped?: number;
}

/** Enumerating stops after this many slots (a per-second schedule down for 11 days). */
const MAX_ENUMERATED = 1_000_000;

export function slotsBetween(cron: Cron, after: number, upTo: number, keep: number): Slots {
  const latest: number[] = [];
  let total = 0;
  let dropped: number | undefined;
  let previous = new Date(after);
  for (;;) {
    const next = cron.nextRun(previous);
    if (!next || next.getTime() > upTo || total >= MAX_ENUMERATED) break;
    latest.push(next.getTime());
    total++;
    if (latest.length > keep) dropped = latest.shift();
    previous = next;
  }
  return { latest, total, ...(dropped !== undefined ? { dropped } : {}) };
}

/** The next slot after `after`, or undefined when there is none. */
export function nextSlot(cron: Cron, after: number): number | undefined {
  return cron.nextRun(new Date(after))?.getTime();
}
