import { describe, expect, it } from "vitest";
import { describeInputChange, Producers, upstreamOf } from "./upstream.js";

const d = (c: string) => c.repeat(64);
const list = (...digests: string[]) => `[${digests.map((x) => `sha256:${x}`).join(",")}]`;

describe("the upstream output behind a changed input", () => {
  const producers = new Producers();
  producers.addOutputs("prepare", { prepped: { digest: d("a"), directory: true } });
  producers.addOutputs("copy", { out: { digest: d("a"), directory: false } });
  producers.addOutputs("train[0]", { model: { digest: d("b"), directory: false } });
  producers.addOutputs("train[1]", { model: { digest: d("c"), directory: false } });
  producers.addOutputs("train[2]", { model: { digest: d("e"), directory: false } });
  producers.addParameters({ raw: { digest: d("f"), directory: false }, lr: 0.1 });

  it("names the output of the step the input is bound to, else every output with those bytes", () => {
    const change = {
      field: "input" as const,
      name: "prepped",
      before: `sha256:${d("9")}`,
      after: `sha256:${d("a")}`,
    };
    expect(upstreamOf(change, producers, "prepare")).toEqual({ from: "`prepare.prepped`" });
    expect(upstreamOf(change, producers)).toEqual({ from: "`prepare.prepped` or `copy.out`" });
    expect(describeInputChange(change, upstreamOf(change, producers, "prepare"))).toBe(
      "input `prepped` changed (from `prepare.prepped`, whose content changed): sha256:999999999999 -> sha256:aaaaaaaaaaaa",
    );
  });

  it("reads files described with their names, a comma or quote in a name included", () => {
    const named = (digest: string, name: string) => `sha256:${digest} as ${JSON.stringify(name)}`;
    const single = {
      field: "input" as const,
      name: "prepped",
      before: named(d("9"), "p"),
      after: named(d("a"), "p"),
    };
    expect(describeInputChange(single, upstreamOf(single, producers, "prepare"))).toBe(
      "input `prepped` changed (from `prepare.prepped`, whose content changed): sha256:999999999999 -> sha256:aaaaaaaaaaaa",
    );
    const renamed = {
      field: "input" as const,
      name: "raw",
      before: named(d("f"), "wine.csv"),
      after: named(d("f"), "wine.tsv"),
    };
    expect(describeInputChange(renamed, upstreamOf(renamed, producers))).toBe(
      'input `raw` changed: sha256:ffffffffffff as "wine.csv" -> sha256:ffffffffffff as "wine.tsv" (the same content under another file name)',
    );
    const odd = 'a,"b".csv';
    const fanIn = {
      field: "input" as const,
      name: "models",
      before: `[${named(d("b"), odd)},${named(d("9"), odd)}]`,
      after: `[${named(d("b"), odd)},${named(d("c"), odd)}]`,
    };
    expect(upstreamOf(fanIn, producers, "train")).toEqual({
      elements: [
        { index: 1, from: "`train[1].model`", before: `sha256:${d("9")}`, after: `sha256:${d("c")}` },
      ],
      countBefore: 2,
      countAfter: 2,
    });
  });

  it("names an artifact parameter as such", () => {
    const change = {
      field: "input" as const,
      name: "raw",
      before: `sha256:${d("9")}`,
      after: `sha256:${d("f")}`,
    };
    expect(upstreamOf(change, producers)).toEqual({ from: "parameter `raw`" });
  });

  it("names each element of a fan-in that changed, was added or removed", () => {
    const changed = {
      field: "input" as const,
      name: "models",
      before: list(d("b"), d("9"), d("e")),
      after: list(d("b"), d("c"), d("e")),
    };
    expect(upstreamOf(changed, producers, "train")).toEqual({
      elements: [
        { index: 1, from: "`train[1].model`", before: `sha256:${d("9")}`, after: `sha256:${d("c")}` },
      ],
      countBefore: 3,
      countAfter: 3,
    });
    const grown = {
      field: "input" as const,
      name: "models",
      before: list(d("b"), d("c")),
      after: list(d("b"), d("c"), d("e")),
    };
    expect(describeInputChange(grown, upstreamOf(grown, producers, "train"))).toBe(
      "input `models` (a fan-in) changed, 3 elements instead of 2: element 2 from `train[2].model`: added sha256:eeeeeeeeeeee",
    );
    const shrunk = {
      field: "input" as const,
      name: "models",
      before: list(d("b"), d("c")),
      after: list(d("b")),
    };
    expect(describeInputChange(shrunk, upstreamOf(shrunk, producers, "train"))).toBe(
      "input `models` (a fan-in) changed, 1 element instead of 2: element 1: removed (was sha256:cccccccccccc)",
    );
  });

  it("leaves value inputs, and inputs added or removed, to the plain description", () => {
    const value = { field: "input" as const, name: "lr", before: "0.1", after: "0.2" };
    expect(upstreamOf(value, producers)).toBeUndefined();
    const added = { field: "input" as const, name: "raw", after: `sha256:${d("f")}` };
    expect(describeInputChange(added, upstreamOf(added, producers))).toBeUndefined();
  });
});
