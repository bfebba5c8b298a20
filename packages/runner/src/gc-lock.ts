import { randomBytes } from "node:crypto";
import { linkSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

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
}

/** Whether process `pid` exists (a pid that was reused reads as alive: the safe side). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readHolder(path: string): Holder | undefined {
  try {
    const holder = JSON.parse(readFileSync(path, "utf8")) as Partial<Holder>;
    return typeof holder.pid === "number" ? { pid: holder.pid, at: Number(holder.at) } : undefined;
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
  // The name says whose it is, so the lease is whole the moment it exists.
  const path = join(dir, `${process.pid}-${randomBytes(4).toString("hex")}`);
  writeFileSync(path, "", { flag: "wx" });
  const release = () => rmSync(path, { force: true });
  try {
    for (;;) {
      const gc = readHolder(join(canalDir, LOCK));
      if (!gc || !processAlive(gc.pid) || gc.pid === process.pid || signal?.aborted) break;
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
    const pid = Number(name.split("-")[0]);
    if (Number.isInteger(pid) && pid > 0 && processAlive(pid)) live.push(pid);
    else rmSync(path, { force: true });
  }
  return live;
}

export class GcBusyError extends Error {
  readonly code = "CANAL_GC_BUSY";
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
  writeFileSync(temp, JSON.stringify({ pid: process.pid, at: Date.now() }));
  try {
    for (let tries = 0; tries < 3; tries++) {
      try {
        linkSync(temp, path);
        return () => rmSync(path, { force: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
        const holder = readHolder(path);
        if (holder && processAlive(holder.pid)) {
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
