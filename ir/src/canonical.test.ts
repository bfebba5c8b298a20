import { canonicalHash, canonicalJson, framedHash } from "@canal/ir";
import { describe, expect, it } from "vitest";

describe("canonical encoding", () => {
  it("ignores key order and proto3 defaults", () => {
    const a = canonicalHash("Output", { name: "model", type: { primitive: "STRING" } });
    const b = canonicalHash("Output", { type: { primitive: "STRING" }, name: "model" });
    expect(a).toBe(b);
  });
  it("keeps the bytes it has always written: hashes of stored artifacts and cache keys do not move", () => {
    // Golden values from the encoder before it wrote into one buffer: a message whose bodies are
    // longer than 127 bytes (two-byte length prefixes) and outgrow the first buffer.
    const step = {
      id: "train",
      name: "train",
      kind: "SCRIPT",
      hash: "",
      codeHash: "ab".repeat(32),
      inputs: Array.from({ length: 200 }, (_, i) => ({
        name: `in${i}`,
        type: { primitive: "STRING" },
        binding: { literalJson: JSON.stringify("é".repeat(i)) },
      })),
      outputs: [{ name: "out", type: { artifact: { name: "File", lineage: ["File"] } } }],
      script: { command: "x".repeat(5000), snapshot: "cd".repeat(32), source: "src" },
    };
    expect(canonicalHash("Step", step)).toBe(
      "95808d7ae31d99dad8ccbda85fcbf735ca64d4a7761039afb6c9387d695c8127",
    );
    expect(canonicalHash("Output", { name: "model", type: { primitive: "STRING" } })).toBe(
      "422c5f1e1f6c585711548c86b17a44d7865f5a1c0e151daee1453474c88df186",
    );
  });
  it("frames fields so that moving bytes between them changes the hash", () => {
    expect(framedHash("d", ["ab", "c"])).not.toBe(framedHash("d", ["a", "bc"]));
    expect(canonicalJson({ b: 1, a: [{ d: 1, c: 2 }] })).toBe('{"a":[{"c":2,"d":1}],"b":1}');
  });
});
