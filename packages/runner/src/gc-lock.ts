import { randomBytes } from "node:crypto";
import { linkSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { GcBusyError } from "./errors.js";

// How `canal gc` and runs of the same workspace keep out of each other's way.
//
// A run, before it touches anything gc could delete (the kept artifact, blobs it stores or
// reuses, modules, environments, its work folder), writes a lease file under `.canal/live/`, and
// only then looks for `.canal/gc.lock`: while a gc that is alive holds it, the run waits. gc takes
// the lock first (an exclusive create), and only then lists the leases: while any run that is
// alive holds one, gc deletes none of what runs share (blobs, kept artifacts, modules,
// environments, temporary files) and says so; it still clears the work folders of runs that have
// ended. Each side writes before it reads, so at least one of them sees the other: a run never
// stores or reuses a blob while gc may delete it, and a gc never starts deleting under a run.

const LOCK = "gc.lock";
const LEASES = "live";
const POLL_MS = 100;

interface Holder {
  pid: number;
  at: number;
  /** The holder's start time as the kernel counts it, where /proc tells it. */
  started?: string;
}

/** When process `pid` started (clock ticks since boot), on systems with /proc; undefined elsewhere. */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name, which is in parentheses and may hold anything: the 22nd
    // field of the line (starttime) is the 20th after it.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

/**
 * Whether process `pid` exists and, when `started` is given and /proc can tell, is the process
 * that started then (not a later one that reused the pid). Unsure reads as alive: the safe side
 * for gc, which then deletes less.
 */
export function processAlive(pid: number, started?: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  if (started === undefined) return true;
  const now = startTime(pid);
  return now === undefined || now === started;
}

function readHolder(path: string): Holder | undefined {
  try {
    const holder = JSON.parse(readFileSync(path, "utf8")) as Partial<Holder>;
    if (typeof holder.pid !== "number") return undefined;
    return {
      pid: holder.pid,
      at: Number(holder.at),
      ...(typeof holder.started === "string" ? { started: holder.started } : {}),
    };
  } catch {
    return undefined;
  }
}

/**
 * Marks a run as live in the workspace whose Canal directory is `canalDir`, waiting first for a
 * running gc to finish. Returns the release: call it once the run has recorded its end.
 */
export async function holdRunLease(canalDir: string, signal?: AbortSignal): Promise<() => void> {
  const dir = join(canalDir, LEASES);
  mkdirSync(dir, { recursive: true });
  // The name says whose it is (pid and start time), so the lease is whole the moment it exists.
  const path = join(dir, `${process.pid}-${startTime(process.pid) ?? "x"}-${randomBytes(4).toString("hex")}`);
  writeFileSync(path, "", { flag: "wx" });
  const release = () => rmSync(path, { force: true });
  try {
    for (;;) {
      const gc = readHolder(join(canalDir, LOCK));
      if (!gc || !processAlive(gc.pid, gc.started) || gc.pid === process.pid || signal?.aborted) break;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  } catch (error) {
    release();
    throw error;
  }
  return release;
}

/** The live runs' process ids, from their leases; leases of processes that are gone are removed. */
export function liveRunLeases(canalDir: string): number[] {
  const dir = join(canalDir, LEASES);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const live: number[] = [];
  for (const name of names) {
    const path = join(dir, name);
    const [pidText, started] = name.split("-");
    const pid = Number(pidText);
    const since = started && /^\d+$/.test(started) ? started : undefined;
    if (Number.isInteger(pid) && pid > 0 && processAlive(pid, since)) live.push(pid);
    else rmSync(path, { force: true });
  }
  return live;
}

/**
 * Takes the workspace's gc lock (one gc at a time); a lock left by a gc that died is taken over.
 * Returns the release.
 */
export function takeGcLock(canalDir: string): () => void {
  const path = join(canalDir, LOCK);
  mkdirSync(canalDir, { recursive: true });
  // Written whole under another name, then linked into place: the link fails if a lock exists,
  // and a reader never sees a lock without its holder.
  const temp = `${path}.${process.pid}-${randomBytes(4).toString("hex")}`;
  const started = startTime(process.pid);
  writeFileSync(temp, JSON.stringify({ pid: process.pid, at: Date.now(), ...(started ? { started } : {}) }));
  try {
    for (let tries = 0; tries < 3; tries++) {
      try {
        linkSync(temp, path);
        return () => rmSync(path, { force: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
        const holder = readHolder(path);
        if (holder && processAlive(holder.pid, holder.started)) {
          throw new GcBusyError(
            `another \`canal gc\` (process ${holder.pid}) is collecting in ${canalDir}; wait for it to finish`,
          );
        }
        rmSync(path, { force: true }); // its holder is gone
      }
    }
  } finally {
    rmSync(temp, { force: true });
  }
  throw new GcBusyError(`cannot take ${path}; if no \`canal gc\` is running, delete that file and try again`);
}
