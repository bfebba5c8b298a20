// A step that moves its own bytes, against a real content-addressed store (the local one): its
// inputs fetched and verified where it runs, its outputs stored and reported, and the orchestrator
// driving it without reading a byte of either.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { BlobPlace, SharedBlobs } from "@canal/ir";
import { LocalBlobStore } from "@canal/store";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AttemptResult, Runtime, StepTask } from "./contract.js";
import type { RunEvent } from "./events.js";
import type { Blobs } from "./orchestrate-options.js";
import { orchestrate } from "./orchestrator.js";
import { fetchInputs, storeOutputs, withStepBlobs } from "./step-blobs.js";
import { variableDigest } from "./step-variables.js";
import { fromOutput, literal, TestBed, testPipeline, testStep, types } from "./testing/pipelines.js";

const PLACE: BlobPlace = { kind: "s3", bucket: "canal-test", prefix: "p/" };

let bed: TestBed;
let store: LocalBlobStore;
beforeEach(() => {
  bed = new TestBed();
  store = new LocalBlobStore(join(bed.dir, "blobs"));
});
afterEach(() => bed.remove());

/** Flips the first byte of a stored blob in place: damaged, as a rotted object is. */
function damage(digest: string): void {
  const path = join(bed.dir, "blobs", "sha256", digest.slice(0, 2), digest.slice(2));
  chmodSync(path, 0o644);
  const bytes = readFileSync(path);
  bytes[0] = (bytes[0] ?? 0) ^ 0xff;
  writeFileSync(path, bytes);
}

/** The driver's side of the store: every byte it reads or stores counted, and the shared access. */
function driverBlobs(): Blobs & { read: string[]; stored: string[]; adopted: string[]; asked: string[][] } {
  const read: string[] = [];
  // The digests each step's credentials were asked for: what the store must have in the bucket by then.
  const asked: string[][] = [];
  const stored: string[] = [];
  const adopted: string[] = [];
  const shared: SharedBlobs = {
    place: PLACE,
    credentials: async (reads) => {
      asked.push([...(reads ?? [])]);
      return { AWS_ACCESS_KEY_ID: "id", AWS_SECRET_ACCESS_KEY: "secret" };
    },
    adopt: async (digest, kind) => {
      adopted.push(digest);
      const info = await store.stat(digest);
      return info?.kind === kind ? { size: info.size } : undefined;
    },
  };
  return {
    read,
    stored,
    adopted,
    asked,
    shared,
    putFile: async (path) => {
      stored.push(path);
      return store.putFile(path);
    },
    putDirectory: async (path) => {
      stored.push(path);
      return store.putDirectory(path);
    },
    verify: (digest, kind) => store.verify(digest, kind),
    materialize: async (digest, destination) => {
      read.push(digest);
      await store.materialize(digest, destination);
    },
  };
}

/** A runtime whose steps reach the store themselves: each attempt runs `run` between fetch and store. */
function movingRuntime(run: (task: StepTask) => Promise<AttemptResult>): Runtime & { tasks: StepTask[] } {
  const tasks: StepTask[] = [];
  return {
    name: "moving",
    maxParallel: 2,
    tasks,
    movesBlobs: (place) => place.kind === "s3",
    execute: async (task) => {
      tasks.push(task);
      return withStepBlobs(task, store, () => run(task));
    },
    close: async () => {},
  };
}

const pathOf = (task: StepTask, name: string) => {
  const input = task.inputs[name];
  if (input?.kind !== "artifact") throw new Error(`no artifact input ${name}`);
  return input.path;
};

describe("a step that moves its own bytes", () => {
  it("fetches its inputs and stores its outputs itself: the driver plans and checks, and reads none", async () => {
    const make = testStep("make", {}, { table: types.file, tree: types.directory, count: types.number });
    const use = testStep(
      "use",
      {
        table: [types.file, fromOutput("make", "table")],
        tree: [types.directory, fromOutput("make", "tree")],
      },
      { joined: types.file },
    );
    const runtime = movingRuntime(async (task) => {
      if (task.stepKey === "make") {
        writeFileSync(task.outputs.table?.path as string, "a,b\n1,2\n");
        const tree = task.outputs.tree?.path as string;
        mkdirSync(join(tree, "sub"));
        writeFileSync(join(tree, "sub", "x.txt"), "x");
        return { status: "succeeded", values: { count: 2 }, returned: {} };
      }
      const joined =
        readFileSync(pathOf(task, "table"), "utf8") +
        readFileSync(join(pathOf(task, "tree"), "sub", "x.txt"));
      writeFileSync(task.outputs.joined?.path as string, joined);
      return { status: "succeeded", values: {}, returned: {} };
    });
    const blobs = driverBlobs();
    const events: RunEvent[] = [];
    const summary = await orchestrate({
      runId: "run-1",
      pipeline: testPipeline([make, use]),
      artifactDir: join(bed.dir, "artifact"),
      parameters: {},
      artifactParameters: {},
      runtime,
      blobs,
      cache: bed.cache,
      workRoot: join(bed.dir, "work"),
      variables: { values: {}, digest: (name, value) => variableDigest(Buffer.from("test"), name, value) },
      onEvent: (event) => void events.push(event),
    });
    expect(summary.status).toBe("succeeded");
    // Nothing read or stored by the driver; every artifact output looked up once.
    expect(blobs.read).toEqual([]);
    expect(blobs.stored).toEqual([]);
    expect(blobs.adopted).toHaveLength(3);
    const [first, second] = runtime.tasks as [StepTask, StepTask];
    expect(first.blobs).toEqual({ place: PLACE, fetch: [] });
    expect(first.variables).toEqual({ AWS_ACCESS_KEY_ID: "id", AWS_SECRET_ACCESS_KEY: "secret" });
    expect(second.blobs?.fetch.map((entry) => entry.path)).toEqual([
      pathOf(second, "table"),
      pathOf(second, "tree"),
    ]);
    // Each step's credentials come once what it fetches is named: the store puts those in the bucket.
    expect(blobs.asked).toEqual([[], second.blobs?.fetch.map((entry) => entry.digest)]);
    const ended = events.find((event) => event.type === "step-succeeded" && event.key === "use");
    const joined = ended?.type === "step-succeeded" ? ended.outputs.joined : undefined;
    expect(joined && "digest" in joined && (await store.get(joined.digest)).toString()).toBe("a,b\n1,2\nx");
    const counted = events.find((event) => event.type === "step-succeeded" && event.key === "make");
    expect(counted?.type === "step-succeeded" && counted.outputs.count).toEqual({ json: "2" });
  });

  it("fails clearly, and for good, when an input is damaged or missing in the store, without running the step", async () => {
    const good = await store.put("fine");
    const bad = await store.put("will rot");
    damage(bad);
    const step = testStep("use", { good: [types.file, literal(0)], bad: [types.file, literal(0)] }, {});
    let ran = false;
    const task = taskFor(step, { good, bad });
    const result = await withStepBlobs(task, store, async () => {
      ran = true;
      return { status: "succeeded", values: {}, returned: {} };
    });
    expect(ran).toBe(false);
    expect(result).toMatchObject({ status: "failed", retryable: false });
    expect((result as { error: string }).error).toMatch(
      new RegExp(
        `^step use: input \`bad\` \\(sha256:${bad}\\) could not be fetched from the artifact store: .*corrupt`,
      ),
    );

    const lost = "0".repeat(64);
    const missing = await fetchInputs(taskFor(step, { good, bad: lost }), store);
    expect(missing).toMatchObject({ status: "failed", retryable: false });
    expect((missing as { error: string }).error).toMatch(
      /input `bad` \(sha256:0{64}\) could not be fetched.*not in the artifact store/,
    );
  });

  it("stores its outputs with the checks every runtime makes, and reports each file's size", async () => {
    const step = testStep("make", {}, { model: types.file, score: types.number });
    const task = taskFor(step, {});
    writeFileSync(task.outputs.model?.path as string, "weights");
    const stored = await storeOutputs(
      task,
      { status: "succeeded", values: { score: 0.5 }, returned: {} },
      store,
    );
    expect(stored).toMatchObject({
      status: "succeeded",
      stored: {
        model: { digest: await store.put("weights"), directory: false, name: "model" },
        score: { json: "0.5" },
      },
      sizes: { model: 7 },
    });

    const outside = join(bed.dir, "elsewhere");
    writeFileSync(outside, "x");
    const refused = await storeOutputs(
      task,
      { status: "succeeded", values: { score: 1 }, returned: { model: outside } },
      store,
    );
    expect(refused).toMatchObject({ status: "failed", retryable: false });
    expect((refused as { error: string }).error).toMatch(
      /output `model` is at .*elsewhere, outside its output folder/,
    );
  });
});

/** A task for `step` as the orchestrator gives it with `blobs`: each file input planned at its path. */
function taskFor(step: ReturnType<typeof testStep>, inputs: Record<string, string>): StepTask {
  const workDir = join(bed.dir, "work", step.id);
  mkdirSync(join(workDir, "out"), { recursive: true });
  const task: StepTask = {
    runId: "run-1",
    stepKey: step.id,
    attempt: 1,
    artifactDir: join(bed.dir, "artifact"),
    step,
    environment: undefined,
    inputs: {},
    outputs: {},
    workDir,
    metricsFile: join(workDir, "metrics.jsonl"),
    blobs: { place: PLACE, fetch: [] },
  };
  for (const [name, digest] of Object.entries(inputs)) {
    const path = join(workDir, "in", name, name);
    task.inputs[name] = { kind: "artifact", path, directory: false };
    task.blobs?.fetch.push({ digest, path });
  }
  for (const output of step.outputs) {
    const artifact = "artifact" in output.type;
    task.outputs[output.name] = {
      kind: artifact ? "artifact" : "value",
      path: join(workDir, "out", output.name),
      directory: false,
    };
  }
  return task;
}
