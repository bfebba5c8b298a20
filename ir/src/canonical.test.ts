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
    // Golden values: cache keys and code hashes are framed hashes, so these bytes never move.
    expect(framedHash("canal-cache-v1", ["ab".repeat(32), "", '{"x":"é☃𝄞"}'])).toBe(
      "48e59ba5a3ae283cb114bf95db2df79f7fb3a7dc8c302e84271e3efcb503067e",
    );
    expect(framedHash("d", [new Uint8Array([0, 1, 2, 255]), "tail", "x".repeat(300)])).toBe(
      "bb8727ad9c9def968aaa078993df92b31910a097c17278febf0fb21f75ffa2bc",
    );
    expect(framedHash("", [])).toBe("af5570f5a1810b7af78caf4bc70a660f0df51e42baf91d4de5b2328de0e83dfc");
    expect(framedHash("lone \ud800", ["\udfff", ""])).toBe(
      "44730173519aed0e1d5b5aa7408ac1a766bf45e29fc5afe6deb1d8086e44cd10",
    );
    expect(canonicalJson({ b: 1, a: [{ d: 1, c: 2 }] })).toBe('{"a":[{"c":2,"d":1}],"b":1}');
  });
});
