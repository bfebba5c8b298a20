// `canal rerun` runs the artifact that the pipeline version keeps in the blob store: with the build
// output and the local kept copy gone, it rebuilds the artifact from its directory blob, verified,
// and refuses one whose bytes are damaged.
import { chmodSync, existsSync, rmSync, writeFileSync } from "node:fs";
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
  async function versionOf(runId: string) {
    const workspace = await openWorkspace(dir);
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
});
