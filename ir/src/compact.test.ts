import { describe, expect, it } from "vitest";
import { compactPipeline, expandPipeline } from "./compact.js";
import type { Input, Pipeline, Step } from "./types.js";

const file = { artifact: { lineage: ["File", "Artifact"] } };

/** The `i`th call of one script step: its input `x` is the output of the call before it. */
function call(i: number, own: Partial<Step> = {}): Step {
  const inputs: Input[] = [
    {
      name: "x",
      type: file,
      binding: i === 0 ? { parameter: "seed" } : { output: { step: `inc-${i - 1}`, output: "out" } },
    } as Input,
    { name: "i", type: { primitive: "NUMBER" }, binding: { literalJson: String(i) } } as Input,
  ];
  return {
    id: `inc-${i}`,
    name: "inc",
    kind: "SCRIPT",
    script: { command: "inc {x} {i} > {out}", snapshot: "s".repeat(64), source: "src" },
    inputs,
    outputs: [{ name: "out", type: file }],
    environment: "env",
    location: { file: "pipeline.ts", line: 10 + i, column: 5 },
    codeHash: "c".repeat(64),
    hash: "h".repeat(64),
    ...own,
  } as Step;
}

function chain(steps: Step[]): Pipeline {
  return {
    irVersion: 1,
    minRuntimeVersion: "0.1.0",
    name: "chain",
    parameters: [],
    steps,
    environments: [],
    blobs: [],
    compilerVersion: "0.1.0",
    hash: "",
  } as Pipeline;
}

/** A step's fields that hold a value, sorted: what a reader of the step sees. */
const fields = (step: object) =>
  Object.entries(step)
    .filter(([, value]) => value !== undefined)
    .map(([name]) => name)
    .sort();

describe("calls of a template", () => {
  const steps = [
    call(0),
    call(1, { after: ["inc-0"] }),
    call(2, { location: { file: "other.ts", line: 3, column: 1 } }),
    call(3, { location: undefined }),
    call(4),
  ];
  delete steps[3]!.location;

  it("expand to the steps they were compacted from, field for field", () => {
    const compact = compactPipeline(chain(steps)) as Pipeline & { templates?: Step[] };
    expect(compact.templates).toHaveLength(1);
    const expanded = expandPipeline(compact).steps;
    expect(expanded).toEqual(steps);
    expanded.forEach((step, i) => {
      expect(fields(step)).toEqual(fields(steps[i]!));
    });
    expect("location" in expanded[3]!).toBe(false);
    expect(expanded[2]!.location).toEqual({ file: "other.ts", line: 3, column: 1 });
  });

  it("each have inputs of their own, and leave the template as it was", () => {
    const compact = compactPipeline(chain(steps)) as Pipeline & { templates?: Step[] };
    const template = structuredClone(compact.templates![0]!);
    const expanded = expandPipeline(compact).steps;
    expanded[1]!.inputs[0]!.binding = { parameter: "changed" };
    expanded[1]!.inputs.push({ ...expanded[1]!.inputs[1]!, name: "added" });
    expanded[1]!.id = "renamed";
    expect(expanded[2]!.inputs[0]!.binding).toEqual({ output: { step: "inc-1", output: "out" } });
    expect(expanded[2]!.inputs.map((input) => input.name)).toEqual(["x", "i"]);
    expect(expanded[4]!.id).toBe("inc-4");
    expect(compact.templates![0]).toEqual(template);
    expect(expandPipeline(compact).steps).toEqual(steps);
  });
});
