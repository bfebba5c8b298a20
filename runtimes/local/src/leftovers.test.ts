import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  endProcesses,
  findProcesses,
  inPidWindow,
  type PidMark,
  pidMark,
  pidsCountedHere,
  pidWindow,
  processId,
  processStartedAt,
  sameProcess,
} from "./leftovers.js";

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
});

function start(env: Record<string, string>, detached = false, command = ["sleep", "30"]): ChildProcess {
  const [file, ...args] = command as [string, ...string[]];
  const child = spawn(file, args, { env: { ...process.env, ...env }, detached, stdio: "ignore" });
  children.push(child);
  return child;
}

describe("processes found by what marks them", () => {
  it("names a process by its pid and start time, and knows when it started", () => {
    const before = Date.now();
    const child = start({});
    const id = processId(child.pid as number);
    expect(id).toMatchObject({ pid: child.pid });
    expect(sameProcess(id as NonNullable<typeof id>)).toBe(true);
    // Another start time under the same pid is another process.
    expect(sameProcess({ ...(id as NonNullable<typeof id>), startTicks: "1" })).toBe(false);
    const started = processStartedAt(child.pid as number) as number;
    expect(Math.abs(started - before)).toBeLessThan(3000);
    expect(processStartedAt(2 ** 22 + 1)).toBeNull();
  });

  it("finds by every marker variable, or by group, and ends them, never this process", async () => {
    const marked = start({ CANAL_RUN_ID: "run-a", CANAL_STEP: "s" });
    const otherStep = start({ CANAL_RUN_ID: "run-a", CANAL_STEP: "t" });
    const grouped = start({}, true);
    const pids = (marker: Parameters<typeof findProcesses>[0]) => findProcesses(marker).map((p) => p.pid);
    // Until each has exec'd `sleep` with its own environment (before, it shows this process's).
    while (pids({ env: ["CANAL_RUN_ID=run-a"] }).length < 2) await new Promise((r) => setTimeout(r, 10));
    expect(pids({ env: ["CANAL_RUN_ID=run-a", "CANAL_STEP=s"] })).toEqual([marked.pid]);
    expect(pids({ env: ["CANAL_RUN_ID=run-a"] }).sort()).toEqual([marked.pid, otherStep.pid].sort());
    expect(pids({ groups: [grouped.pid as number] })).toEqual([grouped.pid]);
    expect(pids({ groups: [grouped.pid as number], except: [grouped.pid as number] })).toEqual([]);
    expect(pids({ groups: [process.pid], env: [`PATH=${process.env.PATH}`] })).not.toContain(process.pid);
    const ended = await endProcesses({ env: ["CANAL_RUN_ID=run-a", "CANAL_STEP=s"] }, 0);
    expect(ended).toEqual([marked.pid]);
    expect(processId(marked.pid as number)).toBeUndefined();
    expect(processId(otherStep.pid as number)).toBeDefined();
  });
});

describe("the pids an attempt can have started", () => {
  const start0: PidMark = { lastPid: 1000, forks: 5000, pidMax: 32768, tasks: 200 };
  const at = (lastPid: number, forks: number, pidMax = 32768): PidMark => ({ lastPid, forks, pidMax });

  it("are those handed out after the start's last pid, up to the last one now", () => {
    const window = pidWindow(start0, at(1010, 5012));
    expect(window).toEqual({ from: 1000, to: 1010 });
    const inside = (pid: number) => inPidWindow(pid, window as NonNullable<typeof window>);
    expect([1001, 1005, 1010].map(inside)).toEqual([true, true, true]);
    expect([1, 999, 1000, 1011, 32767].map(inside)).toEqual([false, false, false, false, false]);
    // No pid handed out: no pid at all.
    const none = pidWindow(start0, at(1000, 5000)) as NonNullable<ReturnType<typeof pidWindow>>;
    expect([999, 1000, 1001].some((pid) => inPidWindow(pid, none))).toBe(false);
  });

  it("go round past pid_max", () => {
    const window = pidWindow({ ...start0, lastPid: 32760 }, at(305, 5020)) as NonNullable<
      ReturnType<typeof pidWindow>
    >;
    expect(window).toEqual({ from: 32760, to: 305 });
    expect([32761, 32767, 300, 305].every((pid) => inPidWindow(pid, window))).toBe(true);
    expect([32760, 306, 1000, 20000].some((pid) => inPidWindow(pid, window))).toBe(false);
  });

  it("cannot be told when the pids may have gone round once more, or the counters are not ours", () => {
    // Enough forks (and pids in use, passed over) for a whole round: back past the start.
    expect(pidWindow(start0, at(1010, 5000 + 8000))).toBeUndefined();
    expect(pidWindow({ ...start0, tasks: 10_810 }, at(1010, 5010))).toBeUndefined();
    // pid_max lowered meanwhile: the round is the smaller one.
    expect(pidWindow(start0, at(1010, 5010, 900))).toBeUndefined();
    expect(pidWindow(start0, at(1010, 5010, 40_000))).toEqual({ from: 1000, to: 1010 });
    // A forks counter that went back, or a last pid that moved with no fork counted.
    expect(pidWindow(start0, at(1010, 4999))).toBeUndefined();
    expect(pidWindow(start0, at(1010, 5000))).toBeUndefined();
    // A check's mark is no start's: it has no count of the tasks alive.
    expect(pidWindow(at(1000, 5000), at(1010, 5010))).toBeUndefined();
  });

  it("are told only where /proc lists the pids of this process's own namespace", () => {
    expect(pidsCountedHere(readFileSync("/proc/self/status", "utf8"), process.pid)).toBe(true);
    // Another namespace below /proc's: this process has a pid in each.
    expect(pidsCountedHere("Name:\tnode\nNSpid:\t41234\t7\nNSpgid:\t1\n", 7)).toBe(false);
    expect(pidsCountedHere("Name:\tnode\nNSpid:\t41234\t7\n", 41234)).toBe(false);
    expect(pidsCountedHere("Name:\tnode\nPid:\t7\n", 7)).toBe(false);
    expect(pidsCountedHere(undefined, 7)).toBe(false);
    const mark = pidMark();
    expect(mark?.tasks).toBeGreaterThan(0);
    expect(mark?.lastPid).toBeGreaterThan(0);
  });

  it("are read afresh at each mark, through descriptors kept open", () => {
    const first = pidMark(false) as PidMark;
    const { pid } = spawnSync("/bin/true");
    const second = pidMark(false) as PidMark;
    expect(second.forks).toBeGreaterThan(first.forks);
    expect(inPidWindow(pid, { from: first.lastPid, to: second.lastPid })).toBe(true);
    const open = readdirSync("/proc/self/fd").map((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        return "";
      }
    });
    expect(open).toEqual(expect.arrayContaining(["/proc/sys/kernel/ns_last_pid", "/proc/stat"]));
    // Opened close-on-exec: a step's process, started after, holds none of them.
    const child = spawnSync("/bin/sh", ["-c", 'for fd in /proc/$$/fd/*; do readlink "$fd"; done'], {
      encoding: "utf8",
    });
    expect(child.stdout).toMatch(/\S/);
    expect(child.stdout).not.toContain("/proc/");
  });

  it("are the only ones looked at: a process of the group older than the mark is passed over", async () => {
    const older = start({ CANAL_RUN_ID: "run-w", CANAL_STEP: "s" }, true);
    await started(older);
    const mark = pidMark() as PidMark;
    const newer = start({ CANAL_RUN_ID: "run-w", CANAL_STEP: "s" }, true);
    await started(newer);
    const groups = [older.pid as number, newer.pid as number];
    const pids = (after?: PidMark) =>
      findProcesses({ groups, ...(after ? { after } : {}) }).map((p) => p.pid);
    expect(pids().sort()).toEqual([...groups].sort());
    expect(pids(mark)).toEqual([newer.pid]);
    expect(findProcesses({ env: ["CANAL_RUN_ID=run-w"], after: mark }).map((p) => p.pid)).toEqual([
      newer.pid,
    ]);
  });

  it("are passed over when a wide window lists /proc instead", async () => {
    const older = start({}, true);
    await started(older);
    const mark = pidMark() as PidMark;
    // More pids handed out than are looked up one by one.
    spawnSync("/bin/sh", ["-c", "i=0; while [ $i -lt 400 ]; do /bin/true; i=$((i+1)); done"]);
    const newer = start({}, true);
    await started(newer);
    const window = pidWindow(mark, pidMark(false) as PidMark) as NonNullable<ReturnType<typeof pidWindow>>;
    expect((window.to - window.from + 32768) % 32768).toBeGreaterThan(32);
    const groups = [older.pid as number, newer.pid as number];
    expect(findProcesses({ groups, after: mark }).map((p) => p.pid)).toEqual([newer.pid]);
  });

  it("hold threads, which are not taken for processes of the group", async () => {
    const mark = pidMark() as PidMark;
    const node = start({}, true, [process.execPath, "-e", "setTimeout(() => {}, 30000)"]);
    const pid = node.pid as number;
    // Node starts its threads as it starts: their pids are in the window too.
    while (readdirSync(`/proc/${pid}/task`).length < 3) await new Promise((r) => setTimeout(r, 10));
    expect(findProcesses({ groups: [pid], after: mark }).map((p) => p.pid)).toEqual([pid]);
    expect(findProcesses({ groups: [pid], except: [pid], after: mark })).toEqual([]);
  });
});

/** Until `child` runs its own command (before its exec, it is a copy of this process). */
async function started(child: ChildProcess): Promise<void> {
  const pid = child.pid as number;
  while (!readFileSync(`/proc/${pid}/cmdline`, "latin1").startsWith("sleep"))
    await new Promise((r) => setTimeout(r, 10));
}

describe("a process in the middle of an exec", () => {
  it("is found once its environment shows, not passed over while the kernel shows none", async () => {
    // A marked process that execs itself over and over spends part of its time in an exec, where
    // /proc shows its environment as empty.
    const script = 'exec /bin/sh -c "$0" "$0"';
    for (let trial = 0; trial < 60; trial++) {
      const child = start({ CANAL_RUN_ID: `run-exec-${trial}` }, true, ["/bin/sh", "-c", script, script]);
      const marker = { env: [`CANAL_RUN_ID=run-exec-${trial}`] };
      while (findProcesses(marker).length === 0) await new Promise((r) => setTimeout(r, 1));
      const id = processId(child.pid as number) as NonNullable<ReturnType<typeof processId>>;
      expect(await endProcesses(marker, 0), `trial ${trial}`).toEqual([child.pid]);
      expect(sameProcess(id), `trial ${trial}`).toBe(false);
    }
  });
});

describe("the end of a run's processes", () => {
  it("sends SIGTERM first, so a process given a grace can end cleanly", async () => {
    const dir = mkdtempSync(join(tmpdir(), "canal-term-"));
    const note = join(dir, "term");
    // Notes its SIGTERM and ends; SIGKILL would end it with no note.
    const script = `trap 'echo term > "${note}"; exit 0' TERM; echo ready > "${note}.ready"; while :; do sleep 0.05; done`;
    const child = start({ CANAL_RUN_ID: "run-term" }, true, ["/bin/sh", "-c", script]);
    while (!existsSync(`${note}.ready`)) await new Promise((r) => setTimeout(r, 10));
    const marker = { env: ["CANAL_RUN_ID=run-term"] };
    const ended = await endProcesses(marker, 10_000);
    expect(ended).toContain(child.pid);
    expect(readFileSync(note, "utf8")).toBe("term\n");
    expect(findProcesses(marker)).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe("a process whose first thread has exited", () => {
  it("is found by its marker and its group while its other threads run, and ended", async () => {
    // Its first thread calls pthread_exit: /proc shows the process as a zombie, with no environment
    // of its own, while its other thread runs on.
    const script = [
      "import ctypes, threading, time",
      "threading.Thread(target=lambda: time.sleep(30)).start()",
      "time.sleep(0.05)",
      "ctypes.CDLL(None).pthread_exit(None)",
    ].join("\n");
    const child = start({ CANAL_RUN_ID: "run-leader" }, true, ["python3", "-c", script]);
    const pid = child.pid as number;
    const status = () => readFileSync(`/proc/${pid}/status`, "latin1");
    while (!/^State:\s+Z/m.test(status())) await new Promise((r) => setTimeout(r, 10));
    expect(status()).toMatch(/^Threads:\s+2$/m);
    const marker = { env: ["CANAL_RUN_ID=run-leader"] };
    expect(findProcesses(marker).map((p) => p.pid)).toEqual([pid]);
    expect(findProcesses({ groups: [pid] }).map((p) => p.pid)).toEqual([pid]);
    const id = processId(pid) as NonNullable<ReturnType<typeof processId>>;
    expect(await endProcesses(marker, 0)).toEqual([pid]);
    expect(sameProcess(id)).toBe(false);
  });
});
