import { closeSync, openSync, readdirSync, readFileSync, readSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

/** A process as /proc shows it: its id, its process group, and when it started (clock ticks after boot). */
export interface ProcessId {
  pid: number;
  group: number;
  /** Field 22 of /proc/<pid>/stat: with the pid, names one process for as long as the machine is up. */
  startTicks: string;
}

// /proc/<pid>/stat is read into this one buffer, in one read: readFileSync costs two more system
// calls per file (a stat, and a read that finds the end), and every attempt's end reads the stat
// of every process on the machine. The line is at most a few hundred bytes (the command name is
// at most 64).
const statBuffer = Buffer.allocUnsafe(4096);

/** Fields of /proc/<pid>/stat after the command name, which may itself hold spaces or ")". */
function statFields(pid: number): string[] | undefined {
  let stat: string;
  try {
    const fd = openSync(`/proc/${pid}/stat`, "r");
    try {
      stat = statBuffer.toString("latin1", 0, readSync(fd, statBuffer, 0, statBuffer.length, 0));
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
  // After ") ": state (field 3), ppid, pgrp (5), … starttime (22).
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

/** The process `pid` now is, or undefined when there is none (or it has ended: a zombie). */
export function processId(pid: number): ProcessId | undefined {
  const fields = statFields(pid);
  if (!fields || fields[0] === "Z" || fields[0] === "X") return undefined;
  return { pid, group: Number(fields[2]), startTicks: fields[19] ?? "" };
}

/** Whether `id` is still the process it was when found (not ended, its pid not taken by another). */
export function sameProcess(id: ProcessId): boolean {
  return processId(id.pid)?.startTicks === id.startTicks;
}

function environ(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
  } catch {
    return undefined; // ended meanwhile, or another user's: not ours to end
  }
}

/** What marks processes as a run's or a step's: variables of their environment, or their group. */
export interface ProcessMarker {
  /** Every one of these `NAME=value` entries is in the process's environment (as it was started). */
  env?: string[];
  /** Or the process is in one of these process groups. */
  groups?: number[];
  /** Never these (a resident shell or a worker that outlives the step). */
  except?: number[];
  /**
   * Only processes started at or after this (clock ticks after boot, as `nowTicks` gives): an
   * older one cannot be a step's that started later, and its environment need not be read.
   */
  since?: number;
}

/** Clock ticks per second as /proc counts them (USER_HZ: 100 on every Linux architecture). */
const TICKS_PER_SECOND = 100;

/** Now, in the clock ticks after boot that /proc/<pid>/stat's start times count, with a margin. */
export function nowTicks(marginSeconds = 2): number | undefined {
  try {
    const uptime = Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]);
    return Math.max(0, Math.floor((uptime - marginSeconds) * TICKS_PER_SECOND));
  } catch {
    return undefined;
  }
}

/**
 * The processes on this machine that carry `marker`. This process itself is never among them.
 * Found by their environment as well as their group: a process that leaves its group (setsid)
 * keeps the environment it was started with.
 */
export function findProcesses(marker: ProcessMarker): ProcessId[] {
  const found: ProcessId[] = [];
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return found; // no procfs: nothing can be found this way
  }
  const except = new Set([process.pid, ...(marker.except ?? [])]);
  const groups = new Set(marker.groups ?? []);
  const env = marker.env ?? [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || except.has(Number(entry))) continue;
    const id = processId(Number(entry));
    if (!id) continue;
    if (groups.has(id.group)) {
      found.push(id);
      continue;
    }
    if (env.length === 0 || (marker.since !== undefined && Number(id.startTicks) < marker.since)) continue;
    const variables = environ(id.pid);
    if (variables && env.every((entry) => variables.includes(entry))) found.push(id);
  }
  return found;
}

function signal(ids: ProcessId[], name: NodeJS.Signals): void {
  for (const id of ids) {
    // Checked just before: a pid found a moment ago may already name another process.
    if (!sameProcess(id)) continue;
    try {
      process.kill(id.pid, name);
    } catch {
      // Already gone.
    }
  }
}

/**
 * Ends the processes `marker` finds: SIGTERM, then SIGKILL to those still there after `graceMs`
 * (0: SIGKILL at once), and waits until they are gone. Looks again until none is found, so a
 * child started meanwhile is ended too. Returns the pids it ended.
 */
export async function endProcesses(marker: ProcessMarker, graceMs = 5000): Promise<number[]> {
  const ended = new Set<number>();
  for (let round = 0; round < 20; round++) {
    const ids = findProcesses(marker);
    if (ids.length === 0) break;
    for (const id of ids) ended.add(id.pid);
    if (graceMs > 0 && round === 0) {
      signal(ids, "SIGTERM");
      for (let waited = 0; waited < graceMs && ids.some(sameProcess); waited += 50) await sleep(50);
    }
    signal(ids, "SIGKILL");
    for (let waited = 0; waited < 5000 && ids.some(sameProcess); waited += 10) await sleep(10);
  }
  return [...ended];
}

/**
 * Ends the processes a run left on this machine (its driver was killed): SIGTERM, and SIGKILL to
 * those still there after `graceMs`. Returns the pids it found.
 */
export function endRunProcesses(runId: string, graceMs = 5000): Promise<number[]> {
  return endProcesses({ env: [`CANAL_RUN_ID=${runId}`] }, graceMs);
}

/**
 * Ends what an attempt left running once it has ended: the processes still in its process group
 * and those started with its CANAL_RUN_ID, CANAL_STEP and CANAL_ATTEMPT. A step is done when its
 * command (or function) returns; a background process it left could otherwise change an output
 * after it is hashed, or outlive the run.
 */
export function endAttemptProcesses(attempt: AttemptMarker): Promise<number[]> {
  const { runId, stepKey, number, group, since } = attempt;
  return endProcesses(
    {
      env: [`CANAL_RUN_ID=${runId}`, `CANAL_STEP=${stepKey}`, `CANAL_ATTEMPT=${number}`],
      ...(group ? { groups: [group.id], except: group.except } : {}),
      ...(since !== undefined ? { since } : {}),
    },
    0,
  );
}

/** Which attempt's processes to end: its marker variables, and the process group it ran in. */
export interface AttemptMarker {
  runId: string;
  stepKey: string;
  number: number;
  group?: { id: number; except: number[] };
  /** When the attempt started (`nowTicks()`), so older processes are passed over. */
  since?: number;
}

/** The attempt marker in a step process's environment (CANAL_RUN_ID, CANAL_STEP, CANAL_ATTEMPT). */
export function attemptMarker(env: Record<string, string>): AttemptMarker | undefined {
  const { CANAL_RUN_ID: runId, CANAL_STEP: stepKey, CANAL_ATTEMPT: number } = env;
  if (!runId || !stepKey || !number) return undefined;
  return { runId, stepKey, number: Number(number) };
}

let bootTimeMs: number | undefined;

/**
 * When process `pid` started, in milliseconds since the epoch (to within a second: the boot time
 * /proc gives is whole seconds); null when there is no such process (or it has ended), undefined
 * where /proc cannot tell.
 */
export function processStartedAt(pid: number): number | null | undefined {
  try {
    bootTimeMs ??= Number(/^btime (\d+)$/m.exec(readFileSync("/proc/stat", "utf8"))?.[1]) * 1000;
  } catch {
    return undefined;
  }
  if (!Number.isFinite(bootTimeMs)) return undefined;
  const id = processId(pid);
  if (!id) return null;
  return bootTimeMs + (Number(id.startTicks) * 1000) / TICKS_PER_SECOND;
}
