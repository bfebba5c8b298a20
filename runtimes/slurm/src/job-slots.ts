import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import type { JobFiles } from "./batch-script.js";

/** A job queued ahead of a step's attempt, behind the jobs of the attempts it waits on. */
export interface Slot {
  runId: string;
  /** The run as the cluster knows it (see `runTag`). */
  tag: string;
  files: JobFiles;
  /** The step keys it waits on. */
  afterKeys: string[];
  /** The job ids it waits on, once known. */
  after: string[];
  /** Its job id once sbatch answered; undefined when it was not queued. */
  job: Promise<string | undefined>;
  dismissed: boolean;
}

/** The job of a step key's latest attempt (or of the job queued ahead for it), once submitted. */
export class JobOf {
  settled = false;
  readonly promise: Promise<string | undefined>;
  private resolver!: (jobId: string | undefined) => void;
  constructor() {
    this.promise = new Promise((resolve) => (this.resolver = resolve));
  }
  resolve(jobId: string | undefined): void {
    if (this.settled) return;
    this.settled = true;
    this.resolver(jobId);
  }
}

/** The key of a step's slot and of its JobOf: one run's step key. */
export function slotId(runId: string, stepKey: string): string {
  return `${runId}\u0000${stepKey}`;
}

/**
 * Claims a job queued ahead that will get no attempt and hands it a script that fails at once, so
 * that it ends even if scancel does not get through (slurmctld restarting); failing, it starts
 * nothing queued behind it. False when it had given up and failed by itself.
 */
export function claimToFail(files: JobFiles): boolean {
  try {
    mkdirSync(files.claim);
  } catch {
    return false;
  }
  try {
    writeFileSync(`${files.attempt}.tmp`, "exit 1\n");
    renameSync(`${files.attempt}.tmp`, files.attempt);
  } catch {
    // Its folder is gone: scancel alone.
  }
  return true;
}
