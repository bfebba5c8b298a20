// The metadata store's conformance suite (metadata-store.ts), its cases on cache entries (written, kept, read by key, by run and by step) and an artifact's lineage.
import type { MetadataStore, Run, StoredValue } from "@canal/store";
import { beforeEach, describe, expect, it } from "vitest";
import { type ConformanceUse, components, d, type MetadataStoreFixture } from "./metadata-store-context.js";

export function cacheCases(use: ConformanceUse): void {
  let store: MetadataStore;
  let fixture: MetadataStoreFixture;
  const { newRun } = use;

  describe("cache entries and lineage", () => {
    beforeEach(() => {
      store = use.store();
      fixture = use.fixture();
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
  });
}
