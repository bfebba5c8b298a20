import {
  context,
  installStepContext,
  Metrics,
  pipeline,
  pipelineMetadata,
  step,
  stepMetadata,
  Table,
} from "@canal/sdk";
import { describe, expect, it } from "vitest";

class Steps {
  @step({ retries: 3 })
  score(table: Table): Metrics {
    return new Metrics(table.path);
  }

  @step.script({ source: "./src", run: "python x.py {table}" })
  prepare(table: Table): { table: Table } {
    return step.declared();
  }

  @pipeline({ name: "p" })
  run(table: Table) {
    return this.score(this.prepare(table).table);
  }
}

describe("decorators", () => {
  it("record step and pipeline metadata that a runtime can read from a bundle", () => {
    const proto = Steps.prototype;
    expect(stepMetadata(proto.score)).toEqual({ kind: "typescript", options: { retries: 3 } });
    expect(stepMetadata(proto.prepare)?.kind).toBe("script");
    expect(stepMetadata(proto.run)).toBeUndefined();
    expect(pipelineMetadata(proto.run)).toEqual({ name: "p" });
  });

  it("marks function-form steps", () => {
    const clean = step.fn(async (t: Table) => t);
    expect(stepMetadata(clean)).toEqual({ kind: "typescript", options: {} });
  });

  it("refuses to run a script step's declaration in process", () => {
    expect(() => new Steps().prepare(new Table("t.csv"))).toThrow(/only declares its signature/);
  });
});

describe("step context", () => {
  it("is available only while a runtime has installed one", () => {
    expect(() => context()).toThrow(/only available while a step runs/);
    const logged: Array<[string, number | string]> = [];
    installStepContext({
      runId: "r1",
      stepId: "train",
      attempt: 1,
      outputPath: (name) => `/out/${name}`,
      log: (name, value) => logged.push([name, value]),
      dataset: (name) => (name === "raw" ? { path: "/in/raw", name: "wine", version: 2 } : undefined),
    });
    try {
      context().log("accuracy", 0.9);
      expect(context().outputPath("model")).toBe("/out/model");
      expect(logged).toEqual([["accuracy", 0.9]]);
    } finally {
      installStepContext(undefined);
    }
  });
});
