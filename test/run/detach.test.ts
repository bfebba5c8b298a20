import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canal } from "../canal.js";
import { isRunning, makeProject, repoRoot, waitFor } from "../helpers.js";

const cli = join(repoRoot, "packages/cli/dist/main.js");
const fixture = join(import.meta.dirname, "fixtures/gated");

interface Started {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
}

const started: Started[] = [];

/** The built `canal` as its own process, as a user starts it. */
function start(args: string[], cwd: string, env: Record<string, string> = {}): Started {
  const child = spawn(process.execPath, [cli, ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    err += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  const process_ = { child, stdout: () => out, stderr: () => err, exited };
  started.push(process_);
  return process_;
}

async function exec(args: string[], cwd: string, env: Record<string, string> = {}) {
  const run = start(args, cwd, env);
  const status = await run.exited;
  return { status, stdout: run.stdout(), stderr: run.stderr() };
}

async function runState(dir: string, runId: string): Promise<{ run: string; steps: Record<string, string> }> {
  const shown = JSON.parse((await canal(["runs", "show", runId, "--json"], dir)).stdout);
  const steps = shown.steps as Array<{ stepId: string; status: string }>;
  return { run: shown.run.status, steps: Object.fromEntries(steps.map((s) => [s.stepId, s.status])) };
}

/** `canal run --detach`, returned: the run id it printed. */
async function detached(dir: string, env: Record<string, string>): Promise<string> {
  const result = await exec(["run", "canal-out/gated", "--detach"], dir, env);
  expect(result.stderr).toBe("");
  expect(result.status).toBe(0);
  const runId = /^run (run-\S+): pipeline gated .* started in the background \(driver process \d+\)$/m.exec(
    result.stdout,
  )?.[1];
  expect(runId, result.stdout).toBeDefined();
  return runId as string;
}

let dir: string;

beforeAll(async () => {
  dir = makeProject({ from: fixture });
  expect((await canal(["compile", "pipeline.ts"], dir)).status).toBe(0);
});

afterAll(async () => {
  // A driver a failed test left waiting at its gate: open every gate, then end what still runs.
  for (const name of ["gate-ok", "gate-fail", "gate-cancel", "gate-killed"])
    writeFileSync(join(dir, name), "");
  for (const { child, exited } of started.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
  }
});

describe("canal run --detach and canal wait", () => {
  it("returns while the run goes on; the driver outlives it; wait follows it to success; logs are kept", async () => {
    const gate = join(dir, "gate-ok");
    const runId = await detached(dir, { GATE_FILE: gate });
    // `canal run` has exited, and the run is still going: its first step waits for the gate.
    expect((await runState(dir, runId)).run).toBe("running");
    const pid = JSON.parse((await canal(["runs", "show", runId, "--json"], dir)).stdout).run.pid as number;
    expect(isRunning(pid)).toBe(true);
    const waiting = start(["wait", runId], dir);
    await waitFor("canal wait to follow the run to its gate", () =>
      waiting.stdout().includes("gate: running"),
    );
    expect(waiting.stdout()).toMatch(
      new RegExp(`^run ${runId}: pipeline gated v1, experiment gated, running`),
    );
    expect(waiting.child.exitCode).toBeNull();
    const following = start(["logs", runId, "-f"], dir);
    await waitFor("canal logs -f to show the step waiting", () =>
      following.stdout().includes("gate | waiting for the gate"),
    );

    writeFileSync(gate, "");
    expect(await waiting.exited).toBe(0);
    expect(waiting.stdout()).toMatch(/^gate: succeeded in \d+\.\ds$/m);
    expect(waiting.stdout()).toMatch(/^after: succeeded/m);
    expect(waiting.stdout()).toMatch(new RegExp(`^run ${runId} succeeded in \\d+\\.\\ds$`, "m"));
    await waitFor("the driver to exit", () => !isRunning(pid));
    // Followed to the end: the driver's last line, written after the run's end, included.
    expect(await following.exited).toBe(0);
    expect(following.stdout()).toMatch(new RegExp(`^\\(run\\) \\| run ${runId} succeeded in `, "m"));

    // The driver's own output and the step's, from the store.
    const logs = await canal(["logs", runId], dir);
    expect(logs.status).toBe(0);
    expect(logs.stdout).toContain(`(run) | run ${runId}: pipeline gated`);
    expect(logs.stdout).toMatch(
      new RegExp(`^\\(run\\) \\| run ${runId} succeeded in .*\\(2 succeeded\\)$`, "m"),
    );
    expect(logs.stdout).toContain("gate | waiting for the gate");
    expect(logs.stdout).toContain("gate | through the gate");
    // Nothing of the driver is left in the work folder.
    expect(existsSync(join(dir, ".canal/work", runId))).toBe(false);

    // A finished run is answered at once, with its status.
    const again = await exec(["wait", runId], dir);
    expect(again.status).toBe(0);
    expect(again.stdout).toMatch(new RegExp(`^run ${runId} succeeded in`));
  });

  it("exits 1 for a failed run, 130 for a canceled one, and 2 for a run that does not exist", async () => {
    const failGate = join(dir, "gate-fail");
    const failed = await detached(dir, { GATE_FILE: failGate, GATE_FAIL: "1" });
    const waitingFailed = start(["wait", failed], dir);
    await waitFor("canal wait to follow the run", () => waitingFailed.stdout().includes("gate: running"));
    writeFileSync(failGate, "");
    expect(await waitingFailed.exited).toBe(1);
    expect(waitingFailed.stdout()).toMatch(/^gate: FAILED: /m);
    expect(waitingFailed.stdout()).toMatch(new RegExp(`^run ${failed} failed in .*: step gate failed$`, "m"));
    // Ended already: answered at once, with the same status.
    expect((await exec(["wait", failed], dir)).status).toBe(1);
    expect((await canal(["logs", failed, "gate"], dir)).stderr).toContain("gate | the gate says fail");

    const canceled = await detached(dir, { GATE_FILE: join(dir, "gate-cancel") });
    const waiting = start(["wait", canceled], dir);
    await waitFor("canal wait to follow the run", () => waiting.stdout().includes("gate: running"));
    const cancel = await exec(["cancel", canceled], dir);
    expect(cancel.stdout).toContain(`run ${canceled} canceled`);
    expect(await waiting.exited).toBe(130);
    expect(waiting.stdout()).toMatch(new RegExp(`^run ${canceled} canceled`, "m"));
    expect((await exec(["wait", canceled], dir)).status).toBe(130);

    const unknown = await exec(["wait", `${canceled.slice(0, -1)}`], dir);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain(`no run \`${canceled.slice(0, -1)}\``);
    expect(unknown.stderr).toContain(`did you mean \`${canceled}\``);
  });

  it("shows why, exits 1 and leaves no run when the driver cannot start the run", async () => {
    const before = JSON.parse((await canal(["runs", "--json"], dir)).stdout).length;
    const result = await exec(["run", "canal-out/gated", "--detach", "--target", "nowhere"], dir);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("CANAL_TARGET_UNKNOWN: no target `nowhere`");
    expect(result.stdout).toBe("");
    expect(JSON.parse((await canal(["runs", "--json"], dir)).stdout).length).toBe(before);
  });

  it("exits 3 when the driver is killed: the run was interrupted, and says how to clean up", async () => {
    const runId = await detached(dir, { GATE_FILE: join(dir, "gate-killed") });
    const waiting = start(["wait", runId], dir);
    await waitFor("canal wait to follow the run", () => waiting.stdout().includes("gate: running"));
    const pid = JSON.parse((await canal(["runs", "show", runId, "--json"], dir)).stdout).run.pid as number;
    process.kill(pid, "SIGKILL");
    expect(await waiting.exited).toBe(3);
    expect(waiting.stderr()).toContain(`run ${runId} was interrupted: its driver process ${pid} ended`);
    expect(waiting.stderr()).toContain(`\`canal cancel ${runId}\``);
    // What it left (the step's shell, waiting at its gate) is ended by `canal cancel`.
    const cancel = await exec(["cancel", runId], dir);
    expect(cancel.status).toBe(0);
    expect(cancel.stdout).toContain("its driver process had already ended; ended");
    expect((await exec(["wait", runId], dir)).status).toBe(130);
  });
});
