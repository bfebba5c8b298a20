// The file-name cases every runtime runs (fixtures/file-names): a dataset made from a file reaches
// each step under its own name, `{raw}` and CANAL_INPUT_RAW are that path, a file passed through a
// step keeps its name, a fan-in fills its placeholder with one quoted path per file, and the name
// is part of the cache key.
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { canal } from "../canal.js";

export const FILE_NAMES_FIXTURE = join(import.meta.dirname, "fixtures/file-names");

/** Runs the fixture in `dir` (`args`: e.g. `--target box`) and checks what every step saw. */
export async function expectFileNamesSurvive(dir: string, args: string[]): Promise<void> {
  const run = async (extra: string[]) => {
    const result = await canal(["run", "pipeline.ts", ...args, ...extra, "--json"], dir);
    expect(result.status, result.stderr + result.stdout).toBe(0);
    return JSON.parse(result.stdout) as { run: { id: string }; steps: Record<string, string> };
  };
  const outputs = async (runId: string) => {
    const to = join(dir, "downloads", runId);
    const result = await canal(["download", runId, "--to", to], dir);
    expect(result.status, result.stderr).toBe(0);
    const read = (name: string) => readFileSync(join(to, name), "utf8");
    return { prepped: read("prepped"), seen: read("seen"), report: read("report") };
  };

  const first = await run([]);
  expect(await outputs(first.run.id)).toEqual({
    prepped: "in/raw/wine.csv csv 2 rows\n",
    seen: "in/raw/wine.csv in/raw/wine.csv\n",
    report: "in/files/0/wine.csv in/files/1/wine.csv\n",
  });

  // The same bytes under another name: a step that reads the name computes something else, so the
  // steps that take it run again (and see `.tsv`); nothing else changed, so nothing else does.
  mkdirSync(join(dir, "other"), { recursive: true });
  copyFileSync(join(dir, "raw/wine.csv"), join(dir, "other/wine.tsv"));
  const renamed = await run(["-p", `raw=${join(dir, "other/wine.tsv")}`]);
  expect(renamed.steps).toMatchObject({ prepare: "succeeded", look: "succeeded", "copy[0]": "succeeded" });
  expect(await outputs(renamed.run.id)).toEqual({
    prepped: "in/raw/wine.tsv tsv 2 rows\n",
    seen: "in/raw/wine.tsv in/raw/wine.tsv\n",
    report: "in/files/0/wine.tsv in/files/1/wine.tsv\n",
  });

  const why = await canal(["why", renamed.run.id, "prepare"], dir);
  expect(why.stdout).toMatch(/input `raw` changed: .*"wine\.csv" -> .*"wine\.tsv"/);

  const again = await run([]);
  expect(
    Object.values(again.steps).every((state) => state === "cached"),
    JSON.stringify(again.steps),
  ).toBe(true);
}
