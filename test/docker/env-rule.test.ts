// The environment rule in containers: a step gets the variables it declares and no other of the
// run's environment; the target's own `env` reaches every step and so keys every step.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compile } from "@canal/compiler";
import { DockerRuntime } from "@canal/runtime-docker";
import { initWorkspace, openWorkspace, type Workspace } from "@canal/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeProject } from "../helpers.js";
import { expectEnvironmentRule, type RuleRun, ruleProjectFiles, runRule } from "../soundness/env-rule.js";
import { type Engine, HOST_BINDS, HOST_IMAGE, startEngine } from "./engine.mjs";

describe("the environment rule on docker", () => {
  let engine: Engine;
  let project: string;
  let artifactDir: string;
  let dir: string;
  let workspace: Workspace;

  beforeAll(async () => {
    engine = await startEngine();
    project = makeProject({ files: ruleProjectFiles });
    const result = await compile({ entries: [join(project, "pipeline.ts")], outDir: join(project, "out") });
    expect(result.diagnostics).toEqual([]);
    artifactDir = result.pipelines[0]?.dir as string;
    dir = mkdtempSync(join(tmpdir(), "canal-docker-env-"));
    initWorkspace(dir);
    workspace = await openWorkspace(dir);
  });
  afterAll(async () => {
    await workspace?.close();
    await engine?.stop();
    rmSync(project, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  async function run(env?: Record<string, string>): Promise<RuleRun> {
    const runtime = new DockerRuntime({
      socket: engine.socket,
      image: HOST_IMAGE,
      binds: HOST_BINDS,
      ...(env ? { env } : {}),
    });
    return runRule(workspace, artifactDir, runtime, dir);
  }

  it("passes declared variables only, keys on their values and writes none of them", async () => {
    await expectEnvironmentRule(() => run(), [dir]);
  }, 180_000);

  it("keys every step on the target's `env`", async () => {
    const before = await run({ OMP_NUM_THREADS: "1" });
    expect(Object.values(before.steps)).toEqual(Array(4).fill("succeeded"));
    const same = await run({ OMP_NUM_THREADS: "1" });
    expect(Object.values(same.steps)).toEqual(Array(4).fill("cached"));
    const changed = await run({ OMP_NUM_THREADS: "2" });
    expect(Object.values(changed.steps)).toEqual(Array(4).fill("succeeded"));
  }, 180_000);
});
