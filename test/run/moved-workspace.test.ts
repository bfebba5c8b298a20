import { execFileSync } from "node:child_process";
import { mkdtempSync, renameSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { canal } from "../canal.js";
import { makeProject } from "../helpers.js";

// A project with no canal.config.json: its workspace is named on first use, and a copy or a move of
// the project (with its .canal/) must keep that name, its runs and its cache entries.
const PIPELINE = [
  'import { File, pipeline, step } from "@canal/sdk";',
  "",
  "export class Chain {",
  '  @step.script({ source: "./src", run: "cat {x} > {out}; echo {i} >> {out}" })',
  "  inc(x: File, i: number): { out: File } {",
  "    return step.declared();",
  "  }",
  "",
  '  @pipeline({ name: "chain-3" })',
  '  run(seed: File = File.from("seed.txt")) {',
  "    const s1 = this.inc(seed, 1);",
  "    const s2 = this.inc(s1.out, 2);",
  "    return this.inc(s2.out, 3).out;",
  "  }",
  "}",
  "",
].join("\n");

const runIdOf = (stdout: string) => /^run (run-\S+): /m.exec(stdout)?.[1] ?? "";

async function run(dir: string): Promise<string> {
  const result = await canal(["run", "pipeline.ts"], dir);
  expect(result.status, result.stdout + result.stderr).toBe(0);
  return result.stdout;
}

/** A project whose 3 steps ran once; returns the folder and the run's id. */
async function ranProject(): Promise<{ dir: string; first: string }> {
  const dir = makeProject({
    files: {
      "pipeline.ts": PIPELINE,
      "seed.txt": "0\n",
      "src/README": "The steps run in a snapshot of this.\n",
    },
  });
  const stdout = await run(dir);
  expect(stdout).toContain("(3 succeeded)");
  return { dir, first: runIdOf(stdout) };
}

/** Every step of a run in `dir` is served by the cache entries of run `first`, and `canal why` says so. */
async function expectAllReused(dir: string, first: string): Promise<void> {
  const stdout = await run(dir);
  expect(stdout).toContain("(3 cached)");
  for (const name of ["inc", "inc-2", "inc-3"]) {
    const why = await canal(["why", runIdOf(stdout), name], dir);
    expect(why.stdout).toBe(`${name}: reused from the cache (run ${first})\n`);
  }
  expect((await canal(["runs", "show", first], dir)).status).toBe(0);
}

describe("a workspace copied or moved to a folder of another name keeps its cache", () => {
  let elsewhere: string;
  beforeAll(() => {
    elsewhere = mkdtempSync(join(tmpdir(), "canal-moved-"));
  });

  it("reuses every step in a copy made with cp -a", async () => {
    const { dir, first } = await ranProject();
    const copy = join(elsewhere, "copy-of-project");
    execFileSync("cp", ["-a", dir, copy]);
    await expectAllReused(copy, first);
    // The original is untouched by its copy's run: still cached there too.
    expect(await run(dir)).toContain("(3 cached)");
  });

  it("reuses every step after the project folder is renamed", async () => {
    const { dir, first } = await ranProject();
    const moved = join(elsewhere, "renamed-project");
    renameSync(dir, moved);
    await expectAllReused(moved, first);
  });

  it("reuses every step in another project folder that got a copy of .canal/", async () => {
    const { dir, first } = await ranProject();
    const other = makeProject({ files: { "pipeline.ts": PIPELINE, "seed.txt": "0\n" } });
    execFileSync("cp", ["-a", join(dir, "src"), join(other, "src")]);
    execFileSync("cp", ["-a", join(dir, ".canal"), join(other, ".canal")]);
    await expectAllReused(other, first);
  });
});
