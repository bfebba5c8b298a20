import type { Binding, Type as IrType, Output } from "@canal/ir";
import { canonicalJson } from "@canal/ir";
import type { Node } from "ts-morph";
import { literalType, memberType } from "./compat.js";

/**
 * What an expression of the pipeline body stands for. The body is never run: each binding is
 * one of these symbolic values, and step inputs are bound to where the value comes from.
 */
export type Value =
  | { kind: "parameter"; name: string; path: string[]; type: IrType | undefined }
  | { kind: "literal"; value: unknown }
  | { kind: "item"; fanOut: string; itemName: string; path: string[]; type: IrType | undefined }
  /** The whole result of a step call. */
  | { kind: "result"; step: string; outputs: Output[]; fanOut: string | undefined }
  | {
      kind: "output";
      step: string;
      output: string;
      path: string[];
      type: IrType | undefined;
      fanOut: string | undefined;
    }
  /** The array a fan-out produces: one `element` per item. */
  | { kind: "fanOutResult"; fanOut: string; element: Value | undefined }
  /** An object literal holding step values: only returned or produced per item. */
  | { kind: "object"; entries: Array<{ name: string; value: Value; node: Node }> }
  /** `const results = []`, waiting to be filled by `results.push(...)` in a `for…of`. */
  | { kind: "pushTarget"; name: string; declaredIn: Node }
  /** A binding whose value was already reported as an error: its uses are not reported again. */
  | { kind: "invalid" };

export type Bound = { binding: Binding; type: IrType | undefined; from: string };

function withPath<T extends Binding>(binding: T, path: string[]): Binding {
  return path.length > 0 ? { ...binding, path } : binding;
}

/** The single output a value stands for, if it stands for exactly one. */
export function singleOutput(value: Value): Extract<Value, { kind: "output" }> | undefined {
  if (value.kind === "output") return value;
  if (value.kind === "result" && value.outputs.length === 1 && value.outputs[0]?.name === "output") {
    const output = value.outputs[0];
    return {
      kind: "output",
      step: value.step,
      output: output.name,
      path: [],
      type: output.type,
      fanOut: value.fanOut,
    };
  }
  return undefined;
}

function pathText(path: string[]): string {
  return path.map((p) => `.${p}`).join("");
}

/**
 * Where a value bound to a step input or pipeline output comes from, with its IR type and words
 * for messages; a string instead says why the value cannot be bound.
 */
export function bindingOf(value: Value): Bound | string {
  switch (value.kind) {
    case "parameter":
      return {
        binding: withPath({ parameter: value.name }, value.path),
        type: value.type,
        from: `parameter \`${value.name}${pathText(value.path)}\``,
      };
    case "literal":
      return {
        binding: { literalJson: canonicalJson(value.value) },
        type: literalType(value.value),
        from: `the literal \`${JSON.stringify(value.value)}\``,
      };
    case "item":
      return {
        binding: withPath({ fanOutItem: value.fanOut }, value.path),
        type: value.type,
        from: `fan-out item \`${value.itemName}${pathText(value.path)}\``,
      };
    case "result":
    case "output": {
      const single = singleOutput(value);
      if (!single) {
        if (value.kind === "result" && value.outputs.length === 0)
          return `step \`${value.step}\` produces no output`;
        const names = value.kind === "result" ? value.outputs.map((o) => o.name).join(", ") : "";
        return `the whole result of step \`${value.step}\` is not one value; pick one of its outputs (${names})`;
      }
      const type = single.path.length > 0 && single.type ? memberType(single.type, single.path) : single.type;
      return {
        binding: withPath({ output: { step: single.step, output: single.output } }, single.path),
        type,
        from: `step \`${single.step}\` output \`${single.output}${pathText(single.path)}\``,
      };
    }
    case "fanOutResult": {
      const element = value.element && singleOutput(value.element);
      if (!element || element.path.length > 0) {
        return "a fan-out's result can only be passed on as one step output per item: `.map((r) => r.model)`";
      }
      return {
        binding: { collect: { step: element.step, output: element.output } },
        type: element.type ? { list: { element: element.type } } : undefined,
        from: `step \`${element.step}\` output \`${element.output}\` collected over the fan-out`,
      };
    }
    case "object":
      return "an object of step values can only be returned from the pipeline; pass each value as its own input";
    case "pushTarget":
      return `\`${value.name}\` is empty until a \`for…of\` loop pushes into it`;
    case "invalid":
      return "the value has errors";
  }
}
