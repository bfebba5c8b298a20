// Where a Slurm cluster could keep a secret of a job's: what slurmctld shows of the job and the
// script it was sent, its saved state (each job's script and environment), slurmd's spool and both
// daemons' logs. Every place is shown to hold what is searched before it is said to hold no secret:
// a scan of nothing finds no leak.
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { filesHolding } from "../soundness/env-rule.js";
import type { SlurmCluster } from "./cluster.mjs";

/** Where each of `secrets` (by name) was found for `jobs`, which slurmctld still knows (MinJobAge); empty when nowhere. */
export function slurmLeaks(cluster: SlurmCluster, jobs: string[], secrets: Record<string, string>): string[] {
  const slurm = (args: string[]) =>
    execFileSync(args[0] as string, args.slice(1), { env: cluster.env, encoding: "utf8" });
  expect(jobs.length).toBeGreaterThan(0);
  const leaks: string[] = [];
  for (const job of jobs) {
    const shown = slurm(["scontrol", "show", "job", "-dd", job]);
    expect(shown).toContain(`JobId=${job}`);
    const script = slurm(["scontrol", "write", "batch_script", job, "-"]);
    expect(script).toContain("#!/bin/sh");
    for (const [which, secret] of Object.entries(secrets)) {
      if (shown.includes(secret)) leaks.push(`${which}: scontrol show job -dd ${job}`);
      if (script.includes(secret)) leaks.push(`${which}: the submitted script of job ${job}`);
    }
  }
  // The saved state holds each job's script and environment: what is searched below is there.
  const state = readdirSync(join(cluster.root, "slurm", "state"), { recursive: true, encoding: "utf8" });
  for (const job of jobs) {
    for (const file of ["environment", "script"])
      expect(state, `job ${job}'s ${file} in slurmctld's saved state`).toContainEqual(
        expect.stringMatching(new RegExp(`(^|/)job\\.${job}/${file}$`)),
      );
  }
  // The cluster's whole root: slurmctld's state, slurmd's spool, both logs, the job completions.
  for (const [which, secret] of Object.entries(secrets))
    for (const path of filesHolding(cluster.root, secret)) leaks.push(`${which}: ${path}`);
  return leaks;
}
