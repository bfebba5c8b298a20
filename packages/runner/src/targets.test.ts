import { totalmem } from "node:os";
import { type Pipeline, problemText, type Resources, type Step } from "@canal/ir";
import { dockerRuntime } from "@canal/runtime-docker/module";
import { localRuntime } from "@canal/runtime-local/module";
import { slurmRuntime } from "@canal/runtime-slurm/module";
import { ConfigError, type WorkspaceConfig } from "@canal/store";
import { describe, expect, it } from "vitest";
import { TargetError } from "./errors.js";
import { RuntimeRegistry } from "./runtimes.js";
import { placeSteps, selectTargets, workspaceTargets } from "./targets.js";

const runtimes = new RuntimeRegistry([localRuntime, dockerRuntime, slurmRuntime]);

const GI = 1024 ** 3;

function step(id: string, resources?: Resources, compute?: string): Step {
  return {
    id,
    name: id,
    kind: "TYPESCRIPT",
    inputs: [],
    outputs: [],
    codeHash: "c",
    hash: "h",
    ...(resources ? { resources } : {}),
    ...(compute ? { compute } : {}),
  };
}

function pipeline(...steps: Step[]): Pipeline {
  return {
    irVersion: 1,
    minRuntimeVersion: "0.1.0",
    name: "p",
    parameters: [],
    steps,
    compilerVersion: "0",
    hash: "h",
  };
}

const config: Pick<WorkspaceConfig, "targets" | "profiles"> = {
  targets: {
    local: { kind: "local", maxParallel: 2, cpus: 8, memory: "16Gi" },
    docker: { kind: "docker", image: "canal/base:1", maxParallel: 4, cpus: 16, memory: "32Gi" },
    gpu: {
      kind: "slurm",
      partition: "gpu",
      gres: "gpu",
      gpus: 2,
      gpuTypes: ["a100"],
      maxParallel: 8,
      sharedDir: "/shared/canal",
      cpus: 64,
      memory: "256Gi",
    },
  },
  profiles: { default: { target: "local" }, prod: { target: "docker", compute: { gpu: "gpu" } } },
};

function failure(fn: () => unknown): TargetError {
  try {
    fn();
  } catch (error) {
    if (error instanceof TargetError) return error;
    throw error;
  }
  throw new Error("expected a TargetError");
}

describe("choosing targets", () => {
  it("uses the local target with this machine's memory and no GPUs when there is no config", () => {
    const selection = selectTargets({}, runtimes, { env: {} });
    expect(selection.chosenBy).toBe("profile default");
    expect(selection.target).toMatchObject({
      name: "local",
      kind: "local",
      gpus: 0,
      memoryBytes: totalmem(),
    });
    expect(selection.target.cpus).toBeGreaterThan(0);
  });

  it("chooses by --target, then --profile, then CANAL_PROFILE, then the profile default", () => {
    const env = { CANAL_PROFILE: "prod" };
    expect(selectTargets(config, runtimes, { target: "gpu", profile: "default", env }).target.name).toBe(
      "gpu",
    );
    const byFlag = selectTargets(config, runtimes, { profile: "default", env });
    expect([byFlag.chosenBy, byFlag.target.name]).toEqual(["profile default", "local"]);
    const byEnv = selectTargets(config, runtimes, { env });
    expect([byEnv.chosenBy, byEnv.target.name]).toEqual(["profile prod (CANAL_PROFILE)", "docker"]);
    expect(byEnv.compute.gpu?.name).toBe("gpu");
    expect(selectTargets(config, runtimes, { env: {} }).target).toMatchObject({
      name: "local",
      maxParallel: 2,
      memoryBytes: 16 * GI,
      cpus: 8,
    });
  });

  it("names the unknown target or profile and lists the known ones", () => {
    const target = failure(() => selectTargets(config, runtimes, { target: "gpus", env: {} }));
    expect(target.code).toBe("CANAL_TARGET_UNKNOWN");
    expect(target.message).toBe(
      'no target `gpus`; the targets are docker, gpu, local (define more under "targets" in canal.config.json)',
    );
    expect(failure(() => selectTargets(config, runtimes, { profile: "staging", env: {} })).message).toBe(
      'there is no profile `staging`; the profiles are default, prod (define more under "profiles" in canal.config.json)',
    );
    expect(failure(() => selectTargets({}, runtimes, { env: { CANAL_PROFILE: "prod" } })).message).toMatch(
      /^CANAL_PROFILE=prod names no profile `prod`; the profiles are default /,
    );
  });
});

function configProblems(targets: WorkspaceConfig["targets"]): string[] {
  try {
    workspaceTargets({ targets }, runtimes);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map(problemText);
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("a target's own settings, read by its kind's runtime", () => {
  it("names the key, what it must be and the fix, for every target at once", () => {
    expect(
      configProblems({
        gpu: { kind: "slurm", gpus: 1, partiton: "gpu" },
        cloud: { kind: "k8s" },
        box: { kind: "local", socket: "/s" },
      }),
    ).toEqual([
      "`targets.gpu.sharedDir`: is required; add it",
      "`targets.gpu.partiton`: unknown key; remove it (the keys of `targets.gpu` are kind, cpus, memory, gpus, gpuTypes, maxParallel, partition, account, gres, sharedDir, slurmConf, nodesReachStore)",
      '`targets.cloud.kind`: must be one of "docker", "local", "slurm", got "k8s"; set the target\'s kind',
      "`targets.box.socket`: unknown key; remove it (the keys of `targets.box` are kind, cpus, memory, gpus, gpuTypes, maxParallel)",
    ]);
  });

  it("says how a docker bind and an environment variable are written", () => {
    expect(
      configProblems({ box: { kind: "docker", binds: ["data:/data", "/a:/b:rx"], env: { "1X": "y" } } }),
    ).toEqual([
      '`targets.box.binds.0`: expected a bind "/host/path:/path/in/container", optionally ending ":ro" or ":rw", got "data:/data"; fix the value',
      '`targets.box.binds.1`: expected a bind "/host/path:/path/in/container", optionally ending ":ro" or ":rw", got "/a:/b:rx"; fix the value',
      "`targets.box.env.1X`: expected an environment variable name (letters, digits and _, not starting with a digit); rename it",
    ]);
  });

  it("knows only the kinds of the runtimes it is given", () => {
    const localOnly = new RuntimeRegistry([localRuntime]);
    expect(() =>
      workspaceTargets({ targets: { gpu: { kind: "slurm", sharedDir: "/s" } } }, localOnly),
    ).toThrow('`targets.gpu.kind`: must be one of "local", got "slurm"; set the target\'s kind');
    expect(Object.keys(workspaceTargets({}, new RuntimeRegistry([dockerRuntime])))).toEqual([]);
  });
});

describe("checking steps against their targets", () => {
  it("places steps by compute name through the profile, or on the target of that name", () => {
    const p = pipeline(step("prep"), step("train", { gpu: 2, gpuType: "a100" }, "gpu"));
    const prod = placeSteps(p, selectTargets(config, runtimes, { profile: "prod", env: {} }));
    expect([prod.get("prep")?.name, prod.get("train")?.name]).toEqual(["docker", "gpu"]);
    // The default profile does not map `gpu`, but a target has that name.
    const byName = placeSteps(p, selectTargets(config, runtimes, { env: {} }));
    expect([byName.get("prep")?.name, byName.get("train")?.name]).toEqual(["local", "gpu"]);
  });

  it("refuses a GPU request on a target without GPUs, naming the step, the request, the target and the fix", () => {
    const error = failure(() =>
      placeSteps(
        pipeline(step("train", { gpu: 2 })),
        selectTargets(config, runtimes, { target: "local", env: {} }),
      ),
    );
    expect(error.code).toBe("CANAL_TARGET_UNSATISFIED");
    expect(error.problems.map(problemText)).toEqual([
      "step `train` asks for 2 GPUs but target `local` has none; run with --target gpu (slurm, 2 GPUs a100, 256Gi) or lower resources.gpu",
    ]);
    expect(error.message).toMatch(
      /^pipeline p cannot run on the targets of --target local; nothing ran:\n {2}- step `train`/,
    );
    expect(error.problems).toEqual([
      {
        path: "steps.train",
        message: "step `train` asks for 2 GPUs but target `local` has none",
        hint: "run with --target gpu (slurm, 2 GPUs a100, 256Gi) or lower resources.gpu",
      },
    ]);
  });

  it("reports every problem of the pipeline at once: GPUs, memory, GPU type, CPUs, compute names", () => {
    const p = pipeline(
      step("train", { gpu: 2 }),
      step("load", { memoryBytes: 64 * GI }),
      step("tune", { gpu: 1, gpuType: "h100" }, "gpu"),
      step("crunch", { cpu: 128 }),
      step("serve", undefined, "tpu"),
      step("fine", { cpu: 1, memoryBytes: GI }),
    );
    const error = failure(() => placeSteps(p, selectTargets(config, runtimes, { profile: "prod", env: {} })));
    expect(error.problems.map(problemText)).toEqual([
      "step `train` asks for 2 GPUs but target `docker` has none; run with --target gpu (slurm, 2 GPUs a100, 256Gi) or lower resources.gpu",
      "step `load` asks for 64Gi of memory but target `docker` has 32Gi; run with --target gpu (slurm, 2 GPUs a100, 256Gi) or lower resources.memory",
      'step `tune` asks for GPU type `h100` but target `gpu` has a100; add a target that has it under "targets" in canal.config.json or change resources.gpuType',
      'step `crunch` asks for 128 CPUs but target `docker` has 16; add a target that has it under "targets" in canal.config.json or lower resources.cpu',
      'step `serve` asks for compute `tpu`, which profile `prod` does not map to a target; add "compute": { "tpu": "TARGET" } to profiles.prod in canal.config.json (the targets are docker, gpu, local), or run with --target NAME',
    ]);
  });

  it("checks memory against a configured target's declared size", () => {
    const error = failure(() =>
      placeSteps(
        pipeline(step("load", { memoryBytes: 32 * GI })),
        selectTargets(config, runtimes, { env: {} }),
      ),
    );
    expect(error.problems.map(problemText)).toEqual([
      "step `load` asks for 32Gi of memory but target `local` has 16Gi; run with --target docker (docker, 32Gi) or --target gpu (slurm, 2 GPUs a100, 256Gi) or lower resources.memory",
    ]);
  });

  it("accepts steps that fit, and asks nothing of what a cluster target leaves undeclared", () => {
    const p = pipeline(step("train", { gpu: 2, gpuType: "a100", cpu: 64, memoryBytes: 256 * GI }, "gpu"));
    expect(
      placeSteps(p, selectTargets(config, runtimes, { profile: "prod", env: {} })).get("train")?.name,
    ).toBe("gpu");
    const cluster = { targets: { hpc: { kind: "slurm" as const, sharedDir: "/s" } } };
    expect(
      placeSteps(
        pipeline(step("big", { cpu: 512, memoryBytes: 4096 * GI })),
        selectTargets(cluster, runtimes, { target: "hpc", env: {} }),
      ).get("big")?.name,
    ).toBe("hpc");
  });
});
