// The injection cases on the Slurm runtime: values stay data through the batch script and its sh.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, it, vi } from "vitest";
import { makeProject } from "../helpers.js";
import { expectValuesStayData, INJECTION_FIXTURE } from "../soundness/injection-cases.js";
import { type SlurmCluster, startSlurmCluster } from "./cluster.mjs";

describe("a value in a script step's command on Slurm", () => {
  let cluster: SlurmCluster;
  beforeAll(async () => {
    cluster = await startSlurmCluster();
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it("stays data in every quoting context, for every metacharacter", async () => {
    const dir = makeProject({ from: INJECTION_FIXTURE });
    const sharedDir = join(dir, "shared");
    mkdirSync(sharedDir);
    writeFileSync(
      join(dir, "canal.config.json"),
      JSON.stringify({ targets: { cluster: { kind: "slurm", sharedDir } } }),
    );
    vi.stubEnv("SLURM_CONF", cluster.env.SLURM_CONF as string);
    try {
      await expectValuesStayData(dir, ["--target", "cluster"]);
    } finally {
      vi.unstubAllEnvs();
    }
  }, 120_000);
});
