import type { FanOut } from "@canal/ir";
import { canonicalJson } from "@canal/ir";
import type { Node } from "ts-morph";
import { literalType } from "./compat.js";
import type { Refuse } from "./members.js";
import { locationOf, type Reporter } from "./report.js";
import type { FanOutFrame, Frame } from "./scope.js";
import type { Value } from "./values.js";

/** The fan-outs of one pipeline, in the order the body opens them. */
export class FanOuts {
  readonly list: FanOut[] = [];

  constructor(
    private readonly reporter: Reporter,
    private readonly pipelineName: string,
  ) {}

  /**
   * Opens a fan-out over `value` (what `source` evaluated to): an array parameter (or a field of
   * one), a literal array, or the result of an earlier fan-out, which continues that fan-out item
   * by item. Returns the frame for the loop body and the value standing for one item.
   */
  start(
    value: Value,
    source: Node,
    node: Node,
    itemName: string,
    frame: Frame,
    refuse: Refuse,
  ): { fanOut: FanOutFrame; item: Value | undefined } | undefined {
    if (frame.fanOut && !(value.kind === "fanOutResult" && value.fanOut === frame.fanOut.id)) {
      const line = locationOf(frame.fanOut.node, this.reporter.projectRoot).line;
      this.reporter.error(
        "CANAL1013",
        node,
        `nested fan-out in pipeline \`${this.pipelineName}\`: \`${source.getText()}\` is fanned out inside ${frame.fanOut.label} (line ${line})`,
        "fan out over one list: pass the combinations as one parameter (e.g. a list of { lr, depth } objects), or move the inner loop into a step",
      );
      return undefined;
    }
    if (value.kind === "fanOutResult") {
      const existing = this.list.find((f) => f.id === value.fanOut);
      const label = `the fan-out over \`${existing?.itemName ?? value.fanOut}\``;
      return { fanOut: { id: value.fanOut, node, label }, item: value.element };
    }
    const id = `fan-out-${this.list.length + 1}`;
    const location = locationOf(node, this.reporter.projectRoot);
    const opened = { id, node, label: `the fan-out over \`${source.getText()}\`` };
    if (value.kind === "parameter" && (!value.type || "list" in value.type)) {
      const fanOut: FanOut = { id, itemName, parameter: value.name, location };
      if (value.path.length > 0) fanOut.parameterPath = value.path;
      this.list.push(fanOut);
      const type = value.type && "list" in value.type ? value.type.list.element : undefined;
      return { fanOut: opened, item: { kind: "item", fanOut: id, itemName, path: [], type } };
    }
    if (value.kind === "literal" && Array.isArray(value.value)) {
      this.list.push({ id, itemName, literalJson: canonicalJson(value.value), location });
      const listType = literalType(value.value);
      const type = listType && "list" in listType ? listType.list.element : undefined;
      return { fanOut: opened, item: { kind: "item", fanOut: id, itemName, path: [], type } };
    }
    return refuse(
      source,
      `a fan-out over \`${source.getText()}\` (only an array parameter, a literal array or another fan-out's result can be fanned out)`,
    );
  }
}
