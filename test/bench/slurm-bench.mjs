// Slurm benchmark: a chain of 10 trivial script steps run by Canal's Slurm runtime (one job per
// step, submitted by the orchestrator when the step is ready) against a bare chain of the same
// commands submitted at once with `sbatch --dependency=afterok`, on the same one-node cluster in
// this run. Bar (issue #4): the Slurm runtime within 1.2x of the bare chain (≈0.8 s with the tuned
// slurm.conf of RECIPES.md). Each side runs a few times; the median counts.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
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
  return ms;
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
      const workspace = openWorkspace(dir);
      // One shared directory for every round, as a target's is: the artifact is staged there once.
      const runtime = new SlurmRuntime({ sharedDir: join(root, "shared"), env: cluster.env });
      try {
        const t0 = performance.now();
        const { run } = await runPipeline({
          workspace,
          artifactDir,
          runtime,
          parameters: { seed: join(project, "seed.txt") },
        });
        const ms = performance.now() - t0;
        if (run.status !== "succeeded") throw new Error(`the Canal chain ended ${run.status}: ${run.error}`);
        return ms;
      } finally {
        await runtime.close();
        await workspace.close();
      }
    };

    // One of each first, untimed: the artifact's staging into the shared directory, the scheduler's first pass.
    await bareChain(cluster.env, mkdtempSync(join(root, "bare-")));
    await canalRun("warm");
    const bare = [];
    const canal = [];
    for (let round = 0; round < ROUNDS; round++) {
      bare.push(await bareChain(cluster.env, mkdtempSync(join(root, "bare-"))));
      canal.push(await canalRun(round));
    }
    const bareMs = median(bare);
    const canalMs = median(canal);
    const ratio = canalMs / bareMs;
    console.log(`\nSlurm: a chain of ${STEPS} script steps on a one-node cluster (median of ${ROUNDS})`);
    console.log(`  sbatch --dependency=afterok chain   ${(bareMs / 1000).toFixed(2)} s`);
    console.log(`  Canal Slurm runtime                 ${(canalMs / 1000).toFixed(2)} s`);
    console.log(`  ratio ${ratio.toFixed(2)}x (bar ${BAR}x): ${ratio <= BAR ? "within" : "OVER"}`);
    console.log(
      `BENCH ${JSON.stringify({ bench: "slurm-chain", steps: STEPS, bareMs: Math.round(bareMs), canalMs: Math.round(canalMs), ratio: Number(ratio.toFixed(3)), bar: BAR })}`,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
    await cluster.stop();
  }
}
