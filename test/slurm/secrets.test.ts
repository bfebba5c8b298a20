// Secrets never reach slurmctld's saved state: neither a variable a step declares (which its job
// needs) nor anything else of the shell `canal run` was started in. slurmctld keeps each job's
// submitted script and environment in its StateSaveLocation and shows them while it knows the job,
// and slurmd spools the script on the node.
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compile } from "@canal/compiler";
import { SlurmRuntime } from "@canal/runtime-slurm";
import { initWorkspace, openWorkspace, type Workspace } from "@canal/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeProject } from "../helpers.js";
import { filesHolding, runRule } from "../soundness/env-rule.js";
import { type SlurmCluster, startSlurmCluster } from "./cluster.mjs";
import { slurmLeaks } from "./leaks.js";

const DECLARED = "SECRETS_TEST_DEPLOY_TOKEN";
const UNDECLARED = "SECRETS_TEST_SHELL_PASSWORD";

// Each step writes the SHA-256 of the declared value: its output shows it saw the value without
// holding it. The first is submitted with its attempt, the second queued ahead of its attempt.
const files: Record<string, string> = {
  "pipeline.ts": `import { createHash } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { context, File, pipeline, step } from "@canal/sdk";

export class Secrets {
  @step.script({ source: "./src", run: "sh digest.sh {out}", passEnv: ["${DECLARED}"] })
  scriptStep(): { out: File } {
    return step.declared();
  }

  @step({ passEnv: ["${DECLARED}"] })
  async tsStep(_after: File): Promise<{ out: File }> {
    const out = context().outputPath("out");
    await writeFile(out, createHash("sha256").update(process.env.${DECLARED} ?? "unset").digest("hex"));
    return { out: new File(out) };
  }

  @pipeline({ name: "secrets" })
  async run() {
    const a = this.scriptStep();
    // Queued ahead behind the script step's job, and handed its attempt once that ended.
    const b = await this.tsStep(a.out);
    return { a: a.out, b: b.out };
  }
}
`,
  "src/digest.sh": `printf '%s' "\${${DECLARED}-unset}" | sha256sum | cut -d' ' -f1 | tr -d '\\n' > "$1"\n`,
};

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

describe("secrets on slurm", () => {
  let cluster: SlurmCluster;
  let project: string;
  let artifactDir: string;
  let dir: string;
  let workspace: Workspace;

  beforeAll(async () => {
    cluster = await startSlurmCluster();
    project = makeProject({ files });
    const result = await compile({ entries: [join(project, "pipeline.ts")], outDir: join(project, "out") });
    expect(result.diagnostics).toEqual([]);
    artifactDir = result.pipelines[0]?.dir as string;
    dir = mkdtempSync(join(tmpdir(), "canal-slurm-secrets-"));
    initWorkspace(dir);
    workspace = await openWorkspace(dir);
  }, 600_000);
  afterAll(async () => {
    await workspace?.close();
    await cluster?.stop();
    if (project) rmSync(project, { recursive: true, force: true });
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const slurm = (args: string[]) =>
    execFileSync(args[0] as string, args.slice(1), { env: cluster.env, encoding: "utf8" });

  it("the step gets its declared secret; neither it nor the shell's reaches slurmctld, slurmd or the workspace", async () => {
    const declared = `declared-${randomBytes(12).toString("hex")}`;
    const undeclared = `undeclared-${randomBytes(12).toString("hex")}`;
    const saved = { declared: process.env[DECLARED], undeclared: process.env[UNDECLARED] };
    const shared = join(dir, "runtime");
    try {
      process.env[DECLARED] = declared;
      process.env[UNDECLARED] = undeclared;
      // The Slurm commands are given this process's whole environment, both secrets included.
      const runtime = new SlurmRuntime({ sharedDir: shared, env: { ...process.env, ...cluster.env } });
      const { outputs } = await runRule(workspace, artifactDir, runtime, dir);
      expect(outputs).toEqual({ scriptStep: sha256(declared), tsStep: sha256(declared) });
      expect(runtime.stats).toMatchObject({ submitted: 2, usedAhead: 1 });
      // The job's script in the shared directory (owner-only) went with the job's files when the
      // runtime closed (`canal run` exits then: no timer may be left to remove them).
      for (const secret of [declared, undeclared]) expect(filesHolding(shared, secret)).toEqual([]);
    } finally {
      for (const [name, value] of [
        [DECLARED, saved.declared],
        [UNDECLARED, saved.undeclared],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }

    // Where each secret was found, named: every place is looked at before the test says so.
    const jobs = slurm(["squeue", "-h", "-t", "all", "-o", "%i"]).split("\n").filter(Boolean);
    expect(jobs.length).toBeGreaterThanOrEqual(2);
    expect(slurmLeaks(cluster, jobs, { declared, undeclared })).toEqual([]);

    // The workspace never holds either.
    for (const secret of [declared, undeclared])
      expect(filesHolding(join(dir, ".canal"), secret)).toEqual([]);
  }, 180_000);
});
