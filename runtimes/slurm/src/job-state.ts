/** A job as `scontrol show job -o` describes it. */
export interface JobInfo {
  state: string;
  /** The batch script's exit status (the first half of ExitCode=N:S). */
  exitCode: number;
  /** The signal that ended it (the second half), 0 if none. */
  signal: number;
  reason: string;
  /** The batch script the job runs. */
  command?: string;
}

/** Parses one line of `scontrol show job -o ID`; undefined when it names no state. */
export function parseJob(line: string): JobInfo | undefined {
  const field = (name: string) => new RegExp(`(?:^|\\s)${name}=(\\S*)`).exec(line)?.[1];
  const state = field("JobState");
  if (!state) return undefined;
  const [exit, signal] = (field("ExitCode") ?? "0:0").split(":").map(Number);
  const command = field("Command");
  return {
    state,
    exitCode: exit ?? 0,
    signal: signal ?? 0,
    reason: field("Reason") ?? "None",
    ...(command ? { command } : {}),
  };
}

/** Job states after which nothing more happens to the job. */
const TERMINAL = new Set([
  "COMPLETED",
  "FAILED",
  "CANCELLED",
  "TIMEOUT",
  "NODE_FAIL",
  "PREEMPTED",
  "BOOT_FAIL",
  "DEADLINE",
  "OUT_OF_MEMORY",
  "SPECIAL_EXIT",
]);

export function isTerminal(state: string): boolean {
  return TERMINAL.has(state);
}

/**
 * The states where the scheduler or the machine, not the step, ended the job: running the same
 * attempt again can succeed, so they are retryable failures.
 */
export const SCHEDULER_ENDED: Record<string, string> = {
  NODE_FAIL: "its node failed",
  PREEMPTED: "it was preempted by a higher-priority job",
  BOOT_FAIL: "its node failed to boot",
  DEADLINE: "it reached its deadline before running",
  CANCELLED: "it was cancelled from outside Canal (scancel, or the cluster's administrators)",
};
