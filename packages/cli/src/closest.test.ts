import { describe, expect, it } from "vitest";
import { closest } from "./closest.js";

describe("closest", () => {
  it("finds a typo, a swapped pair and a run id cut short; nothing for a name far from all", () => {
    expect(closest("tunnig", ["tuning", "slow"])).toBe("tuning");
    expect(closest("slwo", ["tuning", "slow"])).toBe("slow");
    expect(closest("run-20261202-170029", ["run-20261202-170029-f2fc", "run-20261201-090000-aaaa"])).toBe(
      "run-20261202-170029-f2fc",
    );
    expect(closest("nightly", ["tuning", "slow"])).toBeUndefined();
    expect(closest("x", [])).toBeUndefined();
  });
});
