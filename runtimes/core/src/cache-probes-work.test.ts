import { describe, expect, it } from "vitest";
import type { StoredValue } from "./cache-key.js";
import { CacheProbes, type ProbeGraph } from "./cache-probes.js";
import type { StepInstance } from "./plan.js";

type Outputs = Record<string, StoredValue>;

/**
 * Decides `n` instances in order the way the orchestrator does, every one answered by the cache,
 * against an in-memory graph that counts the instances the probes examine and the keys they
 * compute. `upstreamOf(i)`: the instance `i` waits on, if any.
 */
async function decideAll(n: number, upstreamOf: (i: number) => number | undefined) {
  const instances = Array.from({ length: n }, (_, i) => ({ key: `s${i}`, index: -1 }) as StepInstance);
  const counted = { examined: 0, looked: 0, keys: 0 };
  const waitsFor = new (class extends Map<string, string[]> {
    override get(key: string) {
      counted.examined++;
      return super.get(key);
    }
  })();
  const super_get = (key: string) => Map.prototype.get.call(waitsFor, key) as string[] | undefined;
  for (let i = 0; i < n; i++) {
    const up = upstreamOf(i);
    waitsFor.set(`s${i}`, up === undefined ? [] : [`s${up}`]);
  }
  const finished = new Map<string, Outputs>();
  const running = new Set<string>();
  // An entry is named by its key, and a key by the instance and the entry of its upstream.
  const names = new WeakMap<Outputs, string>();
  const entry = (key: string): Outputs => {
    const outputs = { out: { kind: "json", json: 0 } as unknown as StoredValue };
    names.set(outputs, key);
    return outputs;
  };
  const keyOf = (instance: StepInstance, upstream: (key: string) => Outputs | undefined) => {
    counted.keys++;
    const up = super_get(instance.key)?.[0];
    const outputs = up === undefined ? undefined : upstream(up);
    return `${instance.key}<${outputs ? names.get(outputs) : ""}`;
  };
  const graph: ProbeGraph = {
    instances,
    waitsFor,
    decided: (key) => {
      counted.looked++;
      return finished.has(key) || running.has(key);
    },
    result: (key) => finished.get(key),
    keyOf,
    entries: async (keys) => new Map(keys.map((key) => [key, entry(key)])),
    intact: () => new Promise((resolve) => setImmediate(() => resolve(true))),
  };
  const probes = new CacheProbes(graph);
  let probed = 0;
  for (const instance of instances) {
    running.add(instance.key);
    const key = keyOf(instance, (k) => finished.get(k));
    const taken = probes.take(instance.key, key);
    if (taken) probed++;
    const outputs = (await taken) ?? entry(key);
    running.delete(instance.key);
    finished.set(instance.key, outputs);
    probes.resume();
  }
  await probes.settle();
  return { ...counted, probed };
}

describe("cache probes: the work of keeping the probes ahead of a cached run", () => {
  // Each probe that ends looks for new ones to start: the instances looked at again are those
  // whose upstream's entry was found or result set since, not the whole window ahead.
  it("looks at each instance of a cached chain about twice, not once per window on every probe", async () => {
    const work = await decideAll(1000, (i) => (i === 0 ? undefined : i - 1));
    expect(work.probed).toBe(999);
    expect(work.examined).toBeLessThan(3 * 1000);
    expect(work.keys - 1000).toBeLessThanOrEqual(1000);
  });

  it("looks at each instance of a cached fan-out about once", async () => {
    const work = await decideAll(1000, () => undefined);
    expect(work.probed).toBe(999);
    expect(work.examined).toBeLessThan(2 * 1000);
    expect(work.looked).toBeLessThan(6 * 1000);
    expect(work.keys - 1000).toBeLessThanOrEqual(1000);
  });
});
