// The run vocabulary is defined once, in @canal/ir: what the runtimes report is what the store keeps.
// Type-level checks (run by `tsc -p tsconfig.tests.json`), plus what the store does with a value a
// runtime produced.
import type * as ir from "@canal/ir";
import type * as core from "@canal/runtime-core";
import { cacheKey, valueJson } from "@canal/runtime-core";
import type * as store from "@canal/store";
import { explainCacheMiss } from "@canal/store";
import { describe, expect, expectTypeOf, it } from "vitest";

describe("one vocabulary for a run", () => {
  it("gives the runtimes and the store one shape of each type they exchange", () => {
    expectTypeOf<core.StoredValue>().toEqualTypeOf<ir.StoredValue>();
    expectTypeOf<store.StoredValue>().toEqualTypeOf<ir.StoredValue>();
    expectTypeOf<core.CacheKeyComponents>().toEqualTypeOf<ir.CacheKeyComponents>();
    expectTypeOf<store.CacheKeyComponents>().toEqualTypeOf<ir.CacheKeyComponents>();
    expectTypeOf<core.Metric>().toEqualTypeOf<ir.Metric>();
    expectTypeOf<store.Metric>().toExtend<ir.Metric>();
    expectTypeOf<store.RunStatus>().toEqualTypeOf<ir.RunStatus>();
    expectTypeOf<core.RunStatus>().toEqualTypeOf<ir.RunStatus>();
    expectTypeOf<core.RunSummary["status"]>().toEqualTypeOf<ir.RunOutcome>();
    expectTypeOf<core.RunOutcome>().toExtend<store.RunStatus>();
    expectTypeOf<core.RunSummary["steps"][string]>().toEqualTypeOf<store.StepRunEnd["status"]>();
  });

  it("explains a miss in the store from the components a runtime's cache key was made of", () => {
    const step = {
      id: "train",
      name: "train",
      kind: "TYPESCRIPT",
      inputs: [],
      outputs: [],
      codeHash: "code-1",
      codeFiles: [{ path: "src/train.ts", sha256: "1".repeat(64) }],
      hash: "step-1",
    } satisfies ir.Step;
    const before = cacheKey(step, { lr: valueJson(0.1), data: { digest: "a".repeat(64), directory: false } });
    const after = cacheKey(step, { lr: valueJson(0.2), data: { digest: "a".repeat(64), directory: false } });
    expect(after.key).not.toBe(before.key);
    expect(explainCacheMiss(before.components, after.components)).toEqual([
      { field: "input", name: "lr", before: "0.1", after: "0.2" },
    ]);
  });
});
