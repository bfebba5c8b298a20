// The Python helper (canal_step) and the runtimes agree on the step environment: every variable
// the runtimes set for an input, output, value or the run is the one the helper reads, for every
// name the IR allows and every form (a long fan-in list or a large value in a file).
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Step } from "@canal/ir";
import { pythonHelperDir } from "@canal/python";
import { envName, type StepTask, stepEnvironment } from "@canal/runtime-core";
import { describe, expect, it } from "vitest";

const python = "/usr/bin/python3";

/** What canal_step reads, run in a Python process with exactly `env`. */
function helperSees(env: Record<string, string>, calls: Array<[string, string]>): unknown[] {
  const script = [
    "import json, sys, canal_step",
    "calls = json.loads(sys.argv[1])",
    "print(json.dumps([getattr(canal_step, f)(n) if n else getattr(canal_step, f)() for f, n in calls]))",
  ].join("\n");
  const out = execFileSync(python, ["-c", script, JSON.stringify(calls)], {
    env: { ...env, PATH: "/usr/bin:/bin", PYTHONPATH: pythonHelperDir },
    encoding: "utf8",
  });
  return JSON.parse(out) as unknown[];
}

describe("the step environment, as the Python helper reads it", () => {
  it("reads a table input into pandas: one CSV, a TSV, or a folder of parts in name order", () => {
    const dir = mkdtempSync(join(tmpdir(), "canal-read-table-"));
    writeFileSync(join(dir, "one.csv"), "ph,quality\n3.5,6\n");
    writeFileSync(join(dir, "one.tsv"), "ph\tquality\n3.1\t5\n");
    mkdirSync(join(dir, "parts"));
    writeFileSync(join(dir, "parts", "part-1.csv"), "ph,quality\n3.0,7\n");
    writeFileSync(join(dir, "parts", "part-0.csv"), "ph,quality\n2.9,4\n3.3,5\n");
    writeFileSync(join(dir, "parts", "_SUCCESS"), "");
    const script =
      "import json, canal_step\nprint(json.dumps([canal_step.read_table(n).to_dict('list') for n in ('a', 'b', 'c')]))";
    const out = execFileSync(python, ["-c", script], {
      env: {
        PATH: "/usr/bin:/bin",
        PYTHONPATH: pythonHelperDir,
        CANAL_INPUT_A: join(dir, "one.csv"),
        CANAL_INPUT_B: join(dir, "one.tsv"),
        CANAL_INPUT_C: join(dir, "parts"),
      },
      encoding: "utf8",
    });
    expect(JSON.parse(out)).toEqual([
      { ph: [3.5], quality: [6] },
      { ph: [3.1], quality: [5] },
      { ph: [2.9, 3.3, 3.0], quality: [4, 5, 7] },
    ]);
  });

  const names = ["raw", "testFraction", "test_fraction2", "raw-data", "a.b", "_hidden", "X"];

  it("names every input, output and value the same way in both languages", () => {
    const script =
      "import json, sys, canal_step\nprint(json.dumps([canal_step._env_name(n) for n in json.loads(sys.argv[1])]))";
    const out = execFileSync(python, ["-c", script, JSON.stringify(names)], {
      env: { PATH: "/usr/bin:/bin", PYTHONPATH: pythonHelperDir },
      encoding: "utf8",
    });
    expect(JSON.parse(out)).toEqual(names.map(envName));
  });

  it("finds what the runtimes set, in each form", () => {
    const dir = mkdtempSync(join(tmpdir(), "canal-contract-"));
    mkdirSync(join(dir, "in"));
    writeFileSync(join(dir, "in", "many.list"), "../a/0\n../a/1\n");
    writeFileSync(join(dir, "in", "big.json"), JSON.stringify({ rows: [1, 2, 3] }));
    const task: StepTask = {
      runId: "run-1",
      stepKey: "train[2]",
      attempt: 3,
      artifactDir: dir,
      step: { id: "train" } as Step,
      environment: undefined,
      inputs: {
        "raw-data": {
          kind: "artifact",
          path: "/data/raw.csv",
          directory: false,
          dataset: { name: "wine", version: 3 },
        },
        models: { kind: "artifacts", paths: ["/m/0", "/m/1"] },
        many: { kind: "artifacts", paths: ["/a/0", "/a/1"], listFile: join(dir, "in", "many.list") },
        other: { kind: "artifact", path: "/data/other.csv", directory: false },
        testFraction: { kind: "value", value: 0.25 },
        label: { kind: "value", value: "plain text" },
        big: { kind: "value", value: { rows: [1, 2, 3] }, file: join(dir, "in", "big.json") },
      },
      outputs: { "best.model": { kind: "artifact", path: "/out/best", directory: false } },
      workDir: dir,
      metricsFile: join(dir, "metrics.jsonl"),
      variables: { HF_HOME: "/cache/hf" },
    };
    const env = stepEnvironment(task);
    expect(
      helperSees(env, [
        ["input_path", "raw-data"],
        ["input_dataset", "raw-data"],
        ["input_dataset", "other"],
        ["input_paths", "models"],
        ["input_paths", "many"],
        ["param", "testFraction"],
        ["param", "label"],
        ["param", "big"],
        ["output_path", "best.model"],
        ["run_id", ""],
        ["step", ""],
        ["attempt", ""],
      ]),
    ).toEqual([
      "/data/raw.csv",
      { path: "/data/raw.csv", name: "wine", version: 3 },
      null,
      ["/m/0", "/m/1"],
      [`${dir}/in/../a/0`, `${dir}/in/../a/1`],
      0.25,
      "plain text",
      { rows: [1, 2, 3] },
      "/out/best",
      "run-1",
      "train[2]",
      3,
    ]);
    execFileSync(
      python,
      ["-c", "import canal_step; canal_step.log('accuracy', 0.93); canal_step.log('tag', 'x')"],
      {
        env: { ...env, PATH: "/usr/bin:/bin", PYTHONPATH: pythonHelperDir },
      },
    );
    const lines = readFileSync(task.metricsFile, "utf8").trim().split("\n");
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      { name: "accuracy", value: 0.93 },
      { name: "tag", value: "x" },
    ]);
  });
});
