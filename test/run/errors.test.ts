import { cpSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { openWorkspace } from "@canal/store";
import { beforeAll, describe, expect, it } from "vitest";
import { canal } from "../canal.js";
import { makeProject } from "../helpers.js";

const runIdOf = (stdout: string) => /^run (run-\S+): /m.exec(stdout)?.[1] ?? "";
const unknownRun = "run-20990101-000000-dead";

describe("bad input gets a clear error and loses nothing", () => {
  let dir: string;
  let earlier: string;
  let earlierShown: string;

  beforeAll(async () => {
    dir = makeProject({ from: join(import.meta.dirname, "fixtures/errors") });
    const compiled = await canal(["compile", "pipeline.ts", "--out", "build"], dir);
    expect(compiled.stderr).toBe("");
    const first = await canal(["run", "build/works"], dir);
    expect(first.status, first.stdout).toBe(0);
    earlier = runIdOf(first.stdout);
    earlierShown = (await canal(["runs", "show", earlier, "--json"], dir)).stdout;
  });

  /** The run made before the mistake reads back exactly as it did, and its outputs are intact. */
  async function expectEarlierRunIntact(): Promise<void> {
    expect((await canal(["runs", "show", earlier, "--json"], dir)).stdout).toBe(earlierShown);
    expect((await canal(["runs"], dir)).stdout).toMatch(new RegExp(`^${earlier} +works v1 +succeeded `, "m"));
    const logs = await canal(["logs", earlier], dir);
    expect(logs.stdout).toBe("write | writing kept\n");
    const workspace = await openWorkspace(dir);
    try {
      const step = await workspace.metadata.getStepRun(earlier, "write");
      const { out } = await workspace.metadata.getOutputs(step.id);
      expect((await workspace.blobs.get((out as { digest: string }).digest)).toString()).toBe("kept\n");
    } finally {
      await workspace.close();
    }
  }

  const runCount = async () =>
    (JSON.parse((await canal(["runs", "--json"], dir)).stdout) as unknown[]).length;

  it("names an unknown run id and says how to list the runs", async () => {
    for (const args of [
      ["runs", "show", unknownRun],
      ["logs", unknownRun],
      ["why", unknownRun, "write"],
      ["cancel", unknownRun],
    ]) {
      const result = await canal(args, dir);
      expect(result.status, args.join(" ")).toBe(1);
      expect(result.stdout).toBe("");
      expect(result.stderr).toBe(
        `canal ${args[0]}: CANAL_STORE_RUN_NOT_FOUND: no run \`${unknownRun}\` in workspace ${dir}; \`canal runs\` lists them\n`,
      );
    }
    const step = await canal(["logs", earlier, "train"], dir);
    expect(step.status).toBe(1);
    expect(step.stderr).toBe(`run ${earlier} has no step \`train\`; its steps are write\n`);
    await expectEarlierRunIntact();
  });

  it("refuses a damaged artifact and says to recompile it", async () => {
    cpSync(join(dir, "build/works"), join(dir, "damaged"), { recursive: true });
    writeFileSync(join(dir, "damaged/pipeline.pb"), Buffer.from([0x0a, 0xff, 0xff, 0x01, 0x12]));
    const before = await runCount();
    const result = await canal(["run", "damaged"], dir);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(
      /^canal run: CANAL_IR_CORRUPT: .*damaged\/pipeline\.pb is not a Canal pipeline.*recompile/,
    );
    expect(await runCount()).toBe(before);
    await expectEarlierRunIntact();
  });

  it("names a missing, a mistyped and an unknown parameter, with the fix", async () => {
    const before = await runCount();
    const missing = await canal(["run", "build/needs"], dir);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toBe(
      "canal run: CANAL_PARAMETER_INVALID: parameter `count` is required and has no default; pass it with -p count=VALUE\n",
    );

    const mistyped = await canal(["run", "build/needs", "-p", "count=many"], dir);
    expect(mistyped.status).toBe(1);
    expect(mistyped.stderr).toBe(
      'canal run: CANAL_PARAMETER_INVALID: parameter `count`: Invalid input: expected number, received string (got "many"); pass a value of its type, e.g. -p count=1\n',
    );

    const unknown = await canal(["run", "build/needs", "-p", "count=2", "-p", "colour=red"], dir);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toBe(
      "canal run: CANAL_PARAMETER_INVALID: pipeline needs has no parameter `colour`; its parameters are count, label\n",
    );

    // With --json the same refusal is data on stdout: the code and each problem with its path and fix.
    const both = await canal(["run", "build/needs", "-p", "count=many", "-p", "colour=red", "--json"], dir);
    expect(both.status).toBe(1);
    expect(JSON.parse(both.stdout)).toEqual({
      error: {
        name: "ParameterError",
        code: "CANAL_PARAMETER_INVALID",
        message: expect.stringMatching(
          /^pipeline needs cannot run with these parameters; nothing ran:\n {2}- /,
        ),
        problems: [
          {
            path: "colour",
            message: "pipeline needs has no parameter `colour`",
            hint: "its parameters are count, label",
          },
          {
            path: "count",
            message: 'parameter `count`: Invalid input: expected number, received string (got "many")',
            hint: "pass a value of its type, e.g. -p count=1",
          },
        ],
      },
    });
    expect(both.stderr).toContain(
      "  - pipeline needs has no parameter `colour`; its parameters are count, label\n",
    );
    expect(await runCount()).toBe(before);
    await expectEarlierRunIntact();
  });

  it("fails a step whose command is not found, naming the step and the command", async () => {
    const result = await canal(["run", "build/missing"], dir);
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(
      /^summon: FAILED: step summon: command not found \(.*canal-no-such-command.*\); install `canal-no-such-command` or fix the step's `run`$/m,
    );
    expect(result.stdout).not.toContain("retrying");
    const runId = runIdOf(result.stdout);
    expect(result.stdout).toMatch(
      new RegExp(`^run ${runId} failed in [\\d.]+s \\(1 failed\\): step summon failed$`, "m"),
    );
    expect((await canal(["runs", "show", runId], dir)).stdout).toMatch(
      /^ {2}summon +failed.*\n {6}step summon: command not found/m,
    );
    await expectEarlierRunIntact();
  });

  it("fails a step whose output escapes its folder, saying where outputs go", async () => {
    const result = await canal(["run", "build/escape"], dir);
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(
      /^leak: FAILED: step leak output `out` is at \/etc\/hostname, outside its output folder \/.*\/out; write outputs under context\(\)\.outputPath\("out"\)$/m,
    );
    await expectEarlierRunIntact();
  });
});
