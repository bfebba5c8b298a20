import { describe, expect, it } from "vitest";
import {
  type BindingOrigin,
  type BindingPlan,
  bindingOrigin,
  instancesByStep,
  isArtifactType,
  resolveInputs,
  sameIteration,
  sameIterationOf,
  storedValue,
  upstreamKeys,
} from "./bindings.js";
import type { StoredValue } from "./cache-key.js";
import { PlanError } from "./errors.js";
import { planInstances } from "./plan.js";
import {
  collect,
  fromOutput,
  item,
  literal,
  parameter,
  testPipeline,
  testStep,
  types,
} from "./testing/pipelines.js";

// prepare once; train over lrs; score each train (same fan-out); pick collects the scores.
const pipeline = testPipeline(
  [
    testStep("prepare", {}, { data: types.file }),
    testStep(
      "train",
      { data: [types.file, fromOutput("prepare", "data")], lr: [types.number, item("lrs", ["lr"])] },
      { model: types.file, stats: types.number },
      { fanOut: "lrs" },
    ),
    testStep(
      "score",
      { model: [types.file, fromOutput("train", "model")] },
      { acc: types.number },
      { fanOut: "lrs" },
    ),
    testStep("pick", { accs: [types.number, collect("score", "acc")] }, {}),
  ],
  { fanOuts: [{ id: "lrs", itemName: "lr", parameter: "grid" }] },
);
const { instances } = planInstances(pipeline, { grid: [{ lr: 0.1 }, { lr: 0.2 }] });
const byStep = instancesByStep(instances);
const get = (key: string) => instances.find((i) => i.key === key) ?? expect.fail(`no instance ${key}`);
const plan: BindingPlan = {
  byStep,
  parameters: { grid: [{ lr: 0.1 }, { lr: 0.2 }], opts: { depth: 3 } },
  isArtifactParameter: (name) => name === "raw",
};

describe("bindings", () => {
  it("finds an upstream's same iteration by its position, and by search where positions differ", () => {
    const grid = Array.from({ length: 1000 }, (_, i) => ({ lr: i }));
    const large = instancesByStep(planInstances(pipeline, { grid }).instances);
    const trains = large.get("train") ?? expect.fail("no train instances");
    const scores = large.get("score") ?? expect.fail("no score instances");
    for (const score of [scores[0], scores[517], scores[999]]) {
      const found = score && sameIterationOf(trains, score);
      expect(found?.index).toBe(score?.index);
    }
    // Not in index order (a list another planner made): still the same iteration, by search.
    const reversed = [...trains].reverse();
    expect(sameIterationOf(reversed, scores[3] ?? expect.fail("no score"))?.key).toBe("train[3]");
    // Outside a fan-out there is no same iteration.
    expect(sameIterationOf(trains, get("pick"))).toBeUndefined();
  });

  it("tells artifacts (and lists of them) from values", () => {
    expect([types.file, types.files, types.directory, types.number].map(isArtifactType)).toEqual([
      true,
      true,
      true,
      false,
    ]);
  });

  it("reads the same iteration under the same fan-out, and the one instance otherwise", () => {
    expect(sameIteration(get("train[1]"), get("score[1]"))).toBe(true);
    expect(sameIteration(get("train[0]"), get("score[1]"))).toBe(false);
    expect(sameIteration(get("prepare"), get("pick"))).toBe(false);
    const score1 = get("score[1]");
    expect(upstreamKeys(score1.step.inputs[0]?.binding ?? literal(0), score1, byStep)).toEqual(["train[1]"]);
    const train0 = get("train[0]");
    expect(upstreamKeys(fromOutput("prepare", "data"), train0, byStep)).toEqual(["prepare"]);
    expect(upstreamKeys(collect("score", "acc"), get("pick"), byStep)).toEqual(["score[0]", "score[1]"]);
    expect(bindingOrigin(fromOutput("train", "model"), score1, plan)).toMatchObject({ key: "train[1]" });
  });

  it("reads fan-out items, parameters and literals by their path, and names a missing field", () => {
    const train1 = get("train[1]");
    expect(bindingOrigin(item("lrs", ["lr"]), train1, plan)).toEqual({ kind: "value", value: 0.2 });
    expect(bindingOrigin(parameter("opts", ["depth"]), train1, plan)).toEqual({ kind: "value", value: 3 });
    expect(bindingOrigin(literal([1, 2]), train1, plan)).toEqual({ kind: "value", value: [1, 2] });
    expect(bindingOrigin(parameter("raw"), train1, plan)).toEqual({
      kind: "artifact-parameter",
      name: "raw",
    });
    expect(() => bindingOrigin(parameter("opts", ["width"]), train1, plan)).toThrow(
      new PlanError("step train[1]: the value has no field `width`"),
    );
    // A pipeline output reads only step outputs and artifact parameters.
    expect(bindingOrigin(literal(1), undefined, plan)).toEqual({ kind: "none" });
  });

  it("stores a fan-in of files as digests with their names, and of values as one JSON list", () => {
    const results = new Map<string, Record<string, StoredValue>>([
      ["score[0]", { acc: { json: "0.5" }, f: { digest: "a", directory: false, name: "a.csv" } }],
      ["score[1]", { acc: { json: "0.7" }, f: { digest: "b", directory: false } }],
    ]);
    const of = (key: string) => results.get(key);
    expect(
      storedValue({ kind: "collect", step: "score", keys: ["score[0]", "score[1]"], output: "acc" }, of, {}),
    ).toEqual({
      json: "[0.5,0.7]",
    });
    expect(
      storedValue({ kind: "collect", step: "score", keys: ["score[0]", "score[1]"], output: "f" }, of, {}),
    ).toEqual({
      digests: ["a", "b"],
      names: ["a.csv", null],
    });
    expect(
      storedValue({ kind: "collect", step: "score", keys: ["score[0]", "nope"], output: "acc" }, of, {}),
    ).toBe(undefined);
  });

  it("reads a field of a value output, and leaves an artifact whole", () => {
    const results = (key: string): Record<string, StoredValue> | undefined =>
      key === "train[0]" ? { stats: { json: '{"acc":0.9}' } } : undefined;
    expect(
      storedValue(
        { kind: "output", step: "train", key: "train[0]", output: "stats", path: ["acc"] },
        results,
        {},
      ),
    ).toEqual({
      json: "0.9",
    });
  });

  it("names the output when a field it reads is missing, as canal exec does", () => {
    const results = (): Record<string, StoredValue> => ({ stats: { json: '{"acc":0.9}' } });
    const origin: BindingOrigin = {
      kind: "output",
      step: "train",
      key: "train[0]",
      output: "stats",
      path: ["loss"],
    };
    expect(() => storedValue(origin, results, {})).toThrow(
      new PlanError("output `stats` of step train[0]: the value has no field `loss`"),
    );
  });

  it("resolves an instance's inputs, and refuses one that is not optional and has no value", () => {
    const results = (key: string): Record<string, StoredValue> | undefined =>
      key === "prepare" ? { data: { digest: "d", directory: false, name: "data.csv" } } : undefined;
    expect(resolveInputs(get("train[0]"), plan, results, {})).toEqual({
      data: { digest: "d", directory: false, name: "data.csv" },
      lr: { json: "0.1" },
    });
    expect(() => resolveInputs(get("score[0]"), plan, results, {})).toThrow(
      "step score[0]: input `model` has no value",
    );
  });
});
