import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { RunEvent } from "./events.js";
import { StepFailure } from "./testing/memory-runtime.js";
import {
  collect,
  fromOutput,
  item,
  literal,
  parameter,
  TestBed,
  testPipeline,
  testStep,
  types,
} from "./testing/pipelines.js";

let bed: TestBed;
beforeEach(() => {
  bed = new TestBed();
});
afterEach(() => bed.remove());

const kinds = (events: RunEvent[], key: string) => events.filter((e) => e.key === key).map((e) => e.type);

// prepare writes a file; train reads it and a parameter; report collects nothing but a value.
const chain = testPipeline(
  [
    testStep("prepare", { text: [types.string, literal("a,b")] }, { data: types.file }),
    testStep(
      "train",
      { data: [types.file, fromOutput("prepare", "data")], lr: [types.number, parameter("lr")] },
      {
        score: types.number,
      },
    ),
  ],
  { outputs: [{ name: "score", type: types.number, binding: fromOutput("train", "score") }] },
);
const chainSteps = {
  prepare: ({ inputs, outputPath }: { inputs: Record<string, unknown>; outputPath(o: string): string }) =>
    writeFileSync(outputPath("data"), String(inputs.text)),
  train: ({ inputs }: { inputs: Record<string, unknown> }) => ({
    values: { score: readFileSync(inputs.data as string, "utf8").length * (inputs.lr as number) },
  }),
};

describe("orchestrate on the memory runtime", () => {
  it("has removed every attempt's scratch folder by the time the run returns", async () => {
    const { summary } = await bed.run(chain, { steps: chainSteps }, { parameters: { lr: 2 } });
    expect(summary.status).toBe("succeeded");
    const work = join(bed.dir, "work");
    // The run made its folders there: an empty list is not a folder looked for in the wrong place.
    expect(existsSync(work)).toBe(true);
    const left = readdirSync(work).flatMap((run) => readdirSync(join(work, run)));
    expect(left).toEqual([]);
  });

  it("runs a chain in order and hands a file and a value on", async () => {
    const { summary, events } = await bed.run(chain, { steps: chainSteps }, { parameters: { lr: 2 } });
    expect(summary).toMatchObject({
      status: "succeeded",
      steps: { prepare: "succeeded", train: "succeeded" },
    });
    expect(summary.outputs.score).toEqual({ json: "6" });
    expect(kinds(events, "train")).toEqual(["step-queued", "step-started", "step-succeeded"]);
    const prepared = events.find((e) => e.type === "step-succeeded" && e.key === "prepare");
    const data = prepared?.type === "step-succeeded" ? prepared.outputs.data : undefined;
    expect(data && "digest" in data && bed.blobs.read(data.digest)).toBe("a,b");
    expect(data).toMatchObject({ name: "data", directory: false });
  });

  it("takes a second run with the same inputs from the cache, and a changed parameter misses", async () => {
    await bed.run(chain, { steps: chainSteps }, { parameters: { lr: 2 } });
    const again = await bed.run(chain, { steps: chainSteps }, { parameters: { lr: 2 } });
    expect(again.summary.steps).toEqual({ prepare: "cached", train: "cached" });
    expect(again.runtime.tasks).toHaveLength(0);
    const changed = await bed.run(chain, { steps: chainSteps }, { parameters: { lr: 3 } });
    expect(changed.summary.steps).toEqual({ prepare: "cached", train: "succeeded" });
    const forced = await bed.run(
      chain,
      { steps: chainSteps },
      { parameters: { lr: 3 }, force: new Set(["prepare"]) },
    );
    expect(forced.summary.steps).toEqual({ prepare: "succeeded", train: "cached" });
  });

  it("treats a cache entry whose bytes are damaged as a miss, and forgets it", async () => {
    const first = await bed.run(chain, { steps: chainSteps }, { parameters: { lr: 2 } });
    const prepared = first.events.find((e) => e.type === "step-succeeded" && e.key === "prepare");
    if (prepared?.type !== "step-succeeded") throw new Error("prepare did not succeed");
    const data = prepared.outputs.data as { digest: string };
    bed.blobs.damage(data.digest);
    const again = await bed.run(chain, { steps: chainSteps }, { parameters: { lr: 2 } });
    expect(again.summary.steps.prepare).toBe("succeeded");
    expect(bed.cache.invalidated).toEqual([prepared.cacheKey]);
  });

  it("fans out over a parameter and collects each iteration's output in order", async () => {
    const pipeline = testPipeline(
      [
        testStep("square", { x: [types.number, item("xs")] }, { y: types.number }, { fanOut: "xs" }),
        testStep(
          "label",
          { y: [types.number, fromOutput("square", "y")] },
          { text: types.file },
          { fanOut: "xs" },
        ),
        testStep(
          "join",
          { texts: [types.files, collect("label", "text")], ys: [types.number, collect("square", "y")] },
          {
            all: types.string,
          },
        ),
      ],
      { fanOuts: [{ id: "xs", itemName: "x", parameter: "xs" }] },
    );
    const { summary, runtime } = await bed.run(
      pipeline,
      {
        steps: {
          square: ({ inputs }) => ({ values: { y: (inputs.x as number) ** 2 } }),
          label: ({ inputs, outputPath }) => writeFileSync(outputPath("text"), `<${inputs.y}>`),
          join: ({ inputs }) => ({
            values: {
              all: `${(inputs.texts as string[]).map((p) => readFileSync(p, "utf8")).join("")} ${JSON.stringify(inputs.ys)}`,
            },
          }),
        },
      },
      { parameters: { xs: [1, 2, 3] } },
    );
    expect(summary.status).toBe("succeeded");
    expect(Object.keys(summary.steps)).toEqual(expect.arrayContaining(["square[0]", "label[2]", "join"]));
    const join = runtime.tasks.find((t) => t.stepKey === "join");
    expect(join?.inputs.ys).toEqual({ kind: "value", value: [1, 4, 9] });
    const labels = runtime.tasks.filter((t) => t.step.id === "label").map((t) => t.inputs.y);
    expect(labels).toEqual([1, 4, 9].map((value) => ({ kind: "value", value })));
  });

  it("gives a fan-out item and a step whose id reads like it folders of their own", async () => {
    // `write[0]` and a step named `write_0_` run at once: each sees only its own folder.
    const pipeline = testPipeline(
      [
        testStep("write", { x: [types.string, item("xs")] }, { text: types.file }, { fanOut: "xs" }),
        testStep("write_0_", { x: [types.string, literal("step")] }, { text: types.file }),
      ],
      { fanOuts: [{ id: "xs", itemName: "x", parameter: "xs" }] },
    );
    let started: () => void = () => {};
    const other = new Promise<void>((resolve) => (started = resolve));
    const { summary, events } = await bed.run(
      pipeline,
      {
        steps: {
          write: async ({ inputs, outputPath }) => {
            writeFileSync(outputPath("text"), String(inputs.x));
            await other;
          },
          write_0_: ({ inputs, outputPath }) => {
            started();
            writeFileSync(outputPath("text"), String(inputs.x));
          },
        },
      },
      { parameters: { xs: ["item"] }, maxParallel: 2 },
    );
    expect(summary.steps).toEqual({ "write[0]": "succeeded", write_0_: "succeeded" });
    const text = (key: string) => {
      const ended = events.find((e) => e.type === "step-succeeded" && e.key === key);
      const value = ended?.type === "step-succeeded" ? ended.outputs.text : undefined;
      return value && "digest" in value ? bed.blobs.read(value.digest) : undefined;
    };
    expect(text("write[0]")).toBe("item");
    expect(text("write_0_")).toBe("step");
  });

  it("stops only what depends on a failed step: an independent branch finishes", async () => {
    const pipeline = testPipeline([
      testStep("broken", {}, { out: types.number }),
      testStep("after", { x: [types.number, fromOutput("broken", "out")] }, { out: types.number }),
      testStep("alone", {}, { out: types.number }),
    ]);
    const { summary, events } = await bed.run(pipeline, {
      steps: {
        broken: () => {
          throw new StepFailure("exit 3", false);
        },
        after: () => ({ values: { out: 1 } }),
        alone: () => ({ values: { out: 2 } }),
      },
    });
    expect(summary).toMatchObject({
      status: "failed",
      steps: { broken: "failed", after: "skipped", alone: "succeeded" },
    });
    expect(events.find((e) => e.type === "step-skipped")).toMatchObject({
      key: "after",
      reason: "upstream step broken did not succeed",
    });
  });

  it("retries a retryable failure with doubling backoff, then succeeds", async () => {
    let calls = 0;
    const pipeline = testPipeline([
      testStep("flaky", {}, { out: types.number }, { retry: { maxRetries: 2, backoffMs: 1 } }),
    ]);
    const { summary, events } = await bed.run(pipeline, {
      steps: {
        flaky: () => {
          calls++;
          if (calls < 3) throw new Error(`try ${calls} failed`);
          return { values: { out: calls } };
        },
      },
    });
    expect(summary.steps.flaky).toBe("succeeded");
    const retries = events.filter((e) => e.type === "step-retrying");
    expect(retries.map((e) => (e.type === "step-retrying" ? [e.attempt, e.delayMs, e.error] : []))).toEqual([
      [1, 1, "try 1 failed"],
      [2, 2, "try 2 failed"],
    ]);
    expect(events.at(-1)).toMatchObject({ type: "step-succeeded", attempt: 3 });
  });

  it("fails a step past its timeout, and runs no more of it when the retries are spent", async () => {
    const pipeline = testPipeline([testStep("slow", {}, { out: types.number }, { timeoutMs: 20 })]);
    const { summary, events } = await bed.run(pipeline, {
      steps: {
        slow: ({ signal }) => new Promise((resolve) => signal.addEventListener("abort", () => resolve())),
      },
    });
    expect(summary.steps.slow).toBe("failed");
    expect(events.at(-1)).toMatchObject({ type: "step-failed", error: "step slow timed out after 20 ms" });
  });

  it("cancels: the running attempt ends, what waits is canceled, the run is canceled", async () => {
    const cancel = new AbortController();
    const pipeline = testPipeline([
      testStep("long", {}, { out: types.number }),
      testStep("next", { x: [types.number, fromOutput("long", "out")] }, { out: types.number }),
    ]);
    const { summary, events } = await bed.run(
      pipeline,
      {
        steps: {
          long: ({ signal }) => {
            cancel.abort();
            return new Promise((resolve) => signal.addEventListener("abort", () => resolve()));
          },
          next: () => ({ values: { out: 1 } }),
        },
      },
      { signal: cancel.signal },
    );
    expect(summary).toMatchObject({ status: "canceled", steps: { long: "canceled", next: "canceled" } });
    expect(kinds(events, "next")).toEqual(["step-queued", "step-canceled"]);
  });

  it("removes the folders made ahead when an event it cannot hand on ends the run", async () => {
    const cancel = new AbortController();
    const run = join(bed.dir, "work", "run-1");
    const folders = () => (existsSync(run) ? readdirSync(run).sort() : []);
    const pipeline = testPipeline([
      testStep("long", {}, { out: types.number }),
      testStep("left", { x: [types.number, fromOutput("long", "out")] }, { out: types.number }),
      testStep("right", { x: [types.number, fromOutput("long", "out")] }, { out: types.number }),
    ]);
    let thrown = false;
    const running = bed.run(
      pipeline,
      {
        steps: {
          long: async ({ signal }) => {
            // Both dependents wait only on this step: their folders are made while it runs.
            await vi.waitFor(() => expect(folders()).toEqual(["left-1", "long-1", "right-1"]), {
              timeout: 10_000,
            });
            cancel.abort();
            await new Promise((resolve) => signal.addEventListener("abort", resolve));
          },
          left: () => ({ values: { out: 1 } }),
          right: () => ({ values: { out: 1 } }),
        },
      },
      {
        signal: cancel.signal,
        maxParallel: 4,
        onEvent: (event) => {
          // The first of the waiting dependents canceled, in the run's own loop.
          if (event.type !== "step-canceled" || event.key === "long" || thrown) return;
          thrown = true;
          throw new Error("the run's records cannot be written");
        },
      },
    );
    await expect(running).rejects.toThrow("the run's records cannot be written");
    // The first canceled dependent's folder went with it; the other's, and the running step's,
    // go too, though the loop that would have let them go ended with the error.
    await vi.waitFor(() => expect(folders()).toEqual([]), { timeout: 10_000 });
  });

  it("ends with the error when a step's failure cannot be handed on either", async () => {
    const pipeline = testPipeline([testStep("only", {}, { out: types.number })]);
    const running = bed.run(
      pipeline,
      { steps: { only: () => ({ values: { out: 1 } }) } },
      {
        onEvent: (event) => {
          // The step's start cannot be recorded, and then neither can its failure.
          if (event.type === "step-started" || event.type === "step-failed")
            throw new Error(`cannot record ${event.type}`);
        },
      },
    );
    await expect(running).rejects.toThrow("cannot record step-failed");
  });

  it("runs at most maxParallel attempts at once", async () => {
    const steps = Array.from({ length: 6 }, (_, i) => testStep(`s${i}`, {}, { out: types.number }));
    const fns = Object.fromEntries(
      steps.map((s) => [s.id, async () => ({ values: { out: await Promise.resolve(1) } })]),
    );
    const { runtime } = await bed.run(
      testPipeline(steps),
      { steps: fns, maxParallel: 8 },
      { maxParallel: 2 },
    );
    expect(runtime.tasks).toHaveLength(6);
    expect(runtime.maxRunning).toBe(2);
  });

  it("skips a step whose condition does not hold, and what reads it", async () => {
    const pipeline = testPipeline([
      testStep("maybe", {}, { out: types.number }, { conditions: [{ parameter: "on", op: "TRUTHY" }] }),
      testStep("later", { x: [types.number, fromOutput("maybe", "out")] }, { out: types.number }),
    ]);
    const { summary } = await bed.run(pipeline, { steps: {} }, { parameters: { on: false } });
    expect(summary.steps).toEqual({ maybe: "skipped", later: "skipped" });
  });

  it("hands on the field of a value output that a binding names (`stats.acc`)", async () => {
    const pipeline = testPipeline([
      testStep("measure", {}, { stats: types.number }),
      testStep("report", { acc: [types.number, fromOutput("measure", "stats", ["acc"])] }, {}),
    ]);
    const { runtime } = await bed.run(pipeline, {
      steps: { measure: () => ({ values: { stats: { acc: 0.9, loss: 0.1 } } }), report: () => {} },
    });
    expect(runtime.tasks.find((t) => t.stepKey === "report")?.inputs.acc).toEqual({
      kind: "value",
      value: 0.9,
    });
  });

  it("fails a step whose id names a place outside the work folder, and the run goes on to its end", async () => {
    // The loader refuses such an id; past it, the next step's folder (made while the step before
    // it runs) is refused too, as that step's own failure, never a crash of the run's process.
    const pipeline = testPipeline([
      testStep("prepare", { text: [types.string, literal("a")] }, { data: types.file }),
      testStep("up/../../../escape", { data: [types.file, fromOutput("prepare", "data")] }, {}),
    ]);
    const { summary, events } = await bed.run(pipeline, {
      steps: {
        // Still running on the turns after its start, as a command is: the folder ahead is made then.
        prepare: async (call) => {
          for (let turn = 0; turn < 3; turn++) await new Promise((resolve) => setImmediate(resolve));
          chainSteps.prepare(call);
        },
        "up/../../../escape": () => {},
      },
    });
    expect(summary.steps).toEqual({ prepare: "succeeded", "up/../../../escape": "failed" });
    const failed = events.find((e) => e.type === "step-failed");
    expect(failed).toMatchObject({ key: "up/../../../escape" });
    expect(failed?.type === "step-failed" && failed.error).toMatch(/outside|escape/i);
    expect(existsSync(join(bed.dir, "escape-1"))).toBe(false);
  });

  it("fails a step whose input has no value before any attempt", async () => {
    const pipeline = testPipeline([testStep("lonely", { x: [types.number, { parameter: "" }] }, {})]);
    const { summary, events } = await bed.run(pipeline, { steps: { lonely: () => {} } });
    expect(summary.steps.lonely).toBe("failed");
    expect(events.at(-1)).toMatchObject({ attempt: 0, error: "step lonely: input `x` has no value" });
  });
});
