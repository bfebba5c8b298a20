import { describe, expect, it } from "vitest";
import { gresCount, type Partition, parsePartitions } from "./cluster-check.js";

describe("what sinfo says of a cluster's partitions", () => {
  const text = [
    "gpu*|up|idle|2|gpu:a100:4(S:0-1)|64|256000|1-00:00:00",
    "gpu*|up|mixed|1|gpu:a100:4(S:0-1)|64|256000|1-00:00:00",
    "gpu*|up|allocated|3|gpu:a100:8|64|256000|1-00:00:00",
    "cpu|down|idle|5|(null)|32|128000|infinite",
    "",
  ].join("\n");

  it("sums each partition's node groups, counting the idle nodes", () => {
    expect(parsePartitions(text)).toEqual([
      {
        name: "gpu",
        default: true,
        avail: "up",
        nodes: 6,
        idle: 2,
        gres: ["gpu:a100:4(S:0-1)", "gpu:a100:8"],
        cpus: "64",
        memoryMb: "256000",
        timeLimit: "1-00:00:00",
      },
      {
        name: "cpu",
        default: false,
        avail: "down",
        nodes: 5,
        idle: 5,
        gres: [],
        cpus: "32",
        memoryMb: "128000",
        timeLimit: "infinite",
      },
    ]);
  });

  it("reads how many GPUs of a GRES name a node has, typed or not", () => {
    const [gpu, cpu] = parsePartitions(text);
    expect(gresCount(gpu as Partition, "gpu")).toBe(8);
    expect(gresCount(gpu as Partition, "mps")).toBe(0);
    expect(gresCount(cpu as Partition, "gpu")).toBe(0);
    expect(gresCount({ ...(cpu as Partition), gres: ["gpu:2"] }, "gpu")).toBe(2);
  });
});
