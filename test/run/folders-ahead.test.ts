import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compile } from "@canal/compiler";
import { runPipeline } from "@canal/runner";
import { LocalRuntime } from "@canal/runtime-local";
import { initWorkspace, openWorkspace } from "@canal/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeProject } from "../helpers.js";

// What every attempt's folder holds as its command starts: the step's input under in/, an empty
// out/, the source snapshot under src/. The first step reads the seed, the others the output before.
const layout = (input: string) => [
  ".",
  "./in",
  "./in/x",
  `./in/x/${input}`,
  "./out",
  "./src",
  "./src/step.sh",
];

describe("first attempts' folders made ahead on the local runtime", () => {
  let project: string;
  let artifactDir: string;

  beforeAll(async () => {
    project = makeProject({ from: join(import.meta.dirname, "fixtures/folders-ahead") });
    const result = await compile({ entries: [join(project, "pipeline.ts")], outDir: join(project, "out") });
    expect(result.diagnostics).toEqual([]);
    artifactDir = result.pipelines[0]?.dir as string;
  });
  const temps: string[] = [];
  afterAll(() => {
    for (const dir of [project, ...temps]) rmSync(dir, { recursive: true, force: true });
  });
  const temp = (prefix: string) => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    temps.push(dir);
    return dir;
  };

  async function run(dir: string, parameters: Record<string, unknown>, force?: Set<string>) {
    const workspace = await openWorkspace(dir);
    const runtime = new LocalRuntime({ cacheDir: join(dir, ".canal/cache") });
    try {
      const { run, summary } = await runPipeline({
        workspace,
        artifactDir,
        runtime,
        parameters,
        ...(force ? { force } : {}),
      });
      return { run, summary, work: workspace.config.folders.work };
    } finally {
      await runtime.close();
      await workspace.close();
    }
  }
  const listing = (reports: string, name: string) =>
    readFileSync(join(reports, `${name}.list`), "utf8")
      .trim()
      .split("\n");
  // What is left of the run's attempt folders (the run removes its own folder once it is empty).
  const leftInRun = (work: string, runId: string) => {
    expect(existsSync(work)).toBe(true);
    const folder = join(work, runId);
    return existsSync(folder) ? readdirSync(folder) : [];
  };

  it("makes the next step's folder while the step before runs, and each step sees the layout it always did", async () => {
    const dir = temp("canal-ahead-");
    initWorkspace(dir);
    const reports = temp("canal-ahead-reports-");
    const { run: record, summary, work } = await run(dir, { reports });
    expect(summary.steps).toEqual({ first: "succeeded", second: "succeeded", third: "succeeded" });
    // The first step saw the second's folder, snapshot and all, before it ended.
    expect(readFileSync(join(reports, "ahead"), "utf8").trim()).toBe("yes");
    expect(listing(reports, "first-1")).toEqual(layout("seed.txt"));
    expect(listing(reports, "second-1")).toEqual(layout("out"));
    expect(listing(reports, "third-1")).toEqual(layout("out"));
    expect(leftInRun(work, record.id)).toEqual([]);
  });

  it("removes a folder made ahead for a step that the cache answers", async () => {
    const dir = temp("canal-ahead-cached-");
    initWorkspace(dir);
    const reports = temp("canal-ahead-reports-");
    await run(dir, { reports });
    rmSync(join(reports, "ahead"));
    // The first step runs again and writes the same bytes: the second is a cache hit.
    const { run: record, summary, work } = await run(dir, { reports }, new Set(["first"]));
    expect(summary.steps).toEqual({ first: "succeeded", second: "cached", third: "cached" });
    expect(readFileSync(join(reports, "ahead"), "utf8").trim()).toBe("yes");
    expect(leftInRun(work, record.id)).toEqual([]);
  });

  it("gives a retry a fresh folder, with nothing of the attempt before it", async () => {
    const dir = temp("canal-ahead-retry-");
    initWorkspace(dir);
    const reports = temp("canal-ahead-reports-");
    const { run: record, summary, work } = await run(dir, { reports, failOnce: "yes" });
    expect(summary.steps).toEqual({ first: "succeeded", second: "succeeded", third: "succeeded" });
    expect(readFileSync(join(reports, "ahead"), "utf8").trim()).toBe("yes");
    // The first attempt ran in the folder made ahead; the second in one of its own, made afresh.
    expect(listing(reports, "second-1")).toEqual(layout("out"));
    expect(listing(reports, "second-2")).toEqual(layout("out"));
    expect(listing(reports, "third-1")).toEqual(layout("out"));
    expect(leftInRun(work, record.id)).toEqual([]);
  });
});
