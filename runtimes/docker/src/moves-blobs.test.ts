import type { BlobPlace, Environment } from "@canal/ir";
import { testStep } from "@canal/runtime-core/testing";
import { describe, expect, it } from "vitest";
import { DockerRuntime } from "./docker-runtime.js";

const bucket: BlobPlace = { kind: "s3", bucket: "team", prefix: "canal/" };
const image: Environment = { id: "img", kind: "IMAGE", image: "python:3.12" } as Environment;
const python: Environment = { id: "py", kind: "PYTHON" } as Environment;

describe("which docker steps move their own bytes", () => {
  it("those of a target with a network, unless a script step's own image may lack node", () => {
    const script = testStep("s", {}, {}, { kind: "SCRIPT" });
    const typescript = testStep("t");
    const networked = new DockerRuntime({ socket: "/nonexistent.sock", network: "host" });
    expect(networked.movesBlobs(bucket, typescript, undefined)).toBe(true);
    expect(networked.movesBlobs(bucket, typescript, image)).toBe(true);
    expect(networked.movesBlobs(bucket, script, undefined)).toBe(true);
    expect(networked.movesBlobs(bucket, script, python)).toBe(true);
    expect(networked.movesBlobs(bucket, script, image)).toBe(false);
    // No network (the default): the step reaches no bucket, and the driver stages its bytes.
    const closed = new DockerRuntime({ socket: "/nonexistent.sock" });
    expect(closed.movesBlobs(bucket, typescript, undefined)).toBe(false);
  });
});
