import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { openWorkspace } from "@canal/store";
import { afterEach, describe, expect, it } from "vitest";
import { canal } from "../canal.js";
import { isRunning, makeProject, repoRoot, waitFor } from "../helpers.js";

const cli = join(repoRoot, "packages/cli/dist/main.js");
const fixture = join(import.meta.dirname, "fixtures/slow");

interface Spawned {
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const spawned: Spawned[] = [];
const pidDirs: string[] = [];

/**
 * `canal run pipeline.ts` as its own process, as a user starts it. With `hold`, the slow step
 * sleeps that many seconds and leaves the pids of its processes in the project directory.
 */
function startRun(dir: string, hold?: number): Spawned {
  const child = spawn(process.execPath, [cli, "run", "pipeline.ts"], {
    cwd: dir,
    env: { ...process.env, ...(hold ? { SLOW_TEST_HOLD: String(hold), SLOW_TEST_PIDS: dir } : {}) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let text = "";
  const collect = (chunk: Buffer) => {
    text += chunk.toString();
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  const run: Spawned = { child, output: () => text, exited };
  spawned.push(run);
  pidDirs.push(dir);
  return run;
}

const runIdOf = (output: string) => /^run (run-\S+): /m.exec(output)?.[1] ?? "";

/** The pids the slow step wrote, by file name. */
function stepPids(dir: string): Map<string, number> {
  return new Map(
    readdirSync(dir)
      .filter((name) => name.endsWith(".pid"))
      .map((name) => [name, Number(readFileSync(join(dir, name), "utf8").trim())]),
  );
}

async function states(dir: string, runId: string): Promise<Record<string, string>> {
  const shown = await canal(["runs", "show", runId, "--json"], dir);
  const steps = JSON.parse(shown.stdout).steps as Array<{ stepId: string; status: string }>;
  return Object.fromEntries(steps.map((s) => [s.stepId, s.status]));
}

afterEach(async () => {
  for (const run of spawned.splice(0)) {
    if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill("SIGKILL");
    await run.exited;
  }
  // A SIGKILLed driver cannot end its steps' processes: end the ones its slow step left.
  for (const dir of pidDirs.splice(0)) {
    for (const pid of stepPids(dir).values()) if (isRunning(pid)) process.kill(pid, "SIGKILL");
  }
});

describe("canal run processes", () => {
  it("resumes after `kill -9`: finished steps are reused, and the killed run shows as interrupted", async () => {
    const dir = makeProject({ from: fixture });
    const killed = startRun(dir, 60);
    await waitFor(
      "the first steps to finish and the slow one to start",
      () =>
        /^first: succeeded/m.test(killed.output()) &&
        /^quick: succeeded/m.test(killed.output()) &&
        [...stepPids(dir).keys()].some((name) => name.endsWith("-sleep.pid")),
      60_000,
    );
    const killedId = runIdOf(killed.output());
    killed.child.kill("SIGKILL");
    expect(await killed.exited).toEqual({ code: null, signal: "SIGKILL" });

    const runs = await canal(["runs"], dir);
    expect(runs.stdout).toMatch(new RegExp(`^${killedId} +slow v1 +interrupted `, "m"));
    expect((await canal(["runs", "show", killedId], dir)).stdout).toMatch(
      new RegExp(`^run ${killedId} {2}interrupted`),
    );

    const resumed = await canal(["run", "pipeline.ts"], dir);
    expect(resumed.status, resumed.stdout + resumed.stderr).toBe(0);
    expect(await states(dir, killedId)).toMatchObject({ first: "succeeded", quick: "succeeded" });
    expect(await states(dir, runIdOf(resumed.stdout))).toEqual({
      first: "cached",
      quick: "cached",
      slow: "succeeded",
      last: "succeeded",
    });
  }, 90_000);

  it("`canal cancel` of a run whose driver was killed ends the step processes it left running", async () => {
    const dir = makeProject({ from: fixture });
    const killed = startRun(dir, 60);
    await waitFor(
      "the slow step to start",
      () => [...stepPids(dir).keys()].some((name) => name.endsWith("-sleep.pid")),
      60_000,
    );
    const runId = runIdOf(killed.output());
    killed.child.kill("SIGKILL");
    await killed.exited;
    // Nothing else ends them: the driver is gone.
    const left = [...stepPids(dir).values()];
    expect(left.filter(isRunning)).toEqual(left);

    const canceled = await canal(["cancel", runId], dir);
    expect(canceled.stderr).toBe("");
    expect(canceled.status).toBe(0);
    expect(canceled.stdout).toMatch(
      new RegExp(
        `^run ${runId} canceled \\(its driver process had already ended; ended process \\d+ on target local`,
      ),
    );
    for (const [name, pid] of stepPids(dir)) expect(isRunning(pid), `${name} still running`).toBe(false);
    expect((await canal(["runs"], dir)).stdout).toMatch(new RegExp(`^${runId} +slow v1 +canceled `, "m"));
  }, 90_000);

  it("`canal cancel` ends a live run: its steps' processes end and it is recorded as canceled", async () => {
    const dir = makeProject({ from: fixture });
    const live = startRun(dir, 60);
    await waitFor(
      "the quick step to finish and the slow one to start",
      () =>
        /^quick: succeeded/m.test(live.output()) &&
        [...stepPids(dir).keys()].some((name) => name.endsWith("-sleep.pid")),
      60_000,
    );
    const runId = runIdOf(live.output());

    const canceled = await canal(["cancel", runId], dir);
    expect(canceled.stderr).toBe("");
    expect(canceled.stdout).toBe(`run ${runId} canceled\n`);
    expect(canceled.status).toBe(0);
    expect(await live.exited).toEqual({ code: 130, signal: null });
    expect(live.output()).toMatch(/^slow: canceled$/m);
    // Its own terminal says where the cancel came from (who recorded the request, from which
    // machine), and does not offer Ctrl-C.
    const from = "from elsewhere \\(`canal cancel` by [^@\\s]+@[^)\\s]+\\)";
    expect(live.output()).toMatch(
      new RegExp(`^canal run: run ${runId} was canceled ${from}; ending its steps$`, "m"),
    );
    expect(live.output()).toMatch(new RegExp(`^run ${runId} canceled ${from} in [\\d.]+s `, "m"));
    expect(live.output()).not.toContain("Ctrl-C");
    for (const [name, pid] of stepPids(dir)) expect(isRunning(pid), `${name} still running`).toBe(false);
    expect(await states(dir, runId)).toEqual({
      first: "succeeded",
      quick: "succeeded",
      slow: "canceled",
      last: "canceled",
    });
    expect((await canal(["runs"], dir)).stdout).toMatch(new RegExp(`^${runId} +slow v1 +canceled `, "m"));
  }, 90_000);

  it("runs two `canal run` of one pipeline at once: both succeed and share an intact cache", async () => {
    const dir = makeProject({ from: fixture });
    const a = startRun(dir, 1);
    const b = startRun(dir, 1);
    const [endA, endB] = await Promise.all([a.exited, b.exited]);
    expect(endA, a.output()).toEqual({ code: 0, signal: null });
    expect(endB, b.output()).toEqual({ code: 0, signal: null });

    const workspace = await openWorkspace(dir);
    try {
      const outputs: string[] = [];
      for (const runId of [runIdOf(a.output()), runIdOf(b.output())]) {
        expect((await workspace.metadata.getRun(runId)).status).toBe("succeeded");
        for (const stepRun of await workspace.metadata.listStepRuns(runId)) {
          for (const value of Object.values(await workspace.metadata.getOutputs(stepRun.id))) {
            if ("digest" in value) expect(await workspace.blobs.verify(value.digest)).toBe("ok");
          }
        }
        const last = await workspace.metadata.getStepRun(runId, "last");
        const { out } = await workspace.metadata.getOutputs(last.id);
        outputs.push((await workspace.blobs.get((out as { digest: string }).digest)).toString());
      }
      expect(outputs).toEqual(["first\nslow\nquick\n", "first\nslow\nquick\n"]);
    } finally {
      await workspace.close();
    }
    expect(existsSync(join(dir, ".canal/artifacts/tmp"))).toBe(false);
    // With the same declared variables as the two runs (`slow` reads them): all of it is cached.
    const again = startRun(dir, 1);
    expect(await again.exited, again.output()).toEqual({ code: 0, signal: null });
    expect(again.output()).toMatch(/succeeded in [\d.]+s \(4 cached\)$/m);
  }, 90_000);
});
