// The environment rule in Slurm jobs: sbatch hands a job the submitter's whole environment, and
// the job's step still gets only the variables it declares (and Canal's own).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compile } from "@canal/compiler";
import { SlurmRuntime } from "@canal/runtime-slurm";
import { initWorkspace, openWorkspace, type Workspace } from "@canal/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeProject } from "../helpers.js";
import { expectEnvironmentRule, type RuleRun, ruleProjectFiles, runRule } from "../soundness/env-rule.js";
import { type SlurmCluster, startSlurmCluster } from "./cluster.mjs";

describe("the environment rule on slurm", () => {
  let cluster: SlurmCluster;
  let project: string;
  let artifactDir: string;
  let dir: string;
  let workspace: Workspace;

  beforeAll(async () => {
    cluster = await startSlurmCluster();
    project = makeProject({ files: ruleProjectFiles });
    const result = await compile({ entries: [join(project, "pipeline.ts")], outDir: join(project, "out") });
    expect(result.diagnostics).toEqual([]);
    artifactDir = result.pipelines[0]?.dir as string;
    dir = mkdtempSync(join(tmpdir(), "canal-slurm-env-"));
    initWorkspace(dir);
    workspace = await openWorkspace(dir);
  }, 600_000);
  afterAll(async () => {
    await workspace?.close();
    await cluster?.stop();
    rmSync(project, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  async function run(): Promise<RuleRun> {
    // The Slurm commands run with this process's whole environment, the undeclared variable too:
    // the job inherits it from sbatch, and the rule must still keep it from the step.
    const runtime = new SlurmRuntime({
      sharedDir: join(dir, "runtime"),
      env: { ...process.env, ...cluster.env },
    });
    return runRule(workspace, artifactDir, runtime, dir);
  }

  it("passes declared variables only, keys on their values and leaves none of them behind", async () => {
    const shared = join(dir, "runtime");
    await expectEnvironmentRule(run, [join(dir, ".canal")], [shared]);
  }, 180_000);
});
