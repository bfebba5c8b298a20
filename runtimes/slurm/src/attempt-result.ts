import { existsSync, readFileSync } from "node:fs";
import { type AttemptResult, type StepFileResult, shownCommand } from "@canal/runtime-core";
import type { Entrypoint } from "./job-script.js";
import { type JobInfo, SCHEDULER_ENDED } from "./job-state.js";

/** The reason Slurm gives a job whose `afterok` dependency can no longer be met. */
export const NEVER_SATISFIED = "DependencyNeverSatisfied";

/** How one attempt's job ended, as the runtime saw it. */
export interface JobEnd {
  jobId: string;
  info: JobInfo;
  /** The step's command as the user wrote it, rendered (for messages). */
  shown: string;
  /**
   * The result file of a TypeScript step (written by the worker entrypoint) or of a step that moved
   * its own bytes (by the step entrypoint: a script's failure with its status, `scriptExit`).
   */
  resultFile?: string | undefined;
  /** The end of the job's stderr. */
  stderrTail: string;
  /** Set when the job ran Canal's entrypoint (see {@link Entrypoint}). */
  entrypoint?: Entrypoint | undefined;
  /** The job's node, as Slurm told the job; undefined or empty when unknown. */
  node?: string | undefined;
}

/**
 * The attempt's result from its job's end (the README's table): the scheduler's doing is a
 * retryable failure, running out of memory and a missing command are not, a TypeScript step's
 * result is the worker's.
 */
export function attemptResult(key: string, end: JobEnd): AttemptResult {
  const { jobId, info, shown, resultFile } = end;
  if (info.state === "TIMEOUT") {
    return {
      status: "timed-out",
      error: `step ${key} timed out: Slurm ended job ${jobId} at its time limit`,
    };
  }
  if (info.reason === NEVER_SATISFIED) {
    return {
      status: "failed",
      error: `step ${key}: Slurm job ${jobId}, queued ahead behind the job of a step it depends on, could not start because that job did not end COMPLETED; the attempt is retried in a job of its own if the step allows`,
      retryable: true,
    };
  }
  if (info.state === "VANISHED") {
    return {
      status: "failed",
      error: `step ${key}: Slurm no longer knows job ${jobId} and it left no exit status (the controller lost it); the attempt is retried if the step allows`,
      retryable: true,
    };
  }
  const why = SCHEDULER_ENDED[info.state];
  if (why) {
    return {
      status: "failed",
      error: `step ${key}: Slurm job ${jobId} ended ${info.state}: ${why}${info.reason && info.reason !== "None" ? ` (${info.reason})` : ""}; the attempt is retryable`,
      retryable: true,
    };
  }
  if (info.state === "OUT_OF_MEMORY") {
    return {
      status: "failed",
      error: `step ${key}: Slurm job ${jobId} ran out of memory; ask for more (resources.memory) or use less`,
      retryable: false,
    };
  }
  let exitCode = info.exitCode;
  let signal = info.signal;
  let script = !resultFile;
  if (resultFile && existsSync(resultFile)) {
    let result: StepFileResult;
    try {
      result = JSON.parse(readFileSync(resultFile, "utf8")) as StepFileResult;
    } catch (error) {
      return {
        status: "failed",
        error: `step ${key}: the result of job ${jobId} is unreadable: ${(error as Error).message}`,
        retryable: true,
      };
    }
    if (result.scriptExit === undefined) return result;
    // A script step under the entrypoint that moved its bytes: its shell's own status says how it ended.
    exitCode = result.scriptExit;
    signal = 0;
    script = true;
  }
  const last = end.stderrTail.trim().split("\n").slice(-3).join("\n");
  // 127 (not found) or 126 (not executable) without a result: the entrypoint never ran, so neither
  // did the step's own command; the node lacks the `node` the driver runs with.
  if (end.entrypoint && !script && (exitCode === 127 || exitCode === 126))
    return unstarted(key, end, exitCode);
  if (info.state === "COMPLETED" && exitCode === 0 && script) {
    return { status: "succeeded", values: {}, returned: {} };
  }
  if (exitCode === 127 && script) {
    const word = shown.trim().split(/\s+/)[0];
    return {
      status: "failed",
      exitCode: 127,
      error: `step ${key}: command not found (${last.split("\n").pop() ?? word}); install \`${word}\` or fix the step's \`run\``,
      retryable: false,
    };
  }
  const ended = signal !== 0 ? `was killed by signal ${signal}` : `exited with status ${exitCode}`;
  return {
    status: "failed",
    exitCode,
    error: `step ${key}: \`${shownCommand(shown)}\` ${ended} (Slurm job ${jobId})${last ? `:\n${last}` : ""}`,
    retryable: true,
  };
}

/** Canal's entrypoint could not start on the job's node: which node, which `node`, and the fix. */
function unstarted(key: string, end: JobEnd, exitCode: number): AttemptResult {
  const { node, movesBytes } = end.entrypoint as Entrypoint;
  const where = end.node ? `node ${end.node}` : "its node";
  const said = end.stderrTail.trim().split("\n").pop();
  const fix = movesBytes
    ? `install Node at ${node} on the nodes, or set the target's "nodesReachStore": false so that the driver stages the step's bytes through the shared directory`
    : `install Node at ${node} on the nodes (the path of the driver's own node)`;
  return {
    status: "failed",
    exitCode,
    error: `step ${key}: Canal's ${movesBytes ? "step" : "worker"} entrypoint could not start on ${where} of Slurm job ${end.jobId}: \`${node}\` ${exitCode === 127 ? "is not there" : "cannot be executed there"} (status ${exitCode}${said ? `: ${said}` : ""}), so the step did not run; ${fix}`,
    retryable: false,
  };
}
