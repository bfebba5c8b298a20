import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { baseEnvironment } from "@canal/runtime-core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Launch, ResidentShells, spawnShell } from "./launcher.js";
import { processId } from "./leftovers.js";

let dir: string;
let shells: ResidentShells;

beforeEach(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), "canal-launcher-")));
  shells = new ResidentShells();
});
afterEach(async () => {
  await shells.close();
  rmSync(dir, { recursive: true, force: true });
});

function launch(command: string, options: Partial<Launch> = {}) {
  const output: Record<"stdout" | "stderr", string> = { stdout: "", stderr: "" };
  const ended = shells.launch({
    command,
    cwd: dir,
    env: { ...(process.env as Record<string, string>) },
    signal: new AbortController().signal,
    log: (stream, text) => {
      output[stream] += text;
    },
    ...options,
  });
  return { ended, output };
}

describe("ResidentShells", () => {
  it("runs one command after another with their own directory, variables, output and status", async () => {
    const first = launch("echo out; echo err >&2; pwd; echo $CANAL_X; exit 3", {
      env: { ...(process.env as Record<string, string>), CANAL_X: "it's x" },
    });
    expect(await first.ended).toMatchObject({ code: 3, signal: null, stderrTail: "err\n" });
    expect(first.output).toEqual({ stdout: `out\n${dir}\nit's x\n`, stderr: "err\n" });
    // The next job starts from the shell's own environment, not the last job's.
    const second = launch("printenv CANAL_X > seen || echo unset > seen");
    expect(await second.ended).toMatchObject({ code: 0 });
    expect(readFileSync(join(dir, "seen"), "utf8")).toBe("unset\n");
    expect(second.output).toEqual({ stdout: "", stderr: "" });
  });

  it("gives a command the environment a direct spawn gives it, whatever ran in the shell before", async () => {
    const other = join(dir, "other");
    mkdirSync(other);
    const env = { ...baseEnvironment(), CANAL_X: "x" };
    expect(await launch("true", { cwd: other, env }).ended).toMatchObject({ code: 0 });
    const resident = launch("env | sort", { env });
    expect(await resident.ended).toMatchObject({ code: 0 });
    let spawned = "";
    const direct = await spawnShell({
      command: "env | sort",
      cwd: dir,
      env,
      signal: new AbortController().signal,
      log: (stream, text) => {
        if (stream === "stdout") spawned += text;
      },
    });
    expect(direct).toMatchObject({ code: 0 });
    // The job before ran in another folder: its path is no part of this one's environment.
    expect(resident.output.stdout).not.toContain(other);
    expect(resident.output.stdout).toBe(spawned);
  });

  it("reports a command ended by a signal, and removes a variable the shell has", async () => {
    expect(await launch("kill -9 $$").ended).toMatchObject({ code: null, signal: "SIGKILL" });
    const { CANAL_LAUNCHER_TEST: _, ...env } = { ...(process.env as Record<string, string>) };
    process.env.CANAL_LAUNCHER_TEST = "set";
    try {
      const shells2 = new ResidentShells();
      const output: string[] = [];
      const first = await shells2.launch({
        command: "printenv CANAL_LAUNCHER_TEST || echo unset",
        cwd: dir,
        env: { ...env, "ODD.NAME": "dropped by any /bin/sh" },
        signal: new AbortController().signal,
        log: (_stream, text) => void output.push(text),
      });
      await shells2.close();
      expect(first).toMatchObject({ code: 0 });
      expect(output.join("")).toBe("unset\n");
    } finally {
      delete process.env.CANAL_LAUNCHER_TEST;
    }
  });

  it("keeps its files in a folder of its own, and removes those a killed process left", async () => {
    const root = join(dir, "shells");
    mkdirSync(join(root, "canal-shells-999999999-left"), { recursive: true });
    const own = new ResidentShells(root);
    const ended = await own.launch({
      command: "true",
      cwd: dir,
      env: { ...(process.env as Record<string, string>) },
      signal: new AbortController().signal,
      log: () => {},
    });
    expect(ended).toMatchObject({ code: 0 });
    expect(readdirSync(root)).toEqual([expect.stringMatching(new RegExp(`^canal-shells-${process.pid}-`))]);
    await own.close();
    expect(readdirSync(root)).toEqual([]);
  });

  it("ends every process of a canceled command, even one that ignores SIGTERM", async () => {
    const controller = new AbortController();
    const running = launch("trap '' TERM; sleep 30 & echo $! > child.tmp; mv child.tmp child; wait", {
      signal: controller.signal,
    });
    const written = join(dir, "child");
    while (!existsSync(written)) await new Promise((resolve) => setTimeout(resolve, 10));
    const child = Number(readFileSync(written, "utf8"));
    controller.abort("canceled");
    const ended = await running.ended;
    expect(ended).toMatchObject({ code: null });
    // Ended (a zombie no one has reaped yet runs nothing).
    expect(processId(child)).toBeUndefined();
    // The next command gets a fresh shell.
    expect(await launch("true").ended).toMatchObject({ code: 0 });
  }, 15_000);

  it("ends what a finished command left running, in its group or in a session of its own", async () => {
    const marker = { CANAL_RUN_ID: "run-left", CANAL_STEP: "left", CANAL_ATTEMPT: "1" };
    const command = "sleep 30 & echo $! > bg; setsid sleep 30 & echo $! > setsid; exit 0";
    for (const start of [
      (l: Launch) => shells.launch(l),
      // Spawned directly, a background process holding the shell's stdout must not hold it open.
      spawnShell,
    ]) {
      const ended = await start({
        command,
        cwd: dir,
        env: { ...(process.env as Record<string, string>), ...marker },
        signal: new AbortController().signal,
        log: () => {},
      });
      expect(ended).toMatchObject({ code: 0 });
      for (const name of ["bg", "setsid"])
        expect(processId(Number(readFileSync(join(dir, name), "utf8"))), name).toBeUndefined();
    }
    // The resident shell itself lives on for the next command.
    expect(await launch("true").ended).toMatchObject({ code: 0 });
  }, 15_000);
});
