import { canonicalHash, canonicalJson, framedHash } from "@canal/ir";
import { describe, expect, it } from "vitest";

describe("canonical encoding", () => {
  it("ignores key order and proto3 defaults", () => {
    const a = canonicalHash("Output", { name: "model", type: { primitive: "STRING" } });
    const b = canonicalHash("Output", { type: { primitive: "STRING" }, name: "model" });
    expect(a).toBe(b);
  });
  it("frames fields so that moving bytes between them changes the hash", () => {
    expect(framedHash("d", ["ab", "c"])).not.toBe(framedHash("d", ["a", "bc"]));
    expect(canonicalJson({ b: 1, a: [{ d: 1, c: 2 }] })).toBe('{"a":[{"c":2,"d":1}],"b":1}');
  });
});
