// Docker runtime benchmark: a chain of trivial script steps run by Canal's Docker runtime, against
// bare containers of the same commands created, started, waited for and removed through the Engine
// API, one after the other, in this run, on a dockerd of the benchmark's own.
//
// Reference (same 2-core machine): one trivial container costs ≈0.25 s end to end through the Engine
// API, ~80% of it the daemon starting it. Bar: Canal's per-step time within 1.2x of a bare container's.
// Prints a table for people and one `BENCH {json}` line for scripts.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HOST_BINDS, HOST_IMAGE, startEngine } from "../docker/engine.mjs";
import { generateScripts, repo, stepCommand } from "./generate.mjs";

const STEPS = Number(process.env.CANAL_BENCH_DOCKER_STEPS ?? 10);
const BAR = 1.2;

/** The same commands as bare containers: create, start, wait, remove, one after the other. */
async function bare(docker, dir) {
  writeFileSync(join(dir, "s0"), "0\n");
  const t0 = performance.now();
  for (let i = 1; i <= STEPS; i++) {
    const container = await docker.createContainer({
      Image: HOST_IMAGE,
      Cmd: ["/bin/sh", "-c", stepCommand(`/work/s${i - 1}`, `/work/s${i}`, i)],
      User: `${process.getuid()}:${process.getgid()}`,
      HostConfig: { Binds: [...HOST_BINDS, `${dir}:/work`], NetworkMode: "none" },
    });
    await container.start();
    const { StatusCode } = await container.wait();
    await container.remove();
    if (StatusCode !== 0) throw new Error(`bare container ${i} exited with ${StatusCode}`);
  }
  return performance.now() - t0;
}

export async function main() {
  const root = mkdtempSync(join(tmpdir(), "canal-docker-bench-"));
  let engine;
  try {
    try {
      engine = await startEngine();
    } catch (error) {
      console.log(`docker bench skipped: dockerd could not be started here: ${error.message}`);
      return;
    }
    const { default: Docker } = await import(join(repo, "node_modules/dockerode/lib/docker.js"));
    const { compile } = await import(join(repo, "compiler/dist/index.js"));
    const { runPipeline } = await import(join(repo, "packages/runner/dist/index.js"));
    const { DockerRuntime } = await import(join(repo, "runtimes/docker/dist/index.js"));
    const { initWorkspace, openWorkspace } = await import(join(repo, "packages/store/dist/index.js"));
    const docker = new Docker({ socketPath: engine.socket });

    const project = join(root, "project");
    mkdirSync(project);
    generateScripts(project, "chain", STEPS);
    const compiled = await compile({ entries: ["pipeline.ts"], cwd: project, outDir: "out" });
    if (compiled.diagnostics.length) throw new Error(compiled.diagnostics[0].message);
    const artifactDir = compiled.pipelines[0].dir;
    const ws = join(root, "workspace");
    mkdirSync(ws);
    initWorkspace(ws);
    const workspace = await openWorkspace(ws);
    const runtime = new DockerRuntime({ socket: engine.socket, image: HOST_IMAGE, binds: HOST_BINDS });
    const canal = async (regenerate) => {
      const t0 = performance.now();
      const { run } = await runPipeline({ workspace, artifactDir, runtime, regenerate });
      if (run.status !== "succeeded")
        throw new Error(`the docker bench run ${run.status}: ${run.error ?? ""}`);
      return performance.now() - t0;
    };

    // Warm both paths once (the first container start pays for loading the image), then alternate.
    const bareDir = join(root, "bare");
    mkdirSync(bareDir);
    await bare(docker, bareDir);
    await canal(false);
    const bareMs = [];
    const canalMs = [];
    for (let round = 0; round < 2; round++) {
      bareMs.push(await bare(docker, bareDir));
      canalMs.push(await canal(true));
    }
    await runtime.close();
    await workspace.close();
    const perBare = Math.min(...bareMs) / STEPS;
    const perCanal = Math.min(...canalMs) / STEPS;
    const ratio = perCanal / perBare;
    console.log(`\nDocker runtime: a chain of ${STEPS} script steps, one container each (best of 2)`);
    console.log("  bare containers (Engine API)   Canal docker runtime   ratio   bar");
    console.log(
      `  ${perBare.toFixed(0).padStart(10)} ms/step            ${perCanal.toFixed(0).padStart(6)} ms/step        ${ratio.toFixed(2)}x   ${BAR}x ${ratio <= BAR ? "ok" : "MISSED"}`,
    );
    console.log(
      `BENCH ${JSON.stringify({ bench: "docker-step-overhead", steps: STEPS, bareMsPerStep: perBare, canalMsPerStep: perCanal, ratio, bar: BAR })}`,
    );
  } finally {
    await engine?.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
