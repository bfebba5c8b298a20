import { randomBytes } from "node:crypto";

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/**
 * A run id such as `run-20261125-141523-ab12`: the UTC start time first, so ids sort by time in
 * any listing and a user can tell runs apart at a glance; four random hex digits keep runs started
 * in the same second apart (the store retries on the rare collision).
 */
export function newRunId(now: number = Date.now()): string {
  const t = new Date(now);
  const date = `${t.getUTCFullYear()}${pad(t.getUTCMonth() + 1)}${pad(t.getUTCDate())}`;
  const time = `${pad(t.getUTCHours())}${pad(t.getUTCMinutes())}${pad(t.getUTCSeconds())}`;
  return `run-${date}-${time}-${randomBytes(2).toString("hex")}`;
}
