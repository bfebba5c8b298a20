// File names survive in Slurm jobs: see test/soundness/file-names-cases.ts.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, it, vi } from "vitest";
import { makeProject } from "../helpers.js";
import { expectFileNamesSurvive, FILE_NAMES_FIXTURE } from "../soundness/file-names-cases.js";
import { type SlurmCluster, startSlurmCluster } from "./cluster.mjs";

describe("a file input keeps its name on Slurm", () => {
  let cluster: SlurmCluster;
  beforeAll(async () => {
    cluster = await startSlurmCluster();
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it("in a script's placeholder and environment, a TypeScript step's path, a pass-through and a fan-in", async () => {
    const dir = makeProject({ from: FILE_NAMES_FIXTURE });
    const sharedDir = join(dir, "shared");
    mkdirSync(sharedDir);
    writeFileSync(
      join(dir, "canal.config.json"),
      JSON.stringify({ targets: { cluster: { kind: "slurm", sharedDir } } }),
    );
    vi.stubEnv("SLURM_CONF", cluster.env.SLURM_CONF as string);
    try {
      await expectFileNamesSurvive(dir, ["--target", "cluster"]);
    } finally {
      vi.unstubAllEnvs();
    }
  }, 180_000);
});
