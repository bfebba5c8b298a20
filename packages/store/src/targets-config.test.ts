import { problemText } from "@canal/ir";
import { describe, expect, it } from "vitest";
import { parseConfig, resolveConfig } from "./config.js";
import { ConfigError } from "./errors.js";
import { memoryBytes } from "./targets-config.js";

function problems(input: unknown): string[] {
  try {
    parseConfig(input, "canal.config.json");
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map(problemText);
    throw error;
  }
  throw new Error("expected a ConfigError");
}

const example = {
  targets: {
    local: { kind: "local", maxParallel: 2 },
    docker: {
      kind: "docker",
      socket: "/var/run/docker.sock",
      image: "canal/base:1",
      maxParallel: 4,
      binds: ["/data:/data:ro", "/usr:/usr:ro"],
      env: { OMP_NUM_THREADS: "1" },
      user: "1000:1000",
    },
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
  profiles: { default: { target: "local" }, prod: { target: "gpu", compute: { gpu: "gpu" } } },
};

describe("targets and profiles in canal.config.json", () => {
  it("reads named targets of each kind and profiles, and keeps them in the resolved config", () => {
    const config = resolveConfig(parseConfig(example, "canal.config.json"), "/w");
    expect(config.targets).toEqual(example.targets);
    expect(config.profiles).toEqual(example.profiles);
    expect("targets" in resolveConfig({}, "/w")).toBe(false);
  });

  it("names the key, what it must be and the fix for each mistake, all at once", () => {
    const found = problems({
      targets: {
        gpu: { kind: "slurm", gpus: 1.5, memory: "lots", partiton: "gpu" },
        cloud: { kind: "k8s" },
        box: { kind: "local", cpus: "4", maxParallel: 0 },
      },
    });
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^`targets\.gpu\.gpus`: expected a whole number, got number 1\.5/),
        expect.stringMatching(/^`targets\.gpu\.memory`: expected a memory size: .*"512Mi".*, got "lots"/),
        "`targets.gpu.sharedDir`: is required; add it",
        expect.stringMatching(
          /^`targets\.gpu\.partiton`: unknown key; remove it \(the keys of `targets\.gpu` are kind, .*partition.*sharedDir, slurmConf\)/,
        ),
        '`targets.cloud.kind`: must be one of "local", "docker", "slurm", got "k8s"; set the target\'s kind',
        expect.stringMatching(/^`targets\.box\.cpus`: expected a number, got "4"/),
        expect.stringMatching(/^`targets\.box\.maxParallel`: must be more than 0, got number 0/),
      ]),
    );
    expect(found).toHaveLength(7);
  });

  it("says how a docker bind and an environment variable are written", () => {
    expect(
      problems({
        targets: { box: { kind: "docker", binds: ["data:/data", "/a:/b:rx"], env: { "1X": "y" } } },
      }),
    ).toEqual([
      '`targets.box.binds.0`: expected a bind "/host/path:/path/in/container", optionally ending ":ro" or ":rw", got "data:/data"; fix the value',
      '`targets.box.binds.1`: expected a bind "/host/path:/path/in/container", optionally ending ":ro" or ":rw", got "/a:/b:rx"; fix the value',
      "`targets.box.env.1X`: expected an environment variable name (letters, digits and _, not starting with a digit); rename it",
    ]);
  });

  it("lists a kind's own keys: a docker setting on a local target is unknown", () => {
    expect(problems({ targets: { box: { kind: "local", socket: "/s" } } })).toEqual([
      "`targets.box.socket`: unknown key; remove it (the keys of `targets.box` are kind, cpus, memory, gpus, gpuTypes, maxParallel)",
    ]);
    expect(problems({ profiles: { prod: { target: "local", computes: {} } } })).toEqual([
      "`profiles.prod.computes`: unknown key; remove it (the keys of `profiles.prod` are target, compute)",
    ]);
  });

  it("refuses a profile naming a target that does not exist, listing those that do", () => {
    expect(
      problems({
        targets: { gpu: { kind: "slurm", sharedDir: "/s" } },
        profiles: { prod: { target: "gpus", compute: { big: "huge" } } },
      }),
    ).toEqual([
      '`profiles.prod.target`: no target `gpus`; define it under "targets" or use one of gpu, local',
      '`profiles.prod.compute.big`: no target `huge`; define it under "targets" or use one of gpu, local',
    ]);
  });

  it("reads memory sizes the way step resources write them", () => {
    expect(memoryBytes("256Gi")).toBe(256 * 1024 ** 3);
    expect(memoryBytes("1.5G")).toBe(1.5e9);
    expect(memoryBytes(4096)).toBe(4096);
  });
});
