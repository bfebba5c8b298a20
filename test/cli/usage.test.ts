import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { canal } from "../canal.js";
import { makeProject, repoRoot } from "../helpers.js";

const runIdOf = (stdout: string) => /^run (run-\S+): /m.exec(stdout)?.[1] ?? "";

describe("mistakes are answered in Canal's words, with the name meant", () => {
  let dir: string;
  let runId: string;

  beforeAll(async () => {
    dir = makeProject({ from: join(repoRoot, "test/run/fixtures/errors") });
    expect((await canal(["compile", "pipeline.ts", "--out", "build"], dir)).stderr).toBe("");
    const run = await canal(["run", "build/works"], dir);
    expect(run.status, run.stdout + run.stderr).toBe(0);
    runId = runIdOf(run.stdout);
  });

  it("suggests the command meant", async () => {
    const result = await canal(["compil", "pipeline.ts"], dir);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(
      /^canal: unknown command `compil`; did you mean `compile`\?\n\nUsage: canal/,
    );
    const far = await canal(["frobnicate"], dir);
    expect(far.stderr).toMatch(/^canal: unknown command `frobnicate`\n\nUsage: canal/);
  });

  it("names an unknown option and the option meant, then prints the command's help", async () => {
    const result = await canal(["run", "build/works", "--targt", "local"], dir);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(
      /^canal run: unknown option --targt; did you mean --target\?\n\nUsage: canal run /,
    );
    expect(result.stderr).not.toContain("'--'");
    const withValue = await canal(["runs", "--limt=3"], dir);
    expect(withValue.stderr).toMatch(/^canal runs: unknown option --limt; did you mean --limit\?\n/);
    const far = await canal(["inspect", "build/works", "--frobnicate"], dir);
    expect(far.stderr).toMatch(
      /^canal inspect: unknown option --frobnicate; the options it takes are below\n\nUsage: canal inspect/,
    );
    const noValue = await canal(["run", "build/works", "--target"], dir);
    expect(noValue.status).toBe(2);
    expect(noValue.stderr).toMatch(/^canal run: option --target needs a value \(--target <value>\)\n/);
  });

  it("suggests the step meant, wherever a step is named", async () => {
    const logs = await canal(["logs", runId, "wirte"], dir);
    expect(logs.status).toBe(1);
    expect(logs.stderr).toBe(
      `run ${runId} has no step \`wirte\`; its steps are write; did you mean \`write\`?\n`,
    );
    const explain = await canal(["cache", "explain", runId, "wrte"], dir);
    expect(explain.stderr).toBe(
      `canal cache: run ${runId} has no step \`wrte\`; its steps are write; did you mean \`write\`?\n`,
    );
    const rerun = await canal(["rerun", runId, "--from", "writ"], dir);
    expect(rerun.status).toBe(2);
    expect(rerun.stderr).toMatch(
      /^canal rerun: pipeline works has no step `writ`; its steps are write; did you mean `write`\?\n/,
    );
    const action = await canal(["cache", "explian", "x"], dir);
    expect(action.stderr).toMatch(
      /^canal cache: unknown action `explian`; use ls, explain or invalidate; did you mean `explain`\?\n/,
    );
  });

  it("suggests the parameter meant", async () => {
    const result = await canal(["run", "build/needs", "-p", "cont=2"], dir);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      "pipeline needs has no parameter `cont`; its parameters are count, label; did you mean `count`?",
    );
  });

  it("suggests the output and the placeholder meant, at compile time", async () => {
    const project = makeProject({
      files: {
        "pipeline.ts": [
          'import { File, pipeline, step } from "@canal/sdk";',
          "export class Typo {",
          '  @step.script({ source: "./src", run: "cp {raw} {ouput}" })',
          "  copy(raw: File): { output: File; log: File } { return step.declared(); }",
          '  @step.script({ source: "./src", run: "cat {input}" })',
          "  show(input: File): { shown: File } { return step.declared(); }",
          "  @pipeline",
          "  run(raw: File) {",
          "    const copied = this.copy(raw);",
          "    return this.show(copied.outptu);",
          "  }",
          "}",
          "",
        ].join("\n"),
        "src/keep.txt": "",
      },
    });
    const result = await canal(["compile", "pipeline.ts"], project);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("the valid names are {raw}, {output}, {log}; did you mean {output}?");
    expect(result.stderr).toContain("its outputs are `output`, `log`; did you mean `output`?");
  });
});

describe("--json on every command that prints data", () => {
  it("is in the help of each of them", async () => {
    for (const command of [
      "compile",
      "inspect",
      "run",
      "runs",
      "logs",
      "cancel",
      "why",
      "rerun",
      "cache",
      "gc",
      "export",
      "targets",
      "workspace",
    ]) {
      const help = await canal([command, "--help"], repoRoot);
      expect(help.stdout, command).toContain("--json");
    }
  });

  it("prints a run's logs as one JSON object per line", async () => {
    const dir = makeProject({ from: join(repoRoot, "test/run/fixtures/errors") });
    await canal(["compile", "pipeline.ts", "--out", "build"], dir);
    const runId = runIdOf((await canal(["run", "build/works"], dir)).stdout);
    const logs = await canal(["logs", runId, "--json"], dir);
    expect(logs.status).toBe(0);
    expect(logs.stderr).toBe("");
    expect(
      logs.stdout
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line)),
    ).toEqual([{ step: "write", attempt: 1, stream: "stdout", text: "writing kept\n" }]);
  });
});
