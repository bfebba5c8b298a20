// Run control as data, across processes: a run driven by one process ("machine A") is canceled
// from another ("machine B", another host name on the same store) through the store alone, and a
// driver killed with SIGKILL shows as interrupted once its heartbeat is stale. Host names are set
// with CANAL_HOSTNAME, so two processes here stand for two machines sharing a workspace.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { openWorkspace } from "@canal/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canal } from "../canal.js";
import { CanalProcesses } from "../cli-processes.js";
import { isRunning, makeProject, processesWithEnv, waitFor } from "../helpers.js";

const fixture = join(import.meta.dirname, "../run/fixtures/gated");

const processes = new CanalProcesses();
const gates: string[] = [];

/** The built `canal` as its own process, on "machine" `host`. */
function start(args: string[], host: string, env: Record<string, string> = {}) {
  return processes.start(args, { cwd: dir, env: { CANAL_HOSTNAME: host, ...env } });
}

function exec(args: string[], host: string, env: Record<string, string> = {}) {
  return processes.exec(args, { cwd: dir, env: { CANAL_HOSTNAME: host, ...env } });
}

/** `canal runs show RUN --json` from `host`: the run as that machine sees it, and its steps' states. */
async function seen(runId: string, host: string, env: Record<string, string> = {}) {
  const shown = await exec(["runs", "show", runId, "--json"], host, env);
  expect(shown.status, shown.output).toBe(0);
  const parsed = JSON.parse(shown.output) as {
    run: {
      status: string;
      reason?: string;
      driver?: { host: string; pid: number };
      cancel?: { by?: string; reason?: string };
    };
    steps: Array<{ stepId: string; status: string }>;
  };
  return { ...parsed, states: Object.fromEntries(parsed.steps.map((s) => [s.stepId, s.status])) };
}

/** Polls a condition until it holds, for 30 seconds. */
const until = (what: string, ready: () => Promise<boolean>, timeoutMs = 30_000) =>
  waitFor(what, ready, timeoutMs);

/** A detached run on machine A whose first step waits at a gate that never opens: its id and driver pid. */
async function detachedOnA(name: string, env: Record<string, string> = {}) {
  const gate = join(dir, name);
  gates.push(gate);
  const result = await exec(["run", "canal-out/gated", "--detach", "--json"], "machine-a", {
    GATE_FILE: gate,
    ...env,
  });
  expect(result.status, result.output).toBe(0);
  const { run, driverPid } = JSON.parse(result.output) as { run: { id: string }; driverPid: number };
  await until(
    "the gate step to run",
    async () => (await seen(run.id, "machine-a")).states.gate === "running",
  );
  return { runId: run.id, pid: driverPid, gate };
}

let dir: string;

beforeAll(async () => {
  dir = makeProject({ from: fixture });
  expect((await canal(["compile", "pipeline.ts"], dir)).status).toBe(0);
});

afterAll(async () => {
  for (const gate of gates) writeFileSync(gate, "");
  await processes.stopAll();
  for (const gate of gates)
    for (const pid of processesWithEnv("GATE_FILE", gate)) process.kill(pid, "SIGKILL");
});

describe("canal cancel through the store", () => {
  it("cancels from machine B a run that machine A drives, and A's terminal says who asked", async () => {
    const { runId, pid, gate } = await detachedOnA("gate-b");
    // B sees who drives it, and where.
    const before = await seen(runId, "machine-b");
    expect(before.run.status).toBe("running");
    expect(before.run.driver).toMatchObject({ host: "machine-a", pid });

    const cancel = await exec(["cancel", runId, "--reason", "wrong data"], "machine-b");
    expect(cancel.output).toBe(`run ${runId} canceled\n`);
    expect(cancel.status).toBe(0);
    await waitFor("the driver to exit", () => !isRunning(pid));
    expect(processesWithEnv("GATE_FILE", gate)).toEqual([]);

    const after = await seen(runId, "machine-b");
    expect(after.run.status).toBe("canceled");
    expect(after.run.cancel).toMatchObject({
      by: expect.stringMatching(/@machine-b$/),
      reason: "wrong data",
    });
    expect(after.states).toEqual({ gate: "canceled", after: "canceled" });
    const logs = await canal(["logs", runId], dir);
    expect(logs.stdout + logs.stderr).toMatch(
      new RegExp(
        `^\\(run\\) \\| canal run: run ${runId} was canceled from elsewhere \\(\`canal cancel\` by \\S+@machine-b: wrong data\\); ending its steps$`,
        "m",
      ),
    );
    // Shown with the request in `canal runs show`.
    expect((await exec(["runs", "show", runId], "machine-a")).output).toMatch(
      /^ {2}cancel requested by \S+@machine-b at \S+: wrong data$/m,
    );
  }, 90_000);

  it("ends a run when any client records a cancel request in the store, without a signal or the CLI", async () => {
    const { runId, pid } = await detachedOnA("gate-store");
    const { metadata, close } = await openWorkspace(dir);
    try {
      await metadata.requestCancel(runId, { by: "a-server" });
      await until("the run to be canceled", async () => (await metadata.getRun(runId)).status === "canceled");
    } finally {
      await close();
    }
    await waitFor("the driver to exit", () => !isRunning(pid));
  }, 90_000);
});

describe("canal rerun", () => {
  it("is canceled from another machine like a run, and says who asked", async () => {
    const { runId } = await detachedOnA("gate-first");
    expect((await exec(["cancel", runId], "machine-a")).status).toBe(0);
    const gate = join(dir, "gate-rerun");
    gates.push(gate);
    const rerun = start(["rerun", runId], "machine-a", { GATE_FILE: gate });
    await waitFor("the rerun's gate step to start", () => /^gate: started/m.test(rerun.output()), 60_000);
    const rerunId = /^run (run-\S+): rerun of /m.exec(rerun.output())?.[1] as string;
    expect(rerunId).toBeDefined();
    const cancel = await exec(["cancel", rerunId], "machine-b");
    expect(cancel.output).toBe(`run ${rerunId} canceled\n`);
    expect(await rerun.exited).toBe(130);
    expect(rerun.output()).toMatch(
      new RegExp(
        `^canal rerun: run ${rerunId} was canceled from elsewhere \\(\`canal cancel\` by \\S+@machine-b\\)`,
        "m",
      ),
    );
    expect(rerun.output()).toMatch(/^gate: canceled$/m);
  }, 90_000);
});

describe("a driver killed with SIGKILL", () => {
  it("shows as interrupted on another machine once its heartbeat is stale, and at once on its own", async () => {
    const { runId, pid } = await detachedOnA("gate-killed", { CANAL_HEARTBEAT_MS: "100" });
    process.kill(pid, "SIGKILL");
    await waitFor("the driver to be gone", () => !isRunning(pid));

    // Machine B cannot see A's processes: with the default threshold (30 s) the fresh heartbeat
    // still says running; no pid of A's is looked at.
    expect((await seen(runId, "machine-b")).run.status).toBe("running");
    // With a threshold of 1 s it is interrupted as soon as the last heartbeat is that old.
    const soon = { CANAL_HEARTBEAT_STALE_MS: "1000" };
    await until(
      "B to see the run interrupted",
      async () => (await seen(runId, "machine-b", soon)).run.status === "interrupted",
    );
    expect((await seen(runId, "machine-b", soon)).run.reason).toMatch(
      new RegExp(`^its driver process ${pid} on machine-a sent no heartbeat for \\d+\\.\\d s$`),
    );
    const list = await exec(["runs"], "machine-b", soon);
    expect(list.output).toMatch(new RegExp(`^${runId} +gated v1 +interrupted `, "m"));
    const waited = await exec(["wait", runId], "machine-b", soon);
    expect(waited.status).toBe(3);
    expect(waited.output).toContain(
      `run ${runId} was interrupted: its driver process ${pid} on machine-a sent no heartbeat`,
    );

    // On A itself, where the driver's process can be read, it is interrupted at once.
    const own = await seen(runId, "machine-a");
    expect(own.run).toMatchObject({
      status: "interrupted",
      reason: `its driver process ${pid} ended on machine-a`,
    });

    // What it left (the gate's shell) is ended by a cancel on A.
    const cancel = await exec(["cancel", runId], "machine-a");
    expect(cancel.status, cancel.output).toBe(0);
    expect(cancel.output).toContain("its driver process had already ended; ended process");
    expect((await seen(runId, "machine-b")).run.status).toBe("canceled");
  }, 90_000);
});

describe("SIGTERM to the driving process", () => {
  it("still cancels the run, and says so", async () => {
    const gate = join(dir, "gate-term");
    gates.push(gate);
    const run = start(["run", "canal-out/gated"], "machine-a", { GATE_FILE: gate });
    await waitFor("the gate step to start", () => /^gate: started/m.test(run.output()), 60_000);
    run.child.kill("SIGTERM");
    expect(await run.exited).toBe(130);
    expect(run.output()).toContain(
      `was canceled from elsewhere (a SIGTERM sent to process ${run.child.pid})`,
    );
    expect(run.output()).toMatch(/^gate: canceled$/m);
  }, 90_000);
});
