import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ranStep } from "./fixtures/cached-step.js";
import { SqliteMetadataStore } from "./sqlite.js";

const d = (c: string) => c.repeat(64);

let dir: string;
let store: SqliteMetadataStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "canal-store-"));
  store = SqliteMetadataStore.open(join(dir, "canal.db"), { workspace: "team", location: dir });
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A finished run whose one step produced `digest` under `key`. */
async function stepRan(key: string, digest: string, replaceCacheEntry = false, on = store) {
  const outputs = { model: { digest, directory: false } };
  const run = await ranStep(on, key, { pipeline: "p", outputs, replaceCacheEntry });
  await on.updateRun(run.id, { status: "succeeded", endedAt: Date.now() });
  return run;
}

describe("cache entries", () => {
  it("keeps the first writer's entry, and replaces it when the step was made to run", async () => {
    const key = d("a");
    const first = await stepRan(key, d("1"));
    await stepRan(key, d("2"));
    expect((await store.getCacheEntry(key))?.producedBy.runId).toBe(first.id);
    const forced = await stepRan(key, d("3"), true);
    const entry = await store.getCacheEntry(key);
    expect(entry?.producedBy.runId).toBe(forced.id);
    expect(entry?.outputs).toEqual({ model: { digest: d("3"), directory: false } });
  });

  it("two stores replacing one key at once leave one entry, whole, of one of them", async () => {
    const other = SqliteMetadataStore.open(join(dir, "canal.db"), { workspace: "team", location: dir });
    try {
      const key = d("a");
      const digests = ["1", "2", "3", "4", "5", "6"].map(d);
      await Promise.all(digests.map((digest, i) => stepRan(key, digest, true, i % 2 ? other : store)));
      const entry = await store.getCacheEntry(key);
      const producer = await store.getOutputs(entry?.producedBy.stepRunId ?? -1);
      expect(entry?.outputs).toEqual(producer);
      expect(digests).toContain((producer.model as { digest: string }).digest);
      expect(await store.listCacheEntries({ keyPrefix: key })).toHaveLength(1);
    } finally {
      await other.close();
    }
  });

  it("lists entries by step, run and key prefix", async () => {
    const a = await stepRan(d("a"), d("1"));
    await stepRan(`b${d("c").slice(1)}`, d("2"));
    expect((await store.listCacheEntries()).length).toBe(2);
    expect((await store.listCacheEntries({ stepId: "train" })).length).toBe(2);
    expect(await store.listCacheEntries({ stepId: "other" })).toEqual([]);
    expect((await store.listCacheEntries({ runId: a.id })).map((e) => e.key)).toEqual([d("a")]);
    expect((await store.listCacheEntries({ keyPrefix: "bccccc" })).map((e) => e.producedBy.stepId)).toEqual([
      "train",
    ]);
    // A prefix is a range of keys: those next to its ends are not in it.
    for (const key of ["bcccc9", "bcccca", "bccccf", "bcccd0"]) await stepRan(key + "0".repeat(58), d("3"));
    const listed = async (keyPrefix: string) =>
      (await store.listCacheEntries({ keyPrefix })).map((e) => e.key.slice(0, 6)).sort();
    expect(await listed("bcccc9")).toEqual(["bcccc9"]);
    expect(await listed("bccccf")).toEqual(["bccccf"]);
    expect(await listed("bcccca")).toEqual(["bcccca"]);
    expect(await listed("bcccd0")).toEqual(["bcccd0"]);
    await expect(store.listCacheEntries({ keyPrefix: "b" })).rejects.toThrow(/first 6 or more hex/);
    await expect(store.listCacheEntries({ keyPrefix: "'; drop" })).rejects.toMatchObject({
      code: "CANAL_STORE_INVALID_RECORD",
    });
  });

  it("deletes ended runs with the entries they produced, never a running run", async () => {
    const ended = await stepRan(d("a"), d("1"));
    const version = await store.registerPipelineVersion({ pipeline: "p", hash: "h", ir: "{}" });
    const live = await store.createRun({
      pipelineVersionId: version.id,
      runtime: "local",
      status: "running",
    });
    expect(await store.deleteRuns([ended.id, live.id, "run-20990101-000000-dead"])).toEqual([ended.id]);
    expect(await store.getCacheEntry(d("a"))).toBeUndefined();
    expect(await store.getArtifact(d("1"))).toBeUndefined();
    expect((await store.listRuns()).map((r) => r.id)).toEqual([live.id]);
    const references = await store.references();
    expect(references.digests).toEqual([]);
    expect(references.pipelineVersions).toMatchObject([{ hash: "h", hasRuns: true }]);
  });

  it("references every digest that a record names", async () => {
    await stepRan(d("a"), d("1"));
    const version = await store.registerPipelineVersion({ pipeline: "p", hash: "h", ir: "{}" });
    await store.createRun({
      pipelineVersionId: version.id,
      runtime: "local",
      parameters: { data: { digest: d("2"), directory: true }, n: 3 },
    });
    expect((await store.references()).digests).toEqual([d("1"), d("2")]);
  });
});
