import { execFileSync, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compile } from "@canal/compiler";
import { runPipeline } from "@canal/runner";
import type { RunEvent, Runtime, StoredValue } from "@canal/runtime-core";
import { LocalRuntime } from "@canal/runtime-local";
import { SlurmRuntime } from "@canal/runtime-slurm";
import { initWorkspace, openWorkspace } from "@canal/store";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { canal, registerIris } from "../canal.js";
import { runtimeConformance } from "../conformance/suite.js";
import { copyIris, isRunning, makeProject, processesWithEnv, repoRoot, waitFor } from "../helpers.js";
import { filesHolding } from "../soundness/env-rule.js";
import { jobsNamed, type SlurmCluster, startSlurmCluster } from "./cluster.mjs";

const cli = join(repoRoot, "packages/cli/dist/main.js");
let cluster: SlurmCluster | undefined;
const slurmEnv = () => {
  if (!cluster) throw new Error("the Slurm test cluster is not running");
  return cluster.env;
};
const slurmRuntime = (sharedDir: string): Runtime => new SlurmRuntime({ sharedDir, env: slurmEnv() });

/** `canal cancel RUN` in the checkout `dir`, with the cluster's settings: it says it ended `job`. */
async function cancelEnds(dir: string, runId: string, job: string): Promise<void> {
  vi.stubEnv("SLURM_CONF", slurmEnv().SLURM_CONF as string);
  try {
    const canceled = await canal(["cancel", runId], dir);
    expect(canceled.stderr).toBe("");
    expect(canceled.stdout).toContain(`ended Slurm job ${job} on target cluster`);
  } finally {
    vi.unstubAllEnvs();
  }
}
/** The folder a job runs in (its `--chdir`): its job folder in the shared directory. */
const workDirOf = (jobId: string): string => {
  const shown = execFileSync("scontrol", ["show", "job", "-o", jobId], { env: slurmEnv(), encoding: "utf8" });
  const found = / WorkDir=(\S+)/.exec(shown)?.[1];
  if (!found) throw new Error(`scontrol shows no WorkDir for job ${jobId}: ${shown}`);
  return found;
};

describe("the Slurm runtime on a one-node cluster", () => {
  beforeAll(async () => {
    cluster = await startSlurmCluster();
  }, 600_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  runtimeConformance("slurm", slurmRuntime);

  /** A workspace and a runtime in it; `close` frees both. */
  /** A workspace with a runtime: a new one, or the project `existing` (a workspace of its own). */
  async function open(make: (dir: string) => Runtime, existing?: string) {
    const dir = existing ?? mkdtempSync(join(tmpdir(), "canal-slurm-ws-"));
    if (!existing) initWorkspace(dir);
    const workspace = await openWorkspace(dir);
    const runtime = make(join(dir, "runtime"));
    return {
      dir,
      workspace,
      runtime,
      async run(artifactDir: string, parameters: Record<string, unknown> = {}) {
        const events: RunEvent[] = [];
        const result = await runPipeline({
          workspace,
          artifactDir,
          runtime,
          parameters,
          onEvent: (e) => void events.push(e),
        });
        return { ...result, events };
      },
      async text(value: StoredValue | undefined): Promise<string> {
        if (!value || !("digest" in value))
          throw new Error(`expected an artifact, got ${JSON.stringify(value)}`);
        const path = join(mkdtempSync(join(dir, "read-")), "artifact");
        await workspace.blobs.materialize(value.digest, path);
        return readFileSync(path, "utf8");
      },
      async close() {
        await runtime.close();
        await workspace.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }

  const errors = (events: RunEvent[], type: "step-failed" | "step-retrying") =>
    events.flatMap((e) => (e.type === type && "error" in e ? [e.error] : []));

  describe("GPU requests, faults", () => {
    let project: string;
    const artifacts = new Map<string, string>();
    let h: Awaited<ReturnType<typeof open>>;

    beforeAll(async () => {
      project = makeProject({ from: join(import.meta.dirname, "fixtures/project") });
      const result = await compile({ entries: [join(project, "pipeline.ts")], outDir: join(project, "out") });
      expect(result.diagnostics).toEqual([]);
      for (const compiled of result.pipelines) artifacts.set(compiled.pipeline.name, compiled.dir as string);
      h = await open(slurmRuntime);
    });
    afterAll(async () => {
      await h?.close();
      rmSync(project, { recursive: true, force: true });
    });
    const artifact = (name: string) => artifacts.get(name) as string;

    it("gives a step the GPUs it asked for, through GRES", async () => {
      const one = await h.run(artifact("one-gpu"));
      expect(one.run.status, errors(one.events, "step-failed").join("\n")).toBe("succeeded");
      expect(await h.text(one.summary.outputs.devices)).toBe("0");
      const two = await h.run(artifact("two-gpus"));
      expect(two.run.status, errors(two.events, "step-failed").join("\n")).toBe("succeeded");
      expect(await h.text(two.summary.outputs.devices)).toBe("0,1");
    });

    it("fails a request the cluster cannot satisfy at submit, naming the step, the request and Slurm's answer", async () => {
      const three = await h.run(artifact("three-gpus"));
      expect(three.run.status).toBe("failed");
      expect(three.events.filter((e) => e.type === "step-started")).toHaveLength(1);
      const [error] = errors(three.events, "step-failed");
      expect(error).toContain("step three: Slurm refused the job asking for --gres=gpu:3");
      expect(error).toContain("Requested node configuration is not available");
    });

    it("times out a running job and ends its processes", async () => {
      const dir = mkdtempSync(join(h.dir, "overrun-"));
      const { run, events } = await h.run(artifact("overrun"), { dir });
      expect(run.status).toBe("failed");
      expect(errors(events, "step-failed")[0]).toContain("timed out");
      const pid = Number(readFileSync(join(dir, "worker.pid"), "utf8"));
      expect(isRunning(pid)).toBe(false);
      expect(processesWithEnv("CANAL_RUN_ID", run.id)).toEqual([]);
    });

    it("says Canal's entrypoint could not start when the node lacks the driver's node, naming the node and the path", async () => {
      const wrong = await open(
        (sharedDir) => new SlurmRuntime({ sharedDir, env: slurmEnv(), nodePath: "/nonexistent/bin/node" }),
      );
      try {
        const dir = mkdtempSync(join(wrong.dir, "no-node-"));
        const { run, events } = await wrong.run(artifact("overrun"), { dir });
        expect(run.status).toBe("failed");
        const [error] = errors(events, "step-failed");
        expect(error).toContain("step overrun: Canal's worker entrypoint could not start on node localhost");
        expect(error).toContain("`/nonexistent/bin/node` is not there (status 127");
        expect(error).toContain("install Node at /nonexistent/bin/node on the nodes");
        expect(existsSync(join(dir, "worker.pid"))).toBe(false);
      } finally {
        await wrong.close();
      }
    });

    it("counts a step's timeout from its job's start, not while the job waits in the queue", async () => {
      // Another job holds both GPUs for 4 s; the step asks for one with a 2 s timeout.
      const blocker = execFileSync(
        "sbatch",
        ["--parsable", "--gres=gpu:2", "--output=/dev/null", `--chdir=${h.dir}`, "--wrap", "sleep 4"],
        { env: slurmEnv(), encoding: "utf8" },
      ).trim();
      await waitFor("the blocking job to run", () =>
        /JobState=RUNNING/.test(
          execFileSync("scontrol", ["show", "job", "-o", blocker], { env: slurmEnv(), encoding: "utf8" }),
        ),
      );
      const started = Date.now();
      const { run, summary, events } = await h.run(artifact("queued"));
      expect(run.status, errors(events, "step-failed").join("\n")).toBe("succeeded");
      expect(Date.now() - started).toBeGreaterThan(2000);
      expect(await h.text(summary.outputs.out)).toBe("ran\n");
    });

    it("retries a job cancelled from outside, saying so", async () => {
      const marker = join(h.dir, "hold.marker");
      const running = h.run(artifact("hold"), { marker });
      await waitFor("the first attempt to start", () => existsSync(marker));
      const jobs = jobsNamed(slurmEnv(), "canal:hold");
      expect(jobs).toHaveLength(1);
      execFileSync("scancel", jobs, { env: slurmEnv() });
      const { run, summary, events } = await running;
      expect(run.status, errors(events, "step-failed").join("\n")).toBe("succeeded");
      const [retrying] = errors(events, "step-retrying");
      expect(retrying).toContain(`Slurm job ${jobs[0]} ended CANCELLED`);
      expect(retrying).toContain("cancelled from outside Canal");
      expect(await h.text(summary.outputs.out)).toBe("attempt 2\n");
    });

    it("queues each next job ahead behind the one it waits on, and cancels those the cache or a failure makes unneeded", async () => {
      const runtime = h.runtime as SlurmRuntime;
      const queued = (keys: string[]) => keys.flatMap((key) => jobsNamed(slurmEnv(), `canal:${key}`));
      const before = { ...runtime.stats };
      const first = await h.run(artifact("ahead"), { text: "x" });
      expect(first.run.status, errors(first.events, "step-failed").join("\n")).toBe("succeeded");
      expect(await h.text(first.summary.outputs.out)).toBe("x\nnext\nnext\nnext\n");
      // One job per step; the three after the first were queued before the step they wait on ended.
      expect(runtime.stats.submitted - before.submitted).toBe(4);
      expect(runtime.stats.usedAhead - before.usedAhead).toBe(3);
      const keys = Object.keys(first.summary.steps);

      // The first step re-runs (reuse: false) and writes the same bytes: the rest are cache hits,
      // and the jobs queued for them (already started, waiting for their attempt) are cancelled.
      const middle = { ...runtime.stats };
      const again = await h.run(artifact("ahead"), { text: "x" });
      expect(Object.values(again.summary.steps).sort()).toEqual(["cached", "cached", "cached", "succeeded"]);
      expect(runtime.stats.queuedAhead - middle.queuedAhead).toBeGreaterThan(0);
      expect(runtime.stats.usedAhead - middle.usedAhead).toBe(0);
      await waitFor("the jobs queued ahead to be cancelled", () => queued(keys).length === 0, 10_000);

      const failed = await h.run(artifact("ahead"), { text: "y", fail: "yes" });
      expect(failed.run.status).toBe("failed");
      expect(Object.values(failed.summary.steps).sort()).toEqual(["failed", "skipped", "skipped", "skipped"]);
      await waitFor("the jobs queued ahead to be cancelled", () => queued(keys).length === 0, 10_000);
    });

    it("`canal cancel` of a run whose driver was killed cancels the Slurm jobs it left and removes their files; its secret never sits in the shared directory", async () => {
      const dir = mkdtempSync(join(h.dir, "cli-"));
      const shared = join(dir, "shared");
      const config = { targets: { cluster: { kind: "slurm", sharedDir: shared } } };
      writeFileSync(join(dir, "canal.config.json"), JSON.stringify(config));
      const marker = join(dir, "hold.marker");
      const secret = `hold-${randomBytes(12).toString("hex")}`;
      const driver = spawn(
        process.execPath,
        [cli, "run", artifact("hold-secret"), "--target", "cluster", "-p", `marker=${marker}`],
        { cwd: dir, env: { ...slurmEnv(), HOLD_TEST_SECRET: secret }, stdio: "ignore" },
      );
      const exited = new Promise((resolve) => driver.on("exit", resolve));
      await waitFor("the job to start", () => existsSync(marker));
      const jobs = jobsNamed(slurmEnv(), "canal:hold");
      expect(jobs).toHaveLength(1);
      driver.kill("SIGKILL");
      await exited;
      // The job outlives its driver: nothing else would end it.
      expect(jobsNamed(slurmEnv(), "canal:hold")).toEqual(jobs);

      const workspace = await openWorkspace(dir);
      const [run] = await workspace.metadata.listRuns({});
      // The job's folder is there, but not the attempt's script, which held the secret. The run's
      // folder is named by its id and the key its driver kept in the workspace's store.
      const key = (await workspace.metadata.readRunKey(run?.id as string, "slurm")) as string;
      expect(key).toMatch(/^[0-9a-f]{32}$/);
      await workspace.close();
      const runJobs = join(shared, "jobs", `${run?.id}+${key}`);
      expect(readdirSync(join(shared, "jobs"))).toEqual([`${run?.id}+${key}`]);
      expect(readdirSync(runJobs)).toHaveLength(1);
      expect(filesHolding(shared, secret)).toEqual([]);
      await cancelEnds(dir, run?.id as string, jobs[0] as string);
      await waitFor(
        "the job to be cancelled",
        () => jobsNamed(slurmEnv(), "canal:hold").length === 0,
        10_000,
      );
      expect(existsSync(runJobs)).toBe(false);
      expect(existsSync(join(shared, "jobs"))).toBe(true);
      // Nothing of the run is left on the cluster: no key either, in the store or a file.
      const after = await openWorkspace(dir);
      expect(await after.metadata.readRunKey(run?.id as string, "slurm")).toBeUndefined();
      await after.close();
      expect(existsSync(join(dir, ".canal", "slurm-runs", run?.id as string))).toBe(false);
    });

    it("`canal cancel` from another checkout of the same store ends a killed driver's Slurm jobs and folder, and forgets the run's key", async () => {
      const team = mkdtempSync(join(h.dir, "team-"));
      const shared = join(team, "shared");
      // Two checkouts of one workspace, sharing its metadata store, each with its own state folder.
      const checkout = (name: string) => {
        const dir = join(team, name);
        mkdirSync(dir);
        const config = {
          workspace: "team",
          store: { kind: "sqlite", path: "../team.db" },
          targets: { cluster: { kind: "slurm", sharedDir: shared } },
        };
        writeFileSync(join(dir, "canal.config.json"), JSON.stringify(config));
        return dir;
      };
      const a = checkout("a");
      const b = checkout("b");
      const marker = join(a, "hold.marker");
      const before = new Set(jobsNamed(slurmEnv(), "canal:hold"));
      const driver = spawn(
        process.execPath,
        [cli, "run", artifact("hold"), "--target", "cluster", "-p", `marker=${marker}`],
        { cwd: a, env: slurmEnv(), stdio: "ignore" },
      );
      const exited = new Promise((resolve) => driver.on("exit", resolve));
      await waitFor("the job to start", () => existsSync(marker));
      const jobs = jobsNamed(slurmEnv(), "canal:hold").filter((id) => !before.has(id));
      expect(jobs).toHaveLength(1);
      const folder = workDirOf(jobs[0] as string);
      driver.kill("SIGKILL");
      await exited;
      // Checkout b holds nothing of the run but what the store holds.
      expect(existsSync(join(b, ".canal", "slurm-runs"))).toBe(false);
      const workspace = await openWorkspace(b);
      const [run] = await workspace.metadata.listRuns({});
      await workspace.close();
      await cancelEnds(b, run?.id as string, jobs[0] as string);
      await waitFor(
        "the job to be cancelled",
        () => !jobsNamed(slurmEnv(), "canal:hold").includes(jobs[0] as string),
      );
      expect(existsSync(folder)).toBe(false);
      const after = await openWorkspace(a);
      expect((await after.metadata.getRun(run?.id as string)).status).toBe("canceled");
      expect(await after.metadata.readRunKey(run?.id as string, "slurm")).toBeUndefined();
      await after.close();
      expect(existsSync(join(a, ".canal", "slurm-runs", run?.id as string))).toBe(false);
    });

    it("`canal cancel` of a killed run ends only its own workspace's jobs and folder, not another workspace's run of the same id sharing the cluster and shared directory", async () => {
      const shared = mkdtempSync(join(h.dir, "two-shared-"));
      const config = { targets: { cluster: { kind: "slurm", sharedDir: shared } } };
      // The same run id in both: two stores each make their own, and nothing keeps them apart.
      const runId = "run-20261207-000000-abcd";
      const start = (name: string) => {
        const dir = mkdtempSync(join(h.dir, `${name}-`));
        writeFileSync(join(dir, "canal.config.json"), JSON.stringify(config));
        const marker = join(dir, "hold.marker");
        const driver = spawn(
          process.execPath,
          [cli, "run", artifact("hold"), "--target", "cluster", "-p", `marker=${marker}`],
          { cwd: dir, env: { ...slurmEnv(), CANAL_DRIVER_RUN_ID: runId }, stdio: "ignore" },
        );
        const exited = new Promise((resolve) => driver.on("exit", resolve));
        return { dir, marker, driver, exited };
      };
      const before = new Set(jobsNamed(slurmEnv(), "canal:hold"));
      const a = start("ws-a");
      await waitFor("workspace a's job to start", () => existsSync(a.marker));
      const [jobA] = jobsNamed(slurmEnv(), "canal:hold").filter((id) => !before.has(id));
      const b = start("ws-b");
      await waitFor("workspace b's job to start", () => existsSync(b.marker));
      const [jobB] = jobsNamed(slurmEnv(), "canal:hold").filter((id) => !before.has(id) && id !== jobA);
      expect(jobA).toBeDefined();
      expect(jobB).toBeDefined();
      const folderA = workDirOf(jobA as string);
      const folderB = workDirOf(jobB as string);
      expect(folderA).not.toBe(folderB);
      a.driver.kill("SIGKILL");
      await a.exited;

      vi.stubEnv("SLURM_CONF", slurmEnv().SLURM_CONF as string);
      try {
        const canceled = await canal(["cancel", runId], a.dir);
        expect(canceled.stderr).toBe("");
        expect(canceled.stdout).toContain(`ended Slurm job ${jobA} on target cluster`);
        expect(canceled.stdout).not.toContain(`Slurm job ${jobB} `);
      } finally {
        vi.unstubAllEnvs();
      }
      await waitFor(
        "a's job to be cancelled",
        () => !jobsNamed(slurmEnv(), "canal:hold").includes(jobA as string),
      );
      expect(existsSync(folderA)).toBe(false);
      // b's run goes on: its job runs, its folder and its files are where it left them.
      expect(jobsNamed(slurmEnv(), "canal:hold")).toContain(jobB);
      expect(existsSync(join(folderB, "job.sh"))).toBe(true);
      expect(existsSync(join(folderB, "started"))).toBe(true);
      const running = await openWorkspace(b.dir);
      expect((await running.metadata.getRun(runId)).status).toBe("running");
      await running.close();

      // b's own cancel, once its driver is killed too, ends b's job and removes b's folder.
      b.driver.kill("SIGKILL");
      await b.exited;
      vi.stubEnv("SLURM_CONF", slurmEnv().SLURM_CONF as string);
      try {
        const canceled = await canal(["cancel", runId], b.dir);
        expect(canceled.stderr).toBe("");
        expect(canceled.stdout).toContain(`ended Slurm job ${jobB} on target cluster`);
      } finally {
        vi.unstubAllEnvs();
      }
      await waitFor(
        "b's job to be cancelled",
        () => !jobsNamed(slurmEnv(), "canal:hold").includes(jobB as string),
      );
      expect(existsSync(folderB)).toBe(false);
    });

    it("`canal cancel` of a run the previous version started ends the jobs and folder tagged by its id alone", async () => {
      const dir = mkdtempSync(join(h.dir, "legacy-"));
      const shared = join(dir, "shared");
      writeFileSync(
        join(dir, "canal.config.json"),
        JSON.stringify({ targets: { cluster: { kind: "slurm", sharedDir: shared } } }),
      );
      const runId = "run-20261207-000001-abcd";
      // What that version left: a job whose comment is the run id, its folder jobs/<run id>/.
      const folder = join(shared, "jobs", runId, "hold.1.0000");
      mkdirSync(folder, { recursive: true });
      const script = join(folder, "job.sh");
      writeFileSync(script, "#!/bin/sh\nsleep 60\n", { mode: 0o755 });
      const submitted = execFileSync(
        "sbatch",
        [
          "--parsable",
          "--job-name=canal:legacy",
          `--comment=canal-run=${runId}`,
          `--chdir=${folder}`,
          "--output=/dev/null",
          script,
        ],
        { env: slurmEnv(), encoding: "utf8" },
      );
      const job = submitted.trim().split(";")[0] as string;
      // A run of this version with the same id keeps a key: its cancel leaves that job alone.
      const keyed = join(dir, "keyed");
      mkdirSync(join(keyed, "slurm-runs"), { recursive: true });
      writeFileSync(join(keyed, "slurm-runs", runId), `${randomBytes(16).toString("hex")}\n`);
      const ours = new SlurmRuntime({ sharedDir: shared, stateDir: keyed, env: slurmEnv() });
      try {
        expect(await ours.endRun(runId)).toEqual([]);
      } finally {
        await ours.close();
      }
      expect(jobsNamed(slurmEnv(), "canal:legacy")).toEqual([job]);
      expect(existsSync(script)).toBe(true);
      const runtime = new SlurmRuntime({ sharedDir: shared, stateDir: join(dir, ".canal"), env: slurmEnv() });
      try {
        expect(await runtime.endRun(runId)).toEqual([`Slurm job ${job}`]);
      } finally {
        await runtime.close();
      }
      await waitFor("the job to be cancelled", () => jobsNamed(slurmEnv(), "canal:legacy").length === 0);
      expect(existsSync(join(shared, "jobs", runId))).toBe(false);
    });

    it("ends nothing and removes nothing for a run id that is not one folder name", async () => {
      const shared = mkdtempSync(join(h.dir, "ids-"));
      writeFileSync(join(shared, "kept"), "");
      const runtime = new SlurmRuntime({ sharedDir: join(shared, "inner"), env: slurmEnv() });
      mkdirSync(join(shared, "inner", "jobs"), { recursive: true });
      for (const id of ["..", "../..", "a/b", ".hidden", ""])
        await expect(runtime.endRun(id)).rejects.toThrow(`run id \`${id}\` is not a run id`);
      expect(existsSync(join(shared, "kept"))).toBe(true);
      expect(existsSync(join(shared, "inner", "jobs"))).toBe(true);
      await runtime.close();
    });

    it("finishes a run whose job outlives a slurmctld restart", async () => {
      const marker = join(h.dir, "slow.marker");
      const running = h.run(artifact("slow"), { marker });
      await waitFor("the step to start", () => existsSync(marker));
      await cluster?.restartController();
      // Never hanging is the test's own time limit.
      const { run, summary, events } = await running;
      expect(run.status, errors(events, "step-failed").join("\n")).toBe("succeeded");
      expect(await h.text(summary.outputs.out)).toBe("finished\n");
    }, 90_000);
  });

  const sklearn =
    spawnSync("/usr/bin/python3", ["-c", "import sklearn, pandas"], { stdio: "pipe" }).status === 0
      ? undefined
      : "/usr/bin/python3 cannot import sklearn and pandas (apt-get install python3-sklearn python3-pandas python3-venv)";

  it.skipIf(sklearn)(
    `runs the flagship example with the same output digests as on local, from one compiled artifact, and reuses local's cache${sklearn ? ` [skipped: ${sklearn}]` : ""}`,
    async () => {
      // Two copies of the flagship, each a workspace where its raw data is registered as a user does.
      const dir = copyIris();
      const other = copyIris();
      await registerIris(dir);
      await registerIris(other);
      const local = await open((cacheDir) => new LocalRuntime({ cacheDir }), dir);
      const slurm = await open(slurmRuntime, other);
      try {
        const result = await compile({ entries: [join(dir, "pipeline.ts")], outDir: join(dir, "out") });
        expect(result.diagnostics).toEqual([]);
        const artifactDir = result.pipelines[0]?.dir as string;
        const [onLocal, onSlurm] = await Promise.all([local.run(artifactDir), slurm.run(artifactDir)]);
        expect(onLocal.run.status, errors(onLocal.events, "step-failed").join("\n")).toBe("succeeded");
        expect(onSlurm.run.status, errors(onSlurm.events, "step-failed").join("\n")).toBe("succeeded");
        expect(Object.values(onSlurm.summary.steps).every((s) => s === "succeeded")).toBe(true);
        expect(onSlurm.summary.outputs).toEqual(onLocal.summary.outputs);
        // Same environment, same cache: Slurm in the local run's workspace reuses every step.
        const again = slurmRuntime(join(local.dir, "slurm-runtime"));
        const onSlurmAgain = await runPipeline({
          workspace: local.workspace,
          artifactDir,
          runtime: again,
        });
        await again.close();
        expect(Object.values(onSlurmAgain.summary.steps).every((s) => s === "cached")).toBe(true);
        expect(onSlurmAgain.summary.outputs).toEqual(onLocal.summary.outputs);
      } finally {
        await local.close();
        await slurm.close();
        rmSync(dir, { recursive: true, force: true });
        rmSync(other, { recursive: true, force: true });
      }
    },
    120_000,
  );
});
