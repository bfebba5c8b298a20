import { problemText, type Step } from "@canal/ir";
import {
  type AttemptResult,
  askRuntime,
  type Runtime,
  type RuntimeModule,
  type StepTask,
} from "@canal/runtime-core";
import { dockerRuntime } from "@canal/runtime-docker/module";
import { localRuntime } from "@canal/runtime-local/module";
import { slurmRuntime } from "@canal/runtime-slurm/module";
import { describe, expect, it } from "vitest";
import { TargetError } from "./errors.js";
import { RuntimeRegistry } from "./runtimes.js";
import { selectTargets, type Target } from "./targets.js";

const shipped = new RuntimeRegistry([localRuntime, dockerRuntime, slurmRuntime]);
const targets = selectTargets(
  {
    targets: {
      local: { kind: "local", maxParallel: 1 },
      box: { kind: "local", maxParallel: 3 },
      docker: { kind: "docker" },
      gpu: { kind: "slurm", sharedDir: "/s" },
    },
  },
  shipped,
  { env: {} },
).targets;
const t = (name: string) => targets[name] as Target;

/** A runtime that records which steps it ran and how many ran at once. */
class Recording implements Runtime {
  readonly name = "local";
  ran: string[] = [];
  running = 0;
  mostAtOnce = 0;
  constructor(readonly maxParallel: number) {}
  async execute(task: StepTask): Promise<AttemptResult> {
    this.ran.push(task.stepKey);
    this.mostAtOnce = Math.max(this.mostAtOnce, ++this.running);
    await new Promise((resolve) => setTimeout(resolve, 20));
    this.running--;
    return { status: "succeeded", values: {}, returned: {} };
  }
  async close() {}
}

function task(stepId: string, key = stepId): StepTask {
  return {
    runId: "r",
    stepKey: key,
    attempt: 1,
    artifactDir: "/a",
    step: { id: stepId } as Step,
    environment: undefined,
    inputs: {},
    outputs: {},
    workDir: "/w",
    metricsFile: "/m",
  };
}

const hooks = () => ({ signal: new AbortController().signal, log() {}, started() {} });

/** The local runtime's module, building recording runtimes; `built` sees each by target name. */
function recordingLocal(built = new Map<string, Recording>()): RuntimeModule<unknown> {
  return {
    ...localRuntime,
    create: async (target) => {
      const runtime = new Recording(target.maxParallel ?? 1);
      built.set(target.name, runtime);
      return runtime;
    },
  };
}

describe("the runtime registry", () => {
  it("refuses a target whose kind has no runtime in this build, before building any", async () => {
    const built = new Map<string, Recording>();
    const registry = new RuntimeRegistry([recordingLocal(built)]);
    const placement = new Map([
      ["prep", t("local")],
      ["train", t("docker")],
      ["tune", t("gpu")],
    ]);
    let error: unknown;
    try {
      await registry.create(placement, t("local"), { canalDir: "/c", cacheDir: "/c/cache" });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(TargetError);
    expect((error as TargetError).code).toBe("CANAL_TARGET_RUNTIME_UNAVAILABLE");
    expect((error as TargetError).problems.map((p) => p.path)).toEqual(["targets.docker", "targets.gpu"]);
    expect((error as TargetError).problems.map(problemText)).toEqual([
      "target `docker` is a docker target, but the docker runtime is not available in this build (runtimes here: local); run with --target NAME naming a target of those kinds",
      "target `gpu` is a slurm target, but the slurm runtime is not available in this build (runtimes here: local); run with --target NAME naming a target of those kinds",
    ]);
    expect(built.size).toBe(0);
  });

  it("builds one target's runtime as it is, with the target's settings", async () => {
    const registry = new RuntimeRegistry([recordingLocal()]);
    const runtime = await registry.create(new Map([["prep", t("box")]]), t("local"), {
      canalDir: "/c",
      cacheDir: "/c/cache",
    });
    expect(runtime).toBeInstanceOf(Recording);
    expect(runtime.maxParallel).toBe(3);
  });

  it("sends each step to its target's runtime and keeps each target's bound", async () => {
    const built = new Map<string, Recording>();
    const registry = new RuntimeRegistry([recordingLocal(built)]);
    const runtime = await registry.create(
      new Map([
        ["prep", t("local")],
        ["train", t("box")],
      ]),
      t("local"),
      { canalDir: "/c", cacheDir: "/c/cache" },
    );
    expect(runtime.maxParallel).toBe(4);
    await Promise.all([
      runtime.execute(task("prep", "prep[0]"), hooks()),
      runtime.execute(task("prep", "prep[1]"), hooks()),
      runtime.execute(task("train"), hooks()),
    ]);
    expect(built.get("local")?.ran).toEqual(["prep[0]", "prep[1]"]);
    expect(built.get("local")?.mostAtOnce).toBe(1);
    expect(built.get("box")?.ran).toEqual(["train"]);
  });
});

describe("runtimes composed from their modules", () => {
  it("lists the kinds it was given and refuses a second runtime of one kind", () => {
    expect(shipped.kinds()).toEqual(["docker", "local", "slurm"]);
    expect(() => new RuntimeRegistry([localRuntime, recordingLocal()])).toThrow(
      "a local runtime is registered already",
    );
  });

  it("has each target's settings read by its runtime, and its place said in the runtime's words", () => {
    expect(t("gpu").settings).toEqual({ sharedDir: "/s" });
    expect(t("gpu").where).toBe("Slurm jobs in partition (the cluster's default), shared directory /s");
    expect(t("docker").where).toMatch(
      /^containers of the engine at .*, image canal-base:latest, network none$/,
    );
    expect(t("local").where).toBe("processes on this machine");
    // A cluster's size is its scheduler's to check; a local or docker target is this machine.
    expect(t("gpu").cpus).toBeUndefined();
    expect(t("docker").cpus).toBeGreaterThan(0);
  });

  it("refuses, without a build of any runtime, a kind its registry lacks, and says so for --check", async () => {
    const registry = new RuntimeRegistry([recordingLocal()]);
    expect(await registry.check(t("gpu"), { canalDir: "/c", cacheDir: "/c/cache" })).toEqual({
      offers: [],
      problems: ["the slurm runtime is not available in this build"],
    });
    expect(await registry.endRun(t("gpu"), "r", { canalDir: "/c", cacheDir: "/c/cache" })).toEqual([]);
  });

  it("asks a target's runtime for --check and for a gone run's leftovers, and closes it", async () => {
    let closed = 0;
    const asked: string[] = [];
    const create: RuntimeModule<unknown>["create"] = async () => ({
      name: "local",
      maxParallel: 1,
      execute: async () => ({ status: "canceled" }),
      check: async (target) => ({ offers: [{ label: "name", value: target }], problems: [] }),
      endRun: async (runId) => {
        asked.push(runId);
        return [`process 12 of ${runId}`];
      },
      close: async () => {
        closed++;
      },
    });
    const module: RuntimeModule<unknown> = { ...localRuntime, create, ...askRuntime(create) };
    const registry = new RuntimeRegistry([module]);
    expect(await registry.check(t("box"), { canalDir: "/c", cacheDir: "/c/cache" })).toEqual({
      offers: [{ label: "name", value: "box" }],
      problems: [],
    });
    expect(await registry.endRun(t("box"), "r1", { canalDir: "/c", cacheDir: "/c/cache" })).toEqual([
      "process 12 of r1",
    ]);
    expect(asked).toEqual(["r1"]);
    expect(closed).toBe(2);
    const failing = new RuntimeRegistry([
      { ...module, check: async () => Promise.reject(new Error("no engine")) },
    ]);
    expect((await failing.check(t("box"), { canalDir: "/c", cacheDir: "/c/cache" })).problems).toEqual([
      "checking it failed: no engine",
    ]);
  });
});
