import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { decodePipeline, encodePipeline, pipelineHash, readArtifact, stepHash } from "@canal/ir";
import { beforeAll, describe, expect, it } from "vitest";
import { canal } from "../canal.js";
import { makeProject } from "../helpers.js";

// An artifact and Canal's own folders are verified before they are trusted.
describe("artifact soundness", () => {
  let dir: string;
  beforeAll(async () => {
    dir = makeProject({ from: join(import.meta.dirname, "../run/fixtures/errors") });
    expect((await canal(["compile", "pipeline.ts", "--out", "build"], dir)).stderr).toBe("");
    expect((await canal(["run", "build/works"], dir)).status).toBe(0);
  });

  it("gives a clean Canal error for damaged pipeline.pb bytes, never a run", async () => {
    const genuine = readFileSync(join(dir, "build/works/pipeline.pb"));
    mkdirSync(join(dir, "bad"), { recursive: true });
    for (let seed = 1; seed <= 12; seed++) {
      const bytes = Buffer.from(genuine);
      const at = (seed * 7919) % bytes.length;
      bytes[at] = (bytes[at] as number) ^ (1 << (seed % 8));
      writeFileSync(join(dir, "build/works/pipeline.pb"), bytes);
      const result = await canal(["run", "build/works"], dir);
      if (result.status !== 0) expect(result.stderr).toMatch(/CANAL_(IR|ARTIFACT)_[A-Z_]+: .*recompile/);
    }
    writeFileSync(join(dir, "build/works/pipeline.pb"), genuine);
  });

  it("refuses a crafted step id that would name a place outside the workspace", async () => {
    const sentinel = join(dir, "..", "sentinel");
    mkdirSync(sentinel, { recursive: true });
    writeFileSync(join(sentinel, "keep"), "x");
    const pb = join(dir, "build/works/pipeline.pb");
    const genuine = readFileSync(pb);
    for (const bad of ["../../../sentinel", "a/b", "a\0b", "x".repeat(10_000)]) {
      const pipeline = decodePipeline(genuine);
      (pipeline.steps[0] as { id: string }).id = bad;
      for (const step of pipeline.steps) step.hash = stepHash(step);
      pipeline.hash = pipelineHash(pipeline);
      writeFileSync(pb, encodePipeline(pipeline));
      const result = await canal(["run", "build/works"], dir);
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(/CANAL_IR_NAME_INVALID: .*step id .*recompile/);
      expect(readdirSync(sentinel)).toEqual(["keep"]);
    }
    writeFileSync(pb, genuine);
  });

  it("repairs a damaged kept copy and an edited cached module", async () => {
    const hash = readArtifact(join(dir, "build/works")).pipeline.hash;
    const kept = join(dir, ".canal/artifacts", hash, "pipeline.pb");
    expect(existsSync(kept)).toBe(true);
    writeFileSync(kept, "damaged");
    const modules = join(dir, ".canal/cache/modules");
    for (const name of existsSync(modules) ? readdirSync(modules) : [])
      if (name.endsWith(".mjs")) writeFileSync(join(modules, name), 'throw new Error("edited")');
    const result = await canal(["run", "build/works", "--regenerate"], dir);
    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(readArtifact(join(dir, ".canal/artifacts", hash)).pipeline.hash).toBe(hash);
  });

  it("leaves a whole artifact after concurrent compiles into one folder", async () => {
    const results = await Promise.all(
      [1, 2, 3].map(() => canal(["compile", "pipeline.ts", "--out", "build"], dir)),
    );
    for (const r of results) expect(r.stderr).toBe("");
    expect(readArtifact(join(dir, "build/works")).pipeline.name).toBe("works");
    expect((await canal(["run", "build/works"], dir)).status).toBe(0);
  });
});
