import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { instancesByStep } from "./bindings.js";
import { Lookahead } from "./lookahead.js";
import { planInstances } from "./plan.js";
import { Schedule } from "./schedule.js";
import { MemoryRuntime, StepFailure } from "./testing/memory-runtime.js";
import { fromOutput, TestBed, testPipeline, testStep, types } from "./testing/pipelines.js";

// a -> b -> c, and d after a.
const pipeline = testPipeline([
  testStep("a", {}, { out: types.number }),
  testStep("b", { x: [types.number, fromOutput("a", "out")] }, { out: types.number }),
  testStep("c", { x: [types.number, fromOutput("b", "out")] }, { out: types.number }),
  testStep("d", {}, {}, { after: ["a"] }),
]);

function lookahead(limit: number, finished = new Set<string>()) {
  const runtime = new MemoryRuntime({ steps: {}, anticipates: true });
  const { instances } = planInstances(pipeline, {});
  const schedule = new Schedule(instances, instancesByStep(instances), new Set(), (key) => finished.has(key));
  const ahead = new Lookahead({
    runId: "r",
    runtime,
    limit,
    dependents: schedule.dependents,
    waitsFor: schedule.waitsFor,
    instance: (key) => schedule.instance(key),
    environment: () => undefined,
    waiting: (key) => !finished.has(key),
    good: (key) => finished.has(key),
  });
  return { runtime, ahead };
}

describe("the lookahead", () => {
  it("walks down from an executed attempt, each anticipated one naming what it waits on", () => {
    const { runtime, ahead } = lookahead(10);
    ahead.executed("a");
    expect(runtime.anticipated.map((u) => [u.stepKey, u.after])).toEqual([
      ["b", ["a"]],
      ["c", ["b"]],
      ["d", ["a"]],
    ]);
    expect(ahead.has("c")).toBe(true);
    ahead.executed("b");
    expect(ahead.has("b")).toBe(false);
  });

  it("anticipates at most `limit` at once", () => {
    const { runtime, ahead } = lookahead(1);
    ahead.executed("a");
    expect(runtime.anticipated.map((u) => u.stepKey)).toEqual(["b"]);
  });

  it("dismisses what will not be executed, once", () => {
    const { runtime, ahead } = lookahead(10);
    ahead.executed("a");
    ahead.forget("c");
    ahead.forget("c");
    ahead.forgetAll();
    expect(runtime.dismissed).toEqual(["c", "b", "d"]);
  });
});

describe("the lookahead in a run", () => {
  let bed: TestBed;
  beforeEach(() => {
    bed = new TestBed();
  });
  afterEach(() => bed.remove());

  it("dismisses what a failed upstream will never let run", async () => {
    const runtime = new MemoryRuntime({
      anticipates: true,
      steps: {
        a: () => {
          throw new StepFailure("broken", false);
        },
      },
    });
    // The run may hold three anticipated attempts: one per attempt it may run at once.
    const { summary } = await bed.run(pipeline, runtime, { maxParallel: 3 });
    expect(summary.steps).toMatchObject({ a: "failed", b: "skipped", c: "skipped", d: "skipped" });
    expect(runtime.anticipated.map((u) => u.stepKey)).toEqual(["b", "c", "d"]);
    expect([...runtime.dismissed].sort()).toEqual(["b", "c", "d"]);
  });

  it("executes what it anticipated, and dismisses nothing, when all goes well", async () => {
    const one = () => ({ values: { out: 1 } });
    const runtime = new MemoryRuntime({ anticipates: true, steps: { a: one, b: one, c: one, d: () => {} } });
    const { summary } = await bed.run(pipeline, runtime);
    expect(summary.status).toBe("succeeded");
    expect(runtime.tasks.map((t) => t.stepKey)).toEqual(["a", "b", "d", "c"]);
    expect(runtime.dismissed).toEqual([]);
  });
});
