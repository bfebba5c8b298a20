// What a step leaves behind: every process it starts ends with it (on success, failure, cancel and
// timeout, script and TypeScript steps alike), nothing can change an output once it is hashed, a
// link in a Directory output never brings a host file into the store, and `canal cancel` signals
// only the run's own processes.
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openWorkspace, type StoredValue } from "@canal/store";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { canal } from "../canal.js";
import { isRunning, makeProject, repoRoot, treeBytes, waitFor } from "../helpers.js";

const cli = join(repoRoot, "packages/cli/dist/main.js");
const fixture = join(import.meta.dirname, "fixtures/procs");
const sha256 = (bytes: Buffer | string) => createHash("sha256").update(bytes).digest("hex");

let project: string;
const started: ChildProcess[] = [];
const pidDirs: string[] = [];

beforeAll(async () => {
  project = makeProject({ from: fixture });
  // Compiled once: each run below starts from its artifact.
  const compiled = await canal(["compile", "pipeline.ts"], project);
  expect(compiled.status, compiled.stderr).toBe(0);
});

afterEach(() => {
  // Whatever a failing test left: nothing of it may outlive the file.
  for (const child of started.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
  for (const dir of pidDirs.splice(0))
    for (const pid of pids(dir).values()) if (isRunning(pid)) process.kill(pid, "SIGKILL");
});

afterAll(() => {
  for (const child of started) if (child.exitCode === null) child.kill("SIGKILL");
});

/** A fresh folder for a run's pid files: also a parameter, so every run is a cache miss. */
function pidDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "canal-pids-"));
  pidDirs.push(dir);
  return dir;
}

function pids(dir: string): Map<string, number> {
  return new Map(
    readdirSync(dir)
      .filter((name) => name.endsWith(".pid"))
      .map((name) => [name.slice(0, -4), Number(readFileSync(join(dir, name), "utf8").trim())]),
  );
}

const runIdOf = (output: string) => /^run (run-\S+): /m.exec(output)?.[1] ?? "";

function runArgs(pipeline: string, parameters: Record<string, string>): string[] {
  return [
    "run",
    join("canal-out", pipeline),
    ...Object.entries(parameters).flatMap(([name, value]) => ["-p", `${name}=${value}`]),
  ];
}

/** `canal run` as a process of its own, as a user starts it, and what it prints. */
function startRun(pipeline: string, parameters: Record<string, string>) {
  const child = spawn(process.execPath, [cli, ...runArgs(pipeline, parameters)], {
    cwd: project,
    stdio: ["ignore", "pipe", "pipe"],
  });
  started.push(child);
  let text = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    text += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    text += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  return { child, output: () => text, exited };
}

async function outputsOf(runId: string): Promise<Record<string, Record<string, StoredValue>>> {
  const shown = await canal(["runs", "show", runId, "--json"], project);
  const steps = JSON.parse(shown.stdout).steps as Array<{
    stepId: string;
    outputs: Record<string, StoredValue>;
  }>;
  return Object.fromEntries(steps.map((s) => [s.stepId, s.outputs]));
}

const digestOf = (value: StoredValue | undefined) => (value && "digest" in value ? value.digest : "");

function expectAllGone(dir: string, names: string[]): void {
  const found = pids(dir);
  for (const name of names) {
    expect(found.has(name), `${name} was started`).toBe(true);
    expect(isRunning(found.get(name) as number), `${name} still running`).toBe(false);
  }
}

const SCRIPT_LEFT = ["background", "setsid"];
const CODE_LEFT = ["ts-child", "ts-setsid"];

describe("a step's processes end with it", () => {
  for (const [pipeline, left] of [
    ["script", SCRIPT_LEFT],
    ["code", CODE_LEFT],
  ] as const) {
    it(`${pipeline} step: when it succeeds, fails and times out`, async () => {
      for (const mode of ["end", "fail", "hold"]) {
        const dir = pidDir();
        // Held until its timeout (2 s) ends it.
        const ran = await canal(
          runArgs(mode === "hold" ? `${pipeline}-timed` : pipeline, { dir, mode }),
          project,
        );
        expect(ran.status, `${mode}: ${ran.stdout}${ran.stderr}`).toBe(mode === "end" ? 0 : 1);
        if (mode === "hold") expect(ran.stdout + ran.stderr).toMatch(/timed out/);
        expectAllGone(dir, [...left]);
      }
    }, 60_000);

    it(`${pipeline} step: when its run is canceled`, async () => {
      const dir = pidDir();
      const live = startRun(pipeline, { dir, mode: "hold" });
      await waitFor("the step to start its processes", () => left.every((name) => pids(dir).has(name)));
      const runId = runIdOf(live.output());
      const canceled = await canal(["cancel", runId], project);
      expect(canceled.stdout).toBe(`run ${runId} canceled\n`);
      await live.exited;
      expectAllGone(dir, [...left]);
    }, 60_000);
  }
});

describe("a TypeScript step's environment", () => {
  it("holds the CANAL_* variables a script step gets, for the step and its children", async () => {
    const dir = pidDir();
    const ran = await canal(runArgs("code", { dir, mode: "end" }), project);
    expect(ran.status, ran.stderr).toBe(0);
    const runId = runIdOf(ran.stdout);
    const digest = digestOf((await outputsOf(runId)).code?.out);
    const { blobs } = await openWorkspace(project);
    const seen = JSON.parse((await blobs.get(digest)).toString("utf8"));
    expect(seen.env).toMatchObject({
      CANAL_RUN_ID: runId,
      CANAL_STEP: "code",
      CANAL_ATTEMPT: "1",
      CANAL_PARAM_DIR: dir,
      CANAL_PARAM_MODE: "end",
      CANAL_OUTPUT_OUT: expect.stringMatching(/\/out$/),
      CANAL_METRICS_FILE: expect.any(String),
    });
    expect(seen.child).toBe(`${runId} code 1`);
  }, 60_000);

  it("after `kill -9` of `canal run`, `canal cancel` ends its worker, which never finishes the step", async () => {
    const dir = pidDir();
    const live = startRun("code", { dir, mode: "hold" });
    await waitFor("the step to start", () => ["ts-worker", ...CODE_LEFT].every((n) => pids(dir).has(n)));
    const runId = runIdOf(live.output());
    live.child.kill("SIGKILL");
    await live.exited;
    const canceled = await canal(["cancel", runId], project);
    expect(canceled.status, canceled.stderr).toBe(0);
    expect(canceled.stdout).toMatch(
      new RegExp(`^run ${runId} canceled \\(its driver process had already ended`),
    );
    expectAllGone(dir, ["ts-worker", ...CODE_LEFT]);
    // Nothing of the run is left to see this and finish the step.
    writeFileSync(join(dir, "go"), "");
    expect(existsSync(join(dir, "finished"))).toBe(false);
    expect((await canal(["runs"], project)).stdout).toMatch(
      new RegExp(`^${runId} +code v\\d+ +canceled `, "m"),
    );
  }, 60_000);
});

describe("outputs are sealed before they are hashed", () => {
  it("a process still writing into an output once its step returned cannot change what is stored", async () => {
    const dir = pidDir();
    const ran = await canal(runArgs("script", { dir, mode: "writer" }), project);
    expect(ran.status, ran.stderr).toBe(0);
    expectAllGone(dir, ["writer", "setsid-writer"]);
    const runId = runIdOf(ran.stdout);
    const digest = digestOf((await outputsOf(runId)).script?.out);
    const { blobs } = await openWorkspace(project);
    expect(await blobs.verify(digest)).toBe("ok");
    expect(sha256(await blobs.get(digest))).toBe(digest);
    // Run again: served from the cache, and what it serves still matches its digest.
    const again = await canal(runArgs("script", { dir, mode: "writer" }), project);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^script: cached/m);
    expect(digestOf((await outputsOf(runIdOf(again.stdout))).script?.out)).toBe(digest);
    expect(await blobs.verify(digest)).toBe("ok");
  }, 60_000);

  it("a link to /etc/passwd inside a Directory output is refused, by name, and the host file is not stored", async () => {
    const dir = pidDir();
    const ran = await canal(runArgs("linked", { dir }), project);
    expect(ran.status).toBe(1);
    expect(ran.stdout + ran.stderr).toMatch(/`leak` is a link to \/etc\/passwd, outside the directory/);
    const { blobs } = await openWorkspace(project);
    expect(await blobs.stat(sha256(readFileSync("/etc/passwd")))).toBeUndefined();
  }, 60_000);
});

describe("a TypeScript step that edits its input and returns it", () => {
  it("is recorded with what it left, and the input's stored bytes never change", async () => {
    const dir = pidDir();
    const ran = await canal(runArgs("edit", { dir }), project);
    expect(ran.status, ran.stderr).toBe(0);
    const outputs = await outputsOf(runIdOf(ran.stdout));
    const { blobs } = await openWorkspace(project);
    const made = digestOf(outputs.made?.out);
    expect(made).toBe(sha256("original\n"));
    expect(digestOf(outputs.edit?.out)).toBe(sha256("original\nedited\n"));
    expect((await blobs.get(made)).toString()).toBe("original\n");
    expect(await blobs.verify(made)).toBe("ok");
  }, 60_000);

  it("on `canal exec`, leaves the artifact its input ships in unchanged", async () => {
    const artifact = join(project, "canal-out", "edit-shipped");
    const before = treeBytes(artifact);
    const data = mkdtempSync(join(tmpdir(), "canal-exec-"));
    pidDirs.push(data);
    const ran = await canal(["exec", artifact, "--step", "edit", "--data", data], project);
    expect(ran.status, ran.stderr).toBe(0);
    expect(readFileSync(join(data, "edit", "outputs", "out"), "utf8")).toBe("shipped\nedited\n");
    expect(treeBytes(artifact)).toEqual(before);
  }, 60_000);
});

describe("`canal cancel` signals only the run's own processes", () => {
  it("leaves alone an unrelated process that got the recorded driver pid, and says the driver is gone", async () => {
    // A run that went (to have a pipeline version), then a row as a driver killed long ago leaves
    // it, whose pid now names an unrelated process.
    const ran = await canal(runArgs("script", { dir: pidDir(), mode: "end" }), project);
    expect(ran.status, ran.stderr).toBe(0);
    const { metadata } = await openWorkspace(project);
    const done = await metadata.getRun(runIdOf(ran.stdout));
    const unrelated = spawn("sleep", ["1000"], { stdio: "ignore" });
    started.push(unrelated);
    const stale = await metadata.createRun({
      pipelineVersionId: done.pipelineVersionId,
      runtime: "local",
      status: "running",
      pid: unrelated.pid as number,
      createdAt: Date.now() - 60_000,
      startedAt: Date.now() - 60_000,
    });
    expect((await canal(["runs"], project)).stdout).toMatch(new RegExp(`^${stale.id} .* interrupted `, "m"));
    const canceled = await canal(["cancel", stale.id], project);
    expect(canceled.status, canceled.stderr).toBe(0);
    expect(canceled.stdout).toMatch(
      new RegExp(`^run ${stale.id} canceled \\(its driver process had already ended`),
    );
    expect(isRunning(unrelated.pid as number)).toBe(true);
    expect(unrelated.exitCode).toBeNull();
    expect((await metadata.getRun(stale.id)).status).toBe("canceled");
  }, 60_000);
});
