// A fan-in and a value far over Linux's 128 KiB limit for one argument or environment entry reach
// their steps (through files) instead of failing with "Argument list too long".
import { join } from "node:path";
import { openWorkspace } from "@canal/store";
import { beforeAll, describe, expect, it } from "vitest";
import { canal } from "../canal.js";
import { makeProject } from "../helpers.js";

const runIdOf = (stdout: string) => /^run (run-[^\s:]+)/m.exec(stdout)?.[1] ?? "";

async function output(dir: string, runId: string, step: string, name: string): Promise<string> {
  const workspace = await openWorkspace(dir);
  try {
    const stepRun = await workspace.metadata.getStepRun(runId, step);
    const value = (await workspace.metadata.getOutputs(stepRun.id))[name] as { digest: string };
    return (await workspace.blobs.get(value.digest)).toString();
  } finally {
    await workspace.close();
  }
}

describe("large fan-ins and values", () => {
  let dir: string;
  beforeAll(async () => {
    dir = makeProject({ from: join(import.meta.dirname, "fixtures/large") });
    const compiled = await canal(["compile", "pipeline.ts", "--out", "build"], dir);
    expect(compiled.stderr).toBe("");
    expect(compiled.status).toBe(0);
  });

  it("a 10,000-item fan-in runs: in the command's words and in the helper's list", async () => {
    const ns = Array.from({ length: 10_000 }, (_, i) => i);
    const result = await canal(["run", "build/wide", "-p", `ns=${JSON.stringify(ns)}`], dir);
    expect(result.status, result.stdout.slice(-2000) + result.stderr).toBe(0);
    expect(await output(dir, runIdOf(result.stdout), "count", "counted")).toBe("10000 10000 10000\n");
  }, 600_000);

  it("a 1 MB parameter reaches a script step and a TypeScript step", async () => {
    const big = "é".repeat(512 * 1024);
    const result = await canal(["run", "build/big", "-p", `big=${big}`], dir);
    expect(result.status, result.stdout.slice(-2000) + result.stderr.slice(-2000)).toBe(0);
    const runId = runIdOf(result.stdout);
    expect(await output(dir, runId, "size", "size")).toBe(`${big.length}\n`);
    expect(await output(dir, runId, "measure", "length")).toBe(`${big.length}\n`);
  });
});
