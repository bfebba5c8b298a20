import { randomBytes } from "node:crypto";

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/**
 * A run id such as `run-20261125-141523-ab12cd34`: the UTC start time first, so ids sort by time in
 * any listing and a user can tell runs apart at a glance; eight random hex digits keep runs started
 * in the same second apart. One store retries on a collision, but runs of other workspaces and
 * stores share machines, Docker engines and clusters, where the local and Docker runtimes find a
 * run's processes and containers by its id: two runs of one second share an id once in 4 billion
 * pairs (it was once in 65,536 with four digits).
 */
export function newRunId(now: number = Date.now()): string {
  const t = new Date(now);
  const date = `${t.getUTCFullYear()}${pad(t.getUTCMonth() + 1)}${pad(t.getUTCDate())}`;
  const time = `${pad(t.getUTCHours())}${pad(t.getUTCMinutes())}${pad(t.getUTCSeconds())}`;
  return `run-${date}-${time}-${randomBytes(4).toString("hex")}`;
}
