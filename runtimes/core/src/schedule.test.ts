import { describe, expect, it } from "vitest";
import { instancesByStep } from "./bindings.js";
import { planInstances } from "./plan.js";
import { ReadyQueue } from "./ready-queue.js";
import { Schedule } from "./schedule.js";
import { fromOutput, testPipeline, testStep, types } from "./testing/pipelines.js";

// a -> b -> d, a -> c -> d, e alone; d also waits on `gone`, a step whose condition did not hold.
const pipeline = testPipeline([
  testStep("a", {}, { out: types.number }),
  testStep("b", { x: [types.number, fromOutput("a", "out")] }, { out: types.number }),
  testStep("c", { x: [types.number, fromOutput("a", "out")] }, { out: types.number }),
  testStep("gone", {}, { out: types.number }, { conditions: [{ parameter: "never", op: "TRUTHY" }] }),
  testStep(
    "d",
    {
      x: [types.number, fromOutput("b", "out")],
      y: [types.number, fromOutput("c", "out")],
      z: [types.number, fromOutput("gone", "out")],
    },
    {},
  ),
  testStep("e", {}, {}, { after: ["c"] }),
]);

function schedule(ahead: (key: string) => boolean = () => false) {
  const { instances, skipped } = planInstances(pipeline, {});
  const ended = new Set(skipped.map((s) => s.id));
  const s = new Schedule(instances, instancesByStep(instances), ended, (key) => ended.has(key), ahead);
  const finish = (key: string) => {
    ended.add(key);
    s.settle(key);
  };
  const takeAll = () => {
    const taken: string[] = [];
    for (let next = s.take(); next; next = s.take()) taken.push(next.key);
    return taken;
  };
  return { s, finish, takeAll };
}

describe("schedule", () => {
  it("knows what each instance waits on: outputs, `after`, and a skipped step by its id", () => {
    const { s } = schedule();
    expect(Object.fromEntries(s.waitsFor)).toEqual({
      a: [],
      b: ["a"],
      c: ["a"],
      d: ["b", "c", "gone"],
      e: ["c"],
    });
    expect(s.dependents.get("a")).toEqual(["b", "c"]);
    expect(s.dependents.has("gone")).toBe(false);
  });

  it("makes an instance ready once its last upstream ends, taken in plan order", () => {
    const { s, finish, takeAll } = schedule();
    expect(takeAll()).toEqual(["a"]);
    finish("a");
    expect(s.readySize).toBe(2);
    expect(takeAll()).toEqual(["b", "c"]);
    finish("c");
    expect(takeAll()).toEqual(["e"]);
    finish("b");
    expect(takeAll()).toEqual(["d"]);
    expect(s.blocker("d", (key) => key !== "gone")).toBe("gone");
    expect(s.blocker("b", () => true)).toBe(undefined);
  });

  it("starts an instance a runtime was told of ahead before others that are ready", () => {
    const { finish, takeAll } = schedule((key) => key === "c");
    takeAll();
    finish("a");
    expect(takeAll()).toEqual(["c", "b"]);
  });

  it("starts nothing more once cleared (a cancel)", () => {
    const { s, finish, takeAll } = schedule();
    takeAll();
    finish("a");
    s.clear();
    expect(takeAll()).toEqual([]);
  });
});

describe("ReadyQueue", () => {
  it("pops the smallest position first", () => {
    const queue = new ReadyQueue();
    for (const position of [5, 1, 9, 3, 7, 2]) queue.push(position);
    const popped: Array<number | undefined> = [];
    while (queue.size > 0) popped.push(queue.pop());
    expect(popped).toEqual([1, 2, 3, 5, 7, 9]);
    expect(queue.pop()).toBe(undefined);
  });
});
