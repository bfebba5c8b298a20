import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { holdRunLease, liveRunLeases, processAlive, takeGcLock } from "./gc-lock.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "canal-gc-lock-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A process that exists until killed, and one that has ended (its pid is free). */
async function processes(): Promise<{ alive: ReturnType<typeof spawn>; gone: number }> {
  const alive = spawn("sleep", ["60"], { stdio: "ignore" });
  const ended = spawn("true", [], { stdio: "ignore" });
  await new Promise((resolve) => ended.on("exit", resolve));
  return { alive, gone: ended.pid as number };
}

describe("gc and runs of one workspace", () => {
  it("one gc at a time; a lock whose holder is gone is taken over", async () => {
    const release = takeGcLock(dir);
    expect(() => takeGcLock(dir)).toThrow(/another `canal gc` \(process \d+\) is collecting/);
    release();
    const { alive, gone } = await processes();
    try {
      writeFileSync(join(dir, "gc.lock"), JSON.stringify({ pid: alive.pid, at: 0 }));
      expect(() => takeGcLock(dir)).toThrow(expect.objectContaining({ code: "CANAL_GC_BUSY" }));
      writeFileSync(join(dir, "gc.lock"), JSON.stringify({ pid: gone, at: 0 }));
      const taken = takeGcLock(dir);
      taken();
      expect(existsSync(join(dir, "gc.lock"))).toBe(false);
    } finally {
      alive.kill();
    }
  });

  it("a pid that a later process reused does not hold the lock or a lease", async () => {
    // This process is alive, but it did not start at tick 1 after boot.
    writeFileSync(join(dir, "gc.lock"), JSON.stringify({ pid: process.pid, at: 0, started: "1" }));
    const taken = takeGcLock(dir);
    taken();
    mkdirSync(join(dir, "live"), { recursive: true });
    writeFileSync(join(dir, "live", `${process.pid}-1-reused`), "");
    expect(liveRunLeases(dir)).toEqual([]);
    expect(readdirSync(join(dir, "live"))).toEqual([]);
  });

  it("a run's lease is seen by gc, and a lease of a process that is gone is dropped", async () => {
    const { gone } = await processes();
    mkdirSync(join(dir, "live"), { recursive: true });
    writeFileSync(join(dir, "live", `${gone}-dead`), "");
    const release = await holdRunLease(dir);
    expect(liveRunLeases(dir)).toEqual([process.pid]);
    expect(readdirSync(join(dir, "live"))).toHaveLength(1);
    release();
    expect(liveRunLeases(dir)).toEqual([]);
  });

  it("a run waits while a live gc holds the lock, and goes on once its holder ends", async () => {
    const { alive } = await processes();
    writeFileSync(join(dir, "gc.lock"), JSON.stringify({ pid: alive.pid, at: 0 }));
    let started = false;
    const lease = holdRunLease(dir).then((release) => {
      started = true;
      return release;
    });
    // The lease is written before the wait: a gc that starts now sees the run.
    expect(readdirSync(join(dir, "live"))).toHaveLength(1);
    // Nothing to wait for: the run must still be waiting after a few of its polls.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(started).toBe(false);
    alive.kill();
    await new Promise((resolve) => alive.on("exit", resolve));
    (await lease)();
    expect(started).toBe(true);
    expect(processAlive(alive.pid as number)).toBe(false);
  });
});
