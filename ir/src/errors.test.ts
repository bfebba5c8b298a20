import { describe, expect, it } from "vitest";
import {
  ArtifactError,
  CanalError,
  CommandTemplateError,
  IrError,
  isCanalError,
  PathEscapeError,
  problemsMessage,
  problemText,
} from "./errors.js";

describe("CanalError", () => {
  it("carries a stable code, its class's name and its problems", () => {
    const problems = [{ path: "lr", message: "parameter `lr` is not a number", hint: "pass -p lr=0.1" }];
    const error = new CanalError("CANAL_EXAMPLE", problemsMessage(problems), { problems });
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe("CANAL_EXAMPLE");
    expect(error.name).toBe("CanalError");
    expect(error.message).toBe("parameter `lr` is not a number; pass -p lr=0.1");
    expect(error.problems).toEqual(problems);
    expect(error.toJSON()).toEqual({
      name: "CanalError",
      code: "CANAL_EXAMPLE",
      message: error.message,
      problems,
    });
  });

  it("keeps the error it explains as its cause", () => {
    const cause = new Error("EACCES");
    expect(new CanalError("CANAL_EXAMPLE", "cannot read", { cause }).cause).toBe(cause);
    expect("cause" in new CanalError("CANAL_EXAMPLE", "cannot read")).toBe(false);
  });

  it("gives each subclass its own name, and every one is a CanalError", () => {
    const errors = [
      new IrError("CANAL_IR_CORRUPT", "damaged"),
      new ArtifactError("CANAL_ARTIFACT_NOT_FOUND", "no artifact"),
      new PathEscapeError("/work", ['".."']),
      new CommandTemplateError([
        { offset: 5, length: 5, reason: "has a placeholder in backquotes", fix: "move it" },
      ]),
    ];
    expect(errors.map((e) => e.name)).toEqual([
      "IrError",
      "ArtifactError",
      "PathEscapeError",
      "CommandTemplateError",
    ]);
    for (const error of errors) {
      expect(error).toBeInstanceOf(CanalError);
      expect(isCanalError(error)).toBe(true);
      expect(error.code).toMatch(/^CANAL_[A-Z_]+$/);
    }
  });

  it("is recognised by its brand when made by another copy of the package", () => {
    const foreign = new Error("from elsewhere");
    Object.defineProperty(foreign, Symbol.for("canal.error"), { value: true });
    expect(isCanalError(foreign)).toBe(true);
    expect(isCanalError(Object.assign(new Error("ENOENT"), { code: "ENOENT" }))).toBe(false);
    expect(isCanalError(undefined)).toBe(false);
  });
});

describe("problemsMessage", () => {
  const problems = [
    { path: "a", message: "a is wrong", hint: "fix a" },
    { path: "b", message: "b is wrong" },
  ];

  it("writes a problem as its message, then its fix", () => {
    expect(problems.map(problemText)).toEqual(["a is wrong; fix a", "b is wrong"]);
  });

  it("lists problems below a heading, or one a line without one", () => {
    expect(problemsMessage(problems, "nothing ran:")).toBe(
      "nothing ran:\n  - a is wrong; fix a\n  - b is wrong",
    );
    expect(problemsMessage(problems)).toBe("a is wrong; fix a\nb is wrong");
  });
});

describe("CommandTemplateError", () => {
  it("lists each template problem with its place and fix", () => {
    const error = new CommandTemplateError([
      { offset: 5, length: 5, reason: "has {a} inside backquotes", fix: "move it out" },
      { offset: 20, length: 1, reason: "never closes a quote", fix: "close it" },
    ]);
    expect(error.message).toBe(
      "the command template has {a} inside backquotes (at character 6); move it out (and 1 more problem(s))",
    );
    expect(error.problems).toEqual([
      { path: "character 6", message: "the command template has {a} inside backquotes", hint: "move it out" },
      { path: "character 21", message: "the command template never closes a quote", hint: "close it" },
    ]);
  });
});
