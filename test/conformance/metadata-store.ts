// The metadata store's conformance suite: what any backend (SQLite today; PostgreSQL next) must
// do, written against the MetadataStore interface alone. A backend proves itself by passing it
// unchanged: `metadataStoreConformance("sqlite", () => ({ open, location, close }))`.
import type {
  CacheKeyComponents,
  MetadataStore,
  MetadataTransaction,
  Run,
  RunMetrics,
  StoredValue,
} from "@canal/store";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

/** One fresh, empty store backend for a test. */
export interface MetadataStoreFixture {
  /** A store of workspace `workspace` on it; each call another connection to the same data. */
  open(workspace: string): MetadataStore | Promise<MetadataStore>;
  /** How the store names where it is, in its errors ("no run … in workspace <location>"). */
  location: string;
  /** Removes the backend's data, once every store opened on it is closed. */
  close(): Promise<void> | void;
}

const d = (c: string) => c.repeat(64);
const components = (inputs: Record<string, string> = {}): CacheKeyComponents => ({
  stepHash: "step-hash",
  codeHash: "code-hash",
  codeFiles: [{ path: "src/train.ts", sha256: d("1") }],
  environment: "env-1",
  inputs,
});

export function metadataStoreConformance(
  kind: string,
  make: () => MetadataStoreFixture | Promise<MetadataStoreFixture>,
): void {
  let fixture: MetadataStoreFixture;
  let store: MetadataStore;

  beforeEach(async () => {
    fixture = await make();
    store = await fixture.open("team");
  });
  afterEach(async () => {
    await store.close();
    await fixture.close();
  });

  async function newRun(pipeline = "iris", createdAt?: number) {
    const version = await store.registerPipelineVersion({ pipeline, hash: `${pipeline}-hash`, ir: "{}" });
    return store.createRun({
      pipelineVersionId: version.id,
      runtime: "local",
      ...(createdAt ? { createdAt } : {}),
    });
  }

  describe(`metadata store conformance: ${kind}`, () => {
    it("records a whole run and reads it back", async () => {
      const version = await store.registerPipelineVersion({
        pipeline: "iris",
        hash: "abc123",
        ir: '{"name":"iris"}',
        artifactLocation: "canal-out/iris",
        createdAt: 1000,
      });
      expect(version).toMatchObject({
        pipeline: "iris",
        version: 1,
        hash: "abc123",
        artifactLocation: "canal-out/iris",
      });
      const run = await store.createRun({
        pipelineVersionId: version.id,
        parameters: { lrs: [0.01, 0.1] },
        git: { commit: "deadbeef", branch: "main", dirty: true },
        runtime: "local",
        regenerate: true,
        pid: 4242,
        createdAt: 2000,
      });
      expect(run.id).toMatch(/^run-\d{8}-\d{6}-[0-9a-f]{8}$/);
      await store.updateRun(run.id, { status: "running", startedAt: 2001 });

      const prepare = await store.createStepRun({ runId: run.id, stepId: "prepare", createdAt: 2002 });
      const train0 = await store.createStepRun({
        runId: run.id,
        stepId: "train",
        instance: 0,
        createdAt: 2003,
      });
      const skipped = await store.createStepRun({
        runId: run.id,
        stepId: "report",
        status: "skipped",
        error: "its condition does not hold",
        endedAt: 2003,
      });
      expect(await store.createStepRun({ runId: run.id, stepId: "prepare" })).toEqual(prepare);

      await store.startAttempt(prepare.id, 1, 2010);
      expect(await store.appendLog(prepare.id, 1, "stdout", "reading iris.csv\n", 2011)).toBe(0);
      expect(await store.appendLog(prepare.id, 1, "stderr", "warning: 3 rows dropped\n", 2012)).toBe(1);
      const prepped: StoredValue = { digest: d("a"), directory: true };
      await store.finishStepRun(prepare.id, {
        status: "succeeded",
        endedAt: 2020,
        attempt: { number: 1, status: "succeeded", exitCode: 0, stdoutDigest: d("5"), stderrDigest: d("6") },
        cacheKey: "key-prepare",
        components: components({ raw: `sha256:${d("b")}` }),
        reusable: true,
        inputs: { raw: { digest: d("b"), directory: false } },
        outputs: { prepped },
        artifacts: [
          { digest: d("a"), kind: "directory", size: 1234, mediaType: "application/x-canal-directory" },
        ],
      });

      await store.startAttempt(train0.id, 1, 2030);
      await store.finishAttempt(train0.id, {
        number: 1,
        status: "failed",
        exitCode: 1,
        error: "CUDA OOM",
        endedAt: 2031,
      });
      await store.startAttempt(train0.id, 2, 2032);
      await store.logMetrics(train0.id, [
        { name: "loss", value: 0.9, at: 2033 },
        { name: "loss", value: 0.5, at: 2034 },
        { name: "loss", value: Number.NaN, at: 2035 },
        { name: "optimizer", value: "adam", at: 2033 },
      ]);
      await store.finishStepRun(train0.id, {
        status: "succeeded",
        endedAt: 2040,
        attempt: { number: 2, status: "succeeded", exitCode: 0 },
        cacheKey: "key-train-0",
        components: components({ prepped: `sha256:${d("a")}`, lr: "0.01" }),
        reusable: true,
        inputs: { prepped, lr: { json: "0.01" } },
        outputs: { model: { digest: d("c"), directory: false }, accuracy: { json: "0.97" } },
        metrics: [{ name: "accuracy", value: 0.97 }],
      });
      await store.updateRun(run.id, { status: "succeeded", endedAt: 2050 });

      expect(await store.getRun(run.id)).toEqual({
        id: run.id,
        pipeline: "iris",
        experiment: "iris",
        pipelineVersionId: version.id,
        pipelineVersion: 1,
        pipelineHash: "abc123",
        status: "succeeded",
        parameters: { lrs: [0.01, 0.1] },
        git: { commit: "deadbeef", branch: "main", dirty: true },
        runtime: "local",
        regenerate: true,
        pid: 4242,
        createdAt: 2000,
        startedAt: 2001,
        endedAt: 2050,
      });
      const steps = await store.listStepRuns(run.id);
      expect(steps.map((s) => [s.stepId, s.instance, s.status, s.startedAt, s.endedAt])).toEqual([
        ["prepare", -1, "succeeded", 2010, 2020],
        ["train", 0, "succeeded", 2030, 2040],
        ["report", -1, "skipped", undefined, 2003],
      ]);
      expect(steps[0]?.cacheComponents).toEqual(components({ raw: `sha256:${d("b")}` }));
      expect(steps[2]?.error).toBe("its condition does not hold");
      expect(skipped.status).toBe("skipped");

      expect(await store.listAttempts(train0.id)).toEqual([
        {
          stepRunId: train0.id,
          number: 1,
          status: "failed",
          exitCode: 1,
          error: "CUDA OOM",
          startedAt: 2030,
          endedAt: 2031,
        },
        { stepRunId: train0.id, number: 2, status: "succeeded", exitCode: 0, startedAt: 2032, endedAt: 2040 },
      ]);
      expect((await store.listAttempts(prepare.id))[0]).toMatchObject({
        stdoutDigest: d("5"),
        stderrDigest: d("6"),
      });
      expect((await store.readLog(prepare.id, 1)).chunks).toEqual([
        { seq: 0, stream: "stdout", text: "reading iris.csv\n", at: 2011 },
        { seq: 1, stream: "stderr", text: "warning: 3 rows dropped\n", at: 2012 },
      ]);

      const metrics = await store.getMetrics({ runId: run.id });
      expect(metrics.map((m) => [m.stepId, m.instance, m.name, m.sequence, m.value])).toEqual([
        ["train", 0, "accuracy", 0, 0.97],
        ["train", 0, "loss", 0, 0.9],
        ["train", 0, "loss", 1, 0.5],
        ["train", 0, "loss", 2, Number.NaN],
        ["train", 0, "optimizer", 0, "adam"],
      ]);
      expect(await store.getMetrics({ stepRunId: train0.id, name: "loss" })).toHaveLength(3);

      expect(await store.getInputs(train0.id)).toEqual({ prepped, lr: { json: "0.01" } });
      expect(await store.getOutputs(train0.id)).toEqual({
        model: { digest: d("c"), directory: false },
        accuracy: { json: "0.97" },
      });
      expect(await store.getArtifact(d("a"))).toMatchObject({ kind: "directory", size: 1234 });

      const entry = await store.getCacheEntry("key-train-0");
      expect(entry).toMatchObject({
        key: "key-train-0",
        outputs: { model: { digest: d("c"), directory: false }, accuracy: { json: "0.97" } },
        producedBy: { runId: run.id, stepRunId: train0.id, stepId: "train", instance: 0 },
        createdAt: 2040,
      });
      expect(entry?.components.inputs).toEqual({ prepped: `sha256:${d("a")}`, lr: "0.01" });
      expect(await store.listPipelines()).toEqual([
        { name: "iris", createdAt: 1000, versions: 1, latestHash: "abc123" },
      ]);
    });

    it("reads the last value of each metric of each step across runs: a pipeline's newest, or runs by id", async () => {
      // Three runs of iris, oldest first, each logging accuracy several times; another pipeline's
      // run in between, and a run of iris that logged nothing.
      const runs = [];
      for (const [i, at] of [1000, 2000, 3000].entries()) {
        const run = await newRun("iris", at);
        const train0 = await store.createStepRun({ runId: run.id, stepId: "train", instance: 0 });
        const train1 = await store.createStepRun({ runId: run.id, stepId: "train", instance: 1 });
        const evaluate = await store.createStepRun({ runId: run.id, stepId: "evaluate" });
        await store.createStepRun({ runId: run.id, stepId: "prepare" });
        await store.logMetrics(train0.id, [
          { name: "accuracy", value: 0.1, at: at + 1 },
          { name: "accuracy", value: [0.5, 0.6, 0.7][i] as number, at: at + 2 },
          { name: "loss", value: [1, 0.9, 0.8][i] as number, at: at + 3 },
          { name: "optimizer", value: "adam", at: at + 4 },
        ]);
        await store.logMetrics(train1.id, [
          { name: "accuracy", value: [0.4, 0.5, 0.6][i] as number, at: at + 5 },
        ]);
        // Sequences out of the order they were logged in: the highest sequence is the last value.
        await store.logMetrics(evaluate.id, [
          { name: "accuracy", value: [0.8, 0.9, 1][i] as number, sequence: 7, at: at + 6 },
          { name: "accuracy", value: Number.NaN, sequence: 3, at: at + 7 },
        ]);
        runs.push(run);
      }
      const other = await newRun("other", 2500);
      const otherStep = await store.createStepRun({ runId: other.id, stepId: "train" });
      await store.logMetrics(otherStep.id, [{ name: "accuracy", value: 0.01 }]);
      const silent = await newRun("iris", 500);
      const [first, second, third] = runs as [Run, Run, Run];

      const shown = (answer: RunMetrics[]) =>
        answer.map(({ run, metrics }) => [
          run.id,
          metrics.map((m) => [m.stepId, m.instance, m.name, m.sequence, m.value]),
        ]);
      const all = await store.lastMetrics({ pipeline: "iris" });
      expect(all.map((r) => r.run.id)).toEqual([third.id, second.id, first.id, silent.id]);
      expect(all[0]?.run).toEqual(await store.getRun(third.id));
      expect(shown(all)[0]).toEqual([
        third.id,
        [
          ["evaluate", -1, "accuracy", 7, 1.0],
          ["train", 0, "accuracy", 1, 0.7],
          ["train", 0, "loss", 0, 0.8],
          ["train", 0, "optimizer", 0, "adam"],
          ["train", 1, "accuracy", 0, 0.6],
        ],
      ]);
      expect(all[0]?.metrics[0]).toMatchObject({ at: 3006 });
      expect(all[3]).toEqual({ run: await store.getRun(silent.id), metrics: [] });

      const accuracy = await store.lastMetrics({
        pipeline: "iris",
        name: "accuracy",
        stepId: "train",
        limit: 2,
      });
      expect(shown(accuracy)).toEqual([
        [
          third.id,
          [
            ["train", 0, "accuracy", 1, 0.7],
            ["train", 1, "accuracy", 0, 0.6],
          ],
        ],
        [
          second.id,
          [
            ["train", 0, "accuracy", 1, 0.6],
            ["train", 1, "accuracy", 0, 0.5],
          ],
        ],
      ]);

      // By id, across pipelines, newest first; an id not in the workspace is left out.
      const named = await store.lastMetrics({
        runIds: [first.id, other.id, "run-20000101-000000-0000"],
        name: "accuracy",
        stepId: "train",
      });
      expect(shown(named)).toEqual([
        [other.id, [["train", -1, "accuracy", 0, 0.01]]],
        [
          first.id,
          [
            ["train", 0, "accuracy", 1, 0.5],
            ["train", 1, "accuracy", 0, 0.4],
          ],
        ],
      ]);
      expect(await store.lastMetrics({ runIds: [] })).toEqual([]);
      expect(await store.lastMetrics({ pipeline: "no-such-pipeline" })).toEqual([]);
      const elsewhere = await fixture.open("elsewhere");
      expect(await elsewhere.lastMetrics({ runIds: [first.id] })).toEqual([]);
      expect(await elsewhere.lastMetrics({ pipeline: "iris" })).toEqual([]);
      await elsewhere.close();

      await expect(store.lastMetrics({ pipeline: "iris", limit: 501 })).rejects.toThrow(/outside 1\.\.500/);
      await expect(
        store.lastMetrics({ runIds: Array.from({ length: 501 }, (_, i) => `run-${i}`) }),
      ).rejects.toThrow(/501 run ids, more than 500/);
    });

    it("writes no cache entry for a step that is not reusable or did not succeed", async () => {
      const run = await newRun();
      const a = await store.createStepRun({ runId: run.id, stepId: "a" });
      const b = await store.createStepRun({ runId: run.id, stepId: "b" });
      await store.finishStepRun(a.id, {
        status: "succeeded",
        cacheKey: "k-a",
        components: components(),
        reusable: false,
        outputs: {},
      });
      await store.finishStepRun(b.id, {
        status: "failed",
        cacheKey: "k-b",
        components: components(),
        reusable: true,
      });
      expect(await store.getCacheEntry("k-a")).toBeUndefined();
      expect(await store.getCacheEntry("k-b")).toBeUndefined();
      expect((await store.getStepRun(run.id, "b")).cacheKey).toBe("k-b");
    });

    it("numbers pipeline versions and returns an existing version unchanged", async () => {
      const v1 = await store.registerPipelineVersion({ pipeline: "iris", hash: "h1", ir: "{1}" });
      const v2 = await store.registerPipelineVersion({ pipeline: "iris", hash: "h2", ir: "{2}" });
      const again = await store.registerPipelineVersion({ pipeline: "iris", hash: "h1", ir: "{changed}" });
      expect([v1.version, v2.version]).toEqual([1, 2]);
      expect(again).toEqual(v1);
      expect((await store.listPipelineVersions("iris")).map((v) => v.hash)).toEqual(["h1", "h2"]);
      expect(await store.getPipelineVersion(v2.id)).toEqual(v2);
    });

    it("keeps the first cache entry for a key and reuses it", async () => {
      const first = await newRun();
      const second = await store.createRun({ pipelineVersionId: first.pipelineVersionId, runtime: "docker" });
      const a = await store.createStepRun({ runId: first.id, stepId: "train" });
      const b = await store.createStepRun({ runId: second.id, stepId: "train" });
      const outputsA = { model: { digest: d("a"), directory: false } };
      const outputsB = { model: { digest: d("b"), directory: false } };
      const end = {
        status: "succeeded" as const,
        cacheKey: "same-key",
        components: components(),
        reusable: true,
      };
      await store.finishStepRun(a.id, { ...end, outputs: outputsA, endedAt: 10 });
      await store.finishStepRun(b.id, { ...end, outputs: outputsB, endedAt: 20 });
      expect(
        await store.putCacheEntry({
          key: "same-key",
          outputs: outputsB,
          components: components(),
          stepRunId: b.id,
        }),
      ).toBe(false);
      const entry = await store.getCacheEntry("same-key");
      expect(entry?.outputs).toEqual(outputsA);
      expect(entry?.producedBy.stepRunId).toBe(a.id);

      const third = await store.createRun({ pipelineVersionId: first.pipelineVersionId, runtime: "local" });
      const c = await store.createStepRun({ runId: third.id, stepId: "train" });
      const cached = await store.finishStepRun(c.id, {
        status: "cached",
        cacheKey: "same-key",
        outputs: outputsA,
      });
      expect(cached.reusedFrom).toEqual({ runId: first.id, stepRunId: a.id });
      await expect(store.finishStepRun(c.id, { status: "cached" })).rejects.toMatchObject({
        code: "CANAL_STORE_INVALID_RECORD",
      });

      // A corrupt blob behind the entry: the caller drops it so the re-run's outputs take its place.
      expect(await store.deleteCacheEntry("same-key")).toBe(true);
      expect(
        await store.putCacheEntry({
          key: "same-key",
          outputs: outputsB,
          components: components(),
          stepRunId: b.id,
        }),
      ).toBe(true);
      expect((await store.getCacheEntry("same-key"))?.outputs).toEqual(outputsB);
      expect(await store.getCachedOutputs("same-key")).toEqual(outputsB);
      expect(await store.getCachedOutputs("no-such-key")).toBeUndefined();

      // A step run the cache answered made no entry: it cannot be named as an entry's maker, and
      // a step's entries are those its step runs that ran made.
      await expect(
        store.putCacheEntry({
          key: "other-key",
          outputs: outputsA,
          components: components(),
          stepRunId: c.id,
        }),
      ).rejects.toMatchObject({
        code: "CANAL_STORE_INVALID_RECORD",
        message: expect.stringContaining(`#${c.id}`),
      });
      expect(await store.getCacheEntry("other-key")).toBeUndefined();
      expect((await store.lastCacheEntryForStep("iris", "train"))?.producedBy.stepRunId).toBe(b.id);
      expect((await store.listCacheEntries({ stepId: "train" })).map((e) => e.key)).toEqual(["same-key"]);
    });

    it("reads the outputs of many cache entries at once, leaving out keys with none", async () => {
      const run = await newRun();
      const keys = Array.from({ length: 600 }, (_, i) => `many-${i}`);
      const made = await store.createStepRuns(keys.map((_, i) => ({ runId: run.id, stepId: `s${i}` })));
      await store.transaction(async (tx) => {
        for (const [i, key] of keys.entries()) {
          // Every other key gets an entry; the rest stay misses.
          if (i % 2) continue;
          await tx.finishStepRun(made[i] as number, {
            status: "succeeded",
            cacheKey: key,
            components: components(),
            reusable: true,
            outputs: { out: { digest: i.toString(16).padStart(64, "0"), directory: false } },
          });
        }
      });
      // More keys than SQLite binds in one statement's worth, a repeated one, one nowhere.
      const found = await store.getCachedOutputsMany([...keys, "many-0", "many-nowhere"]);
      expect(found.size).toBe(300);
      for (const [i, key] of keys.entries()) {
        if (i % 2) expect(found.has(key)).toBe(false);
        else expect(found.get(key)).toEqual(await store.getCachedOutputs(key));
      }
      expect(found.get("many-598")).toEqual({
        out: { digest: (598).toString(16).padStart(64, "0"), directory: false },
      });
      expect(await store.getCachedOutputsMany([])).toEqual(new Map());
    });

    it("reads the entries under the keys of a pipeline's newest ended run in one go, from the entries themselves", async () => {
      const out = (c: string) => ({ out: { digest: d(c), directory: false } });
      const end = { status: "succeeded" as const, components: components(), reusable: true };
      // `stepId` of `run` ends under `key`: a succeeded step writes its entry, a cached one reuses it.
      async function step(run: Run, stepId: string, key: string, outputs?: Record<string, StoredValue>) {
        const made = await store.createStepRun({ runId: run.id, stepId });
        if (outputs) await store.finishStepRun(made.id, { ...end, cacheKey: key, outputs });
        else await store.finishStepRun(made.id, { status: "cached", cacheKey: key });
      }
      const older = await newRun("iris", 1000);
      await step(older, "prepare", "k-prepare", out("a"));
      await step(older, "gone", "k-older-only", out("b"));
      await store.updateRun(older.id, { status: "succeeded", endedAt: 1100 });
      expect(await store.getCachedOutputsOfLastRun(older.id)).toEqual(new Map());

      const last = await newRun("iris", 2000);
      await step(last, "prepare", "k-prepare");
      await step(last, "train", "k-train", out("c"));
      // Failed: recorded under its key, no entry.
      const failed = await store.createStepRun({ runId: last.id, stepId: "eval" });
      await store.finishStepRun(failed.id, { status: "failed", cacheKey: "k-eval", error: "boom" });
      await store.updateRun(last.id, { status: "failed", endedAt: 2100 });
      // Newer, but still going; and another pipeline's, newer and ended.
      const going = await newRun("iris", 3000);
      await step(going, "prepare", "k-going", out("d"));
      const other = await newRun("other", 3500);
      await step(other, "prepare", "k-other", out("e"));
      await store.updateRun(other.id, { status: "succeeded", endedAt: 3600 });

      // A run of another version of the pipeline reads what the newest ended run of it used.
      const v2 = await store.registerPipelineVersion({ pipeline: "iris", hash: "iris-v2", ir: "{}" });
      const now = await store.createRun({ pipelineVersionId: v2.id, runtime: "local", createdAt: 4000 });
      const found = await store.getCachedOutputsOfLastRun(now.id);
      expect([...found.keys()].sort()).toEqual(["k-prepare", "k-train"]);
      expect(found.get("k-prepare")).toEqual(await store.getCachedOutputs("k-prepare"));
      expect(found.get("k-train")).toEqual(out("c"));
      // The run itself is left out: it is no earlier run even once it ended.
      await store.updateRun(going.id, { status: "canceled", endedAt: 4100 });
      expect([...(await store.getCachedOutputsOfLastRun(going.id)).keys()].sort()).toEqual([
        "k-prepare",
        "k-train",
      ]);
      expect([...(await store.getCachedOutputsOfLastRun(now.id)).keys()]).toEqual(["k-going"]);

      // An entry dropped since is not read, though the step run still names its key.
      expect(await store.deleteCacheEntry("k-going")).toBe(true);
      expect(await store.getCachedOutputsOfLastRun(now.id)).toEqual(new Map());
      expect(await store.getCachedOutputsOfLastRun("run-nowhere")).toEqual(new Map());
      const elsewhere = await fixture.open("elsewhere");
      expect(await elsewhere.getCachedOutputsOfLastRun(going.id)).toEqual(new Map());
      await elsewhere.close();
    });

    it("makes and ends many step runs at once, as one at a time would, or none of them", async () => {
      const first = await newRun();
      const made = await store.createStepRun({ runId: first.id, stepId: "prepare" });
      const end = { status: "succeeded" as const, components: components(), reusable: true };
      const prepared = { data: { digest: d("a"), directory: true } };
      await store.finishStepRun(made.id, { ...end, cacheKey: "k-prepare", outputs: prepared });
      const trained = { model: { digest: d("b"), directory: false, name: "model.pt" } };
      const train = await store.createStepRun({ runId: first.id, stepId: "train", instance: 1 });
      await store.finishStepRun(train.id, {
        ...end,
        cacheKey: "k-train",
        inputs: prepared,
        outputs: trained,
      });

      // A run the cache answers: one existing step run among the new ones keeps its id.
      const second = await store.createRun({ pipelineVersionId: first.pipelineVersionId, runtime: "local" });
      const existing = await store.createStepRun({ runId: second.id, stepId: "prepare" });
      const ids = await store.createStepRuns([
        { runId: second.id, stepId: "prepare" },
        { runId: second.id, stepId: "train", instance: 0 },
        { runId: second.id, stepId: "train", instance: 1 },
        { runId: second.id, stepId: "train", instance: 0 },
      ]);
      expect(ids[0]).toBe(existing.id);
      expect(ids[3]).toBe(ids[1]);
      expect(new Set(ids).size).toBe(3);
      await store.finishStepRuns([
        {
          stepRunId: ids[0] as number,
          status: "cached",
          cacheKey: "k-prepare",
          outputs: prepared,
          endedAt: 50,
        },
        {
          stepRunId: ids[2] as number,
          status: "cached",
          cacheKey: "k-train",
          inputs: { data: prepared.data },
          outputs: trained,
          endedAt: 60,
        },
      ]);
      // Ends of other kinds, written as finishStepRun writes them.
      await store.finishStepRuns([
        { stepRunId: ids[1] as number, status: "skipped", error: "not needed", endedAt: 70 },
      ]);
      const steps = await store.listStepRuns(second.id);
      expect(steps.map((s) => [s.id, s.stepId, s.instance, s.status])).toEqual([
        [ids[0], "prepare", -1, "cached"],
        [ids[1], "train", 0, "skipped"],
        [ids[2], "train", 1, "cached"],
      ]);
      const cachedTrain = await store.getStepRun(second.id, "train", 1);
      expect(cachedTrain).toMatchObject({
        cacheKey: "k-train",
        endedAt: 60,
        reusedFrom: { runId: first.id, stepRunId: train.id },
      });
      expect((await store.getStepRun(second.id, "train", 0)).error).toBe("not needed");
      expect(await store.getInputs(ids[2] as number)).toEqual({ data: prepared.data });
      expect(await store.getOutputs(ids[2] as number)).toEqual(trained);
      const lineage = await store.lineage(d("b"));
      expect(lineage.producedBy.map((e) => e.stepRunId).sort()).toEqual([train.id, ids[2]].sort());

      // One end that cannot be written: none of them is.
      const third = await store.createRun({ pipelineVersionId: first.pipelineVersionId, runtime: "local" });
      const [p3, t3] = await store.createStepRuns([
        { runId: third.id, stepId: "prepare" },
        { runId: third.id, stepId: "train" },
      ]);
      await expect(
        store.finishStepRuns([
          { stepRunId: p3 as number, status: "cached", cacheKey: "k-prepare", outputs: prepared },
          { stepRunId: 999_999, status: "cached", cacheKey: "k-train", outputs: trained },
        ]),
      ).rejects.toMatchObject({ code: "CANAL_STORE_STEP_RUN_NOT_FOUND" });
      await expect(
        store.finishStepRuns([
          { stepRunId: p3 as number, status: "cached", cacheKey: "k-prepare", outputs: prepared },
          { stepRunId: t3 as number, status: "cached", outputs: trained },
        ]),
      ).rejects.toMatchObject({ code: "CANAL_STORE_INVALID_RECORD" });
      expect((await store.listStepRuns(third.id)).map((s) => s.status)).toEqual(["queued", "queued"]);
      expect(await store.getOutputs(p3 as number)).toEqual({});
      await expect(store.createStepRuns([{ runId: "run-nope", stepId: "x" }])).rejects.toMatchObject({
        code: "CANAL_STORE_RUN_NOT_FOUND",
      });
      expect(await store.createStepRuns([])).toEqual([]);
      await store.finishStepRuns([]);
    });

    it("writes a list of ends of every kind in order, as one at a time would", async () => {
      const run = await newRun();
      const [early, made, reused, twice] = (await store.createStepRuns([
        { runId: run.id, stepId: "early" },
        { runId: run.id, stepId: "prepare" },
        { runId: run.id, stepId: "train" },
        { runId: run.id, stepId: "eval" },
      ])) as [number, number, number, number];
      const prepared = { data: { digest: d("c"), directory: false } };
      await store.finishStepRuns([
        { stepRunId: twice, status: "skipped", error: "ended twice", endedAt: 10 },
        // Before the entry is made: it names no step run.
        { stepRunId: early, status: "cached", cacheKey: "k-made", outputs: prepared, endedAt: 15 },
        {
          stepRunId: made,
          status: "succeeded",
          cacheKey: "k-made",
          components: components(),
          reusable: true,
          outputs: prepared,
          // Named twice: what the first leaves unknown, the second gives.
          artifacts: [{ digest: d("c") }, { digest: d("c"), kind: "file", size: 5 }],
          endedAt: 20,
        },
        // After it: the end before it made the entry.
        {
          stepRunId: reused,
          status: "cached",
          cacheKey: "k-made",
          inputs: prepared,
          outputs: prepared,
          endedAt: 30,
        },
        { stepRunId: twice, status: "cached", cacheKey: "k-made", outputs: prepared, endedAt: 40 },
      ]);
      const step = (id: string) => store.getStepRun(run.id, id);
      expect((await step("early")).reusedFrom).toBeUndefined();
      expect(await step("early")).toMatchObject({ status: "cached", cacheKey: "k-made", endedAt: 15 });
      for (const [id, endedAt] of [
        ["train", 30],
        ["eval", 40],
      ] as const)
        expect(await step(id)).toMatchObject({
          status: "cached",
          cacheKey: "k-made",
          endedAt,
          reusedFrom: { runId: run.id, stepRunId: made },
        });
      expect(await store.getArtifact(d("c"))).toMatchObject({ digest: d("c"), kind: "file", size: 5 });
      expect(await store.getOutputs(reused)).toEqual(prepared);
    });

    it("creates step runs the cache answered in their end state, as createStepRun and finishStepRun would", async () => {
      const first = await newRun();
      const prepared = { data: { digest: d("a"), directory: true } };
      const trained = { model: { digest: d("b"), directory: false, name: "model.pt" } };
      const end = { status: "succeeded" as const, components: components(), reusable: true };
      const prepare = await store.createStepRun({ runId: first.id, stepId: "prepare" });
      await store.finishStepRun(prepare.id, { ...end, cacheKey: "k-prepare", outputs: prepared });
      const train = await store.createStepRun({ runId: first.id, stepId: "train", instance: 1 });
      await store.finishStepRun(train.id, {
        ...end,
        cacheKey: "k-train",
        inputs: prepared,
        outputs: trained,
      });
      const answers: Array<{
        stepId: string;
        instance?: number;
        cacheKey: string;
        inputs?: Record<string, StoredValue>;
        outputs: Record<string, StoredValue>;
        endedAt: number;
      }> = [
        { stepId: "prepare", cacheKey: "k-prepare", outputs: prepared, endedAt: 50 },
        {
          stepId: "train",
          instance: 1,
          cacheKey: "k-train",
          inputs: prepared,
          outputs: trained,
          endedAt: 60,
        },
        // A key with no entry: it names no step run.
        {
          stepId: "eval",
          cacheKey: "k-none",
          inputs: { model: trained.model, k: { json: "3" } },
          outputs: {},
          endedAt: 70,
        },
      ];
      const version = { pipelineVersionId: first.pipelineVersionId, runtime: "local" };

      // Made the way a run recorded them before: queued, then ended.
      const before = await store.createRun(version);
      const queued = await store.createStepRuns([
        { runId: before.id, stepId: "load" },
        ...answers.map((a) => ({ runId: before.id, stepId: a.stepId, instance: a.instance ?? -1 })),
      ]);
      await store.finishStepRuns(
        answers.map(({ stepId: _step, instance: _instance, ...a }, i) => ({
          ...a,
          stepRunId: queued[i + 1] as number,
          status: "cached" as const,
        })),
      );

      // Made in their end state; a step run named twice is the first one given, and one that
      // exists stays as it is.
      const after = await store.createRun(version);
      const existing = await store.createStepRun({ runId: after.id, stepId: "eval", createdAt: 10 });
      const [answer0, answer1] = answers as [(typeof answers)[0], (typeof answers)[0]];
      const ids = await store.createStepRuns([
        { runId: after.id, stepId: "load" },
        ...answers.map((a) => ({ ...a, runId: after.id, status: "cached" as const })),
        { ...answer0, runId: after.id, status: "cached", cacheKey: "k-other", endedAt: 99 },
      ]);
      expect(ids[3]).toBe(existing.id);
      expect(ids[4]).toBe(ids[1]);
      const shown = async (runId: string) =>
        Promise.all(
          (await store.listStepRuns(runId)).map(async ({ id, runId: _run, createdAt: _at, ...s }) => ({
            ...s,
            inputs: await store.getInputs(id),
            outputs: await store.getOutputs(id),
          })),
        );
      const [made, old] = [await shown(after.id), await shown(before.id)];
      expect(made.filter((s) => s.stepId !== "eval")).toEqual(old.filter((s) => s.stepId !== "eval"));
      expect(made.map((s) => [s.stepId, s.status])).toEqual([
        ["eval", "queued"],
        ["load", "queued"],
        ["prepare", "cached"],
        ["train", "cached"],
      ]);
      expect(old.find((s) => s.stepId === "eval")).toMatchObject({ status: "cached", cacheKey: "k-none" });
      expect(old.find((s) => s.stepId === "eval")?.reusedFrom).toBeUndefined();
      expect(await store.getStepRun(after.id, "train", 1)).toMatchObject({
        status: "cached",
        cacheKey: "k-train",
        endedAt: 60,
        reusedFrom: { runId: first.id, stepRunId: train.id },
      });
      const lineage = await store.lineage(d("b"));
      expect(lineage.producedBy.map((e) => e.stepRunId).sort()).toEqual([train.id, queued[2], ids[2]].sort());
      expect(lineage.consumedBy.map((e) => e.stepRunId)).toEqual([queued[3]]);

      // One at a time, alike.
      const single = await store.createRun(version);
      const one = await store.createStepRun({ ...answer1, runId: single.id, status: "cached" });
      expect(one).toMatchObject({
        stepId: "train",
        instance: 1,
        status: "cached",
        cacheKey: "k-train",
        endedAt: 60,
        reusedFrom: { runId: first.id, stepRunId: train.id },
      });
      expect(await store.getInputs(one.id)).toEqual(prepared);
      expect(await store.getOutputs(one.id)).toEqual(trained);

      // A cached step run names its key, and only a cached one is created with values; a list
      // with one that cannot be made makes none.
      const refused = await store.createRun(version);
      await expect(
        store.createStepRuns([{ runId: refused.id, stepId: "prepare", status: "cached", outputs: prepared }]),
      ).rejects.toMatchObject({ code: "CANAL_STORE_INVALID_RECORD" });
      await expect(
        store.createStepRun({ runId: refused.id, stepId: "prepare", outputs: prepared }),
      ).rejects.toMatchObject({ code: "CANAL_STORE_INVALID_RECORD" });
      await expect(
        store.createStepRuns([
          { ...answer0, runId: refused.id, status: "cached" },
          { runId: "run-nope", stepId: "x", status: "cached", cacheKey: "k" },
        ]),
      ).rejects.toMatchObject({ code: "CANAL_STORE_RUN_NOT_FOUND" });
      expect(await store.listStepRuns(refused.id)).toEqual([]);
      expect((await store.lineage(d("a"))).producedBy.map((e) => e.stepRunId).sort()).toEqual(
        [prepare.id, queued[1], ids[1]].sort(),
      );
    });

    it("finds the last cache entry of a step, by pipeline, instance and time", async () => {
      const iris = await newRun("iris");
      const other = await newRun("other");
      const put = async (runId: string, stepId: string, instance: number, key: string, createdAt: number) => {
        const stepRun = await store.createStepRun({ runId, stepId, instance });
        await store.putCacheEntry({
          key,
          outputs: {},
          components: components({ k: key }),
          stepRunId: stepRun.id,
          createdAt,
        });
      };
      await put(iris.id, "train", 0, "k0-old", 100);
      await put(iris.id, "train", 1, "k1", 150);
      const later = await store.createRun({ pipelineVersionId: iris.pipelineVersionId, runtime: "local" });
      await put(later.id, "train", 0, "k0-new", 200);
      await put(other.id, "train", 0, "other-pipeline", 300);

      expect((await store.lastCacheEntryForStep("iris", "train"))?.key).toBe("k0-new");
      expect((await store.lastCacheEntryForStep("iris", "train", { instance: 1 }))?.key).toBe("k1");
      expect((await store.lastCacheEntryForStep("iris", "train", { instance: 0, before: 200 }))?.key).toBe(
        "k0-old",
      );
      expect((await store.lastCacheEntryForStep("other", "train"))?.key).toBe("other-pipeline");
      expect(await store.lastCacheEntryForStep("iris", "prepare")).toBeUndefined();
    });

    it("names the other workspaces of the store that hold a cache entry for a key, by time", async () => {
      const put = async (on: MetadataStore, key: string, createdAt: number) => {
        const version = await on.registerPipelineVersion({ pipeline: "iris", hash: "iris-hash", ir: "{}" });
        const run = await on.createRun({ pipelineVersionId: version.id, runtime: "local" });
        const stepRun = await on.createStepRun({ runId: run.id, stepId: "train" });
        await on.putCacheEntry({
          key,
          outputs: {},
          components: components(),
          stepRunId: stepRun.id,
          createdAt,
        });
      };
      const ci = await fixture.open("ci");
      const alice = await fixture.open("alice");
      try {
        await put(ci, "k-shared", 200);
        await put(alice, "k-shared", 100);
        await put(alice, "k-alice", 100);
        // This workspace's own entry is not another's.
        await put(store, "k-shared", 50);
        expect(await store.workspacesWithCacheEntry("k-shared")).toEqual(["alice", "ci"]);
        expect(await store.workspacesWithCacheEntry("k-shared", { before: 200 })).toEqual(["alice"]);
        expect(await store.workspacesWithCacheEntry("k-shared", { before: 100 })).toEqual([]);
        expect(await store.workspacesWithCacheEntry("k-alice")).toEqual(["alice"]);
        expect(await ci.workspacesWithCacheEntry("k-shared")).toEqual(["alice", "team"]);
        expect(await alice.workspacesWithCacheEntry("k-alice")).toEqual([]);
        expect(await store.workspacesWithCacheEntry("k-none")).toEqual([]);
        // Inside a unit too.
        expect(await store.transaction((tx) => tx.workspacesWithCacheEntry("k-shared"))).toEqual([
          "alice",
          "ci",
        ]);
      } finally {
        await ci.close();
        await alice.close();
      }
    });

    it("traces an artifact to the step runs that produced, reused and consumed it", async () => {
      const run1 = await newRun("iris", 1000);
      const prep = await store.createStepRun({ runId: run1.id, stepId: "prepare" });
      const train = await store.createStepRun({ runId: run1.id, stepId: "train", instance: 0 });
      const compare = await store.createStepRun({ runId: run1.id, stepId: "compare" });
      await store.finishStepRun(prep.id, {
        status: "succeeded",
        endedAt: 1100,
        cacheKey: "kp",
        components: components(),
        reusable: true,
        outputs: { prepped: { digest: d("a"), directory: true } },
      });
      await store.finishStepRun(train.id, {
        status: "succeeded",
        endedAt: 1200,
        inputs: { prepped: { digest: d("a"), directory: true } },
        outputs: { model: { digest: d("b"), directory: false } },
      });
      await store.finishStepRun(compare.id, {
        status: "succeeded",
        endedAt: 1300,
        inputs: { models: { digests: [d("b")] } },
      });
      const run2 = await store.createRun({ pipelineVersionId: run1.pipelineVersionId, runtime: "local" });
      const prep2 = await store.createStepRun({ runId: run2.id, stepId: "prepare" });
      await store.finishStepRun(prep2.id, {
        status: "cached",
        endedAt: 2000,
        cacheKey: "kp",
        outputs: { prepped: { digest: d("a"), directory: true } },
      });

      const prepped = await store.lineage(d("a"));
      expect(prepped.producedBy.map((e) => [e.runId, e.stepId, e.name, e.status])).toEqual([
        [run1.id, "prepare", "prepped", "succeeded"],
        [run2.id, "prepare", "prepped", "cached"],
      ]);
      expect(prepped.consumedBy.map((e) => [e.stepId, e.instance, e.name])).toEqual([
        ["train", 0, "prepped"],
      ]);
      expect(prepped.artifact).toMatchObject({ digest: d("a"), kind: "directory" });

      const model = await store.lineage(d("b"));
      expect(model.producedBy.map((e) => e.stepRunId)).toEqual([train.id]);
      expect(model.consumedBy.map((e) => [e.stepId, e.name])).toEqual([["compare", "models"]]);
      // Known only by reference first (a fan-in list names no kind): later facts fill the gaps,
      // and never overwrite what an earlier writer recorded.
      await store.recordArtifacts([
        { digest: d("b"), size: 42, mediaType: "application/octet-stream", kind: "directory" },
      ]);
      await store.recordArtifacts([{ digest: d("b"), size: 99 }]);
      expect(await store.getArtifact(d("b"))).toMatchObject({ kind: "file", size: 42 });
      expect(await store.lineage(d("9"))).toEqual({ producedBy: [], consumedBy: [] });
    });

    it("lists runs newest first, filtered by pipeline and status", async () => {
      const a1 = await newRun("a", 100);
      const b1 = await newRun("b", 200);
      const a2 = await newRun("a", 300);
      const tie = await store.createRun({
        pipelineVersionId: a2.pipelineVersionId,
        runtime: "local",
        createdAt: 300,
      });
      await store.updateRun(a1.id, { status: "failed", error: "boom" });
      await store.updateRun(b1.id, { status: "succeeded" });
      const ids = (runs: Array<{ id: string }>) => runs.map((r) => r.id);
      const newestAtTie = [a2.id, tie.id].sort().reverse();

      expect(ids(await store.listRuns())).toEqual([...newestAtTie, b1.id, a1.id]);
      expect(ids(await store.listRuns({ pipeline: "a" }))).toEqual([...newestAtTie, a1.id]);
      expect(ids(await store.listRuns({ status: "failed" }))).toEqual([a1.id]);
      expect(ids(await store.listRuns({ status: ["failed", "succeeded"] }))).toEqual([b1.id, a1.id]);
      expect(ids(await store.listRuns({ pipeline: "b", status: "queued" }))).toEqual([]);
      expect(ids(await store.listRuns({ limit: 2 }))).toEqual(newestAtTie);
      expect((await store.getRun(a1.id)).error).toBe("boom");
    });

    it("pages runs by keyset: each page starts after the last run of the one before, ties by id", async () => {
      const made = [
        await newRun("a", 100),
        await newRun("a", 200),
        await newRun("a", 200),
        await newRun("a", 300),
      ];
      const expected = [...made]
        .sort((x, y) => y.createdAt - x.createdAt || (x.id < y.id ? 1 : -1))
        .map((r) => r.id);
      const seen: string[] = [];
      let before: { createdAt: number; id: string } | undefined;
      for (;;) {
        const page = await store.listRuns({ pipeline: "a", limit: 2, ...(before ? { before } : {}) });
        if (page.length === 0) break;
        seen.push(...page.map((r) => r.id));
        const last = page[page.length - 1] as { createdAt: number; id: string };
        before = { createdAt: last.createdAt, id: last.id };
      }
      expect(seen).toEqual(expected);
    });

    it("publishes endpoint versions, numbered per endpoint, and keeps their pipeline versions referenced", async () => {
      const v1 = await store.registerPipelineVersion({ pipeline: "iris", hash: "h1", ir: "{}" });
      const v2 = await store.registerPipelineVersion({ pipeline: "iris", hash: "h2", ir: "{}" });
      const first = await store.publishEndpoint({
        endpoint: "score",
        pipelineVersionId: v1.id,
        publishedBy: "ana",
      });
      expect(first).toMatchObject({ name: "score", defaultVersion: 1 });
      expect(first.versions).toMatchObject([
        { version: 1, pipeline: "iris", pipelineHash: "h1", publishedBy: "ana" },
      ]);
      const second = await store.publishEndpoint({ endpoint: "score", pipelineVersionId: v2.id });
      expect(second.defaultVersion).toBe(1);
      expect(second.versions.map((v) => v.version)).toEqual([1, 2]);
      const third = await store.publishEndpoint({
        endpoint: "score",
        pipelineVersionId: v2.id,
        makeDefault: true,
      });
      expect(third.defaultVersion).toBe(3);
      expect((await store.setDefaultVersion("score", 2))?.defaultVersion).toBe(2);
      expect(await store.setDefaultVersion("score", 9)).toBeUndefined();
      expect((await store.getEndpoint("score"))?.defaultVersion).toBe(2);
      await store.publishEndpoint({ endpoint: "other", pipelineVersionId: v1.id });
      expect((await store.listEndpoints()).map((e) => [e.name, e.versions.length])).toEqual([
        ["other", 1],
        ["score", 3],
      ]);
      expect(await store.getEndpoint("nope")).toBeUndefined();
      await expect(store.publishEndpoint({ endpoint: "x", pipelineVersionId: 987654 })).rejects.toMatchObject(
        {
          code: "CANAL_STORE_PIPELINE_VERSION_NOT_FOUND",
        },
      );
      // No run ran these versions, yet `canal gc` must keep their artifacts: an endpoint publishes them.
      const refs = await store.references();
      expect(
        refs.pipelineVersions
          .filter((v) => v.hasRuns)
          .map((v) => v.hash)
          .sort(),
      ).toEqual(["h1", "h2"]);
      const other = await fixture.open("elsewhere");
      expect(await other.listEndpoints()).toEqual([]);
      await other.close();
    });

    it("starts an attempt that two connections start at once: each gets the one attempt", async () => {
      const run = await newRun();
      const twin = await fixture.open("team");
      const ids = (await store.createStepRuns(
        Array.from({ length: 20 }, (_, i) => ({ runId: run.id, stepId: `step${i}` })),
      )) as number[];
      try {
        const started = await Promise.all(
          ids.map((id) => Promise.all([store.startAttempt(id, 1, 5), twin.startAttempt(id, 1, 9)])),
        );
        for (const [one, other] of started) expect(other).toEqual(one);
      } finally {
        await twin.close();
      }
      for (const id of ids) expect(await store.listAttempts(id)).toHaveLength(1);
    });

    it("keeps API tokens by hash: found until revoked, listed without secrets, per workspace", async () => {
      const token = await store.createToken({
        id: "tok-000000000001",
        hash: d("a"),
        role: "launcher",
        endpoint: "score",
        name: "ci",
        createdBy: "ana",
      });
      expect(token).toMatchObject({
        id: "tok-000000000001",
        role: "launcher",
        endpoint: "score",
        name: "ci",
      });
      expect(JSON.stringify(token)).not.toContain(d("a"));
      expect(await store.findToken(d("a"))).toMatchObject({ id: token.id, role: "launcher" });
      expect(await store.findToken(d("b"))).toBeUndefined();
      const other = await fixture.open("elsewhere");
      expect(await other.findToken(d("a"))).toBeUndefined();
      await other.close();
      const revoked = await store.revokeToken(token.id);
      expect(revoked?.revokedAt).toBeGreaterThan(0);
      expect(await store.findToken(d("a"))).toBeUndefined();
      expect(await store.revokeToken("tok-ffffffffffff")).toBeUndefined();
      expect((await store.listTokens()).map((t) => [t.id, t.revokedAt !== undefined])).toEqual([
        [token.id, true],
      ]);
    });

    describe("schedules", () => {
      const cron = { endpoint: "score", kind: "cron" as const, cron: "0 3 * * *", timezone: "Europe/Madrid" };

      it("keeps schedules by name per workspace, edits them with a new revision, deletes them with their ticks", async () => {
        const made = await store.createSchedule({
          ...cron,
          name: "nightly",
          catchUp: "latest",
          parameters: { count: 3 },
          experiment: "nightly",
          createdBy: "ana",
          createdAt: 1_000,
        });
        expect(made).toMatchObject({
          name: "nightly",
          endpoint: "score",
          kind: "cron",
          cron: "0 3 * * *",
          timezone: "Europe/Madrid",
          catchUp: "latest",
          parameters: { count: 3 },
          experiment: "nightly",
          paused: false,
          anchorAt: 1_000,
          cursorAt: 1_000,
          revision: 1,
          createdBy: "ana",
        });
        await expect(store.createSchedule({ ...cron, name: "nightly" })).rejects.toMatchObject({
          code: "CANAL_STORE_SCHEDULE_EXISTS",
        });
        const data = await store.createSchedule({
          name: "on-drop",
          endpoint: "score",
          kind: "data",
          datastore: "raw",
          path: "in/**",
          debounceMs: 60_000,
          pathsParam: "changed",
          state: "{}",
        });
        expect(data).toMatchObject({
          kind: "data",
          datastore: "raw",
          path: "in/**",
          debounceMs: 60_000,
          catchUp: "none",
        });
        expect((await store.listSchedules()).map((s) => s.name)).toEqual(["nightly", "on-drop"]);
        const other = await fixture.open("elsewhere");
        expect(await other.listSchedules()).toEqual([]);
        expect(await other.getSchedule("nightly")).toBeUndefined();
        // Another workspace cannot claim a tick of this one's schedule.
        expect(
          await other.claimTick({ scheduleId: made.id, scheduledAt: 5, status: "claimed" }),
        ).toBeUndefined();
        await other.close();

        const edited = await store.updateSchedule("nightly", {
          cron: "0 4 * * *",
          paused: true,
          experiment: null,
          reanchorAt: 9_000,
          at: 9_000,
        });
        expect(edited).toMatchObject({
          cron: "0 4 * * *",
          paused: true,
          anchorAt: 9_000,
          cursorAt: 9_000,
          revision: 2,
        });
        expect(edited?.experiment).toBeUndefined();
        expect(await store.updateSchedule("nope", { paused: true })).toBeUndefined();

        await store.claimTick({ scheduleId: made.id, scheduledAt: 10_000, status: "missed", reason: "down" });
        expect(await store.deleteSchedule("nightly")).toBe(true);
        expect(await store.deleteSchedule("nightly")).toBe(false);
        expect(await store.listTicks(made.id)).toEqual([]);
        expect((await store.listSchedules()).map((s) => s.name)).toEqual(["on-drop"]);
      });

      it("records a slot's tick once: a second claim of the slot, from any connection, gets nothing", async () => {
        const schedule = await store.createSchedule({ ...cron, name: "nightly" });
        const claimed = await store.claimTick({
          scheduleId: schedule.id,
          scheduledAt: 3_600_000,
          status: "claimed",
          host: "a",
          pid: 1,
          at: 3_600_010,
        });
        expect(claimed).toMatchObject({
          scheduledAt: 3_600_000,
          status: "claimed",
          host: "a",
          pid: 1,
          claimedAt: 3_600_010,
        });
        expect(claimed?.endedAt).toBeUndefined();
        const elsewhere = await fixture.open("team");
        expect(
          await elsewhere.claimTick({ scheduleId: schedule.id, scheduledAt: 3_600_000, status: "claimed" }),
        ).toBeUndefined();
        const fired = await elsewhere.finishTick((claimed as { id: number }).id, {
          status: "fired",
          runId: "run-x",
          at: 3_600_020,
        });
        expect(fired).toMatchObject({ status: "fired", runId: "run-x", endedAt: 3_600_020 });
        await elsewhere.close();
        await store.claimTick({
          scheduleId: schedule.id,
          scheduledAt: 7_200_000,
          status: "missed",
          reason: "no scheduler ran",
        });
        await store.claimTick({
          scheduleId: schedule.id,
          scheduledAt: 10_800_000,
          status: "claimed",
          paths: ["in/a.csv", "in/b.csv"],
        });
        const ticks = await store.listTicks(schedule.id);
        expect(ticks.map((t) => [t.scheduledAt, t.status])).toEqual([
          [10_800_000, "claimed"],
          [7_200_000, "missed"],
          [3_600_000, "fired"],
        ]);
        expect(ticks[0]?.paths).toEqual(["in/a.csv", "in/b.csv"]);
        expect(ticks[1]).toMatchObject({ reason: "no scheduler ran" });
        expect(ticks[1]?.endedAt).toBeGreaterThan(0);
        expect((await store.listTicks(schedule.id, { limit: 1 })).length).toBe(1);
      });

      it("gives a contended slot to exactly one of many concurrent claimers", async () => {
        const schedule = await store.createSchedule({ ...cron, name: "nightly" });
        const elsewhere = await fixture.open("team");
        const results = await Promise.all(
          [1, 2, 3, 4, 5, 6, 7, 8].map((i) =>
            (i % 2 ? elsewhere : store).claimTick({
              scheduleId: schedule.id,
              scheduledAt: 42_000,
              status: "claimed",
              host: `h${i}`,
            }),
          ),
        );
        expect(results.filter((r) => r !== undefined)).toHaveLength(1);
        expect(await store.listTicks(schedule.id)).toHaveLength(1);
        await elsewhere.close();
      });

      it("moves a schedule's cursor by compare-and-set: never back, and not past someone's change", async () => {
        const schedule = await store.createSchedule({ ...cron, name: "nightly", createdAt: 100 });
        expect(
          await store.advanceSchedule(schedule.id, schedule.revision, { cursorAt: 500, state: "s1" }),
        ).toBe(true);
        const moved = (await store.getSchedule("nightly")) as typeof schedule;
        expect(moved).toMatchObject({ cursorAt: 500, state: "s1", revision: 2, anchorAt: 100 });
        // A stale revision changes nothing.
        expect(await store.advanceSchedule(schedule.id, schedule.revision, { cursorAt: 900 })).toBe(false);
        expect(await store.advanceSchedule(schedule.id, moved.revision, { cursorAt: 300 })).toBe(true);
        expect((await store.getSchedule("nightly"))?.cursorAt).toBe(500);
        const paused = await store.updateSchedule("nightly", { paused: true });
        expect(await store.advanceSchedule(schedule.id, moved.revision + 1 - 1, { cursorAt: 800 })).toBe(
          false,
        );
        expect(paused?.revision).toBe(4);
      });
    });

    it("records who started a run and from which host, and lists runs by them", async () => {
      const first = await newRun("a", 100);
      const ana = await store.createRun({
        pipelineVersionId: first.pipelineVersionId,
        runtime: "local",
        startedBy: "ana",
        host: "laptop-a",
        createdAt: 200,
      });
      const bo = await store.createRun({
        pipelineVersionId: first.pipelineVersionId,
        runtime: "local",
        startedBy: "bo",
        host: "gpu-b",
        createdAt: 300,
      });
      const ids = (runs: Array<{ id: string }>) => runs.map((r) => r.id);
      expect(await store.getRun(ana.id)).toMatchObject({ startedBy: "ana", host: "laptop-a" });
      // A run recorded without them (as before they existed) has neither.
      const older = await store.getRun(first.id);
      expect(older.startedBy).toBeUndefined();
      expect(older.host).toBeUndefined();
      expect(ids(await store.listRuns({ startedBy: "ana" }))).toEqual([ana.id]);
      expect(ids(await store.listRuns({ host: "gpu-b" }))).toEqual([bo.id]);
      expect(ids(await store.listRuns({ startedBy: "ana", host: "gpu-b" }))).toEqual([]);
      expect(ids(await store.listRuns({ startedBy: "cy" }))).toEqual([]);
    });

    it("reads live log chunks from an offset while they are appended", async () => {
      const run = await newRun();
      const step = await store.createStepRun({ runId: run.id, stepId: "train" });
      await store.startAttempt(step.id, 1);
      // A second connection, as `canal logs -f` in another process would have.
      const reader = await fixture.open("team");
      const lines = Array.from({ length: 200 }, (_, i) => `line ${i}\n`);
      const writing = (async () => {
        for (const [i, line] of lines.entries()) {
          await store.appendLog(step.id, 1, i % 5 === 0 ? "stderr" : "stdout", line);
          if (i % 7 === 0) await new Promise((r) => setImmediate(r));
        }
      })();
      let text = "";
      let from = 0;
      let reads = 0;
      while (text.length < lines.join("").length) {
        const page = await reader.readLog(step.id, 1, from, 16);
        text += page.chunks.map((c) => c.text).join("");
        expect(page.chunks.map((c) => c.seq)).toEqual(page.chunks.map((_, i) => from + i));
        from = page.next;
        reads++;
        await new Promise((r) => setImmediate(r));
      }
      await writing;
      await reader.close();
      expect(text).toBe(lines.join(""));
      expect(reads).toBeGreaterThan(1);
      expect(await store.readLog(step.id, 1, 198)).toMatchObject({ next: 200 });
      expect(await store.readLog(step.id, 1, 200)).toEqual({ chunks: [], next: 200 });
      await expect(store.appendLog(step.id, 2, "stdout", "x")).rejects.toMatchObject({
        code: "CANAL_STORE_INVALID_RECORD",
        message: expect.stringContaining("attempt 2 of step `train`"),
      });
    });

    it("says which run is missing and how to list them", async () => {
      await expect(store.getRun("run-x")).rejects.toMatchObject({
        code: "CANAL_STORE_RUN_NOT_FOUND",
        message: `no run \`run-x\` in workspace ${fixture.location}; \`canal runs\` lists them`,
      });
      const run = await newRun();
      await expect(store.getStepRun(run.id, "train", 2)).rejects.toMatchObject({
        code: "CANAL_STORE_STEP_RUN_NOT_FOUND",
        message: expect.stringContaining(`run \`${run.id}\` has no step \`train[2]\``),
      });
      await expect(store.createRun({ pipelineVersionId: 999, runtime: "local" })).rejects.toMatchObject({
        code: "CANAL_STORE_PIPELINE_VERSION_NOT_FOUND",
      });
      await expect(store.createStepRun({ runId: "run-nope", stepId: "a" })).rejects.toMatchObject({
        code: "CANAL_STORE_RUN_NOT_FOUND",
      });
    });

    it("records a cancel request once, for every connection and no other workspace to read", async () => {
      const run = await newRun();
      const quiet = await newRun("wine");
      expect(await store.readRunControl([run.id, quiet.id])).toEqual([]);
      const first = await store.requestCancel(run.id, { by: "ana@laptop", reason: "wrong data", at: 5000 });
      expect(first).toEqual({ at: 5000, by: "ana@laptop", reason: "wrong data" });
      // A second machine's connection to the same store reads it, and asking again keeps the first.
      const elsewhere = await fixture.open("team");
      expect(await elsewhere.requestCancel(run.id, { by: "bo@server", at: 6000 })).toEqual(first);
      expect(await elsewhere.readRunControl([run.id, quiet.id])).toEqual([{ runId: run.id, cancel: first }]);
      await elsewhere.close();
      expect(await store.requestCancel(quiet.id)).toEqual({ at: expect.any(Number) });
      await expect(store.requestCancel("run-nope")).rejects.toMatchObject({
        code: "CANAL_STORE_RUN_NOT_FOUND",
      });
      const other = await fixture.open("other");
      expect(await other.readRunControl([run.id])).toEqual([]);
      await expect(other.requestCancel(run.id)).rejects.toMatchObject({ code: "CANAL_STORE_RUN_NOT_FOUND" });
      await other.close();
    });

    it("writes a driver's heartbeat, replaces it with the next and reads how old it is", async () => {
      const run = await newRun();
      const at = Date.now() - 60_000;
      await store.recordHeartbeat(run.id, { host: "gpu-01", pid: 4242, intervalMs: 5000, at });
      const [read] = await store.readRunControl([run.id]);
      expect(read).toEqual({
        runId: run.id,
        heartbeat: { host: "gpu-01", pid: 4242, intervalMs: 5000, at, ageMs: expect.any(Number) },
      });
      expect(read?.heartbeat?.ageMs).toBeGreaterThanOrEqual(60_000);
      // The next beat replaces it, and a cancel request recorded since stays beside it.
      await store.requestCancel(run.id, { by: "ana@laptop", at: at + 1 });
      await store.recordHeartbeat(run.id, { host: "gpu-01", pid: 4242, intervalMs: 5000 });
      const [fresh] = await store.readRunControl([run.id]);
      expect(fresh?.heartbeat?.ageMs).toBeLessThan(60_000);
      expect(fresh?.heartbeat?.at).toBeGreaterThan(at);
      expect(fresh?.cancel).toEqual({ at: at + 1, by: "ana@laptop" });
      await expect(
        store.recordHeartbeat("run-nope", { host: "gpu-01", pid: 1, intervalMs: 5000 }),
      ).rejects.toMatchObject({ code: "CANAL_STORE_RUN_NOT_FOUND" });
      // Forgotten with its run.
      await store.updateRun(run.id, { status: "canceled", endedAt: Date.now() });
      expect(await store.deleteRuns([run.id])).toEqual([run.id]);
      expect(await store.readRunControl([run.id])).toEqual([]);
    });

    it("keeps a run's runtime key for every connection to read, the first one kept, until it is dropped", async () => {
      const run = await newRun();
      const key = "0123456789abcdef0123456789abcdef";
      expect(await store.readRunKey(run.id, "slurm")).toBeUndefined();
      expect(await store.keepRunKey(run.id, "slurm", key)).toBe(key);
      // A second target of the run keeps the first key: its jobs carry the same tag.
      expect(await store.keepRunKey(run.id, "slurm", "f".repeat(32))).toBe(key);
      expect(await store.readRunKey(run.id, "docker")).toBeUndefined();
      // Another checkout of the same store (a cancel from another machine) reads it, and drops it.
      const elsewhere = await fixture.open("team");
      expect(await elsewhere.readRunKey(run.id, "slurm")).toBe(key);
      await elsewhere.dropRunKey(run.id, "slurm");
      await elsewhere.dropRunKey(run.id, "slurm");
      await elsewhere.close();
      expect(await store.readRunKey(run.id, "slurm")).toBeUndefined();
      await expect(store.keepRunKey("run-nope", "slurm", key)).rejects.toMatchObject({
        code: "CANAL_STORE_RUN_NOT_FOUND",
      });
      // Another workspace of the store neither reads, keeps nor drops it.
      await store.keepRunKey(run.id, "slurm", key);
      const other = await fixture.open("other");
      expect(await other.readRunKey(run.id, "slurm")).toBeUndefined();
      await expect(other.keepRunKey(run.id, "slurm", key)).rejects.toMatchObject({
        code: "CANAL_STORE_RUN_NOT_FOUND",
      });
      await other.dropRunKey(run.id, "slurm");
      await other.close();
      expect(await store.readRunKey(run.id, "slurm")).toBe(key);
      // Forgotten with its run.
      await store.updateRun(run.id, { status: "canceled", endedAt: Date.now() });
      expect(await store.deleteRuns([run.id])).toEqual([run.id]);
      expect(await store.readRunKey(run.id, "slurm")).toBeUndefined();
    });

    it("lets one run claim a cache key: another loses and is told who holds it, until it is released", async () => {
      const a = await newRun();
      const b = await newRun();
      const key = d("c");
      const claimA = { runId: a.id, host: "gpu-01", pid: 4242, ttlMs: 60_000 };
      const claimB = { runId: b.id, host: "laptop", pid: 77, ttlMs: 60_000 };
      expect(await store.claimStep(key, claimA)).toEqual({ won: true });
      // A second machine's connection loses, and learns whose driver executes the step.
      const elsewhere = await fixture.open("team");
      const lost = await elsewhere.claimStep(key, claimB);
      expect(lost).toEqual({
        won: false,
        holder: {
          runId: a.id,
          host: "gpu-01",
          pid: 4242,
          claimedAt: expect.any(Number),
          expiresInMs: expect.any(Number),
        },
      });
      if (lost.won) throw new Error("unreachable");
      expect(lost.holder.expiresInMs).toBeGreaterThan(50_000);
      expect(lost.holder.expiresInMs).toBeLessThanOrEqual(60_000);
      // The holder's own second instance under the key loses too: it waits for the first.
      expect(await store.claimStep(key, claimA)).toMatchObject({ won: false, holder: { runId: a.id } });
      // Another key is free; another workspace's key of the same name is its own.
      expect(await elsewhere.claimStep(d("e"), claimB)).toEqual({ won: true });
      const other = await fixture.open("other");
      const theirs = await other.registerPipelineVersion({ pipeline: "iris", hash: "h", ir: "{}" });
      const run = await other.createRun({ pipelineVersionId: theirs.id, runtime: "local" });
      expect(await other.claimStep(key, { ...claimB, runId: run.id })).toEqual({ won: true });
      await other.close();
      // Releasing by a run that does not hold it changes nothing.
      expect(await elsewhere.releaseStep(key, b.id)).toBe(false);
      expect(await elsewhere.claimStep(key, claimB)).toMatchObject({ won: false, holder: { runId: a.id } });
      // Released by its holder (in a unit, as a step's end is recorded): the next claim wins.
      expect(await store.transaction((tx) => tx.releaseStep(key, a.id))).toBe(true);
      expect(await store.releaseStep(key, a.id)).toBe(false);
      expect(await elsewhere.claimStep(key, claimB)).toEqual({ won: true });
      expect(await store.claimStep(key, claimA)).toMatchObject({
        won: false,
        holder: { runId: b.id, host: "laptop", pid: 77 },
      });
      await elsewhere.close();
    });

    it("releases a run's claims on many keys at once, and leaves the claims of others", async () => {
      const a = await newRun();
      const b = await newRun();
      const claim = (run: { id: string }) => ({ runId: run.id, host: "gpu-01", pid: 1, ttlMs: 60_000 });
      const [k1, k2, k3] = [d("1"), d("2"), d("3")];
      expect(await store.claimStep(k1, claim(a))).toEqual({ won: true });
      expect(await store.claimStep(k2, claim(a))).toEqual({ won: true });
      expect(await store.claimStep(k3, claim(b))).toEqual({ won: true });
      const elsewhere = await fixture.open("elsewhere");
      // Another workspace's run of the same id holds nothing here.
      expect(await elsewhere.releaseSteps([k1, k2], a.id)).toBe(0);
      // A key named twice is released once; b's claim and a key nobody claimed stay as they are.
      expect(await store.transaction((tx) => tx.releaseSteps([k1, k2, k1, k3, d("4")], a.id))).toBe(2);
      expect(await store.claimStep(k1, claim(b))).toEqual({ won: true });
      expect(await store.claimStep(k2, claim(b))).toEqual({ won: true });
      expect(await store.claimStep(k3, claim(a))).toMatchObject({ won: false, holder: { runId: b.id } });
      expect(await store.releaseSteps([], b.id)).toBe(0);
      expect(await store.releaseSteps([k1, k2, k3], b.id)).toBe(3);
      expect(await store.claimStep(k3, claim(a))).toEqual({ won: true });
      await elsewhere.close();
    });

    it("hands an expired claim to the next claimer, and keeps a claim its driver's heartbeat renews", async () => {
      const a = await newRun();
      const b = await newRun();
      const key = d("f");
      // A claim that expires almost at once: its driver died, say.
      expect(await store.claimStep(key, { runId: a.id, host: "gpu-01", pid: 1, ttlMs: 1 })).toEqual({
        won: true,
      });
      let taken = await store.claimStep(key, { runId: b.id, host: "laptop", pid: 2, ttlMs: 60_000 });
      while (!taken.won)
        taken = await store.claimStep(key, { runId: b.id, host: "laptop", pid: 2, ttlMs: 60_000 });
      expect(await store.claimStep(key, { runId: a.id, host: "gpu-01", pid: 1, ttlMs: 1 })).toMatchObject({
        won: false,
        holder: { runId: b.id },
      });
      // The old holder's release is a no-op now: the claim is b's.
      expect(await store.releaseStep(key, a.id)).toBe(false);
      // Time passes; b's driver beats, and its claim has its whole time to live again.
      const left = async () => {
        const seen = await store.claimStep(key, { runId: a.id, host: "gpu-01", pid: 1, ttlMs: 1 });
        if (seen.won) throw new Error("b's claim expired");
        return seen.holder.expiresInMs;
      };
      const before = await left();
      while ((await left()) > before - 50) {
        // Wait for the store's clock to move on.
      }
      await store.recordHeartbeat(b.id, { host: "laptop", pid: 2, intervalMs: 5000 });
      expect(await left()).toBeGreaterThan(before - 50);
      // Forgotten with its run.
      await store.updateRun(b.id, { status: "canceled", endedAt: Date.now() });
      expect(await store.deleteRuns([b.id])).toEqual([b.id]);
      expect(await store.claimStep(key, { runId: a.id, host: "gpu-01", pid: 1, ttlMs: 60_000 })).toEqual({
        won: true,
      });
    });

    it("gives a contended key to exactly one of many concurrent claimers", async () => {
      const runs = await Promise.all([1, 2, 3, 4, 5, 6].map(() => newRun()));
      const elsewhere = await fixture.open("team");
      const key = d("9");
      const results = await Promise.all(
        runs.map((run, i) =>
          (i % 2 ? elsewhere : store).claimStep(key, { runId: run.id, host: `h${i}`, pid: i, ttlMs: 60_000 }),
        ),
      );
      const winners = runs.filter((_, i) => results[i]?.won);
      expect(winners).toHaveLength(1);
      for (const result of results) if (!result.won) expect(result.holder.runId).toBe(winners[0]?.id);
      await elsewhere.close();
    });

    it("keeps workspaces sharing one database apart", async () => {
      const run = await newRun();
      const other = await fixture.open("other");
      expect(await other.listRuns()).toEqual([]);
      await expect(other.getRun(run.id)).rejects.toMatchObject({ code: "CANAL_STORE_RUN_NOT_FOUND" });
      expect(await other.listPipelines()).toEqual([]);
      await other.close();
    });

    it("keeps a version's artifact blob: recorded when new, given to a known version, named as a reference", async () => {
      const bare = await store.registerPipelineVersion({ pipeline: "iris", hash: "h1", ir: "{}" });
      expect(bare.artifactDigest).toBeUndefined();
      const filled = await store.registerPipelineVersion({
        pipeline: "iris",
        hash: "h1",
        ir: "{}",
        artifactDigest: d("a"),
      });
      expect(filled).toMatchObject({ id: bare.id, version: 1, artifactDigest: d("a") });
      expect(await store.registerPipelineVersion({ pipeline: "iris", hash: "h1", ir: "{}" })).toEqual(filled);
      const fresh = await store.registerPipelineVersion({
        pipeline: "iris",
        hash: "h2",
        ir: "{}",
        artifactDigest: d("b"),
      });
      expect(await store.getPipelineVersion(fresh.id)).toMatchObject({ version: 2, artifactDigest: d("b") });
      await store.createRun({ pipelineVersionId: fresh.id, runtime: "local" });
      const references = await store.references();
      // What gc must keep: the artifact of a version that still has runs.
      expect(references.digests).toContain(d("b"));
      expect(references.pipelineVersions).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ hash: "h2", artifactDigest: d("b"), hasRuns: true }),
        ]),
      );
    });

    it("undoes a whole unit when it fails, and rejects with its error", async () => {
      const version = await store.registerPipelineVersion({ pipeline: "iris", hash: "h", ir: "{}" });
      const failure = new Error("the unit broke");
      let inside: string | undefined;
      await expect(
        store.transaction(async (tx) => {
          const run = await tx.createRun({ pipelineVersionId: version.id, runtime: "local" });
          inside = run.id;
          await tx.createStepRun({ runId: run.id, stepId: "train" });
          throw failure;
        }),
      ).rejects.toBe(failure);
      expect(inside).toBeDefined();
      expect(await store.listRuns()).toEqual([]);
      await expect(store.getRun(inside as string)).rejects.toMatchObject({
        code: "CANAL_STORE_RUN_NOT_FOUND",
      });
    });

    it("undoes a unit whose write failed, even when the unit caught the error", async () => {
      const run = await newRun();
      await expect(
        store.transaction(async (tx) => {
          const step = await tx.createStepRun({ runId: run.id, stepId: "train" });
          // No attempt 1 was started: this write fails, and fails the unit with it.
          await tx.appendLog(step.id, 1, "stdout", "lost").catch(() => {});
          await tx.createStepRun({ runId: run.id, stepId: "evaluate" });
        }),
      ).rejects.toMatchObject({ code: "CANAL_STORE_INVALID_RECORD" });
      expect(await store.listStepRuns(run.id)).toEqual([]);
    });

    it("shows a unit its own writes, and others only once it commits", async () => {
      const run = await newRun();
      const other = await fixture.open("team");
      try {
        const result = await store.transaction(async (tx) => {
          const step = await tx.createStepRun({ runId: run.id, stepId: "train" });
          await tx.startAttempt(step.id, 1, 5000);
          expect(await tx.getStepRun(run.id, "train")).toMatchObject({ id: step.id, status: "running" });
          expect(await tx.listAttempts(step.id)).toMatchObject([{ number: 1, status: "running" }]);
          await tx.finishStepRun(step.id, {
            status: "succeeded",
            attempt: { number: 1, status: "succeeded", exitCode: 0 },
            cacheKey: "k-unit",
            components: components(),
            outputs: { n: { json: "1" } },
            reusable: true,
          });
          expect(await tx.getCachedOutputs("k-unit")).toEqual({ n: { json: "1" } });
          // Another handle on the same data reads what is committed: nothing of this unit yet.
          expect(await other.listStepRuns(run.id)).toEqual([]);
          expect(await other.getCachedOutputs("k-unit")).toBeUndefined();
          return step.id;
        });
        expect(await other.listStepRuns(run.id)).toMatchObject([{ id: result, status: "succeeded" }]);
        expect(await store.getCachedOutputs("k-unit")).toEqual({ n: { json: "1" } });
      } finally {
        await other.close();
      }
    });

    it("commits concurrent units from two handles whole, each seeing the other's writes or none", async () => {
      const other = await fixture.open("team");
      try {
        let startedB = () => {};
        const bStarted = new Promise<void>((resolve) => {
          startedB = resolve;
        });
        const unit = (handle: MetadataStore, name: string, wait?: Promise<void>) =>
          handle.transaction(async (tx) => {
            const version = await tx.registerPipelineVersion({ pipeline: "iris", hash: name, ir: "{}" });
            if (wait) await wait;
            const run = await tx.createRun({
              id: `run-${name}`,
              pipelineVersionId: version.id,
              runtime: "local",
            });
            for (let i = 0; i < 5; i++) await tx.createStepRun({ runId: run.id, stepId: `s${i}` });
            return version.version;
          });
        const a = unit(store, "a", bStarted);
        const b = unit(other, "b");
        startedB();
        const versions = await Promise.all([a, b]);
        // Each unit numbered its version against what the other committed: no number twice.
        expect([...versions].sort()).toEqual([1, 2]);
        for (const handle of [store, other]) {
          expect((await handle.listPipelineVersions("iris")).map((v) => v.hash).sort()).toEqual(["a", "b"]);
          for (const id of ["run-a", "run-b"]) expect(await handle.listStepRuns(id)).toHaveLength(5);
        }
      } finally {
        await other.close();
      }
    });

    it("refuses a unit's handle once the unit has ended", async () => {
      const run = await newRun();
      let kept: MetadataTransaction | undefined;
      await store.transaction(async (tx) => {
        kept = tx;
      });
      await expect(
        (kept as MetadataTransaction).createStepRun({ runId: run.id, stepId: "late" }),
      ).rejects.toThrow(/after its transaction ended/);
      expect(await store.listStepRuns(run.id)).toEqual([]);
    });

    describe("datasets", () => {
      const file = (path: string, c: string, size = 10) => ({ path, digest: d(c), size });
      const version = (
        name: string,
        digest: string,
        files = [file("a.csv", "a"), file("b/c.csv", "c", 5)],
      ) => ({
        name,
        kind: "file" as const,
        digest: d(digest),
        datastore: "raw",
        pattern: "**/*.csv",
        files,
      });

      it("numbers versions by content: the same digest is the version that has it, a new one the next", async () => {
        const first = await store.registerDatasetVersion({
          ...version("iris", "1"),
          description: "the flowers",
          registeredBy: "ada",
          host: "lab-1",
          createdAt: 1000,
        });
        expect(first.created).toBe(true);
        expect(first.version).toMatchObject({
          name: "iris",
          version: 1,
          kind: "file",
          digest: d("1"),
          datastore: "raw",
          pattern: "**/*.csv",
          fileCount: 2,
          size: 15,
          description: "the flowers",
          registeredBy: "ada",
          host: "lab-1",
          createdAt: 1000,
        });
        const again = await store.registerDatasetVersion({
          ...version("iris", "1"),
          description: "other words",
        });
        expect(again).toEqual({ created: false, version: first.version });
        const second = await store.registerDatasetVersion(version("iris", "2", [file("a.csv", "e", 11)]));
        expect(second.created).toBe(true);
        expect(second.version).toMatchObject({ version: 2, fileCount: 1, size: 11 });
        expect(second.version).not.toHaveProperty("description");
        expect(await store.getDatasetVersion("iris")).toEqual(second.version);
        expect(await store.getDatasetVersion("iris", 1)).toEqual(first.version);
        expect((await store.listDatasetVersions("iris")).map((v) => v.version)).toEqual([2, 1]);
        expect(await store.getDatasetFiles(first.version.id)).toEqual([
          file("a.csv", "a"),
          file("b/c.csv", "c", 5),
        ]);
        expect(await store.getDatasetFiles(second.version.id)).toEqual([file("a.csv", "e", 11)]);
      });

      it("pages a version's files by their bytes, whatever the database's collation", async () => {
        // By UTF-8 bytes: "Z" < "a" < "z" < "\uFFFD" < an astral character; UTF-16 puts the astral
        // one before "\uFFFD", and a locale's collation "a" before "Z".
        const byBytes = ["Z", "a", "b/c", "z", "\uFFFD", "\u{1F600}.csv"];
        const { version: v } = await store.registerDatasetVersion(
          version(
            "pages",
            "9",
            byBytes.map((path) => file(path, "f")),
          ),
        );
        expect((await store.getDatasetFiles(v.id)).map((f) => f.path)).toEqual(byBytes);
        const pages: string[][] = [];
        let after: string | undefined;
        for (;;) {
          const page = await store.getDatasetFiles(v.id, { ...(after ? { after } : {}), limit: 2 });
          if (!page.length) break;
          pages.push(page.map((f) => f.path));
          after = page[page.length - 1]?.path;
        }
        expect(pages).toEqual([
          ["Z", "a"],
          ["b/c", "z"],
          ["\uFFFD", "\u{1F600}.csv"],
        ]);
        // After a path that is not there: from the next one there is.
        expect((await store.getDatasetFiles(v.id, { after: "b" })).map((f) => f.path)).toEqual(
          byBytes.slice(2),
        );
        expect(await store.getDatasetFiles(v.id, { after: "\u{1F600}.csv" })).toEqual([]);
        expect(await store.getDatasetFiles(v.id, { limit: 0 })).toEqual([]);
        // A limit that is no count is refused alike by every store (SQLite reads a negative one as none).
        for (const limit of [-1, 1.5, Number.NaN])
          await expect(store.getDatasetFiles(v.id, { limit })).rejects.toMatchObject({
            code: "CANAL_STORE_INVALID_RECORD",
            message: expect.stringContaining(`limit ${limit}`),
          });
      });

      it("keeps a table's format and schema, and lists each dataset with its latest version", async () => {
        const table = {
          format: "csv" as const,
          schema: {
            columns: [
              { name: "id", type: "integer" as const, nullable: false },
              { name: "score", type: "number" as const, nullable: true },
            ],
          },
          schemaSource: "inferred" as const,
        };
        await store.registerDatasetVersion(version("zeta", "3"));
        const registered = await store.registerDatasetVersion({
          ...version("alpha", "4"),
          kind: "table",
          table,
        });
        expect(registered.version.table).toEqual(table);
        await store.registerDatasetVersion(version("zeta", "5"));
        const listed = await store.listDatasets();
        expect(listed.map((s) => [s.name, s.versions, s.latest.version, s.latest.kind])).toEqual([
          ["alpha", 1, 1, "table"],
          ["zeta", 2, 2, "file"],
        ]);
        expect(listed[0]?.latest).toEqual(registered.version);
      });

      it("names what exists when a dataset or a version is not there", async () => {
        await expect(store.getDatasetVersion("iris")).rejects.toMatchObject({
          code: "CANAL_STORE_DATASET_NOT_FOUND",
          message: expect.stringContaining("it has no datasets yet"),
        });
        await store.registerDatasetVersion(version("iris", "1"));
        await store.registerDatasetVersion(version("mnist", "2"));
        await expect(store.getDatasetVersion("irs")).rejects.toMatchObject({
          code: "CANAL_STORE_DATASET_NOT_FOUND",
          message: expect.stringContaining("the datasets are iris, mnist"),
        });
        await expect(store.listDatasetVersions("irs")).rejects.toMatchObject({
          code: "CANAL_STORE_DATASET_NOT_FOUND",
        });
        await expect(store.getDatasetVersion("iris", 3)).rejects.toMatchObject({
          code: "CANAL_STORE_DATASET_VERSION_NOT_FOUND",
          message: expect.stringContaining("dataset iris has no version 3; its versions are 1"),
        });
      });

      it("refuses a record that is not one: a bad name, digest or unsorted files", async () => {
        await expect(store.registerDatasetVersion(version("../x", "1"))).rejects.toMatchObject({
          code: "CANAL_STORE_INVALID_RECORD",
        });
        await expect(
          store.registerDatasetVersion({ ...version("iris", "1"), digest: "abc" }),
        ).rejects.toMatchObject({
          code: "CANAL_STORE_INVALID_RECORD",
        });
        await expect(
          store.registerDatasetVersion(version("iris", "1", [file("b", "1"), file("a", "2")])),
        ).rejects.toMatchObject({
          code: "CANAL_STORE_INVALID_RECORD",
          message: expect.stringContaining("sorted"),
        });
        // A lone surrogate has no UTF-8 form: a store would keep another path than the one given,
        // and two such paths as one.
        await expect(
          store.registerDatasetVersion(version("iris", "1", [file("a\uD800", "1"), file("a\uDC00", "2")])),
        ).rejects.toMatchObject({
          code: "CANAL_STORE_INVALID_RECORD",
          message: expect.stringContaining("lone surrogate"),
        });
        expect(await store.listDatasets()).toEqual([]);
      });

      it("keeps lineage: the runs that read a version and the run that registered one, both ways", async () => {
        const raw = (await store.registerDatasetVersion(version("wine", "1"))).version;
        const model = (await store.registerDatasetVersion(version("wine-model", "2"))).version;
        const reader = await newRun("train");
        const other = await newRun("report");
        await store.recordDatasetUse({
          runId: reader.id,
          versionId: raw.id,
          direction: "input",
          name: "raw",
          createdAt: 1,
        });
        await store.recordDatasetUse({
          runId: reader.id,
          versionId: model.id,
          direction: "output",
          name: "best",
          createdAt: 2,
        });
        await store.recordDatasetUse({
          runId: other.id,
          versionId: raw.id,
          direction: "input",
          name: "data",
          createdAt: 3,
        });
        // Recording a use again changes nothing.
        await store.recordDatasetUse({
          runId: reader.id,
          versionId: raw.id,
          direction: "input",
          name: "raw",
          createdAt: 9,
        });
        const readers = await store.listDatasetUses({ versionId: raw.id });
        expect(readers.map((u) => [u.runId, u.direction, u.name, u.pipeline, u.createdAt])).toEqual([
          [reader.id, "input", "raw", "train", 1],
          [other.id, "input", "data", "report", 3],
        ]);
        expect(readers[0]).toMatchObject({
          dataset: "wine",
          version: 1,
          versionId: raw.id,
          runStatus: reader.status,
        });
        const made = await store.listDatasetUses({ runId: reader.id });
        expect(made.map((u) => [u.direction, u.dataset, u.version])).toEqual([
          ["input", "wine", 1],
          ["output", "wine-model", 1],
        ]);
        // A run's lineage goes with it.
        await store.updateRun(other.id, { status: "succeeded", endedAt: Date.now() });
        expect(await store.deleteRuns([other.id])).toEqual([other.id]);
        expect((await store.listDatasetUses({ versionId: raw.id })).map((u) => u.runId)).toEqual([reader.id]);
      });

      it("keeps each workspace's datasets apart", async () => {
        const other = await fixture.open("other");
        try {
          await store.registerDatasetVersion(version("iris", "1"));
          const theirs = await other.registerDatasetVersion(version("iris", "1"));
          expect(theirs).toMatchObject({ created: true, version: { version: 1 } });
          await other.registerDatasetVersion(version("iris", "2"));
          expect((await store.listDatasets()).map((s) => s.versions)).toEqual([1]);
          expect(await store.getDatasetFiles(theirs.version.id)).toEqual([]);
        } finally {
          await other.close();
        }
      });

      it("gives two registrations of one dataset at once different numbers, and the same content one", async () => {
        const other = await fixture.open("team");
        try {
          const many = Array.from({ length: 2000 }, (_, i) =>
            file(`part-${String(i).padStart(5, "0")}.csv`, "a"),
          );
          const results = await Promise.all([
            store.registerDatasetVersion(version("big", "1", many)),
            other.registerDatasetVersion(version("big", "2", many.slice(1))),
            other.registerDatasetVersion(version("big", "1", many)),
          ]);
          const [first, second, same] = results.map((r) => r.version.version);
          expect(same).toBe(first);
          expect([first, second].sort()).toEqual([1, 2]);
          expect(results.filter((r) => r.created)).toHaveLength(2);
          expect((await store.listDatasetVersions("big")).map((v) => v.fileCount).sort()).toEqual([
            1999, 2000,
          ]);
          expect(await other.getDatasetFiles(results[0]?.version.id as number)).toHaveLength(2000);
        } finally {
          await other.close();
        }
      });
    });
  });
}
