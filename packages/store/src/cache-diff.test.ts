import { describe, expect, it } from "vitest";
import { describeCacheKeyChange, explainCacheMiss } from "./cache-diff.js";
import type { CacheKeyComponents } from "./types.js";

const digest = (c: string) => c.repeat(64);
const base: CacheKeyComponents = {
  stepHash: "step-1",
  codeHash: "code-1",
  codeFiles: [
    { path: "src/train.ts", sha256: digest("1") },
    { path: "src/util.ts", sha256: digest("2") },
  ],
  environment: "env-1",
  inputs: { lr: "0.01", data: `sha256:${digest("a")}` },
};

describe("explainCacheMiss", () => {
  it("names a changed, set, unset, added or dropped environment variable, never a digest", () => {
    const mac = (c: string) => `hmac-sha256:${digest(c)}`;
    const before = { ...base, variables: { SEED: mac("1"), TOKEN: "unset", OLD: mac("3"), KEPT: mac("4") } };
    const after = { ...base, variables: { SEED: mac("2"), TOKEN: mac("5"), NEW: "unset", KEPT: mac("4") } };
    const lines = explainCacheMiss(before, after).map(describeCacheKeyChange);
    expect(lines).toEqual([
      "environment variable NEW is now read by the step",
      "environment variable OLD is no longer read by the step",
      "environment variable SEED changed",
      "environment variable TOKEN was set",
    ]);
    expect(explainCacheMiss(after, { ...after, variables: { ...after.variables, TOKEN: "unset" } })).toEqual([
      { field: "variable", name: "TOKEN", before: mac("5"), after: "unset" },
    ]);
    expect(
      describeCacheKeyChange({ field: "variable", name: "TOKEN", before: mac("5"), after: "unset" }),
    ).toBe("environment variable TOKEN was unset");
    // Components recorded before variables were keyed have none: nothing to report for them.
    expect(explainCacheMiss(base, { ...base, variables: {} })).toEqual([]);
  });

  it("is empty for the same components", () => {
    expect(explainCacheMiss(base, structuredClone(base))).toEqual([]);
  });

  it("names changed, added and removed inputs", () => {
    const changes = explainCacheMiss(base, {
      ...base,
      inputs: { lr: "0.1", data: base.inputs.data as string, seed: "7" },
    });
    expect(changes).toEqual([
      { field: "input", name: "lr", before: "0.01", after: "0.1" },
      { field: "input", name: "seed", after: "7" },
    ]);
    expect(changes.map(describeCacheKeyChange)).toEqual([
      "input `lr` changed: 0.01 -> 0.1",
      "input `seed` was added",
    ]);
    const upstream = explainCacheMiss(base, {
      ...base,
      inputs: { lr: "0.01", data: `sha256:${digest("b")}` },
    });
    expect(upstream.map(describeCacheKeyChange)).toEqual([
      `input \`data\` changed: sha256:${"a".repeat(12)} -> sha256:${"b".repeat(12)}`,
    ]);
  });

  it("points at the code file that changed rather than the step hash", () => {
    const current: CacheKeyComponents = {
      ...base,
      stepHash: "step-2",
      codeHash: "code-2",
      codeFiles: [
        { path: "src/train.ts", sha256: digest("3") },
        { path: "src/util.ts", sha256: digest("2") },
      ],
    };
    expect(explainCacheMiss(base, current)).toEqual([
      { field: "codeFile", path: "src/train.ts", before: digest("1"), after: digest("3") },
    ]);
  });

  it("falls back to the environment, the code and the step interface", () => {
    expect(
      explainCacheMiss(base, { ...base, stepHash: "step-2", environment: "env-2" }).map((c) => c.field),
    ).toEqual(["environment"]);
    expect(
      explainCacheMiss(base, { ...base, stepHash: "step-2", codeHash: "code-2" }).map((c) => c.field),
    ).toEqual(["code"]);
    const command = explainCacheMiss(base, { ...base, stepHash: "step-2" });
    expect(command.map(describeCacheKeyChange)).toEqual(["the step's interface or command changed"]);
  });
});
