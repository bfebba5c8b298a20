import { writeFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { StoredValue } from "./cache-key.js";
import { CacheProbes } from "./cache-probes.js";
import type { Blobs, CacheIndex } from "./orchestrate-options.js";
import type { StepInstance } from "./plan.js";
import { fromOutput, item, literal, TestBed, testPipeline, testStep, types } from "./testing/pipelines.js";

// The step of every cache key computed, in order: what the orchestrator and its probes cost.
const computed = vi.hoisted(() => [] as string[]);
vi.mock("./cache-key.js", async (importOriginal) => {
  const actual = await importOriginal<typeof import("./cache-key.js")>();
  return {
    ...actual,
    cacheKey: (...args: Parameters<typeof actual.cacheKey>) => {
      computed.push(args[0].id);
      return actual.cacheKey(...args);
    },
  };
});

let bed: TestBed;
beforeEach(() => {
  bed = new TestBed();
  computed.length = 0;
});
afterEach(() => bed.remove());

type Outputs = Record<string, StoredValue>;

/**
 * The bed's blobs and cache with every check and lookup taking `ms`, counting what runs at once;
 * `many`: the cache also reads many entries at once, as the stores do; `ahead`: it reads these
 * entries ahead when the run starts (a copy of them as they are then).
 */
function slow(ms: number, many = false, ahead?: () => Map<string, Outputs>) {
  const seen = {
    verifies: 0,
    lookups: 0,
    mostVerifies: 0,
    mostAtOnce: 0,
    reads: [] as number[],
    prefetches: 0,
  };
  let verifying = 0;
  let busy = 0;
  const pause = () => new Promise((resolve) => setTimeout(resolve, ms));
  const blobs: Blobs = {
    putFile: (path, options) => bed.blobs.putFile(path, options),
    putDirectory: (path, options) => bed.blobs.putDirectory(path, options),
    materialize: (digest, destination) => bed.blobs.materialize(digest, destination),
    async verify(digest) {
      seen.verifies++;
      seen.mostVerifies = Math.max(seen.mostVerifies, ++verifying);
      seen.mostAtOnce = Math.max(seen.mostAtOnce, ++busy);
      await pause();
      verifying--;
      busy--;
      return bed.blobs.verify(digest);
    },
  };
  const cache: CacheIndex = {
    async lookup(key) {
      seen.lookups++;
      seen.mostAtOnce = Math.max(seen.mostAtOnce, ++busy);
      await pause();
      busy--;
      return bed.cache.lookup(key);
    },
    invalidate: (key) => bed.cache.invalidate(key),
    ...(many
      ? {
          async lookupMany(keys: string[]) {
            seen.reads.push(keys.length);
            await pause();
            const found = new Map<string, Record<string, StoredValue>>();
            for (const key of keys) {
              const outputs = await bed.cache.lookup(key);
              if (outputs) found.set(key, outputs);
            }
            return found;
          },
        }
      : {}),
    ...(ahead
      ? {
          async prefetch() {
            seen.prefetches++;
            const entries = new Map(ahead());
            await pause();
            return entries;
          },
        }
      : {}),
  };
  return { blobs, cache, seen };
}

// n steps, each reading the one before's file (the first a literal) and writing its own.
function chainOf(n: number) {
  return testPipeline(
    Array.from({ length: n }, (_, i) =>
      testStep(
        `s${i}`,
        { x: i === 0 ? [types.string, literal("seed")] : [types.file, fromOutput(`s${i - 1}`, "out")] },
        { out: types.file },
      ),
    ),
  );
}
const writes =
  (n: number, text: (i: number) => string = (i) => `out ${i}`) =>
  () =>
    Object.fromEntries(
      Array.from({ length: n }, (_, i) => [
        `s${i}`,
        ({ outputPath }: { outputPath(o: string): string }) => writeFileSync(outputPath("out"), text(i)),
      ]),
    );

const digestOf = (value: unknown) => (value as { digest: string }).digest;

describe("cache probes: the steps ahead are looked up while these are decided", () => {
  it("checks the cached outputs of a fan-out several at once, one step decided at a time", async () => {
    const steps = Array.from({ length: 12 }, (_, i) => testStep(`f${i}`, {}, { out: types.file }));
    const fns = Object.fromEntries(
      steps.map((s) => [
        s.id,
        ({ outputPath }: { outputPath(o: string): string }) => writeFileSync(outputPath("out"), s.id),
      ]),
    );
    await bed.run(testPipeline(steps), { steps: fns });
    const { blobs, cache, seen } = slow(5);
    const again = await bed.run(testPipeline(steps), { steps: fns }, { blobs, cache, maxParallel: 1 });
    expect(Object.values(again.summary.steps)).toEqual(Array(12).fill("cached"));
    expect(again.runtime.tasks).toHaveLength(0);
    expect(seen.mostVerifies).toBeGreaterThan(1);
    // Each entry read and checked once: no probe is repeated by its step's own lookup.
    expect(seen.lookups).toBe(12);
    expect(seen.verifies).toBe(12);
  });

  it("reads the entries of the steps ahead a batch at a time where the cache can", async () => {
    const steps = Array.from({ length: 40 }, (_, i) => testStep(`f${i}`, {}, { out: types.file }));
    const fns = Object.fromEntries(
      steps.map((s) => [
        s.id,
        ({ outputPath }: { outputPath(o: string): string }) => writeFileSync(outputPath("out"), s.id),
      ]),
    );
    await bed.run(testPipeline(steps), { steps: fns });
    const { blobs, cache, seen } = slow(5, true);
    const again = await bed.run(testPipeline(steps), { steps: fns }, { blobs, cache, maxParallel: 1 });
    expect(Object.values(again.summary.steps)).toEqual(Array(40).fill("cached"));
    // The first step is looked up alone; the 39 after it in a few reads.
    expect(seen.lookups).toBe(1);
    expect(seen.reads.reduce((a, b) => a + b, 0)).toBe(39);
    expect(seen.reads.length).toBeLessThan(6);
    expect(seen.verifies).toBe(40);
  });

  it("overlaps the checks along a chain, each step's key from its upstream's entry", async () => {
    await bed.run(chainOf(8), { steps: writes(8)() });
    const { blobs, cache, seen } = slow(5);
    const again = await bed.run(chainOf(8), { steps: writes(8)() }, { blobs, cache, maxParallel: 1 });
    expect(Object.values(again.summary.steps)).toEqual(Array(8).fill("cached"));
    expect(seen.mostAtOnce).toBeGreaterThan(1);
    expect(seen.lookups).toBe(8);
  });

  it("serves no probe keyed by an upstream entry whose blob is damaged: the upstream runs, and what reads it is keyed by what it made", async () => {
    const first = await bed.run(chainOf(4), { steps: writes(4)() });
    const s1 = first.events.find((e) => e.type === "step-succeeded" && e.key === "s1");
    if (s1?.type !== "step-succeeded") throw new Error("s1 did not succeed");
    bed.blobs.damage(digestOf(s1.outputs.out));
    const { blobs, cache } = slow(2);
    // s1 and what follows it now write other bytes: their old entries are not for what they read.
    const again = await bed.run(
      chainOf(4),
      { steps: writes(4, (i) => (i === 0 ? "out 0" : `changed ${i}`))() },
      { blobs, cache, maxParallel: 1 },
    );
    expect(again.summary.steps).toEqual({ s0: "cached", s1: "succeeded", s2: "succeeded", s3: "succeeded" });
    const ended = (key: string) => again.events.find((e) => e.type === "step-succeeded" && e.key === key);
    const [made, read] = [ended("s1"), ended("s2")];
    if (made?.type !== "step-succeeded" || read?.type !== "step-succeeded") throw new Error("s1, s2 ran");
    expect(digestOf(read.inputs.x)).toBe(digestOf(made.outputs.out));
    expect(digestOf(made.outputs.out)).not.toBe(digestOf(s1.outputs.out));
    expect(bed.cache.invalidated).toEqual([s1.cacheKey]);
  });

  it("computes each instance's cache key once on a run the cache answers: the decision takes its probe's", async () => {
    await bed.run(chainOf(8), { steps: writes(8)() });
    computed.length = 0;
    const { blobs, cache } = slow(2);
    const again = await bed.run(chainOf(8), { steps: writes(8)() }, { blobs, cache, maxParallel: 1 });
    expect(Object.values(again.summary.steps)).toEqual(Array(8).fill("cached"));
    expect(computed).toHaveLength(8);
    expect(new Set(computed).size).toBe(8);
  });

  it("computes the key again, and takes no probe's hit, when an upstream's result is not the entry its probe was keyed with", async () => {
    const first = await bed.run(chainOf(3), { steps: writes(3)() });
    const [s1, s2] = ["s1", "s2"].map((key) =>
      first.events.find((e) => e.type === "step-succeeded" && e.key === key),
    );
    if (s1?.type !== "step-succeeded" || s2?.type !== "step-succeeded") throw new Error("s1, s2 ran");
    bed.blobs.damage(digestOf(s1.outputs.out));
    computed.length = 0;
    const { blobs, cache } = slow(2);
    // s1 runs again and writes other bytes; s2's probe was keyed with s1's old entry, whose own
    // entry is intact and would be a hit.
    const again = await bed.run(
      chainOf(3),
      { steps: writes(3, (i) => (i === 0 ? "out 0" : `changed ${i}`))() },
      { blobs, cache, maxParallel: 1 },
    );
    expect(again.summary.steps).toEqual({ s0: "cached", s1: "succeeded", s2: "succeeded" });
    // Once by its probe (from s1's old entry), once by its decision (from what s1 made).
    expect(computed.filter((step) => step === "s2")).toHaveLength(2);
    const ran = again.events.find((e) => e.type === "step-succeeded" && e.key === "s2");
    if (ran?.type !== "step-succeeded") throw new Error("s2 did not run");
    expect(ran.cacheKey).not.toBe(s2.cacheKey);
  });

  it("takes a hit only once the step's own outputs are found intact", async () => {
    const first = await bed.run(chainOf(3), { steps: writes(3)() });
    const s2 = first.events.find((e) => e.type === "step-succeeded" && e.key === "s2");
    if (s2?.type !== "step-succeeded") throw new Error("s2 did not succeed");
    bed.blobs.lose(digestOf(s2.outputs.out));
    const { blobs, cache } = slow(2);
    const again = await bed.run(chainOf(3), { steps: writes(3)() }, { blobs, cache, maxParallel: 1 });
    expect(again.summary.steps).toEqual({ s0: "cached", s1: "cached", s2: "succeeded" });
    expect(bed.cache.invalidated).toEqual([s2.cacheKey]);
  });

  it("probes nothing on a run whose steps miss: each is looked up once", async () => {
    const { blobs, cache, seen } = slow(1);
    const { summary } = await bed.run(chainOf(5), { steps: writes(5)() }, { blobs, cache, maxParallel: 1 });
    expect(Object.values(summary.steps)).toEqual(Array(5).fill("succeeded"));
    expect(seen.lookups).toBe(5);
  });
});

describe("cache probes: the entries read ahead", () => {
  it("answers a chain from the entries read ahead: one store read in all", async () => {
    await bed.run(chainOf(8), { steps: writes(8)() });
    const { blobs, cache, seen } = slow(5, true, () => bed.cache.entries);
    const again = await bed.run(chainOf(8), { steps: writes(8)() }, { blobs, cache, maxParallel: 1 });
    expect(Object.values(again.summary.steps)).toEqual(Array(8).fill("cached"));
    expect(seen.prefetches).toBe(1);
    expect(seen.lookups).toBe(0);
    expect(seen.reads).toEqual([]);
    expect(seen.verifies).toBe(8);
  });

  it("reads a key that was not read ahead from the store", async () => {
    const first = await bed.run(chainOf(6), { steps: writes(6)() });
    const keyOf = (step: string) => {
      const ended = first.events.find((e) => e.type === "step-succeeded" && e.key === step);
      if (ended?.type !== "step-succeeded") throw new Error(`${step} did not succeed`);
      return ended.cacheKey;
    };
    // The last run's entries of the first three steps only.
    const some = () =>
      new Map(["s0", "s1", "s2"].map((step) => [keyOf(step), bed.cache.entries.get(keyOf(step)) as Outputs]));
    const { blobs, cache, seen } = slow(5, true, some);
    const again = await bed.run(chainOf(6), { steps: writes(6)() }, { blobs, cache, maxParallel: 1 });
    expect(Object.values(again.summary.steps)).toEqual(Array(6).fill("cached"));
    expect(seen.prefetches).toBe(1);
    expect(seen.lookups).toBe(0);
    expect(seen.reads.reduce((a, b) => a + b, 0)).toBe(3);
  });

  it("keys what follows a damaged upstream read ahead by what the upstream made", async () => {
    const first = await bed.run(chainOf(4), { steps: writes(4)() });
    const s1 = first.events.find((e) => e.type === "step-succeeded" && e.key === "s1");
    if (s1?.type !== "step-succeeded") throw new Error("s1 did not succeed");
    bed.blobs.damage(digestOf(s1.outputs.out));
    const { blobs, cache, seen } = slow(2, true, () => bed.cache.entries);
    const again = await bed.run(
      chainOf(4),
      { steps: writes(4, (i) => (i === 0 ? "out 0" : `changed ${i}`))() },
      { blobs, cache, maxParallel: 1 },
    );
    expect(seen.prefetches).toBe(1);
    expect(again.summary.steps).toEqual({ s0: "cached", s1: "succeeded", s2: "succeeded", s3: "succeeded" });
    const made = again.events.find((e) => e.type === "step-succeeded" && e.key === "s1");
    const read = again.events.find((e) => e.type === "step-succeeded" && e.key === "s2");
    if (made?.type !== "step-succeeded" || read?.type !== "step-succeeded") throw new Error("s1, s2 ran");
    expect(digestOf(read.inputs.x)).toBe(digestOf(made.outputs.out));
    expect(bed.cache.invalidated).toEqual([s1.cacheKey]);
  });

  it("serves an entry dropped during the run from the store, not from what was read ahead", async () => {
    // Instances 0 and 69 of a fan-out read the same item: one key. 69 is probed only once 0 is
    // decided (it lies past the probes' window until then).
    const items = [7, ...Array.from({ length: 68 }, (_, i) => 100 + i), 7];
    const pipeline = testPipeline(
      [testStep("make", { x: [types.number, item("xs")] }, { out: types.file }, { fanOut: "xs" })],
      { fanOuts: [{ id: "xs", itemName: "x", parameter: "xs" }] },
    );
    let made = 0;
    const steps = {
      make: ({ inputs, outputPath }: { inputs: Record<string, unknown>; outputPath(o: string): string }) =>
        writeFileSync(outputPath("out"), `${inputs.x} made ${++made}`),
    };
    const first = await bed.run(pipeline, { steps }, { parameters: { xs: items.slice(0, 69) } });
    const make0 = first.events.find((e) => e.type === "step-succeeded" && e.key === "make[0]");
    if (make0?.type !== "step-succeeded") throw new Error("make[0] did not succeed");
    bed.blobs.damage(digestOf(make0.outputs.out));
    const { blobs, cache, seen } = slow(2, true, () => bed.cache.entries);
    const again = await bed.run(
      pipeline,
      { steps },
      { blobs, cache, maxParallel: 1, parameters: { xs: items } },
    );
    expect(again.summary.steps["make[0]"]).toBe("succeeded");
    expect(again.summary.steps["make[69]"]).toBe("cached");
    expect(bed.cache.invalidated).toEqual([make0.cacheKey]);
    // make[0]'s own lookup after its probe missed; make[69]'s probe read the key from the store
    // and found make[0]'s new entry.
    expect(seen.lookups).toBe(1);
    expect(seen.reads).toEqual([1]);
    const cached = again.events.find((e) => e.type === "step-cached" && e.key === "make[69]");
    const remade = again.events.find((e) => e.type === "step-succeeded" && e.key === "make[0]");
    if (cached?.type !== "step-cached" || remade?.type !== "step-succeeded")
      throw new Error("make[0], make[69]");
    expect(cached.outputs).toEqual(remade.outputs);
  });

  it("probes a key dropped since it was read ahead with a store read", async () => {
    const instance = (key: string) => ({ key, step: testStep(key), index: -1 }) as unknown as StepInstance;
    const [a, b] = [instance("a"), instance("b")];
    const old: Outputs = { out: { digest: "0".repeat(64), directory: false } };
    const fresh: Outputs = { out: { digest: "1".repeat(64), directory: false } };
    // Taken instances count as decided, as the orchestrator's running ones do.
    const decided = new Set<string>();
    let aDone = false;
    const reads: string[][] = [];
    const probes = new CacheProbes({
      instances: [a, b],
      waitsFor: new Map([["b", ["a"]]]),
      decided: (key) => decided.has(key),
      result: (key) => (key === "a" && aDone ? fresh : undefined),
      // b is keyed once a is done: after its entry was dropped.
      keyOf: (instance) => (instance.key === "a" || aDone ? "k" : undefined),
      entries: async (keys) => {
        reads.push(keys);
        return new Map(keys.map((key) => [key, fresh]));
      },
      intact: async (_, outputs) => outputs === fresh,
      prefetch: async () => new Map([["k", old]]),
    });
    await probes.readAhead();
    decided.add("a");
    expect(await probes.take("a", "k")).toBeUndefined();
    expect(reads).toEqual([]);
    probes.forget("k");
    aDone = true;
    probes.resume();
    decided.add("b");
    expect(await probes.take("b", "k")).toBe(fresh);
    expect(reads).toEqual([["k"]]);
    await probes.settle();
  });
});
