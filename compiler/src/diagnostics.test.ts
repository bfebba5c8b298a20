// One fixture per diagnostic code, under fixtures/diagnostics/<code>-<slug>/pipeline.ts: each
// must report exactly its code, at the place a user would look, with a message naming the parts.
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { analyze, createProject, findProjectRoot } from "./analyze/index.js";
import type { Diagnostic, DiagnosticCode } from "./model.js";

const fixtures = join(dirname(fileURLToPath(import.meta.url)), "fixtures", "diagnostics");

function diagnose(fixture: string): { diagnostics: Diagnostic[]; models: number; file: string } {
  const entry = join(fixtures, fixture, "pipeline.ts");
  const root = findProjectRoot(entry);
  const { diagnostics, models } = analyze(createProject([entry], root), [entry], root);
  return {
    diagnostics,
    models: models.length,
    file: `compiler/src/fixtures/diagnostics/${fixture}/pipeline.ts`,
  };
}

interface Expected {
  fixture: string;
  code: DiagnosticCode;
  line: number;
  column: number;
  message: string;
  hint: string;
}

const cases: Expected[] = [
  {
    fixture: "CANAL1001-no-pipeline",
    code: "CANAL1001",
    line: 1,
    column: 1,
    message: "no @pipeline found in pipeline.ts",
    hint: "decorate a method of an exported class with @pipeline",
  },
  {
    fixture: "CANAL1002-while-loop",
    code: "CANAL1002",
    line: 11,
    column: 5,
    message: "`while` loops (`while (retrain) { this.train(table); }`) cannot appear in pipeline `loop`",
    hint: "fan-outs `arr.map((x) => ...)` and `for (const x of arr)`, `if` on parameters",
  },
  {
    fixture: "CANAL1003-type-mismatch",
    code: "CANAL1003",
    line: 17,
    column: 23,
    message:
      "step `score` input `table` expects Table but gets Model from step `train` output `model`; pass a Table or change the input's type",
    hint: "bind `table` to a value of type Table",
  },
  {
    fixture: "CANAL1004-missing-input",
    code: "CANAL1004",
    line: 11,
    column: 17,
    message: "step `train` input `lr` (number) gets no argument in pipeline `missing`",
    hint: "pass a value for `lr`",
  },
  {
    fixture: "CANAL1005-unknown-placeholder",
    code: "CANAL1005",
    line: 4,
    column: 89,
    message:
      "step `train` option `run` has the placeholder {learningRate}, which names no input or output of the step; the valid names are {raw}, {lr}, {model}",
    hint: "use one of {raw}, {lr}, {model}",
  },
  {
    fixture: "CANAL1006-cycle",
    code: "CANAL1006",
    line: 16,
    column: 5,
    message: "steps `train` → `publish` → `train` form a cycle in pipeline `cycle`",
    hint: "remove an `after` entry",
  },
  {
    fixture: "CANAL1007-duplicate-name",
    code: "CANAL1007",
    line: 13,
    column: 21,
    message:
      "pipeline `duplicate` uses two different steps named `train`: `Duplicate.train` (pipeline.ts) and `train` (steps.ts)",
    hint: "with the `name` option",
  },
  {
    fixture: "CANAL1008-parameter-type",
    code: "CANAL1008",
    line: 10,
    column: 27,
    message:
      "pipeline `dates` parameter `since` has type `Date`: Date values cannot be serialised; pass an ISO 8601 string",
    hint: "pass an ISO 8601 string",
  },
  {
    fixture: "CANAL1009-not-a-step",
    code: "CANAL1009",
    line: 15,
    column: 23,
    message:
      "`normalise` is not a step; only calls of @step methods and step.fn values may appear in a pipeline body",
    hint: "decorate the method with @step",
  },
  {
    fixture: "CANAL1010-union-input",
    code: "CANAL1010",
    line: 5,
    column: 15,
    message:
      "step `train` input `data` has type `string | File`: unions are not supported; split it into two steps or use one type",
    hint: "split it into two steps or use one type",
  },
  {
    fixture: "CANAL1011-bad-option",
    code: "CANAL1011",
    line: 4,
    column: 32,
    message:
      'step `train` option `timeout` is `"10 minutes"`; it must be milliseconds, or a string like "90s", "30m", "1h", "2d"',
    hint: 'timeout: "30m"',
  },
  {
    fixture: "CANAL1012-missing-path",
    code: "CANAL1012",
    line: 4,
    column: 26,
    message: "step `prepare` option `source` names `./dataprep`",
    hint: "it is relative to pipeline.ts",
  },
  {
    fixture: "CANAL1013-nested-fan-out",
    code: "CANAL1013",
    line: 11,
    column: 28,
    message:
      "nested fan-out in pipeline `grid`: `depths` is fanned out inside the fan-out over `lrs` (line 11)",
    hint: "fan out over one list",
  },
  {
    fixture: "CANAL1014-not-exported",
    code: "CANAL1014",
    line: 3,
    column: 7,
    message: "class `Hidden`, which holds pipeline `hidden`, is not exported from pipeline.ts",
    hint: "export class Hidden",
  },
  {
    fixture: "CANAL1015-unknown-after",
    code: "CANAL1015",
    line: 9,
    column: 19,
    message:
      "step `publish` option `after` names `trian`, which is not a step of pipeline `after`; its steps are `train`, `publish`",
    hint: "name a step this pipeline calls",
  },
  {
    fixture: "CANAL1016-typescript-error",
    code: "CANAL1016",
    line: 6,
    column: 11,
    message: "TypeScript error TS2322: Type 'string' is not assignable to type 'number'.",
    hint: "fix the type error",
  },
  {
    fixture: "CANAL1017-path-escapes",
    code: "CANAL1017",
    line: 4,
    column: 23,
    message:
      "step `train` option `hashPaths` names `../../../../../../etc/hosts`, which is outside the project root",
    hint: "move it inside the project",
  },
  {
    fixture: "CANAL1019-placeholder-in-backquotes",
    code: "CANAL1019",
    line: 4,
    column: 97,
    message:
      "step `train` option `run` has the placeholder {note} inside backquotes, where a value could become shell syntax",
    hint: 'move {note} out of it, or read the value from the environment: "$CANAL_PARAM_NOTE"',
  },
  {
    fixture: "CANAL1021-column-type",
    code: "CANAL1021",
    line: 17,
    column: 23,
    message:
      "step `train` input `rows` reads column `quality` as integer, declared in `Training` (compiler/src/fixtures/diagnostics/CANAL1021-column-type/schemas.ts:8), but gets step `label` output `output`, whose schema `Labels` (compiler/src/fixtures/diagnostics/CANAL1021-column-type/schemas.ts:3) has it as string",
    hint: "declare `quality` with one type in `Training` and `Labels`",
  },
  {
    fixture: "CANAL1021-missing-column",
    code: "CANAL1021",
    line: 18,
    column: 23,
    message:
      "step `train` input `features` reads a table with column `alcohol` (number), declared in `Features` (compiler/src/fixtures/diagnostics/CANAL1021-missing-column/schemas.ts:8), but gets step `load` output `output`, whose schema `RawWine` (compiler/src/fixtures/diagnostics/CANAL1021-missing-column/schemas.ts:3) has no column `alcohol`",
    hint: "add `alcohol` to `RawWine`, or remove it from `Features`",
  },
];

describe("one fixture per diagnostic code", () => {
  test("every code has a fixture", () => {
    const codes = readdirSync(fixtures)
      .filter((name) => name.startsWith("CANAL"))
      .map((name) => name.slice(0, 9));
    expect(codes).toEqual(cases.map((c) => c.code));
  });

  test.each(cases)("$fixture", ({ fixture, code, line, column, message, hint }) => {
    const { diagnostics, models, file } = diagnose(fixture);
    expect(models).toBe(0);
    expect(diagnostics).toHaveLength(1);
    const [diagnostic] = diagnostics;
    expect(diagnostic).toMatchObject({ code, severity: "error", location: { file, line, column } });
    expect(diagnostic?.message).toContain(message);
    expect(diagnostic?.hint).toContain(hint);
  });
});

test("all errors of a pipeline are reported at once, in source order", () => {
  const { diagnostics, models, file } = diagnose("several-errors");
  expect(models).toBe(0);
  expect(
    diagnostics.map((d) => [d.code, `${d.location.file}:${d.location.line}:${d.location.column}`]),
  ).toEqual([
    ["CANAL1011", `${file}:4:11`],
    ["CANAL1015", `${file}:9:19`],
    ["CANAL1002", `${file}:16:5`],
    ["CANAL1009", `${file}:18:5`],
    ["CANAL1003", `${file}:19:23`],
  ]);
  expect(diagnostics.map((d) => d.message)).toEqual([
    "step `train` has an unknown option `memory`; the options are name, description, env, compute, resources, retries, timeout, reuse, hashPaths, after, passEnv",
    "step `score` option `after` names `prepare`, which is not a step of pipeline `several`; its steps are `train`, `score`",
    "`let` bindings cannot appear in pipeline `several`: its body is read by the compiler, never run",
    "`console.log` is not a step; only calls of @step methods and step.fn values may appear in a pipeline body (pipeline `several`)",
    "step `score` input `table` expects Table but gets Model from step `train` output `model`; pass a Table or change the input's type",
  ]);
});
