import { existsSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compile, hasErrors } from "@canal/compiler";
import { openWorkspace } from "@canal/store";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { canal } from "../canal.js";
import { makeProject, repoRoot } from "../helpers.js";

async function recordedRuns(dir: string) {
  const workspace = await openWorkspace(dir);
  try {
    return await workspace.metadata.listRuns({});
  } finally {
    await workspace.close();
  }
}

const config = {
  workspace: "gpu-team",
  targets: {
    local: { kind: "local", maxParallel: 2, cpus: 4, memory: "8Gi" },
    docker: { kind: "docker", socket: "/var/run/docker.sock", image: "canal/base:1", maxParallel: 4 },
    gpu: {
      kind: "slurm",
      partition: "gpu",
      gres: "gpu",
      gpus: 2,
      gpuTypes: ["a100"],
      maxParallel: 8,
      sharedDir: join(tmpdir(), "canal-targets-shared"),
      cpus: 64,
      memory: "256Gi",
    },
    workstation: { kind: "local", gpus: 2, gpuTypes: ["a100"], cpus: 16, memory: "64Gi", maxParallel: 1 },
  },
  profiles: {
    default: { target: "local" },
    prod: { target: "gpu", compute: { gpu: "gpu" } },
    desk: { target: "local", compute: { gpu: "workstation" } },
  },
};

let artifact: string;
beforeAll(async () => {
  const dir = makeProject({ from: join(repoRoot, "test/targets/fixtures/gpu") });
  const result = await compile({ entries: [join(dir, "pipeline.ts")], outDir: join(dir, "build") });
  expect(hasErrors(result)).toBe(false);
  artifact = result.pipelines[0]?.dir as string;
});

function workspace(withConfig: unknown = config): string {
  const dir = makeProject();
  if (withConfig) writeFileSync(join(dir, "canal.config.json"), JSON.stringify(withConfig));
  return dir;
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("canal run on compute targets", () => {
  it("checks every step against the chosen target before anything runs, reporting all problems", async () => {
    const dir = workspace();
    const result = await canal(["run", artifact, "--target", "local"], dir);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      "pipeline gpu-train cannot run on the targets of --target local; nothing ran:",
    );
    expect(result.stderr).toContain(
      "step `train` asks for 2 GPUs but target `local` has none; run with --target gpu (slurm, 2 GPUs a100, 256Gi) or --target workstation (local, 2 GPUs a100, 64Gi) or lower resources.gpu",
    );
    expect(result.stderr).toContain(
      "step `train` asks for GPU type `a100` but target `local` has no GPU types declared",
    );
    expect(result.stderr).toContain("step `train` asks for 16Gi of memory but target `local` has 8Gi");
    expect(result.stderr).toContain("step `train` asks for 8 CPUs but target `local` has 4");
    expect(result.stderr).toMatch(/CANAL_TARGET_UNSATISFIED/);
    expect(await recordedRuns(dir)).toEqual([]);
    expect(existsSync(join(dir, ".canal/work"))).toBe(false);
  });

  it("refuses a step's compute name that the profile does not map, with no config at all", async () => {
    const dir = workspace(null);
    const result = await canal(["run", artifact], dir);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      'step `train` asks for compute `gpu`, which profile `default` does not map to a target; add "compute": { "gpu": "TARGET" } to profiles.default in canal.config.json (the targets are local), or run with --target NAME',
    );
    expect(await recordedRuns(dir)).toEqual([]);
  });

  it("checks a docker target's capabilities before anything runs, and records nothing", async () => {
    const dir = workspace();
    const result = await canal(["run", artifact, "--target", "docker"], dir);
    expect(result.status).toBe(1);
    // The GPU step is checked first: docker declares no GPUs.
    expect(result.stderr).toContain("step `train` asks for 2 GPUs but target `docker` has none");
    expect(await recordedRuns(dir)).toEqual([]);
  });

  it("selects by --profile and by CANAL_PROFILE: prod sends the GPU step to the slurm target", async () => {
    const dir = workspace();
    // The slurm runtime is in this build, so the run reaches it; with no cluster configured here
    // sbatch cannot submit, and the run fails there (not at the capability check).
    const byFlag = await canal(["run", artifact, "--profile", "prod"], dir);
    expect(byFlag.status).toBe(1);
    expect(byFlag.stderr).not.toContain("asks for");
    expect((await recordedRuns(dir)).map((r) => r.runtime)).toEqual(["slurm"]);

    vi.stubEnv("CANAL_PROFILE", "prod");
    const byEnv = await canal(["run", artifact], dir);
    expect(byEnv.status).toBe(1);
    expect((await recordedRuns(dir)).map((r) => r.runtime)).toEqual(["slurm", "slurm"]);
    // The flag wins over the environment.
    const desk = await canal(["run", artifact, "--profile", "nope"], dir);
    expect(desk.stderr).toContain("there is no profile `nope`; the profiles are default, desk, prod");
    vi.stubEnv("CANAL_PROFILE", "staging");
    expect((await canal(["run", artifact], dir)).stderr).toContain(
      "CANAL_PROFILE=staging names no profile `staging`",
    );
    expect(await recordedRuns(dir)).toHaveLength(2);

    const both = await canal(["run", artifact, "--profile", "prod", "--target", "gpu"], dir);
    expect(both.status).toBe(2);
  });

  it("runs each step on the local target its profile maps it to", async () => {
    const dir = workspace();
    const result = await canal(["run", artifact, "--profile", "desk", "--json"], dir);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const [run] = await recordedRuns(dir);
    expect(run?.status).toBe("succeeded");
    expect(run?.runtime).toBe("local+local");

    const text = await canal(["run", artifact, "--profile", "desk"], dir);
    expect(text.stdout).toContain("target local (train on workstation)");
    // A rerun chooses its targets the same way, and checks them the same way.
    const rerun = await canal(["rerun", run?.id as string, "--target", "docker"], dir);
    expect(rerun.status).toBe(1);
    expect(rerun.stderr).toContain("step `train` asks for 2 GPUs but target `docker` has none");
    expect(await recordedRuns(dir)).toHaveLength(2);
    const unknown = await canal(["run", artifact, "--target", "tpu"], dir);
    expect(unknown.stderr).toContain("no target `tpu`; the targets are docker, gpu, local, workstation");
  });
});
