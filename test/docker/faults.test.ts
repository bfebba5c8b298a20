import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compile } from "@canal/compiler";
import { runPipeline } from "@canal/runner";
import type { RunEvent } from "@canal/runtime-core";
import { DockerRuntime } from "@canal/runtime-docker";
import { initWorkspace, openWorkspace, type Workspace } from "@canal/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canal } from "../canal.js";
import { makeProject, repoRoot, waitFor } from "../helpers.js";
import { type Engine, HOST_BINDS, HOST_IMAGE, startEngine } from "./engine.mjs";

const cli = join(repoRoot, "packages/cli/dist/main.js");

describe("docker runtime faults", () => {
  let engine: Engine;
  let project: string;
  const artifacts = new Map<string, string>();
  const cleanups: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    engine = await startEngine();
    project = makeProject({ from: join(import.meta.dirname, "fixtures/faults") });
    const result = await compile({ entries: [join(project, "pipeline.ts")], outDir: join(project, "out") });
    expect(result.diagnostics).toEqual([]);
    for (const compiled of result.pipelines) artifacts.set(compiled.pipeline.name, compiled.dir as string);
  });
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await engine?.stop();
    rmSync(project, { recursive: true, force: true });
  });

  async function run(pipeline: string) {
    const dir = mkdtempSync(join(tmpdir(), "canal-docker-faults-"));
    initWorkspace(dir);
    const workspace: Workspace = await openWorkspace(dir);
    const runtime = new DockerRuntime({ socket: engine.socket, image: HOST_IMAGE, binds: HOST_BINDS });
    cleanups.push(async () => {
      await runtime.close();
      await workspace.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const events: RunEvent[] = [];
    const result = await runPipeline({
      workspace,
      artifactDir: artifacts.get(pipeline) as string,
      runtime,
      onEvent: (event) => void events.push(event),
    });
    return { ...result, events, workspace };
  }

  const containers = () => engine.cli(["ps", "-aq"]).trim();

  it("runs `canal run --target NAME` with the docker target's image, binds and environment", async () => {
    const dir = mkdtempSync(join(tmpdir(), "canal-docker-cli-"));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    mkdirSync(join(dir, "data"));
    writeFileSync(join(dir, "data/input.txt"), "from the host\n");
    const box = {
      kind: "docker",
      socket: engine.socket,
      image: HOST_IMAGE,
      binds: [...HOST_BINDS, `${join(dir, "data")}:/data:ro`],
      env: { GREETING: "hello from the target" },
    };
    writeFileSync(join(dir, "canal.config.json"), JSON.stringify({ targets: { box } }));
    const result = await canal(
      ["run", artifacts.get("configured") as string, "--target", "box", "--json"],
      dir,
    );
    expect(result.status, result.stderr).toBe(0);
    const { run, outputs } = JSON.parse(result.stdout);
    expect(run.runtime).toBe("docker");
    const workspace = await openWorkspace(dir);
    try {
      const digest = outputs.out.digest as string;
      const path = join(dir, "read");
      await workspace.blobs.materialize(digest, path);
      expect(readFileSync(path, "utf8")).toBe("from the host\nhello from the target\n");
    } finally {
      await workspace.close();
    }
    expect(containers()).toBe("");
  });

  it("`canal cancel` of a run whose driver was killed removes the containers it left", async () => {
    const dir = mkdtempSync(join(tmpdir(), "canal-docker-orphan-"));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const box = { kind: "docker", socket: engine.socket, image: HOST_IMAGE, binds: HOST_BINDS };
    writeFileSync(join(dir, "canal.config.json"), JSON.stringify({ targets: { box } }));
    const driver = spawn(
      process.execPath,
      [cli, "run", artifacts.get("restart") as string, "--target", "box"],
      {
        cwd: dir,
        stdio: "ignore",
      },
    );
    const exited = new Promise((resolve) => driver.on("exit", resolve));
    const waiting = () => engine.cli(["ps", "-q", "--filter", "label=canal.step=wait"]).trim();
    await waitFor("the step's container to run", () => waiting() !== "", 30_000);
    driver.kill("SIGKILL");
    await exited;
    // The container outlives its driver: nothing else would remove it.
    const left = waiting();
    expect(left).not.toBe("");

    const workspace = await openWorkspace(dir);
    const [run] = await workspace.metadata.listRuns({});
    await workspace.close();
    const canceled = await canal(["cancel", run?.id as string], dir);
    expect(canceled.stderr).toBe("");
    expect(canceled.stdout).toContain(`ended container ${left.slice(0, 12)} (step wait) on target box`);
    expect(containers()).toBe("");
  });

  it("fails a step killed for its memory limit with a message naming the limit, without retrying", async () => {
    const { run: ended, events } = await run("oom");
    expect(ended.status).toBe("failed");
    const failed = events.find((e) => e.type === "step-failed");
    expect(failed && "error" in failed ? failed.error : "").toBe(
      "step hog was killed for using more than its memory limit of 32Mi; raise resources.memory",
    );
    expect(events.some((e) => e.type === "step-retrying")).toBe(false);
    expect(containers()).toBe("");
  });

  it("retries a step whose engine was restarted under it, and never hangs", async () => {
    const running = run("restart");
    await waitFor("the step's container to run", () => {
      try {
        return engine.cli(["ps", "-q", "--filter", "label=canal.step=wait"]).trim() !== "";
      } catch {
        return false;
      }
    });
    await engine.restart();
    // Never hanging is the test's own time limit.
    const { run: finished, summary, events, workspace } = await running;
    const retrying = events.flatMap((e) => (e.type === "step-retrying" ? [e.error] : []));
    // Either the runtime saw the engine gone, or the engine came back first and killed the
    // container it found running; both are named as such and retried.
    expect(retrying[0]).toMatch(
      /^step wait: (the Docker engine at .*docker\.sock went away \(.+\); the attempt is retried|`sh wait\.sh \S+` was killed from outside \(status 137: SIGKILL, e\.g\. the Docker engine restarting\))/,
    );
    expect(finished.status, retrying.join("\n")).toBe("succeeded");
    const target = mkdtempSync(join(tmpdir(), "canal-docker-out-"));
    await workspace.blobs.materialize(
      (summary.outputs.out as { digest: string }).digest,
      join(target, "out"),
    );
    expect(readFileSync(join(target, "out"), "utf8")).toMatch(/^done on attempt [2-6]\n$/);
    rmSync(target, { recursive: true, force: true });
  });
});
