// Slurm benchmark: a chain of 10 trivial script steps run by Canal's Slurm runtime (one job per
// step; each next one queued ahead behind the one before) against a bare chain of the same
// commands submitted at once with `sbatch --dependency=afterok`, on the same one-node cluster in
// this run. Bar (issue #4): the Slurm runtime within 1.2x of the bare chain. Each side runs a few
// times, alternating, each from an idle queue; the median counts.
//
// Two numbers per side. "wall": from the start to the last step's end. It includes the wait of the
// first job for slurmctld's next scheduling pass (a newly submitted job starts on it, 0 to 1 s
// later, whoever submits it), which dominates a 10-step chain and varies from run to run. "chain":
// from the first job's allocation (slurmctld's log, in ms) to the last step's end: the per-step
// cost of each side over the 10 steps. The bar is on the chain, the per-step overhead.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startSlurmCluster } from "../slurm/cluster.mjs";
import { generateScripts, repo, stepCommand } from "./generate.mjs";

const STEPS = 10;
const ROUNDS = Number(process.env.CANAL_BENCH_SLURM_ROUNDS ?? 3);
const BAR = 1.2;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Waits until job `id` has ended, polling as the runtime does; returns its state. */
async function waitJob(env, id) {
  for (;;) {
    const line = execFileSync("scontrol", ["show", "job", "-o", id], { env, encoding: "utf8" });
    const state = /JobState=(\S+)/.exec(line)?.[1] ?? "";
    if (!["PENDING", "RUNNING", "CONFIGURING", "COMPLETING"].includes(state)) return state;
    await sleep(10);
  }
}

/** When each job was allocated (started), from slurmctld's log: job id -> epoch ms. */
function allocations(cluster) {
  const log = readFileSync(join(cluster.root, "slurm/slurmctld.log"), "utf8");
  const times = new Map();
  for (const [, time, id] of log.matchAll(/^\[([\d-]+T[\d:.]+)\] .*?\b(?:Allocate|Started) JobId=(\d+)/gm))
    times.set(id, new Date(time).getTime());
  return times;
}

/** The first job submitted at or after `since` (epoch ms), from slurmctld's log: its id and when. */
function firstSubmittedSince(cluster, since) {
  const log = readFileSync(join(cluster.root, "slurm/slurmctld.log"), "utf8");
  for (const [, time, id] of log.matchAll(
    /^\[([\d-]+T[\d:.]+)\] _slurm_rpc_submit_batch_job: JobId=(\d+)/gm,
  )) {
    const at = new Date(time).getTime();
    if (at >= since - 1) return { id, at };
  }
  throw new Error("slurmctld's log shows no job submitted by this side");
}

/** Waits for an empty queue, then a little more: no job ending nearby makes slurmctld schedule at once. */
async function idle(env) {
  while (execFileSync("squeue", ["-h"], { env, encoding: "utf8" }).trim()) await sleep(20);
  await sleep(300 + Math.random() * 700);
}

/** The same commands as the Canal chain, as one sbatch each, each depending on the one before. */
async function bareChain(env, dir) {
  writeFileSync(join(dir, "out0"), "0\n");
  const scripts = [];
  for (let i = 1; i <= STEPS; i++) {
    const script = join(dir, `step${i}.sh`);
    writeFileSync(script, `#!/bin/sh\n${stepCommand(join(dir, `out${i - 1}`), join(dir, `out${i}`), i)}\n`);
    scripts.push(script);
  }
  const t0 = performance.now();
  let previous = "";
  for (const script of scripts) {
    const args = ["--parsable", "--output=/dev/null", `--chdir=${dir}`];
    if (previous) args.push(`--dependency=afterok:${previous}`);
    previous = execFileSync("sbatch", [...args, script], { env, encoding: "utf8" })
      .trim()
      .split(";")[0];
  }
  const state = await waitJob(env, previous);
  const ms = performance.now() - t0;
  if (state !== "COMPLETED") throw new Error(`the bare chain's last job ended ${state}`);
  return { wall: ms, since: performance.timeOrigin + t0, end: Date.now() };
}

export async function main() {
  const { compile } = await import(join(repo, "compiler/dist/index.js"));
  const { runPipeline } = await import(join(repo, "packages/runner/dist/index.js"));
  const { initWorkspace, openWorkspace } = await import(join(repo, "packages/store/dist/index.js"));
  const { SlurmRuntime } = await import(join(repo, "runtimes/slurm/dist/index.js"));

  const cluster = await startSlurmCluster();
  const root = mkdtempSync(join(tmpdir(), "canal-slurm-bench-"));
  try {
    const project = join(root, "project");
    mkdirSync(project);
    generateScripts(project, "chain", STEPS);
    const compiled = await compile({ entries: [join(project, "pipeline.ts")], outDir: join(project, "out") });
    if (compiled.diagnostics.length) throw new Error(JSON.stringify(compiled.diagnostics));
    const artifactDir = compiled.pipelines[0].dir;

    const canalRun = async (round) => {
      const dir = join(root, `ws-${round}`);
      mkdirSync(dir);
      initWorkspace(dir);
      const workspace = await openWorkspace(dir);
      // One shared directory for every round, as a target's is: the artifact is staged there once.
      const runtime = new SlurmRuntime({ sharedDir: join(root, "shared"), env: cluster.env });
      try {
        const since = Date.now();
        const t0 = performance.now();
        const { run } = await runPipeline({
          workspace,
          artifactDir,
          runtime,
          parameters: { seed: join(project, "seed.txt") },
        });
        const ms = performance.now() - t0;
        const end = Date.now();
        if (run.status !== "succeeded") throw new Error(`the Canal chain ended ${run.status}: ${run.error}`);
        return { wall: ms, since, end };
      } finally {
        await runtime.close();
        await workspace.close();
      }
    };

    // One of each first, untimed: the artifact's staging into the shared directory, the scheduler's first pass.
    await bareChain(cluster.env, mkdtempSync(join(root, "bare-")));
    await canalRun("warm");
    const bare = { wall: [], chain: [], wait: [] };
    const canal = { wall: [], chain: [], wait: [] };
    const measure = async (side, run) => {
      await idle(cluster.env);
      const { wall, since, end } = await run();
      const first = firstSubmittedSince(cluster, since);
      const allocated = allocations(cluster).get(first.id);
      if (allocated === undefined) {
        const log = readFileSync(join(cluster.root, "slurm/slurmctld.log"), "utf8");
        const said = log.split("\n").filter((line) => new RegExp(`JobId=${first.id}\\b`).test(line));
        throw new Error(`slurmctld's log shows no allocation of job ${first.id}:\n${said.join("\n")}`);
      }
      side.wall.push(wall);
      side.chain.push(end - allocated);
      side.wait.push(allocated - first.at);
    };
    for (let round = 0; round < ROUNDS; round++) {
      await measure(bare, () => bareChain(cluster.env, mkdtempSync(join(root, "bare-"))));
      await measure(canal, () => canalRun(round));
    }
    const result = {
      bench: "slurm-chain",
      steps: STEPS,
      bareWallMs: Math.round(median(bare.wall)),
      canalWallMs: Math.round(median(canal.wall)),
      bareChainMs: Math.round(median(bare.chain)),
      canalChainMs: Math.round(median(canal.chain)),
      bareFirstWaitMs: Math.round(median(bare.wait)),
      canalFirstWaitMs: Math.round(median(canal.wait)),
    };
    const ratio = result.canalChainMs / result.bareChainMs;
    const wallRatio = result.canalWallMs / result.bareWallMs;
    const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`.padStart(8);
    console.log(`\nSlurm: a chain of ${STEPS} script steps on a one-node cluster (median of ${ROUNDS})`);
    console.log("                                        wall   chain (first job's start to the end)");
    console.log(
      `  sbatch --dependency=afterok chain ${seconds(result.bareWallMs)} ${seconds(result.bareChainMs)}`,
    );
    console.log(
      `  Canal Slurm runtime               ${seconds(result.canalWallMs)} ${seconds(result.canalChainMs)}`,
    );
    console.log(
      `  first job's wait for a scheduling pass: bare ${result.bareFirstWaitMs} ms, Canal ${result.canalFirstWaitMs} ms`,
    );
    console.log(`  wall ratio ${wallRatio.toFixed(2)}x (includes that wait)`);
    console.log(`  chain ratio ${ratio.toFixed(2)}x (bar ${BAR}x): ${ratio <= BAR ? "within" : "OVER"}`);
    console.log(
      `BENCH ${JSON.stringify({ ...result, ratio: Number(ratio.toFixed(3)), wallRatio: Number(wallRatio.toFixed(3)), bar: BAR })}`,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
    await cluster.stop();
  }
}
