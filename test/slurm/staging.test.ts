// The copy of an artifact that Slurm jobs read from the shared directory is checked before a
// driver hands it to jobs, and replaced when it was damaged: every job would fail on it otherwise.
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { compile, hasErrors } from "@canal/compiler";
import { ARTIFACT_FILES, readArtifact } from "@canal/ir";
import { JobScripts } from "@canal/runtime-slurm";
import { beforeAll, describe, expect, it } from "vitest";
import { makeProject } from "../helpers.js";

describe("the artifact staged for Slurm jobs", () => {
  let artifact = "";
  let shared = "";
  beforeAll(async () => {
    const dir = makeProject({ from: join(import.meta.dirname, "../run/fixtures/errors") });
    const result = await compile({ entries: [join(dir, "pipeline.ts")], outDir: join(dir, "build") });
    expect(hasErrors(result)).toBe(false);
    artifact = result.pipelines.find((p) => p.pipeline.name === "works")?.dir as string;
    shared = join(dir, "shared");
    mkdirSync(shared);
  });

  const stage = () => new JobScripts(shared, {}).stage(artifact);

  it("is copied once and used again while intact", () => {
    const staged = stage();
    expect(readArtifact(staged).verify()).toEqual([]);
    expect(stage()).toBe(staged);
    expect(readdirSync(join(shared, "artifacts")).filter((name) => !name.startsWith("."))).toHaveLength(1);
  });

  it("is replaced when one of its blobs or its IR was changed", () => {
    const staged = stage();
    const blobs = join(staged, ARTIFACT_FILES.blobs);
    const [first] = readdirSync(blobs);
    writeFileSync(join(blobs, first as string), "damaged");
    expect(() => readArtifact(staged)).toThrow(/recompile/);
    expect(stage()).toBe(staged);
    expect(readArtifact(staged).verify()).toEqual([]);
    writeFileSync(join(staged, ARTIFACT_FILES.ir), "damaged");
    expect(stage()).toBe(staged);
    expect(readArtifact(staged).verify()).toEqual([]);
  });
});
