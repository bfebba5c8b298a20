import { didYouMean, type Output, type PipelineOutput } from "@canal/ir";
import type { Node } from "ts-morph";
import { memberType } from "./compat.js";
import { bindingOf, type Value } from "./values.js";

/** Reports a construct the body does not allow. */
export type Refuse = (node: Node, construct: string) => undefined;

function outputOf(result: Extract<Value, { kind: "result" }>, output: Output): Value {
  return {
    kind: "output",
    step: result.step,
    output: output.name,
    path: [],
    type: output.type,
    fanOut: result.fanOut,
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** `x.name` for each kind of value: a field of a parameter or item, an output of a step result. */
export function memberOf(base: Value, name: string, node: Node, refuse: Refuse): Value | undefined {
  switch (base.kind) {
    case "parameter":
    case "item": {
      const type = base.type ? memberType(base.type, [name]) : undefined;
      if (base.type && !type) break;
      return { ...base, path: [...base.path, name], type };
    }
    case "literal":
      if (isPlainObject(base.value) && Object.hasOwn(base.value, name))
        return { kind: "literal", value: base.value[name] };
      break;
    case "result": {
      const [only] = base.outputs;
      // A step returning one artifact or value: the result is that value itself.
      if (base.outputs.length === 1 && only?.name === "output")
        return memberOf(outputOf(base, only), name, node, refuse);
      const output = base.outputs.find((o) => o.name === name);
      if (output) return outputOf(base, output);
      const names = base.outputs.map((o) => `\`${o.name}\``).join(", ") || "none";
      return refuse(
        node,
        `\`${node.getText()}\` (step \`${base.step}\` has no output \`${name}\`; its outputs are ${names}${didYouMean(
          name,
          base.outputs.map((o) => o.name),
        )})`,
      );
    }
    case "output": {
      const type = base.type ? memberType(base.type, [...base.path, name]) : undefined;
      if (type) return { ...base, path: [...base.path, name] };
      break;
    }
    case "object": {
      const entry = base.entries.find((e) => e.name === name);
      if (entry) return entry.value;
      break;
    }
    default:
      break;
  }
  return refuse(node, `\`${node.getText()}\` (a member that exists only at run time)`);
}

/**
 * The pipeline's outputs from what its body returns: one output "output" for a single value,
 * one per key for an object literal, one per output for a step result with named outputs.
 */
export function pipelineOutputs(value: Value, node: Node, refuse: Refuse): PipelineOutput[] {
  const outputs: PipelineOutput[] = [];
  const add = (name: string, item: Value, at: Node) => {
    const bound = bindingOf(item);
    if (typeof bound === "string") refuse(at, `returning this value (${bound})`);
    else if (bound.type) outputs.push({ name, type: bound.type, binding: bound.binding });
  };
  if (value.kind === "object") {
    for (const entry of value.entries) add(entry.name, entry.value, entry.node);
  } else if (value.kind === "literal" && isPlainObject(value.value)) {
    for (const [name, inner] of Object.entries(value.value))
      add(name, { kind: "literal", value: inner }, node);
  } else if (
    value.kind === "result" &&
    !(value.outputs.length === 1 && value.outputs[0]?.name === "output")
  ) {
    for (const output of value.outputs) add(output.name, outputOf(value, output), node);
  } else {
    add("output", value, node);
  }
  return outputs;
}
