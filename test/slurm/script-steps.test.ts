// Script-step cases shared with the local runtime, on Slurm, against one cluster: values stay data
// through the batch script and its sh (injection-cases.ts), and a file input keeps its name
// (file-names-cases.ts).
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, it, vi } from "vitest";
import { makeProject } from "../helpers.js";
import { expectFileNamesSurvive, FILE_NAMES_FIXTURE } from "../soundness/file-names-cases.js";
import { expectValuesStayData, INJECTION_FIXTURE } from "../soundness/injection-cases.js";
import { type SlurmCluster, startSlurmCluster } from "./cluster.mjs";

describe("script steps on Slurm", () => {
  let cluster: SlurmCluster;
  beforeAll(async () => {
    cluster = await startSlurmCluster();
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  /** Runs `check` on a copy of `fixture` whose canal.config.json names the cluster as target `cluster`. */
  async function onCluster(fixture: string, check: (dir: string, args: string[]) => Promise<void>) {
    const dir = makeProject({ from: fixture });
    const sharedDir = join(dir, "shared");
    mkdirSync(sharedDir);
    writeFileSync(
      join(dir, "canal.config.json"),
      JSON.stringify({ targets: { cluster: { kind: "slurm", sharedDir } } }),
    );
    vi.stubEnv("SLURM_CONF", cluster.env.SLURM_CONF as string);
    try {
      await check(dir, ["--target", "cluster"]);
    } finally {
      vi.unstubAllEnvs();
    }
  }

  it("keep a value data in every quoting context, for every metacharacter", async () => {
    await onCluster(INJECTION_FIXTURE, expectValuesStayData);
  }, 120_000);

  it("give a file input its own name: a script's placeholder and environment, a TypeScript step's path, a pass-through and a fan-in", async () => {
    await onCluster(FILE_NAMES_FIXTURE, expectFileNamesSurvive);
  }, 180_000);
});
