import type { Pipeline, Step } from "@canal/ir";
import { describe, expect, it } from "vitest";
import { argoWorkflow } from "./argo.js";
import { cpuQuantity, memoryQuantity, objectName } from "./common.js";
import { ExportError } from "./errors.js";

describe("Kubernetes names and quantities", () => {
  it("keeps valid names and makes others valid without letting two collide", () => {
    expect(objectName("iris-train-2")).toBe("iris-train-2");
    const a = objectName("train_a");
    const b = objectName("train-a");
    expect(a).toMatch(/^train-a-[0-9a-f]{8}$/);
    expect(b).toBe("train-a");
    const long = objectName(`p-${"x".repeat(80)}`);
    expect(long.length).toBe(63);
    expect(long).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  });

  it("writes CPUs and memory as Kubernetes quantities", () => {
    expect(cpuQuantity(2)).toBe("2");
    expect(cpuQuantity(0.5)).toBe("500m");
    expect(memoryQuantity(16 * 1024 ** 3)).toBe("16Gi");
    expect(memoryQuantity(1536 * 1024 ** 2)).toBe("1536Mi");
    expect(memoryQuantity(1e9)).toBe("1000000000");
  });
});

function conditional(conditions: Step["conditions"]): Pipeline {
  return {
    irVersion: 1,
    minRuntimeVersion: "0.1.0",
    name: "p",
    parameters: [
      { name: "deploy", type: { primitive: "BOOLEAN" }, hasDefault: true, defaultJson: "false" },
      {
        name: "mode",
        type: { enum: { valuesJson: ['"fast"', '"full"'] } },
        hasDefault: true,
        defaultJson: '"fast"',
      },
      { name: "n", type: { primitive: "NUMBER" }, hasDefault: true, defaultJson: "3" },
      { name: "cfg", type: { object: { fields: [{ name: "on", type: { primitive: "BOOLEAN" } }] } } },
    ],
    steps: [
      {
        id: "ship",
        name: "ship",
        kind: "TYPESCRIPT",
        inputs: [],
        outputs: [],
        codeHash: "c",
        hash: "h",
        conditions,
      },
    ],
    compilerVersion: "0",
    hash: "h",
  };
}

describe("Argo conditions", () => {
  const when = (conditions: Step["conditions"]) =>
    ((argoWorkflow(conditional(conditions)).workflow as any).spec.templates[0].dag.tasks[0].when as string) ??
    "";

  it("tests parameters by their type in a `when` expression", () => {
    expect(when([{ parameter: "deploy", op: "TRUTHY" }])).toBe("{{workflow.parameters.deploy}} == true");
    expect(
      when([
        { parameter: "mode", op: "EQ", valueJson: '"full"' },
        { parameter: "n", op: "GE", valueJson: "2" },
      ]),
    ).toBe("'{{workflow.parameters.mode}}' == 'full' && {{workflow.parameters.n}} >= 2");
  });

  it("refuses a condition on an object's field, which `when` cannot reach, with the alternative", () => {
    expect(() => argoWorkflow(conditional([{ parameter: "cfg", path: ["on"], op: "TRUTHY" }]))).toThrow(
      ExportError,
    );
    expect(() => argoWorkflow(conditional([{ parameter: "cfg", path: ["on"], op: "TRUTHY" }]))).toThrow(
      /export Kubernetes Jobs instead/,
    );
  });
});
