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

  it("names the key, what it must be and the fix for each mistake in what every target declares", () => {
    const found = problems({
      targets: {
        gpu: { kind: "slurm", gpus: 1.5, memory: "lots", partiton: "gpu" },
        box: { kind: "local", cpus: "4", maxParallel: 0 },
        blank: { kind: "" },
      },
    });
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^`targets\.gpu\.gpus`: expected a whole number, got number 1\.5/),
        expect.stringMatching(/^`targets\.gpu\.memory`: expected a memory size: .*"512Mi".*, got "lots"/),
        expect.stringMatching(/^`targets\.box\.cpus`: expected a number, got "4"/),
        expect.stringMatching(/^`targets\.box\.maxParallel`: must be more than 0, got number 0/),
        "`targets.blank.kind`: must not be empty; set a value",
      ]),
    );
    // A kind's own settings (`partiton`) are its runtime's to check: the runner reads them.
    expect(found).toHaveLength(5);
  });

  it("keeps a target's own settings as written, for its runtime to read", () => {
    const config = parseConfig({ targets: { k: { kind: "k8s", namespace: "ml" } } }, "canal.config.json");
    expect(config.targets).toEqual({ k: { kind: "k8s", namespace: "ml" } });
  });

  it("lists the keys of a profile", () => {
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
