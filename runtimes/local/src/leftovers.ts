import { readdirSync, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * The processes on this machine that belong to run `runId`: every step process carries
 * CANAL_RUN_ID in its environment. This process itself is never among them.
 */
export function runProcesses(runId: string): number[] {
  const marker = `CANAL_RUN_ID=${runId}`;
  const found: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return found; // no procfs: nothing can be found this way
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, "utf8").split("\0").includes(marker))
        found.push(Number(entry));
    } catch {
      // Ended meanwhile, or another user's: not ours to end.
    }
  }
  return found;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // A zombie has ended; only its parent's wait is missing.
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

/**
 * Ends the processes a run left on this machine (its driver was killed): SIGTERM, and SIGKILL to
 * those still there after `graceMs`. Returns the pids it found.
 */
export async function endRunProcesses(runId: string, graceMs = 5000): Promise<number[]> {
  const pids = runProcesses(runId);
  const signal = (name: NodeJS.Signals) => {
    for (const pid of pids) {
      try {
        process.kill(pid, name);
      } catch {
        // Already gone.
      }
    }
  };
  signal("SIGTERM");
  for (let waited = 0; waited < graceMs && pids.some(alive); waited += 50) await sleep(50);
  if (pids.some(alive)) signal("SIGKILL");
  return pids;
}
