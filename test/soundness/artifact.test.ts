import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  type BlobSource,
  decodePipeline,
  encodePipeline,
  pipelineHash,
  readArtifact,
  sha256,
  stepHash,
  writeArtifact,
} from "@canal/ir";
import { openWorkspace } from "@canal/store";
import { beforeAll, describe, expect, it } from "vitest";
import { canal } from "../canal.js";
import { makeProject, repoRoot } from "../helpers.js";

const cli = join(repoRoot, "packages/cli/dist/main.js");

/** `canal ARGS` as its own process, as two terminals (or CI jobs) run it side by side. */
function canalProcess(args: string[], cwd: string): Promise<{ status: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { cwd }, (error, _stdout, stderr) =>
      resolve({ status: error ? Number(error.code ?? 1) : 0, stderr }),
    );
  });
}

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

  it("never serves a forged TypeScript bundle the genuine step's result, nor lets it poison the genuine entry", async () => {
    // A bundle replaced, with its digest, every step hash and the pipeline hash recomputed, is
    // a consistent artifact of other code: it gets keys of its own.
    const genuine = readArtifact(join(dir, "build/works"));
    const pipeline = structuredClone(genuine.pipeline);
    const step = pipeline.steps.find((s) => s.id === "write");
    const code = step?.code;
    if (!step || !code) throw new Error("the fixture's write step has no bundle");
    const original = genuine.blob(code.bundle).toString();
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the step's own template literal, as bundled
    const written = "`${text}\n`";
    expect(original).toContain(written);
    const forged = Buffer.from(original.replace(written, `\`forged ${written.slice(1)}`));
    const refs = pipeline.blobs ?? [];
    const blobs = new Map<string, BlobSource>();
    for (const ref of refs) {
      if (ref.sha256 !== code.bundle)
        blobs.set(ref.sha256, { bytes: genuine.blob(ref.sha256), mediaType: ref.mediaType });
    }
    blobs.set(sha256(forged), {
      bytes: forged,
      mediaType: refs.find((b) => b.sha256 === code.bundle)?.mediaType ?? "",
    });
    pipeline.blobs = refs
      .map((ref) =>
        ref.sha256 === code.bundle ? { ...ref, sha256: sha256(forged), size: forged.length } : ref,
      )
      .sort((a, b) => (a.sha256 < b.sha256 ? -1 : 1));
    code.bundle = sha256(forged);
    for (const s of pipeline.steps) s.hash = stepHash(s);
    pipeline.hash = pipelineHash(pipeline);
    writeArtifact(join(dir, "forged/works"), pipeline, blobs);

    const outputOf = async (stdout: string) => {
      const runId = /^run (run-\S+): /m.exec(stdout)?.[1] ?? "";
      const workspace = await openWorkspace(dir);
      try {
        const stepRun = await workspace.metadata.getStepRun(runId, "write");
        const { out } = await workspace.metadata.getOutputs(stepRun.id);
        return {
          status: stepRun.status,
          text: (await workspace.blobs.get((out as { digest: string }).digest)).toString(),
        };
      } finally {
        await workspace.close();
      }
    };
    const forgedRun = await canal(["run", "forged/works"], dir);
    expect(forgedRun.status, forgedRun.stdout + forgedRun.stderr).toBe(0);
    expect(await outputOf(forgedRun.stdout)).toEqual({ status: "succeeded", text: "forged kept\n" });
    const genuineRun = await canal(["run", "build/works"], dir);
    expect(genuineRun.status, genuineRun.stdout + genuineRun.stderr).toBe(0);
    expect(await outputOf(genuineRun.stdout)).toEqual({ status: "cached", text: "kept\n" });
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

  it("leaves a whole artifact after compiles from several processes into one folder, while it is run", async () => {
    const before = readArtifact(join(dir, "build/works")).pipeline.hash;
    const results = await Promise.all([
      ...[1, 2, 3].map(() => canalProcess(["compile", "pipeline.ts", "--out", "build"], dir)),
      canalProcess(["run", "build/works"], dir),
    ]);
    for (const r of results) expect(r, r.stderr).toEqual({ status: 0, stderr: "" });
    const after = readArtifact(join(dir, "build/works"));
    expect(after.verify()).toEqual([]);
    expect(after.pipeline.hash).toBe(before);
  });
});
