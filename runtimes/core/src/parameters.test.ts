import type { Pipeline, Type } from "@canal/ir";
import { describe, expect, it } from "vitest";
import { ParameterError, parseParameterArgs, resolveParameters } from "./parameters.js";

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
