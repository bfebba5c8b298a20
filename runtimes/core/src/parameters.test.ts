import type { Pipeline, Type } from "@canal/ir";
import { describe, expect, it } from "vitest";
import { ParameterError } from "./errors.js";
import { parseParameterArgs, resolveParameters } from "./parameters.js";

const pipeline = (types: Record<string, Type>) =>
  ({
    name: "p",
    parameters: Object.entries(types).map(([name, type]) => ({ name, type, hasDefault: false })),
  }) as unknown as Pipeline;

// One reading of `-p name=value` for every command: by the parameter's type.
describe("-p name=value", () => {
  const typed = pipeline({
    mode: { primitive: "STRING" },
    count: { primitive: "NUMBER" },
    deploy: { primitive: "BOOLEAN" },
    lrs: { list: { element: { primitive: "NUMBER" } } },
    level: { enum: { valuesJson: ['"low"', '"high"'] } },
    raw: { artifact: { lineage: ["Dataset"] } },
  } as Record<string, Type>);

  it("gives a string, string enum or artifact parameter the text as it is", () => {
    expect(parseParameterArgs(["mode=123", "level=high", "raw=data/1.json", "count=2"], typed)).toEqual({
      mode: "123",
      level: "high",
      raw: "data/1.json",
      count: 2,
    });
    expect(parseParameterArgs(['mode="quoted"', "mode2=true"], typed)).toEqual({
      mode: '"quoted"',
      mode2: true,
    });
  });

  it("reads other types as JSON, and leaves text that is not JSON for the type check to report", () => {
    const values = parseParameterArgs(["lrs=[0.1,1]", "deploy=true", "count=many"], typed);
    expect(values).toEqual({ lrs: [0.1, 1], deploy: true, count: "many" });
    expect(() => resolveParameters(typed, { ...values, mode: "m", level: "low", raw: "x" })).toThrow(
      /parameter `count`: .*got "many".*-p count=1/,
    );
  });

  it("without a pipeline, reads JSON where it parses and text otherwise", () => {
    expect(parseParameterArgs(["a=1", "b=full", "c=[1]"])).toEqual({ a: 1, b: "full", c: [1] });
  });

  it("names a pair that is not name=value", () => {
    expect(() => parseParameterArgs(["=1"], typed)).toThrow(ParameterError);
    expect(() => parseParameterArgs(["novalue"], typed)).toThrow(/write it as -p novalue=VALUE/);
  });
});

describe("resolveParameters' problems", () => {
  const needs = pipeline({ count: { primitive: "NUMBER" }, label: { primitive: "STRING" } });

  function refusal(given: Record<string, unknown>): ParameterError {
    try {
      resolveParameters(needs, given);
    } catch (error) {
      if (error instanceof ParameterError) return error;
      throw error;
    }
    throw new Error("expected a ParameterError");
  }

  it("lists every problem as data: the parameter, what is wrong, the fix", () => {
    const error = refusal({ count: "many", colour: "red" });
    expect(error.code).toBe("CANAL_PARAMETER_INVALID");
    expect(error.name).toBe("ParameterError");
    expect(error.problems).toEqual([
      {
        path: "colour",
        message: "pipeline p has no parameter `colour`",
        hint: "its parameters are count, label",
      },
      {
        path: "count",
        message: 'parameter `count`: Invalid input: expected number, received string (got "many")',
        hint: "pass a value of its type, e.g. -p count=1",
      },
      {
        path: "label",
        message: "parameter `label` is required and has no default",
        hint: "pass it with -p label=VALUE",
      },
    ]);
    expect(error.message).toBe(
      [
        "pipeline p cannot run with these parameters; nothing ran:",
        "  - pipeline p has no parameter `colour`; its parameters are count, label",
        '  - parameter `count`: Invalid input: expected number, received string (got "many"); pass a value of its type, e.g. -p count=1',
        "  - parameter `label` is required and has no default; pass it with -p label=VALUE",
      ].join("\n"),
    );
  });

  it("writes one problem alone as one line", () => {
    expect(refusal({ count: 1 }).message).toBe(
      "parameter `label` is required and has no default; pass it with -p label=VALUE",
    );
  });
});
