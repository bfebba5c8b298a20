import { setTimeout as sleep } from "node:timers/promises";
import type { Step } from "@canal/ir";
import type { AttemptHooks, AttemptResult, StepTask } from "@canal/runtime-core";
import { type JobFiles, resourceArgs, type SubmitSettings, sbatchArgs } from "./batch-script.js";
import { controllerUnreachable, lastLine, slurmCommand } from "./slurm-commands.js";
import { aborted } from "./watch-job.js";

export type Submitted = { jobId: string } | { result: AttemptResult };

/** What submitting a job needs from the runtime. */
export interface SubmitContext {
  settings: SubmitSettings;
  env: NodeJS.ProcessEnv;
  /** How long slurmctld may be unreachable before the attempt fails. */
  graceMs: number;
  /** Called the moment sbatch answered with a job id, before the caller resumes. */
  onSubmitted: () => void;
}

const UNREACHABLE_RETRY_MS = 250;

/**
 * Submits an attempt's job with sbatch, asking again while slurmctld cannot be reached (a restart)
 * for up to `graceMs`; the attempt's failure when Slurm refused the job or stayed unreachable.
 */
export async function submitJob(
  context: SubmitContext,
  task: StepTask,
  tag: string,
  files: JobFiles,
  hooks: AttemptHooks,
): Promise<Submitted> {
  const { settings, env, graceMs } = context;
  const args = sbatchArgs(task.step, { runTag: tag, stepKey: task.stepKey }, files, settings);
  const started = Date.now();
  for (;;) {
    const answer = await slurmCommand("sbatch", args, env);
    if (answer.code === 0) {
      const jobId = answer.stdout.trim().split(";")[0] ?? "";
      if (/^\d+$/.test(jobId)) {
        context.onSubmitted();
        return { jobId };
      }
    }
    const said = answer.stderr.trim() || answer.stdout.trim();
    if (controllerUnreachable(said) && Date.now() - started < graceMs) {
      if (hooks.signal.aborted) return { result: aborted(task, hooks) };
      await sleep(UNREACHABLE_RETRY_MS);
      continue;
    }
    const request = [...resourceArgs(task.step, settings), ...partitionArgs(settings)];
    if (controllerUnreachable(said)) {
      return {
        result: {
          status: "failed",
          error: `step ${task.stepKey}: slurmctld could not be reached for ${Math.round(graceMs / 1000)} s to submit the job (${lastLine(said)}); check that the controller runs (scontrol ping)`,
          retryable: true,
        },
      };
    }
    return {
      result: {
        status: "failed",
        error:
          `step ${task.stepKey}: Slurm refused the job asking for ${request.join(" ") || "the default resources"}: ` +
          `${lastLine(said)}; ask for what the cluster's nodes have (sinfo -o "%P %c %m %G" lists them) or run the step on another target`,
        retryable: false,
      },
    };
  }
}

/** Queues a job ahead, behind the jobs `after` (`afterok`): its id, or undefined when sbatch did not queue it. */
export async function submitAhead(
  context: SubmitContext,
  step: Step,
  label: { runTag: string; stepKey: string },
  files: JobFiles,
  after: string[],
): Promise<string | undefined> {
  const answer = await slurmCommand(
    "sbatch",
    sbatchArgs(step, label, files, context.settings, after),
    context.env,
  );
  const jobId = answer.stdout.trim().split(";")[0] ?? "";
  return answer.code === 0 && /^\d+$/.test(jobId) ? jobId : undefined;
}

function partitionArgs(settings: SubmitSettings): string[] {
  return [
    ...(settings.partition ? [`--partition=${settings.partition}`] : []),
    ...(settings.account ? [`--account=${settings.account}`] : []),
  ];
}
