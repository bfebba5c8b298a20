// One process as /proc shows it: its stat, whether it is still alive, and the environment it was
// started with (what marks a step's processes), told apart from what an exec shows meanwhile.
import { closeSync, openSync, readdirSync, readFileSync, readSync } from "node:fs";

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

/** A small file of /proc, in one read into `buffer`; undefined when it cannot be read. */
export function readProc(path: string, buffer = statBuffer): string | undefined {
  try {
    const fd = openSync(path, "r");
    try {
      return buffer.toString("latin1", 0, readSync(fd, buffer, 0, buffer.length, 0));
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

/**
 * Fields of /proc/<pid>/stat (or of the stat in the /proc entry `pid` names: a thread's) after the
 * command name, which may itself hold spaces or ")".
 */
export function statFields(pid: number | string): string[] | undefined {
  const stat = readProc(`${typeof pid === "number" ? `/proc/${pid}` : pid}/stat`);
  if (stat === undefined) return undefined;
  // After ") ": state (field 3), ppid, pgrp (5), … starttime (22).
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

/** The process `pid` now is, or undefined when there is none (or it has ended: a zombie). */
export function processId(pid: number): ProcessId | undefined {
  const fields = statFields(pid);
  return fields && liveProcess(pid, fields);
}

/** The process that stat `fields` describe, or undefined when it has ended (a zombie). */
export function liveProcess(pid: number, fields: string[]): ProcessId | undefined {
  if (fields[0] === "X" || (fields[0] === "Z" && !leaderGone(pid))) return undefined;
  return { pid, group: Number(fields[2]), startTicks: fields[19] ?? "" };
}

/**
 * Whether process `pid`, whose stat shows a zombie, is one whose first thread exited
 * (pthread_exit) while its other threads run on: /proc shows the process by that thread, a zombie
 * until the last of them ends, and a signal to its pid still reaches them.
 */
function leaderGone(pid: number): boolean {
  return Number(/^Threads:\s+(\d+)$/m.exec(readProc(`/proc/${pid}/status`) ?? "")?.[1]) > 1;
}

/**
 * Where /proc shows the memory of process `pid` (its environment): its own entry, or, once its
 * first thread has exited (which then shows none), one of the threads still running.
 */
export function memoryEntry(pid: number, zombie: boolean): string | undefined {
  if (!zombie) return `/proc/${pid}`;
  try {
    const thread = readdirSync(`/proc/${pid}/task`).find((tid) => tid !== String(pid));
    return thread && `/proc/${pid}/task/${thread}`;
  } catch {
    return undefined;
  }
}

/** Whether `id` is still the process it was when found (not ended, its pid not taken by another). */
export function sameProcess(id: ProcessId): boolean {
  return processId(id.pid)?.startTicks === id.startTicks;
}

function environ(entry: string): string[] | undefined {
  try {
    const text = readFileSync(`${entry}/environ`, "utf8");
    return text === "" ? [] : text.split("\0");
  } catch {
    return undefined; // ended meanwhile, or another user's: not ours to end
  }
}

// Flags of /proc/<pid>/stat (field 9): a kernel thread's, and a process's on its way out.
const PF_EXITING = 0x4;
const PF_KTHREAD = 0x200000;

/**
 * Why a process whose environment read as empty may not have shown it. Through an exec, from the
 * mapping of the new program until its stack is set up, /proc shows no environment (env_end,
 * field 51 of its stat, is 0: "exec"); while the kernel writes the environment's pointers, it
 * shows an empty one (env_end is env_start: "empty", which is also what a process started with no
 * environment at all shows, for good). A read begun before an exec reads the old program's memory,
 * gone by then: empty too, though the stat shows an environment ("set"). "none": a kernel thread,
 * a process on its way out or gone, which has none to show.
 */
type Shown = "exec" | "empty" | "set" | "none";

function environShown(entry: string): Shown {
  const fields = statFields(entry);
  if (!fields || Number(fields[6]) & (PF_KTHREAD | PF_EXITING)) return "none";
  const [envStart, envEnd] = [fields[47], fields[48]];
  // Before Linux 3.5, stat has no such fields: the command line, set up just before, tells.
  if (envEnd === undefined) return readProc(`${entry}/cmdline`) === "" ? "exec" : "set";
  return envEnd === "0" ? "exec" : envEnd === envStart ? "empty" : "set";
}

/** Why a process could not be told yet: it is in an exec, or shows an empty environment. */
export type Unsettled = "exec" | "empty";

/**
 * The environment the process at /proc `entry` was started with, and, where it still shows none,
 * why (looked at again while the kernel shows one is set).
 */
export function settledEnviron(entry: string): { variables?: string[]; unsettled?: Unsettled } {
  let variables = environ(entry);
  for (let look = 0; variables?.length === 0 && look < 3; look++) {
    const shown = environShown(entry);
    if (shown === "none") break;
    variables = environ(entry);
    if (variables?.length === 0 && shown !== "set") return { variables, unsettled: shown };
  }
  return variables ? { variables } : {};
}

// How long a look waits for such a process to settle, in looks 1 ms apart: an exec for as long
// as a loaded machine may take to read a program in; an empty environment only a moment, since
// a process started with none shows the same for good.
export const SETTLE_LOOKS: Record<Unsettled, number> = { exec: 500, empty: 5 };

/** Whether `pid` is a process rather than one of the threads of another (whose Tgid it is not). */
export function isProcess(pid: number): boolean {
  return /^Tgid:\s+(\d+)$/m.exec(readProc(`/proc/${pid}/status`) ?? "")?.[1] === String(pid);
}
