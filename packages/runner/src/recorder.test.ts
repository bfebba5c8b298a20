import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RunEvent } from "@canal/runtime-core";
import { openWorkspace, type Workspace } from "@canal/store";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RunRecorder } from "./recorder.js";

let dir: string;
let workspace: Workspace;
let runId: string;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "canal-recorder-"));
  workspace = await openWorkspace(dir);
  const version = await workspace.metadata.registerPipelineVersion({ pipeline: "p", hash: "h", ir: "{}" });
  runId = (await workspace.metadata.createRun({ pipelineVersionId: version.id, runtime: "local" })).id;
});
afterEach(async () => {
  await workspace.close();
  rmSync(dir, { recursive: true, force: true });
});

const at = (key: string) => ({ key, step: key, index: -1, time: 1000 });

/** A step's successful, reusable end under `cacheKey`, with one output `out`. */
const succeeded = (step: string, cacheKey: string, digest: string): RunEvent => ({
  type: "step-succeeded",
  ...at(step),
  attempt: 1,
  cacheKey,
  components: { stepHash: "s", codeHash: "c", codeFiles: [], environment: "e", inputs: {} },
  reusable: true,
  inputs: {},
  outputs: { out: { digest, directory: false } },
  metrics: [],
});

/** Counts the store's transactions. */
function countBatches(): { count: number } {
  const counter = { count: 0 };
  const transaction = workspace.metadata.transaction.bind(workspace.metadata);
  workspace.metadata.transaction = (work) => {
    counter.count++;
    return transaction(work);
  };
  return counter;
}

/** Shows `seen` the first argument of each call of the named methods in the store's transactions. */
function watchCalls(names: string[], seen: (first: unknown) => void): void {
  const transaction = workspace.metadata.transaction.bind(workspace.metadata);
  workspace.metadata.transaction = (work) =>
    transaction((tx) =>
      work(
        new Proxy(tx, {
          get(target, name, receiver) {
            const value = Reflect.get(target, name, receiver);
            if (typeof value !== "function") return value;
            if (typeof name !== "string" || !names.includes(name)) return value.bind(target);
            return (...args: unknown[]) => {
              seen(args[0]);
              return value.apply(target, args);
            };
          },
        }),
      ),
    );
}

describe("RunRecorder", () => {
  it("writes the events of one moment in one transaction, and passes them on once written", async () => {
    const batches = countBatches();
    const seen: string[] = [];
    const recorder = new RunRecorder(workspace.metadata, runId, {
      written: (event) => seen.push(`${event.type} ${event.key}`),
    });
    const events: RunEvent[] = [];
    for (let i = 0; i < 50; i++) events.push({ type: "step-queued", ...at(`s${i}`) });
    events.push({ type: "step-started", ...at("s0"), attempt: 1 });
    for (const event of events) void recorder.record(event);
    expect(seen).toEqual([]);
    await recorder.flush();
    expect(batches.count).toBe(1);
    expect(seen).toEqual(events.map((e) => `${e.type} ${e.key}`));
    const steps = await workspace.metadata.listStepRuns(runId);
    expect(steps).toHaveLength(50);
    expect(steps[0]).toMatchObject({ stepId: "s0", status: "running" });
  });

  it("releases a step's claim in the unit that records its end and cache entry, not before", async () => {
    const key = "c".repeat(64);
    const claim = { runId, host: "gpu-01", pid: 1, ttlMs: 60_000 };
    expect(await workspace.metadata.claimStep(key, claim)).toEqual({ won: true });
    const batches = countBatches();
    const recorder = new RunRecorder(workspace.metadata, runId);
    const digest = await workspace.blobs.put("out");
    void recorder.record({ type: "step-queued", ...at("train") });
    void recorder.record({ type: "step-started", ...at("train"), attempt: 1 });
    void recorder.record(succeeded("train", key, digest));
    const released = recorder.release(key);
    // Nothing written yet: the claim still holds.
    expect(await workspace.metadata.claimStep(key, { ...claim, pid: 2 })).toMatchObject({ won: false });
    await released;
    expect(batches.count).toBe(1);
    expect(await workspace.metadata.getCachedOutputs(key)).toEqual({ out: { digest, directory: false } });
    expect(await workspace.metadata.releaseStep(key, runId)).toBe(false);
    await recorder.flush();
  });

  it("releases the claims of a batch's steps in one call, in the unit that records their ends", async () => {
    const keys = ["d".repeat(64), "e".repeat(64)];
    const claim = { runId, host: "gpu-01", pid: 1, ttlMs: 60_000 };
    for (const key of keys) expect(await workspace.metadata.claimStep(key, claim)).toEqual({ won: true });
    // What the batch's unit is asked to release, call by call.
    const calls: string[][] = [];
    watchCalls(["releaseStep", "releaseSteps"], (given) =>
      calls.push(([] as string[]).concat(given as string | string[])),
    );
    const recorder = new RunRecorder(workspace.metadata, runId);
    const digest = await workspace.blobs.put("out");
    for (const [i, key] of keys.entries()) {
      const step = `train${i}`;
      void recorder.record({ type: "step-queued", ...at(step) });
      void recorder.record({ type: "step-started", ...at(step), attempt: 1 });
      void recorder.record(succeeded(step, key, digest));
      void recorder.release(key);
    }
    await recorder.flush();
    expect(calls).toEqual([keys]);
    for (const key of keys) {
      expect(await workspace.metadata.getCachedOutputs(key)).toEqual({ out: { digest, directory: false } });
      expect(await workspace.metadata.claimStep(key, { ...claim, pid: 2 })).toEqual({ won: true });
    }
  });

  it("records an attempt that starts and ends in one batch with its end alone", async () => {
    const calls: string[] = [];
    watchCalls(["startAttempt", "finishStepRun"], (first) => calls.push(String(first)));
    const recorder = new RunRecorder(workspace.metadata, runId);
    const digest = await workspace.blobs.put("out");
    void recorder.record({ type: "step-queued", ...at("train") });
    void recorder.record({ type: "step-queued", ...at("logs") });
    void recorder.record({ type: "step-started", ...at("train"), time: 900, attempt: 1 });
    // A step that logs between its start and its end: the log chunk needs the attempt first.
    void recorder.record({ type: "step-started", ...at("logs"), attempt: 1 });
    void recorder.record({ type: "step-log", ...at("logs"), attempt: 1, stream: "stdout", text: "hi\n" });
    void recorder.record(succeeded("train", "f".repeat(64), digest));
    void recorder.record(succeeded("logs", "e".repeat(64), digest));
    await recorder.flush();
    const [train, logs] = [
      await workspace.metadata.getStepRun(runId, "train"),
      await workspace.metadata.getStepRun(runId, "logs"),
    ];
    expect(calls).toEqual([String(logs.id), String(train.id), String(logs.id)]);
    expect(train).toMatchObject({ status: "succeeded", startedAt: 900, endedAt: 1000 });
    expect(await workspace.metadata.listAttempts(train.id)).toEqual([
      expect.objectContaining({ number: 1, status: "succeeded", startedAt: 900, endedAt: 1000, exitCode: 0 }),
    ]);
    expect(await workspace.metadata.listAttempts(logs.id)).toEqual([
      expect.objectContaining({ number: 1, status: "succeeded" }),
    ]);
  });

  it("writes a batch right when the store undoes a unit and runs it again", async () => {
    // As a store that retries a unit after a lost serialization race does: the first try is undone.
    const transaction = workspace.metadata.transaction.bind(workspace.metadata);
    let tries = 0;
    workspace.metadata.transaction = async (work) => {
      if (tries++ === 0) {
        const undone = new Error("serialization failure");
        await transaction(async (tx) => {
          await work(tx);
          throw undone;
        }).catch((error) => {
          if (error !== undone) throw error;
        });
      }
      const retried = transaction(work);
      outcome = retried.then(
        () => "committed",
        () => "failed",
      );
      return retried;
    };
    let outcome: Promise<string> | undefined;
    const recorder = new RunRecorder(workspace.metadata, runId);
    void recorder.record({ type: "step-queued", ...at("a") });
    void recorder.record({ type: "step-started", ...at("a"), attempt: 1 });
    await recorder.flush();
    const steps = await workspace.metadata.listStepRuns(runId);
    expect(steps.map((s) => [s.stepId, s.status])).toEqual([["a", "running"]]);
    expect(await workspace.metadata.listAttempts(steps[0]?.id ?? -1)).toHaveLength(1);
    // Written by the retried unit itself, not by the one-at-a-time fallback of a failed batch.
    expect(await outcome).toBe("committed");
  });

  it("loses only the event whose write fails, and reports it", async () => {
    const recorder = new RunRecorder(workspace.metadata, runId);
    void recorder.record({ type: "step-queued", ...at("a") });
    // No attempt of `a` was started: this write fails.
    void recorder.record({ type: "step-log", ...at("a"), attempt: 1, stream: "stdout", text: "lost" });
    void recorder.record({ type: "step-queued", ...at("b") });
    void recorder.record({ type: "step-started", ...at("b"), attempt: 1 });
    await expect(recorder.flush()).rejects.toMatchObject({ code: "CANAL_STORE_INVALID_RECORD" });
    const steps = await workspace.metadata.listStepRuns(runId);
    expect(steps.map((s) => [s.stepId, s.status])).toEqual([
      ["a", "queued"],
      ["b", "running"],
    ]);
  });

  it("lets a lookup of a cache key wait for the unwritten entry that makes it", async () => {
    const recorder = new RunRecorder(workspace.metadata, runId);
    const outputs = { out: { json: "1" } };
    for (const event of [
      { type: "step-queued", ...at("a") },
      { type: "step-started", ...at("a"), attempt: 1 },
      {
        type: "step-succeeded",
        ...at("a"),
        attempt: 1,
        cacheKey: "key-a",
        components: { stepHash: "h", codeHash: "c", codeFiles: [], environment: "", inputs: {} },
        reusable: true,
        inputs: {},
        outputs,
        metrics: [],
      },
    ] satisfies RunEvent[])
      void recorder.record(event);
    expect(await workspace.metadata.getCachedOutputs("key-a")).toBeUndefined();
    await recorder.settledFor("key-a");
    expect(await workspace.metadata.getCachedOutputs("key-a")).toEqual(outputs);
    await recorder.settledFor("another-key");
    await recorder.flush();
  });

  it("creates a step queued and answered by the cache in one batch in its end state, unless the batch makes its entry", async () => {
    const components = { stepHash: "h", codeHash: "c", codeFiles: [], environment: "", inputs: {} };
    const digest = await workspace.blobs.put("out");
    const outputs = { out: { digest, directory: false } };
    // An entry of an earlier run, and one this batch makes.
    const version = (await workspace.metadata.getRun(runId)).pipelineVersionId;
    const earlier = await workspace.metadata.createRun({ pipelineVersionId: version, runtime: "local" });
    const maker = await workspace.metadata.createStepRun({ runId: earlier.id, stepId: "a" });
    await workspace.metadata.finishStepRun(maker.id, {
      status: "succeeded",
      cacheKey: "key-old",
      components,
      reusable: true,
      outputs,
    });
    // What the ends given to the store are: the answers written apart from their step runs.
    const ended: string[] = [];
    watchCalls(["finishStepRuns"], (ends) => {
      for (const end of ends as Array<{ stepRunId: number; status: string }>)
        ended.push(`${end.stepRunId} ${end.status}`);
    });
    const recorder = new RunRecorder(workspace.metadata, runId);
    const cached = (key: string, cacheKey: string): RunEvent => ({
      type: "step-cached",
      ...at(key),
      time: 2000,
      cacheKey,
      inputs: { x: outputs.out },
      outputs,
    });
    for (const event of [
      { type: "step-queued", ...at("a") },
      { type: "step-queued", ...at("b") },
      { type: "step-queued", ...at("c") },
      { type: "step-started", ...at("a"), attempt: 1 },
      {
        type: "step-succeeded",
        ...at("a"),
        attempt: 1,
        cacheKey: "key-new",
        components,
        reusable: true,
        inputs: {},
        outputs,
        metrics: [],
      },
      cached("b", "key-old"),
      cached("c", "key-new"),
    ] satisfies RunEvent[])
      void recorder.record(event);
    await recorder.flush();
    const steps = await workspace.metadata.listStepRuns(runId);
    const [a, b, c] = steps;
    expect(steps.map((s) => [s.stepId, s.status, s.cacheKey, s.reusedFrom?.stepRunId, s.endedAt])).toEqual([
      ["a", "succeeded", "key-new", undefined, 1000],
      ["b", "cached", "key-old", maker.id, 2000],
      // Its entry is made in the batch after it was queued: it is ended where it is answered.
      ["c", "cached", "key-new", a?.id, 2000],
    ]);
    expect(ended).toEqual([`${c?.id} cached`]);
    for (const step of [b, c]) {
      expect(await workspace.metadata.getInputs(step?.id ?? -1)).toEqual({ x: outputs.out });
      expect(await workspace.metadata.getOutputs(step?.id ?? -1)).toEqual(outputs);
    }
    expect((await workspace.metadata.lineage(digest)).consumedBy.map((e) => e.stepId)).toEqual(["b", "c"]);
  });
});
