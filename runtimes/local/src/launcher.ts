// node:child_process (and node:readline) are taken when the first process is started, not with the
// module: a run that the cache answers whole starts none, and loads neither.
import type { ChildProcess } from "node:child_process";
import {
  closeSync,
  existsSync,
  ftruncateSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readSync,
  rmSync,
  writeSync,
} from "node:fs";
import { constants, tmpdir } from "node:os";
import { join } from "node:path";
import { StringDecoder } from "node:string_decoder";
import { baseEnvironment, shellQuote } from "@canal/runtime-core";
import { attemptMarker, attemptStart, endAttemptProcesses, findProcesses } from "./leftovers.js";

const KILL_GRACE_MS = 2000;
const POLL_MS = 100;
const TAIL_CHARS = 2000;

/** A command to run under /bin/sh: in `cwd`, with exactly `env`, its output passed to `log`. */
export interface Launch {
  command: string;
  cwd: string;
  env: Record<string, string>;
  /** Aborted on cancel or timeout: every process of the command ends (SIGTERM, then SIGKILL). */
  signal: AbortSignal;
  log(stream: "stdout" | "stderr", text: string): void;
}

/** How the command ended: its exit status or the signal that ended it, or why it never started. */
export type Ended =
  | { code: number | null; signal: NodeJS.Signals | null; stderrTail: string }
  | { error: string };

/** Starts commands under /bin/sh, each in a process group of its own. */
export interface Launcher {
  launch(launch: Launch): Promise<Ended>;
  close(): Promise<void>;
}

function killGroup(pid: number | undefined): NodeJS.Timeout | undefined {
  if (!pid) return undefined;
  try {
    process.kill(-pid, "SIGTERM");
  } catch {}
  return setTimeout(() => {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {}
  }, KILL_GRACE_MS);
}

/**
 * Ends what a command left running once its shell has ended: the rest of its process group, and
 * the processes that carry its attempt's marker (those that left the group). Its outputs are only
 * hashed after this, so nothing of the step can change them later.
 */
async function endLeftovers(
  launch: Launch,
  started: ReturnType<typeof attemptStart>,
  group: number | undefined,
  shell?: number,
) {
  const marker = attemptMarker(launch.env);
  if (marker)
    await endAttemptProcesses({
      ...marker,
      ...started,
      ...(group ? { group: { id: group, except: shell ? [shell] : [] } } : {}),
    });
  else if (group && !shell) {
    try {
      process.kill(-group, "SIGKILL");
    } catch {}
  }
}

/** Spawns `/bin/sh -c command` from this process, in a new session (so a cancel ends every child). */
export function spawnShell(launch: Launch): Promise<Ended> {
  const started = attemptStart();
  return new Promise<Ended>((resolve) => {
    const child = process.getBuiltinModule("node:child_process").spawn("/bin/sh", ["-c", launch.command], {
      cwd: launch.cwd,
      env: launch.env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderrTail = "";
    child.stdout.on("data", (chunk: Buffer) => launch.log("stdout", chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      stderrTail = (stderrTail + text).slice(-TAIL_CHARS);
      launch.log("stderr", text);
    });
    let killTimer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      killTimer = killGroup(child.pid);
    };
    launch.signal.addEventListener("abort", onAbort);
    child.on("error", (error) => {
      launch.signal.removeEventListener("abort", onAbort);
      resolve({ error: error.message });
    });
    // A background process that keeps the shell's stdout open would hold off "close" for as long
    // as it runs: the shell's exit ends it.
    child.on("exit", () => void endLeftovers(launch, started, child.pid));
    child.on("close", (code, signal) => {
      clearTimeout(killTimer);
      launch.signal.removeEventListener("abort", onAbort);
      void endLeftovers(launch, started, child.pid).then(() => resolve({ code, signal, stderrTail }));
    });
  });
}

// Each resident shell runs the jobs it is sent one at a time. A job is its file $1, rewritten in
// place for each (shorter ones padded with newlines: truncating a file costs more than writing
// it): one simple command that changes to the job's directory and runs `/bin/sh -c command` with
// the job's variables assigned in front of it, so the shell starts it with vfork (no copy of
// itself) and no change outlives the job but the directory (and the OLDPWD its cd sets, which
// the next job unsets). Its output is appended to $2 and $3,
// read from where the previous job's ended. A job is started by one byte on the shell's input (a
// shell reads its input a byte at a time); the shell answers with the job's exit status.
const RESIDENT_LOOP = `while IFS= read -r _; do
  . "$1" </dev/null >>"$2" 2>>"$3"
  echo "$?"
done`;

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

// Output files are emptied between jobs once they hold this much.
const OUTPUT_ROTATE_BYTES = 64 * 1024 * 1024;

interface Resident {
  child: ChildProcess;
  /** The environment it was started with, which its jobs start from. */
  env: Record<string, string>;
  /** Its job file, open, and the longest job written to it. */
  job: { fd: number; length: number };
  /** The files its jobs' stdout and stderr are appended to, open, and where the next job's start. */
  out: { fd: number; at: number };
  err: { fd: number; at: number };
  answer?: (status: number | undefined) => void;
  /** Running a job: its files stay open until the job is done with them. */
  busy: boolean;
  exited: boolean;
}

/**
 * Starts commands through small resident shells instead of from this process. Node's spawn forks
 * the whole Node process, whose cost grows with its memory (page tables are copied, and every page
 * it then writes faults once), and on virtual machines that is many times the cost of the command
 * itself; a resident /bin/sh forks in a fraction of that, as make does. One shell runs one job at
 * a time, in the shell's process group: a cancel ends that group (the shell with it, and the next
 * job gets a fresh one). Output goes to files of the shell's own in a temporary directory, read as
 * it grows and passed on as before. A command whose environment lacks a variable the shell has
 * (removed from this process's since) is spawned directly.
 */
export class ResidentShells implements Launcher {
  private idle: Resident[] = [];
  private readonly all = new Set<Resident>();
  private dir: string | undefined;
  private started = 0;

  /** `root`: where the shells' files go, a folder per process (default: the system's temp folder). */
  constructor(private readonly root: string = tmpdir()) {}

  async launch(launch: Launch): Promise<Ended> {
    const started = attemptStart();
    const resident = this.idle.pop() ?? this.start();
    const script = jobScript(launch, resident.env);
    if (script === undefined) {
      this.idle.push(resident);
      return spawnShell(launch);
    }
    const { job } = resident;
    resident.busy = true;
    const bytes = Buffer.from(script);
    const padded = Buffer.alloc(Math.max(bytes.length, job.length), "\n");
    bytes.copy(padded);
    writeSync(job.fd, padded, 0, padded.length, 0);
    job.length = padded.length;
    for (const output of [resident.out, resident.err]) {
      if (output.at < OUTPUT_ROTATE_BYTES) continue;
      ftruncateSync(output.fd, 0);
      output.at = 0;
    }
    const stdout = new Tail(resident.out, (text) => launch.log("stdout", text));
    let stderrTail = "";
    const stderr = new Tail(resident.err, (text) => {
      stderrTail = (stderrTail + text).slice(-TAIL_CHARS);
      launch.log("stderr", text);
    });
    const poll = setInterval(() => {
      stdout.read();
      stderr.read();
    }, POLL_MS);
    let killTimer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      killTimer ??= killGroup(resident.child.pid);
    };
    launch.signal.addEventListener("abort", onAbort);
    try {
      const status = await new Promise<number | undefined>((resolve) => {
        if (resident.exited) return resolve(undefined);
        resident.answer = resolve;
        resident.child.stdin?.write("\n");
        if (launch.signal.aborted) onAbort();
      });
      // The shell may end before the processes of its group do (one that ignores SIGTERM lives on
      // until the SIGKILL): the command has ended only once none is left.
      if (killTimer) await groupEnded(resident.child.pid);
      // What the job left in the shell's group, or started with its marker, ends with it.
      await endLeftovers(launch, started, resident.child.pid, resident.child.pid);
      stdout.finish();
      stderr.finish();
      if (status === undefined) {
        // The shell is gone: ended with the job's process group (a cancel), or killed.
        const signal = resident.child.signalCode;
        return { code: null, signal: signal ?? "SIGKILL", stderrTail };
      }
      this.idle.push(resident);
      // The shell reports a command ended by a signal as 128 + its number.
      const signal = status > 128 ? signalName(status - 128) : undefined;
      return signal ? { code: null, signal, stderrTail } : { code: status, signal: null, stderrTail };
    } finally {
      clearInterval(poll);
      clearTimeout(killTimer);
      launch.signal.removeEventListener("abort", onAbort);
      resident.answer = undefined;
      resident.busy = false;
      if (resident.exited) closeFiles(resident);
    }
  }

  private start(): Resident {
    // The environment rule's base, which every step's environment starts from: a job then assigns
    // only its own variables (and no variable of this process's is there to be removed).
    const env = baseEnvironment();
    this.dir ??= this.makeDir();
    const base = join(this.dir, String(++this.started));
    const paths = [`${base}.sh`, `${base}.out`, `${base}.err`];
    const [job, out, err] = paths.map((path) => openSync(path, "w+")) as [number, number, number];
    const child = process
      .getBuiltinModule("node:child_process")
      .spawn("/bin/sh", ["-c", RESIDENT_LOOP, "sh", ...paths], {
        env,
        detached: true,
        stdio: ["pipe", "pipe", "ignore"],
      });
    const resident: Resident = {
      child,
      env,
      job: { fd: job, length: 0 },
      out: { fd: out, at: 0 },
      err: { fd: err, at: 0 },
      busy: false,
      exited: false,
    };
    this.all.add(resident);
    const { createInterface } = process.getBuiltinModule("node:readline");
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      resident.answer?.(Number(line));
    });
    child.on("error", () => {});
    child.on("exit", () => {
      this.all.delete(resident);
      this.idle = this.idle.filter((r) => r !== resident);
      resident.exited = true;
      if (!resident.busy) closeFiles(resident);
      resident.answer?.(undefined);
    });
    // The pipe to a shell that is gone must not take this process down with EPIPE.
    child.stdin?.on("error", () => {});
    return resident;
  }

  /** A folder of this process's own; those of processes that ended without closing are removed. */
  private makeDir(): string {
    mkdirSync(this.root, { recursive: true });
    for (const name of readdirSync(this.root)) {
      const owner = /^canal-shells-(\d+)-/.exec(name)?.[1];
      if (owner && !alive(Number(owner))) rmSync(join(this.root, name), { recursive: true, force: true });
    }
    return mkdtempSync(join(this.root, `canal-shells-${process.pid}-`));
  }

  async close(): Promise<void> {
    const exits = [...this.all].map(
      ({ child }) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once("exit", () => resolve());
          child.stdin?.end();
        }),
    );
    this.idle = [];
    await Promise.all(exits);
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }
}

/**
 * The job file: the directory, then the command as `/bin/sh -c` runs it, preceded by the variables
 * that differ from the shell's own. Undefined when a variable must be removed, which an assignment
 * cannot do.
 */
function jobScript(launch: Launch, base: Record<string, string>): string | undefined {
  // The shell's own cd sets OLDPWD, exported, to the folder of the job before it (another step's):
  // a command spawned directly has none.
  const words = [`cd ${shellQuote(launch.cwd)} && unset OLDPWD &&`];
  for (const name of Object.keys(base)) if (!(name in launch.env) && name !== "PWD") return undefined;
  for (const [name, value] of Object.entries(launch.env)) {
    // The shell sets PWD itself, to the job's directory. A name that is no shell name never
    // reaches a command of /bin/sh -c, spawned from here or not: the shell drops it.
    if (base[name] === value || name === "PWD" || !NAME.test(name)) continue;
    words.push(`${name}=${shellQuote(value)}`);
  }
  words.push("/bin/sh", "-c", shellQuote(launch.command), "\n");
  return words.join(" ");
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function closeFiles(resident: Resident): void {
  for (const { fd } of [resident.job, resident.out, resident.err]) closeSync(fd);
}

async function groupEnded(pid: number | undefined): Promise<void> {
  const deadline = Date.now() + KILL_GRACE_MS + 5000;
  const procfs = existsSync("/proc/self/stat");
  while (pid && Date.now() < deadline) {
    // A zombie has ended, though kill(0) still finds its group: where no one reaps orphans (a
    // container's first process), waiting for it would take until the deadline.
    if (procfs) {
      if (findProcesses({ groups: [pid] }).length === 0) return;
    } else {
      try {
        process.kill(-pid, 0);
      } catch {
        return;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function signalName(number: number): NodeJS.Signals | undefined {
  for (const [name, value] of Object.entries(constants.signals))
    if (value === number) return name as NodeJS.Signals;
  return undefined;
}

// Reads are synchronous, so every tail can share one buffer.
const tailBuffer = Buffer.allocUnsafe(64 * 1024);

/** Reads what a job appends to an output file as it runs, from where the previous job's ended. */
class Tail {
  private readonly decoder = new StringDecoder("utf8");

  constructor(
    private readonly file: { fd: number; at: number },
    private readonly emit: (text: string) => void,
  ) {}

  read(): void {
    for (;;) {
      const bytes = readSync(this.file.fd, tailBuffer, 0, tailBuffer.length, this.file.at);
      if (bytes === 0) return;
      this.file.at += bytes;
      const text = this.decoder.write(tailBuffer.subarray(0, bytes));
      if (text) this.emit(text);
    }
  }

  finish(): void {
    this.read();
    const rest = this.decoder.end();
    if (rest) this.emit(rest);
  }
}
