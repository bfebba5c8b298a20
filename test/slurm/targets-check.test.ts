// `canal targets --check` against a real one-node Slurm cluster: partitions, GRES, idle nodes.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canal } from "../canal.js";
import { type SlurmCluster, startSlurmCluster } from "./cluster.mjs";

describe("canal targets --check on a Slurm cluster", () => {
  let cluster: SlurmCluster;
  let dir: string;

  beforeAll(async () => {
    cluster = await startSlurmCluster();
    dir = mkdtempSync(join(tmpdir(), "canal-slurm-targets-"));
    const sharedDir = join(dir, "shared");
    mkdirSync(sharedDir);
    const slurmConf = cluster.env.SLURM_CONF as string;
    const targets = {
      cluster: { kind: "slurm", sharedDir, slurmConf, gres: "gpu", gpus: 2 },
      typo: { kind: "slurm", sharedDir, slurmConf, partition: "debgu" },
      greedy: { kind: "slurm", sharedDir, slurmConf, partition: "debug", gpus: 4 },
      elsewhere: { kind: "slurm", sharedDir, slurmConf: join(dir, "none.conf") },
    };
    writeFileSync(join(dir, "canal.config.json"), JSON.stringify({ targets }));
  });
  afterAll(async () => {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("reports the cluster's version, partitions, GRES and idle nodes", async () => {
    const result = await canal(["targets", "cluster", "--check"], dir);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(
      new RegExp(`^ {2}slurm: slurm(?:-wlm)? [\\d.]+ \\(${cluster.env.SLURM_CONF}\\)$`, "m"),
    );
    expect(result.stdout).toMatch(
      /^ {2}partitions:\n {4}debug \(default\): up, 1 node \(1 idle\), \d+ CPUs and 3\.9Gi per node, GRES gpu:2\S*, time limit infinite$/m,
    );
    expect(result.stdout).toContain(`  shared directory: ${join(dir, "shared")}\n  ok: steps can run here\n`);
  });

  it("names a partition the cluster does not have, GPUs its GRES cannot give, and a configuration that is not there", async () => {
    const result = await canal(["targets", "--check", "--json"], dir);
    expect(result.status).toBe(1);
    const problems = Object.fromEntries(
      (JSON.parse(result.stdout) as Array<{ name: string; check: { problems: string[] } }>).map((t) => [
        t.name,
        t.check.problems,
      ]),
    );
    expect(problems.cluster).toEqual([]);
    expect(problems.typo).toEqual([
      "`targets.typo.partition`: the cluster has no partition `debgu`; its partitions are debug; did you mean `debug`?",
    ]);
    expect(problems.greedy).toEqual([
      expect.stringMatching(
        /^`targets\.greedy\.gpus` is 4, but the nodes of partition `debug` have 2 GRES `gpu` \(they have gpu:2\S*\); set `targets\.greedy\.gres` to the GRES name GPUs are under, or lower `gpus`$/,
      ),
    ]);
    expect(problems.elsewhere).toEqual([
      `the Slurm configuration ${join(dir, "none.conf")} does not exist; set \`targets.elsewhere.slurmConf\` (or SLURM_CONF) to the cluster's slurm.conf`,
    ]);
  });
});
