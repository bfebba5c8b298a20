import type { Step } from "@canal/ir";
import { describe, expect, it } from "vitest";
import { cacheKey } from "./cache-key.js";

const step = {
  id: "prep",
  name: "prep",
  kind: "SCRIPT",
  inputs: [],
  outputs: [],
  hash: "h",
} as unknown as Step;
const d = "a".repeat(64);

describe("cacheKey", () => {
  it("covers a file's name, which the step reads: the same bytes under another name are another key", () => {
    const csv = cacheKey(step, { raw: { digest: d, directory: false, name: "wine.csv" } });
    const tsv = cacheKey(step, { raw: { digest: d, directory: false, name: "wine.tsv" } });
    expect(csv.key).not.toBe(tsv.key);
    expect(csv.components.inputs).toEqual({ raw: `sha256:${d} as "wine.csv"` });
    expect(cacheKey(step, { raw: { digest: d, directory: false, name: "wine.csv" } }).key).toBe(csv.key);
  });

  it("covers the names of a fan-in's files, and keeps a value recorded without a name as it was", () => {
    const named = cacheKey(step, { files: { digests: [d, d], names: ["a.csv", "b.csv"] } });
    const swapped = cacheKey(step, { files: { digests: [d, d], names: ["b.csv", "a.csv"] } });
    expect(named.key).not.toBe(swapped.key);
    expect(named.components.inputs.files).toBe(`[sha256:${d} as "a.csv",sha256:${d} as "b.csv"]`);
    expect(cacheKey(step, { raw: { digest: d, directory: false } }).components.inputs).toEqual({
      raw: `sha256:${d}`,
    });
    expect(cacheKey(step, { files: { digests: [d] } }).components.inputs.files).toBe(`[sha256:${d}]`);
  });
});
