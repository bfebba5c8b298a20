import { describe, expect, it } from "vitest";
import { closestNames, didYouMean, editDistance } from "./suggest.js";

describe("did you mean", () => {
  it("counts insertions, deletions, substitutions and swaps of neighbours as one edit each", () => {
    expect(editDistance("targt", "target")).toBe(1);
    expect(editDistance("trian", "train")).toBe(1);
    expect(editDistance("Compile", "compile")).toBe(0);
    expect(editDistance("", "abc")).toBe(3);
    expect(editDistance("kitten", "sitting")).toBe(3);
  });

  it("suggests the closest known names, and nothing for a name far from all of them", () => {
    expect(closestNames("--targt", ["--target", "--profile", "--json"])).toEqual(["--target"]);
    expect(closestNames("compil", ["compile", "inspect", "run"])).toEqual(["compile"]);
    expect(closestNames("ru", ["run", "runs", "rerun"])).toEqual(["run"]);
    expect(closestNames("train[2]x", ["prepare", "train"])).toEqual([]);
    expect(closestNames("zzz", ["prepare", "train", "compare"])).toEqual([]);
    expect(closestNames("prep", ["prepare", "train"])).toEqual(["prepare"]);
  });

  it("lists ties in the order the names were known", () => {
    expect(closestNames("lr", ["lrs", "lra", "seed"])).toEqual(["lrs", "lra"]);
  });

  it("words the hint for a message", () => {
    expect(didYouMean("--targt", ["--target"], (n) => n)).toBe("; did you mean --target?");
    expect(didYouMean("trian", ["prepare", "train"])).toBe("; did you mean `train`?");
    expect(didYouMean("nothing-like-it", ["prepare", "train"])).toBe("");
  });
});
