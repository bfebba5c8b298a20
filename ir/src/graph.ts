import type { Binding, Pipeline, Type } from "./types.js";

/** One dependency between two steps: data (an output feeding an input) or ordering (`after`). */
export interface Edge {
  from: string;
  to: string;
  kind: "data" | "fan-in" | "after";
  /** For data edges: the upstream output and the downstream input. */
  output?: string;
  input?: string;
}

/** The step that a binding reads from, if it reads a step's output. */
export function bindingSource(
  binding: Binding,
): { step: string; output: string; fanIn: boolean } | undefined {
  // Literals with every field, not a spread followed by one: called for each input of each step
  // instance, and a field added to a spread's copy shapes each copy again.
  if ("output" in binding && binding.output)
    return { step: binding.output.step, output: binding.output.output, fanIn: false };
  if ("collect" in binding && binding.collect)
    return { step: binding.collect.step, output: binding.collect.output, fanIn: true };
  return undefined;
}

/** Every edge of the pipeline's step graph, in step order. */
export function pipelineEdges(pipeline: Pipeline): Edge[] {
  const edges: Edge[] = [];
  for (const step of pipeline.steps) {
    for (const input of step.inputs) {
      const source = bindingSource(input.binding);
      if (source) {
        edges.push({
          from: source.step,
          to: step.id,
          kind: source.fanIn ? "fan-in" : "data",
          output: source.output,
          input: input.name,
        });
      }
    }
    for (const before of step.after ?? []) edges.push({ from: before, to: step.id, kind: "after" });
  }
  return edges;
}

/** A type as a person writes it: `Model`, `number[]`, `"a" | "b"`, `{ lr: number }`. */
export function typeText(type: Type): string {
  if ("primitive" in type) return type.primitive.toLowerCase();
  if ("artifact" in type) {
    const name = type.artifact.lineage[0] ?? "Artifact";
    // A Table declared with a schema, as it was written: `Table<typeof WineRow>`.
    const schema = type.artifact.table?.schemaName;
    return schema && name === "Table" ? `Table<typeof ${schema}>` : name;
  }
  if ("list" in type) {
    const element = typeText(type.list.element);
    return /[ |]/.test(element) ? `Array<${element}>` : `${element}[]`;
  }
  if ("enum" in type) return type.enum.valuesJson.join(" | ");
  if (type.object.schemaName) return type.object.schemaName;
  const fields = type.object.fields.map((f) => `${f.name}${f.optional ? "?" : ""}: ${typeText(f.type)}`);
  return `{ ${fields.join("; ")} }`;
}

/** A binding as a person reads it: `train.model`, `param lrs`, `[train.metrics …]`, `item c`. */
export function bindingText(binding: Binding): string {
  const path = binding.path?.length ? `.${binding.path.join(".")}` : "";
  if ("output" in binding && binding.output) return `${binding.output.step}.${binding.output.output}${path}`;
  if ("collect" in binding && binding.collect)
    return `[${binding.collect.step}.${binding.collect.output} …]${path}`;
  if ("parameter" in binding && binding.parameter) return `param ${binding.parameter}${path}`;
  if ("fanOutItem" in binding && binding.fanOutItem) return `item of ${binding.fanOutItem}${path}`;
  if ("literalJson" in binding) return `${binding.literalJson}${path}`;
  return "?";
}
