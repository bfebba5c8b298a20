import { closeSync, openSync, readdirSync, readFileSync, readSync, statSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import {
  isProcess,
  liveProcess,
  memoryEntry,
  type ProcessId,
  processId,
  readProc,
  SETTLE_LOOKS,
  sameProcess,
  settledEnviron,
  statFields,
  type Unsettled,
} from "./proc-entry.js";

export { type ProcessId, processId, sameProcess };

// The kernel's counters are read at every attempt's start and end (eight files): each is opened
// once and read again from its start (a read of a /proc counter at offset 0 makes it afresh),
// two system calls fewer per read.
const counterFiles = new Map<string, number>();
const counterBuffer = Buffer.allocUnsafe(4096);

/** A /proc counter file, from its start, through a descriptor kept open; undefined when it cannot be read. */
function readCounter(path: string, buffer = counterBuffer): string | undefined {
  let fd = counterFiles.get(path);
  try {
    if (fd === undefined) {
      fd = openSync(path, "r");
      counterFiles.set(path, fd);
    }
    return buffer.toString("latin1", 0, readSync(fd, buffer, 0, buffer.length, 0));
  } catch {
    if (fd !== undefined) {
      counterFiles.delete(path);
      try {
        closeSync(fd);
      } catch {}
    }
    return undefined;
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
  /**
   * Only processes whose pid the kernel handed out after this mark (`pidMark()`, taken when the
   * attempt began): the others cannot be the attempt's, and their stat need not be read.
   */
  after?: PidMark;
}

/**
 * Where the kernel's pid counters stood at a moment: with a later mark, it bounds the pids that
 * can have been handed out in between (`pidWindow`).
 */
export interface PidMark {
  /** The last pid handed out in this process's pid namespace (/proc/sys/kernel/ns_last_pid). */
  lastPid: number;
  /** Processes and threads created on the machine since boot (`processes` in /proc/stat). */
  forks: number;
  /** The pids the kernel hands out are below this (/proc/sys/kernel/pid_max). */
  pidMax: number;
  /** Processes and threads alive on the machine (/proc/loadavg); undefined at a check's end. */
  tasks?: number;
}

/**
 * The pids handed out between two marks: those after `from` up to `to`, going round past pid_max
 * when `to < from`. A pid is never handed out twice in one window.
 */
export interface PidWindow {
  from: number;
  to: number;
}

// After going round, the kernel hands out pids from here up (RESERVED_PIDS in kernel/pid.c).
const RESERVED_PIDS = 300;

/**
 * Which pids can have been handed out between `start` and `now`, or undefined where that cannot be
 * told (then every process must be looked at).
 *
 * The kernel hands out the next free pid after the last one, going round to 300 past pid_max
 * (kernel/pid.c), so the pids handed out since `start` lie after its last pid, up to the last one
 * now, unless they went round once more, past `start` again. Every pid handed out is a fork
 * counted in /proc/stat, and the pids passed over are ones in use (a live task's pid, process
 * group or session: at most three per task alive, and at most `tasks` + forks were): while the two
 * add up to less than one round, no pid handed out since `start` can lie outside the window.
 * Not counted: a privileged process that sets the next pid itself (writing ns_last_pid, or
 * clone3's set_tid), and a clone refused after its pid was taken (a cgroup's pids.max).
 */
export function pidWindow(start: PidMark, now: PidMark): PidWindow | undefined {
  const forks = now.forks - start.forks;
  if (start.tasks === undefined || !(forks >= 0)) return undefined;
  // A pid handed out is a fork counted: a last pid that moved with no fork is no counter of ours.
  if (forks === 0 && now.lastPid !== start.lastPid) return undefined;
  const round = Math.min(start.pidMax, now.pidMax) - RESERVED_PIDS;
  if (3 * start.tasks + 4 * forks >= round) return undefined;
  return { from: start.lastPid, to: now.lastPid };
}

/** Whether `pid` can have been handed out in `window`. */
export function inPidWindow(pid: number, window: PidWindow): boolean {
  return window.from <= window.to
    ? pid > window.from && pid <= window.to
    : pid > window.from || pid <= window.to;
}

// /proc/stat grows with the machine's CPUs and interrupts: its own buffer, large enough for one read.
const procStatBuffer = Buffer.allocUnsafe(256 * 1024);

let samePidNamespace: boolean | undefined;

/**
 * Whether the pids /proc lists count in the pid namespace that ns_last_pid counts in (this
 * process's): /proc/self/status lists this process's pid in each namespace from /proc's own down
 * to this process's, so a single pid, this process's, says they are one namespace.
 */
export function pidsCountedHere(status: string | undefined, pid: number): boolean {
  return /^NSpid:[ \t]+(\d+)[ \t]*$/m.exec(status ?? "")?.[1] === String(pid);
}

function readNumber(path: string): number | undefined {
  const text = readCounter(path);
  return text === undefined ? undefined : Number.parseInt(text, 10);
}

/**
 * The kernel's pid counters now, or undefined where /proc does not give them or counts pids in
 * another namespace than the one it lists. `start`: the mark of an attempt's start, with the tasks
 * alive; otherwise the mark of a check, at its end.
 */
export function pidMark(start = true): PidMark | undefined {
  samePidNamespace ??= pidsCountedHere(readProc("/proc/self/status"), process.pid);
  if (!samePidNamespace) return undefined;
  const readForks = () => {
    const stat = readCounter("/proc/stat", procStatBuffer);
    return stat === undefined ? undefined : Number(/^processes (\d+)$/m.exec(stat)?.[1]);
  };
  const readLastPid = () => readNumber("/proc/sys/kernel/ns_last_pid");
  // In the order that errs on the side of a wider window: at a start, the forks and the tasks
  // before the last pid (any pid handed out after it is read is then counted); at an end, the last
  // pid first (any pid handed out before it is read is then counted, and inside the window).
  let forks: number | undefined;
  let tasks: number | undefined;
  let lastPid: number | undefined;
  if (start) {
    forks = readForks();
    tasks = Number(readCounter("/proc/loadavg")?.split(" ")[3]?.split("/")[1]);
    lastPid = readLastPid();
  } else {
    lastPid = readLastPid();
    forks = readForks();
    tasks = 0;
  }
  const pidMax = readNumber("/proc/sys/kernel/pid_max");
  const counters = [lastPid, pidMax, forks, tasks];
  if (!counters.every((n) => n !== undefined && Number.isSafeInteger(n) && n >= 0) || !lastPid)
    return undefined;
  return {
    lastPid: lastPid as number,
    forks: forks as number,
    pidMax: pidMax as number,
    ...(start ? { tasks: tasks as number } : {}),
  };
}

// Up to this many pids, each is looked up in /proc by number (most of them gone: a failed open);
// a wider window lists /proc and passes over the pids outside it, unread.
const PROBE_MAX = 32;

/** The pids of the processes that may carry a marker: every one /proc lists, or those of a window. */
function candidates(after: PidMark | undefined): { pids: Iterable<number>; threads: boolean } {
  const now = after && pidMark(false);
  const window = after && now ? pidWindow(after, now) : undefined;
  // A listed pid is a process; one looked up by number may be a thread, which /proc does not list.
  if (window && window.from <= window.to && window.to - window.from <= PROBE_MAX)
    return { pids: probe(window), threads: true };
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return { pids: [], threads: false }; // no procfs: nothing can be found this way
  }
  const pids: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (!window || inPidWindow(pid, window)) pids.push(pid);
  }
  return { pids, threads: false };
}

function* probe(window: PidWindow): Generator<number> {
  // Most of the window's pids are gone: a stat that finds none costs a fraction of a failed open
  // (whose error Node builds, with its stack).
  for (let pid = window.from + 1; pid <= window.to; pid++)
    if (statSync(`/proc/${pid}`, { throwIfNoEntry: false })) yield pid;
}

/** Clock ticks per second as /proc counts them (USER_HZ: 100 on every Linux architecture). */
const TICKS_PER_SECOND = 100;

/** Now, in the clock ticks after boot that /proc/<pid>/stat's start times count, with a margin. */
export function nowTicks(marginSeconds = 2): number | undefined {
  try {
    const uptime = Number(readCounter("/proc/uptime")?.split(" ")[0]);
    if (!Number.isFinite(uptime)) return undefined;
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
  return scan(marker).found;
}

/** What `findProcesses` finds, and why any process it passed over could not be told yet. */
function scan(marker: ProcessMarker): { found: ProcessId[]; unsettled?: Unsettled } {
  const found: ProcessId[] = [];
  let unsettled: Unsettled | undefined;
  const { pids, threads } = candidates(marker.after);
  const except = new Set([process.pid, ...(marker.except ?? [])]);
  const groups = new Set(marker.groups ?? []);
  const env = marker.env ?? [];
  for (const pid of pids) {
    if (except.has(pid)) continue;
    const fields = statFields(pid);
    const id = fields && liveProcess(pid, fields);
    if (!id) continue;
    let marked = groups.has(id.group);
    if (!marked) {
      if (env.length === 0 || (marker.since !== undefined && Number(id.startTicks) < marker.since)) continue;
      const entry = memoryEntry(pid, fields[0] === "Z");
      const { variables, unsettled: why } = entry ? settledEnviron(entry) : {};
      if (why && unsettled !== "exec") unsettled = why;
      marked = variables !== undefined && env.every((entry) => variables.includes(entry));
    }
    // A thread shares its process's group and environment: the process is found by its own pid.
    if (marked && (!threads || isProcess(pid))) found.push(id);
  }
  return unsettled ? { found, unsettled } : { found };
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
  let looks = 0;
  for (let round = 0; round < 20; ) {
    const { found: ids, unsettled } = scan(marker);
    if (ids.length === 0) {
      // One that left the group (setsid) and is in the middle of its exec shows no environment
      // yet: looked at again once it has one.
      if (unsettled && looks++ < SETTLE_LOOKS[unsettled]) {
        await sleep(1);
        continue;
      }
      break;
    }
    for (const id of ids) ended.add(id.pid);
    if (graceMs > 0 && round === 0) {
      signal(ids, "SIGTERM");
      for (let waited = 0; waited < graceMs && ids.some(sameProcess); waited += 50) await sleep(50);
    }
    signal(ids, "SIGKILL");
    for (let waited = 0; waited < 5000 && ids.some(sameProcess); waited += 10) await sleep(10);
    // Counted once its processes are signalled: the first round is the one that gives the grace.
    round++;
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
  const { runId, stepKey, number, group, since, after } = attempt;
  return endProcesses(
    {
      env: [`CANAL_RUN_ID=${runId}`, `CANAL_STEP=${stepKey}`, `CANAL_ATTEMPT=${number}`],
      ...(group ? { groups: [group.id], except: group.except } : {}),
      ...(since !== undefined ? { since } : {}),
      ...(after ? { after } : {}),
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
  /**
   * The pid counters when the attempt started (`pidMark()`), so only pids handed out since are
   * looked at. A process of its group older than the attempt needs no look either: the end of the
   * attempt before in the same group ended all but the group's leader.
   */
  after?: PidMark;
}

/** Marks an attempt's start, before anything of it is started: what `AttemptMarker` takes. */
export function attemptStart(): { since?: number; after?: PidMark } {
  const since = nowTicks();
  const after = pidMark();
  return { ...(since !== undefined ? { since } : {}), ...(after ? { after } : {}) };
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
