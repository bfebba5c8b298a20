// `canal rerun` runs the artifact that the pipeline version keeps in the blob store: with the build
// output and the local kept copy gone, it rebuilds the artifact from its directory blob, verified,
// and refuses one whose bytes are damaged.
import { chmodSync, cpSync, existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readArtifact } from "@canal/ir";
import { openWorkspace } from "@canal/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canal } from "../canal.js";
import { makeProject } from "../helpers.js";

const fixture = join(import.meta.dirname, "../run/fixtures/slow");
const runIdOf = (stdout: string) => /^run (run-\S+): /m.exec(stdout)?.[1] ?? "";

describe("canal rerun from the blob store", () => {
  let dir: string;
  beforeAll(async () => {
    dir = makeProject({ from: fixture });
    expect((await canal(["compile", "pipeline.ts"], dir)).status).toBe(0);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** The run's pipeline version, and the artifact's blob. */
  async function versionOf(runId: string, root = dir) {
    const workspace = await openWorkspace(root);
    try {
      const run = await workspace.metadata.getRun(runId);
      const version = await workspace.metadata.getPipelineVersion(run.pipelineVersionId);
      const status = version.artifactDigest
        ? await workspace.blobs.verify(version.artifactDigest)
        : "missing";
      const manifest = version.artifactDigest
        ? await workspace.blobs.readManifest(version.artifactDigest)
        : [];
      return { version, status, manifest };
    } finally {
      await workspace.close();
    }
  }

  it("reruns with no artifact directory on this machine, and verifies what it rebuilds", async () => {
    const first = await canal(["run", "canal-out/slow"], dir);
    expect(first.status, first.stderr).toBe(0);
    const runId = runIdOf(first.stdout);
    const { version, status, manifest } = await versionOf(runId);
    expect(version.artifactDigest).toMatch(/^[0-9a-f]{64}$/);
    expect(status).toBe("ok");
    expect(manifest.map((e) => e.path)).toContain("pipeline.json");

    const kept = join(dir, ".canal", "artifacts", version.hash);
    rmSync(join(dir, "canal-out"), { recursive: true });
    rmSync(kept, { recursive: true });
    const rerun = await canal(["rerun", runId, "--json"], dir);
    expect(rerun.status, rerun.stderr).toBe(0);
    expect(JSON.parse(rerun.stdout)).toMatchObject({ status: "succeeded", pipelineHash: version.hash });
    expect(readArtifact(kept).pipeline.hash).toBe(version.hash);

    // Damaged bytes in the store: the rerun refuses them, saying what is wrong and what to do.
    rmSync(kept, { recursive: true });
    const entry = manifest.find((e) => e.path === "pipeline.json");
    const blob = join(
      dir,
      ".canal",
      "blobs",
      "sha256",
      entry?.sha256.slice(0, 2) ?? "",
      entry?.sha256.slice(2) ?? "",
    );
    chmodSync(blob, 0o644);
    writeFileSync(blob, "{}");
    const damaged = await canal(["rerun", runId], dir);
    expect(damaged.status).toBe(1);
    expect(damaged.stderr).toMatch(
      /the compiled artifact of pipeline slow v1 \([0-9a-f]{12}\) is damaged in the blob store .*; compile the pipeline and run it again with `canal run`/,
    );
    expect(existsSync(kept)).toBe(false);
  });

  it("reruns a run recorded before artifacts were stored, from the directory its version names", async () => {
    const project = makeProject({ from: fixture });
    try {
      expect((await canal(["compile", "pipeline.ts"], project)).status).toBe(0);
      const old = join(project, "old-copy");
      cpSync(join(project, "canal-out", "slow"), old, { recursive: true });
      const { pipeline } = readArtifact(old);
      const workspace = await openWorkspace(project);
      let oldRun: string;
      let goneRun: string;
      try {
        // As an older Canal recorded them: a local directory, no blob.
        const version = await workspace.metadata.registerPipelineVersion({
          pipeline: pipeline.name,
          hash: pipeline.hash,
          ir: "{}",
          artifactLocation: old,
        });
        oldRun = (
          await workspace.metadata.createRun({
            pipelineVersionId: version.id,
            runtime: "local",
            status: "succeeded",
          })
        ).id;
        const gone = await workspace.metadata.registerPipelineVersion({
          pipeline: "gone",
          hash: "f".repeat(64),
          ir: "{}",
          artifactLocation: join(project, "no-such-dir"),
        });
        goneRun = (
          await workspace.metadata.createRun({
            pipelineVersionId: gone.id,
            runtime: "local",
            status: "succeeded",
          })
        ).id;
      } finally {
        await workspace.close();
      }
      rmSync(join(project, "canal-out"), { recursive: true });
      const rerun = await canal(["rerun", oldRun, "--json"], project);
      expect(rerun.status, rerun.stderr).toBe(0);
      expect(JSON.parse(rerun.stdout)).toMatchObject({ status: "succeeded", pipelineHash: pipeline.hash });
      // The rerun stored the artifact: the version has its blob from now on.
      expect((await versionOf(oldRun, project)).status).toBe("ok");

      const refused = await canal(["rerun", goneRun], project);
      expect(refused.status).toBe(1);
      expect(refused.stderr).toContain(
        `the compiled artifact of pipeline gone v1 (ffffffffffff) is not kept (${join(project, "no-such-dir")} is gone or damaged); compile the pipeline and run it again with \`canal run\``,
      );
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });
});
