import { type ChildProcess, spawn } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { endProcesses, findProcesses, processId, processStartedAt, sameProcess } from "./leftovers.js";

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
});

function start(env: Record<string, string>, detached = false): ChildProcess {
  const child = spawn("sleep", ["30"], { env: { ...process.env, ...env }, detached, stdio: "ignore" });
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
