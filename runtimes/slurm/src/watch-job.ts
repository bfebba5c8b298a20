import { existsSync, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import type { AttemptHooks, AttemptResult, StepTask } from "@canal/runtime-core";
import { attemptResult, NEVER_SATISFIED } from "./attempt-result.js";
import type { JobFiles } from "./batch-script.js";
import type { Prepared } from "./job-script.js";
import { isTerminal, type JobInfo, parseJob } from "./job-state.js";
import { LogTail } from "./log-tail.js";
import { slurmCommand } from "./slurm-commands.js";

/** How often the job's exit file and logs are looked at (a stat, far cheaper than asking slurmctld). */
const EXIT_CHECK_MS = 10;
/** How long a job we cancelled may take to end before the attempt is reported ended anyway. */
const CANCEL_WAIT_MS = 15_000;

/** What following a job needs from its runtime. */
export interface WatchSettings {
  /** The environment of the Slurm commands. */
  env: NodeJS.ProcessEnv;
  /** How often the job's state is read from slurmctld. */
  pollMs: number;
  /** How long slurmctld may be unreachable before the attempt is given up. */
  graceMs: number;
  /** The job's step exited with status 0 (what `afterok` waits for). */
  onSucceeded(jobId: string): void;
}

/**
 * Follows an attempt's job to its end: its logs into the run's as they grow, its start (the
 * step's timeout counts from then), its exit file (the fastest sign, and the only one left if the
 * controller forgot the job) and its state in slurmctld; a cancel or timeout scancels it.
 */
export async function watchJob(
  settings: WatchSettings,
  task: StepTask,
  hooks: AttemptHooks,
  files: JobFiles,
  prepared: Prepared,
  jobId: string,
): Promise<AttemptResult> {
  const stdout = new LogTail(files.stdout, (text) => hooks.log("stdout", text));
  const stderr = new LogTail(files.stderr, (text) => hooks.log("stderr", text));
  const drain = () => {
    stdout.tail();
    stderr.tail();
  };
  let cancelledAt: number | undefined;
  let lastCancel = 0;
  let unreachableSince: number | undefined;
  let lastAsked = 0;
  let asking: Promise<JobInfo | "unreachable" | undefined> | undefined;
  let answer: JobInfo | "unreachable" | undefined;
  let running = false;
  for (;;) {
    drain();
    if (!running && existsSync(files.started)) {
      running = true;
      hooks.started();
    }
    // The exit file is the fastest sign that the step ended (Slurm reports COMPLETED only
    // after its epilog), and the only one left if the controller forgot the job.
    const status = hooks.signal.aborted ? undefined : exitStatus(files);
    if (status !== undefined) {
      if (status === 0) settings.onSucceeded(jobId);
      drain();
      const state = status === 0 ? "COMPLETED" : "FAILED";
      return result(
        task,
        hooks,
        files,
        jobId,
        { state, exitCode: status, signal: 0, reason: "" },
        prepared,
        stderr.last,
      );
    }
    if (hooks.signal.aborted && Date.now() - lastCancel > 2000) {
      // Sent again while the job lives: slurmctld may have been down for the first one.
      cancelledAt ??= Date.now();
      lastCancel = Date.now();
      await slurmCommand("scancel", [jobId], settings.env);
    }
    if (!asking && Date.now() - lastAsked >= settings.pollMs) {
      lastAsked = Date.now();
      asking = jobState(settings, jobId, files).then((info) => {
        answer = info;
        asking = undefined;
        return info;
      });
    }
    const info = answer;
    answer = undefined;
    if (info === "unreachable") {
      unreachableSince ??= Date.now();
      if (Date.now() - unreachableSince > settings.graceMs) {
        drain();
        return {
          status: "failed",
          error: `step ${task.stepKey}: slurmctld could not be reached for ${Math.round(settings.graceMs / 1000)} s while job ${jobId} ran; the attempt is given up, and retried if the step allows`,
          retryable: true,
        };
      }
    } else if (info) {
      unreachableSince = undefined;
      const stuck = info.state === "PENDING" && info.reason === NEVER_SATISFIED;
      if (stuck) await slurmCommand("scancel", [jobId], settings.env);
      if (isTerminal(info.state) || info.state === "VANISHED" || stuck) {
        // The batch script may have written its exit file just before the job ended.
        if (!hooks.signal.aborted && exitStatus(files) !== undefined) continue;
        drain();
        return result(task, hooks, files, jobId, info, prepared, stderr.last);
      }
    }
    if (cancelledAt !== undefined && Date.now() - cancelledAt > CANCEL_WAIT_MS) {
      hooks.log("stderr", `job ${jobId} did not end within ${CANCEL_WAIT_MS / 1000} s of scancel\n`);
      return aborted(task, hooks);
    }
    await sleep(EXIT_CHECK_MS);
  }
}

/** The job as slurmctld reports it; "VANISHED" when it no longer knows it (or knows another job by its id). */
async function jobState(
  settings: WatchSettings,
  jobId: string,
  files: JobFiles,
): Promise<JobInfo | "unreachable" | undefined> {
  const answer = await slurmCommand("scontrol", ["show", "job", "-o", jobId], settings.env);
  const vanished = { state: "VANISHED", exitCode: 0, signal: 0, reason: "" };
  if (answer.code === 0) {
    const info = parseJob(answer.stdout);
    // A controller that lost its state hands out job ids again: the id may now name another job.
    if (info?.command && !/\s/.test(files.script) && info.command !== files.script) return vanished;
    return info;
  }
  if (/Invalid job id/i.test(answer.stderr)) return vanished;
  return "unreachable";
}

/** The attempt's result, unless it was canceled or timed out by Canal (then that is what it is). */
function result(
  task: StepTask,
  hooks: AttemptHooks,
  files: JobFiles,
  jobId: string,
  info: JobInfo,
  prepared: Prepared,
  stderrTail: string,
): AttemptResult {
  if (hooks.signal.aborted) return aborted(task, hooks);
  return attemptResult(task.stepKey, {
    jobId,
    info,
    shown: prepared.shown,
    resultFile: prepared.resultFile,
    stderrTail,
    entrypoint: prepared.entrypoint,
    node: nodeName(files),
  });
}

/** The job's node, as the batch script wrote it in its started file; undefined when it did not. */
function nodeName(files: JobFiles): string | undefined {
  try {
    return readFileSync(files.started, "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The exit status the batch script wrote; undefined before it did (or while it writes). */
export function exitStatus(files: JobFiles): number | undefined {
  let text: string;
  try {
    text = readFileSync(files.exit, "utf8");
  } catch {
    return undefined;
  }
  return /^\d+\n$/.test(text) ? Number(text) : undefined;
}

/** An attempt Canal ended: timed out or canceled, as its signal's reason says. */
export function aborted(task: StepTask, hooks: AttemptHooks): AttemptResult {
  return hooks.signal.reason === "timeout"
    ? { status: "timed-out", error: `step ${task.stepKey} timed out` }
    : { status: "canceled" };
}
