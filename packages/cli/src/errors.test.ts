import { CanalError, IrError, problemsMessage } from "@canal/ir";
import { ParameterError } from "@canal/runtime-core";
import { describe, expect, it } from "vitest";
import { errorJson, errorText, UsageError } from "./errors.js";

describe("errorText", () => {
  it("prints a CanalError as its code, then its message", () => {
    expect(errorText("run", new IrError("CANAL_IR_CORRUPT", "pipeline.pb is damaged; recompile it"))).toBe(
      "canal run: CANAL_IR_CORRUPT: pipeline.pb is damaged; recompile it\n",
    );
  });

  it("prints each problem on its own line with its fix", () => {
    const error = new ParameterError(
      [
        {
          path: "count",
          message: "parameter `count` is required and has no default",
          hint: "pass it with -p count=VALUE",
        },
        {
          path: "colour",
          message: "pipeline needs has no parameter `colour`",
          hint: "its parameters are count",
        },
      ],
      "pipeline needs cannot run with these parameters; nothing ran:",
    );
    expect(errorText("run", error)).toBe(
      [
        "canal run: CANAL_PARAMETER_INVALID: pipeline needs cannot run with these parameters; nothing ran:",
        "  - parameter `count` is required and has no default; pass it with -p count=VALUE",
        "  - pipeline needs has no parameter `colour`; its parameters are count",
        "",
      ].join("\n"),
    );
  });

  it("prints any other error as its message alone, whatever `code` it carries", () => {
    const system = Object.assign(new Error("ENOENT: no such file or directory, open 'x'"), {
      code: "ENOENT",
    });
    expect(errorText("logs", system)).toBe("canal logs: ENOENT: no such file or directory, open 'x'\n");
    expect(errorText("logs", "thrown text")).toBe("canal logs: thrown text\n");
  });
});

describe("errorJson", () => {
  it("gives a CanalError's name, code, message and problems as data", () => {
    const problems = [{ path: "targets.gpu", message: "no target `gpu`", hint: "the targets are local" }];
    const error = new CanalError("CANAL_TARGET_UNKNOWN", problemsMessage(problems), { problems });
    expect(JSON.parse(JSON.stringify(errorJson(error)))).toEqual({
      error: {
        name: "CanalError",
        code: "CANAL_TARGET_UNKNOWN",
        message: "no target `gpu`; the targets are local",
        problems,
      },
    });
  });

  it("gives another error without a code", () => {
    expect(errorJson(new TypeError("x is undefined"))).toEqual({
      error: { name: "TypeError", message: "x is undefined", problems: [] },
    });
  });

  it("knows the CLI's own errors as CanalErrors", () => {
    expect(errorJson(new UsageError("unknown option --frob")).error).toMatchObject({
      name: "UsageError",
      code: "CANAL_USAGE",
    });
  });
});
