import { readFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { canal } from "../canal.js";
import { makeProject, repoRoot } from "../helpers.js";

const runIdOf = (stdout: string) => /^run (run-\S+): /m.exec(stdout)?.[1] ?? "";

describe("a Table input declared with a schema", () => {
  let dir: string;
  let marker: string;
  const ran = () => readFileSync(marker, "utf8").split("\n").filter(Boolean).length;

  beforeAll(async () => {
    dir = makeProject({ from: join(import.meta.dirname, "fixtures/tables") });
    symlinkSync(join(repoRoot, "node_modules/zod"), join(dir, "node_modules/zod"));
    marker = join(dir, "ran.log");
    const compiled = await canal(["compile", "pipeline.ts", "--out", "build"], dir);
    expect(compiled.stderr).toBe("");
    const first = await canal(["run", "build/tables", "-p", `marker=${marker}`], dir);
    expect(first.status, first.stdout + first.stderr).toBe(0);
    expect(ran()).toBe(1);
  });

  it("refuses a table given for a parameter that lacks a declared column when the run is submitted", async () => {
    const runs = (await canal(["runs", "--json"], dir)).stdout;
    const result = await canal(
      ["run", "build/tables", "-p", `marker=${marker}`, "-p", `wine=${join(dir, "data/no-quality.csv")}`],
      dir,
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(
      "canal run: CANAL_PARAMETER_INVALID: " +
        "parameter `wine` does not fit schema `WineRow`: no-quality.csv has no column `quality` (integer); its columns are `ph`, `grape`; pass a table with the declared columns, or change the schema the pipeline declares\n",
    );
    // Nothing ran and nothing was recorded.
    expect(ran()).toBe(1);
    expect((await canal(["runs", "--json"], dir)).stdout).toBe(runs);
  });

  it("fails the step before its body starts when a table arrives without a declared column, naming it", async () => {
    const result = await canal(["run", "build/untyped", "-p", `marker=${marker}`], dir);
    expect(result.status).toBe(1);
    const expected =
      "step summarise: input `wine` does not fit schema `WineRow`: table has no column `quality` (integer); its columns are `ph`, `grape`, `colour`; fix the data, or change the schema the step declares";
    expect(result.stdout + result.stderr).toContain(expected);
    // The step's body never ran, and none of its two retries was spent on data that cannot change.
    expect(ran()).toBe(1);
    const shown = JSON.parse(
      (await canal(["runs", "show", runIdOf(result.stdout), "--json"], dir)).stdout,
    ) as {
      run: { status: string };
      steps: Array<{ stepId: string; status: string; attempts: unknown[] }>;
    };
    expect(shown.run.status).toBe("failed");
    const summarise = shown.steps.find((s) => s.stepId === "summarise");
    expect(summarise).toMatchObject({ status: "failed" });
    expect(summarise?.attempts).toHaveLength(1);
    expect(JSON.stringify(summarise)).toContain("has no column `quality` (integer)");
    // With the column, the same pipeline runs the step.
    const fixed = await canal(
      ["run", "build/untyped", "-p", `marker=${marker}`, "-p", "columns=ph,quality,grape"],
      dir,
    );
    expect(fixed.status, fixed.stdout).toBe(0);
    expect(ran()).toBe(2);
  });

  it("names the row and column of a cell that does not read as the declared type, before anything runs", async () => {
    const before = ran();
    const result = await canal(
      ["run", "build/tables", "-p", `marker=${marker}`, "-p", `wine=${join(dir, "data/bad-cell.csv")}`],
      dir,
    );
    expect(result.status).toBe(1);
    expect(result.stdout + result.stderr).toContain(
      'bad-cell.csv row 3, column `quality`: "five" is not an integer',
    );
    expect(ran()).toBe(before);
  });
});
