import { problemText, type Step } from "@canal/ir";
import type { AttemptResult, Runtime, StepTask } from "@canal/runtime-core";
import { describe, expect, it } from "vitest";
import { TargetError } from "./errors.js";
import { RuntimeRegistry } from "./runtimes.js";
import { selectTargets, type Target } from "./targets.js";

const targets = selectTargets(
  {
    targets: {
      local: { kind: "local", maxParallel: 1 },
      box: { kind: "local", maxParallel: 3 },
      docker: { kind: "docker" },
      gpu: { kind: "slurm", sharedDir: "/s" },
    },
  },
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

describe("the runtime registry", () => {
  it("refuses a target whose kind has no runtime in this build, before building any", async () => {
    const registry = new RuntimeRegistry();
    let built = 0;
    registry.register("local", (target) => {
      built++;
      return new Recording(target.maxParallel ?? 1);
    });
    const placement = new Map([
      ["prep", t("local")],
      ["train", t("docker")],
      ["tune", t("gpu")],
    ]);
    let error: unknown;
    try {
      await registry.create(placement, t("local"), { canalDir: "/c" });
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
    expect(built).toBe(0);
  });

  it("builds one target's runtime as it is, with the target's settings", async () => {
    const registry = new RuntimeRegistry();
    registry.register("local", (target) => new Recording(target.maxParallel ?? 1));
    const runtime = await registry.create(new Map([["prep", t("box")]]), t("local"), { canalDir: "/c" });
    expect(runtime).toBeInstanceOf(Recording);
    expect(runtime.maxParallel).toBe(3);
  });

  it("sends each step to its target's runtime and keeps each target's bound", async () => {
    const registry = new RuntimeRegistry();
    const built = new Map<string, Recording>();
    registry.register("local", (target) => {
      const runtime = new Recording(target.maxParallel ?? 1);
      built.set(target.name, runtime);
      return runtime;
    });
    const runtime = await registry.create(
      new Map([
        ["prep", t("local")],
        ["train", t("box")],
      ]),
      t("local"),
      { canalDir: "/c" },
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
