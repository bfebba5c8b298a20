import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { BlobPlace, Environment, Step } from "@canal/ir";
import type {
  AttemptHooks,
  AttemptResult,
  Runtime,
  StepTask,
  TargetCheck,
  UpcomingStep,
} from "@canal/runtime-core";
import { type JobFiles, launchScript, slotScript } from "./batch-script.js";
import { checkCluster } from "./cluster-check.js";
import { endRunJobs } from "./end-run.js";
import { JobScripts, jobFilesIn, type Prepared } from "./job-script.js";
import { claimToFail, JobOf, type Slot, slotId } from "./job-slots.js";
import { LingeringJobs } from "./lingering-jobs.js";
import { RUN_KEYS_FOLDER, RunKeys, runTag } from "./run-keys.js";
import { slurmCommand } from "./slurm-commands.js";
import { slurmEnvironment } from "./slurm-environment.js";
import type { SlurmRuntimeOptions, SlurmRuntimeStats } from "./slurm-options.js";
import { type SubmitContext, submitAhead, submitJob } from "./submit-job.js";
import { aborted, type WatchSettings, watchJob } from "./watch-job.js";

/**
 * Runs each step attempt as one Slurm job: Canal's orchestrator keeps the DAG and decides what
 * runs; the jobs of the steps that come next are queued ahead behind the jobs they wait on
 * (`afterok`) and handed their attempt once it is decided (see the README).
 *
 * @example
 * ```ts
 * const runtime = new SlurmRuntime({ sharedDir: "/shared/canal", partition: "gpu" });
 * ```
 */
export class SlurmRuntime implements Runtime {
  readonly name = "slurm";
  readonly maxParallel: number;
  /** A step's timeout counts from its job's start, not from its submission. */
  readonly queued = true;
  private readonly sharedDir: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly submitContext: SubmitContext;
  private readonly scripts: JobScripts;
  private readonly keys: RunKeys;
  private readonly watch: WatchSettings;
  private readonly live = new Set<string>();
  private readonly lingering: LingeringJobs;
  /** Jobs queued ahead (see anticipate), by run and step key. */
  private readonly slots = new Map<string, Slot>();
  private readonly jobsOf = new Map<string, JobOf>();
  /** Running jobs' files, by job id: a job that a job queued ahead waits on need not linger. */
  private readonly running = new Map<string, JobFiles>();
  /** Jobs whose step exited with status 0: what `afterok` waits for. */
  private readonly succeeded = new Set<string>();
  /** Jobs that a job queued ahead waits on: they end as soon as their step did, to start it. */
  private readonly awaited = new Set<string>();
  private readonly submissions = new Set<Promise<unknown>>();
  private closed = false;
  readonly stats: SlurmRuntimeStats = { submitted: 0, queuedAhead: 0, usedAhead: 0 };

  constructor(private readonly options: SlurmRuntimeOptions) {
    this.sharedDir = resolve(options.sharedDir);
    this.maxParallel = options.maxParallel ?? 32;
    // Filtered once: every Slurm command, and so every job, gets this and nothing else.
    this.env = slurmEnvironment(options.env ?? process.env);
    const graceMs = options.controllerGraceMs ?? 60_000;
    this.scripts = new JobScripts(this.sharedDir, this.env, options.nodePath);
    this.keys = new RunKeys(
      options.stateDir === undefined ? undefined : join(resolve(options.stateDir), RUN_KEYS_FOLDER),
      options.runKeys,
    );
    this.watch = {
      env: this.env,
      pollMs: options.pollIntervalMs ?? 100,
      graceMs,
      onSucceeded: (jobId) => this.succeeded.add(jobId),
    };
    this.lingering = new LingeringJobs(options.keepJobFiles === true, () => this.closed);
    this.submitContext = {
      settings: options,
      env: this.env,
      graceMs,
      onSubmitted: () => {
        this.stats.submitted++;
        this.lingering.releaseAll();
      },
    };
  }

  /**
   * A job reaches an S3 bucket from its node (unless the target says `nodesReachStore: false`):
   * it fetches its inputs and stores its outputs there itself, with the node's `node`. The bucket's
   * credentials reach it as the declared variables' values do: in the owner-only attempt script,
   * never in what is submitted to slurmctld (see the README). A step in an image of its own cannot
   * run here at all.
   */
  movesBlobs(place: BlobPlace, _step: Step, environment: Environment | undefined): boolean {
    return place.kind === "s3" && this.options.nodesReachStore !== false && environment?.kind !== "IMAGE";
  }

  /** A step in an image of its own: Slurm starts no container here. */
  cannotRun(_step: Step, environment: Environment | undefined): string | undefined {
    if (environment?.kind !== "IMAGE") return undefined;
    return `it runs in the image ${environment.image}, which the Slurm runtime cannot start; use a container target (--target docker)`;
  }

  async execute(task: StepTask, hooks: AttemptHooks): Promise<AttemptResult> {
    // Registered before the first await: the orchestrator anticipates what comes next right after
    // calling execute, and a job queued ahead waits on this attempt's job.
    const id = slotId(task.runId, task.stepKey);
    // The orchestrator asks cannotRun before it stages anything; this is for a caller that did not.
    const refused = this.cannotRun(task.step, task.environment);
    if (refused) {
      this.jobsOf.get(id)?.resolve(undefined);
      return failed(task, refused);
    }
    const slot = this.slots.get(id);
    this.slots.delete(id);
    // With a job queued ahead, what waits on this step already waits on that job (anticipate()
    // registered it); else this attempt's job is registered before the first await.
    let jobOf = this.jobsOf.get(id);
    if (slot) {
      const handed = await this.handOver(task, hooks, slot);
      if (handed) return handed;
      // Not usable (an upstream attempt failed, it gave up waiting): a job of its own, as usual.
      jobOf = undefined;
    }
    if (!jobOf || jobOf.settled) {
      jobOf = new JobOf();
      this.jobsOf.set(id, jobOf);
    }
    let tag: string;
    try {
      tag = runTag(task.runId, this.keys.keyFor(task.runId));
      // Before anything of the job is written: a cancel from any checkout finds it by its key.
      await this.keys.stored(task.runId);
    } catch (error) {
      jobOf.resolve(undefined);
      return failed(task, (error as Error).message);
    }
    let files: JobFiles;
    try {
      files = jobFilesIn(this.sharedDir, tag, `${task.stepKey}.${task.attempt}`);
    } catch (error) {
      jobOf.resolve(undefined);
      return failed(
        task,
        `cannot write the job's files to the shared directory ${this.sharedDir}: ${(error as Error).message}; set the target's sharedDir to a directory this machine and the nodes can write`,
      );
    }
    let jobId: string | undefined;
    try {
      let prepared: Prepared;
      try {
        prepared = await this.scripts.write(task, files);
        // Submitted in its place: slurmctld saves the script it is sent, which must hold no value.
        writeFileSync(files.script, launchScript(files), { mode: 0o755 });
      } catch (error) {
        return failed(task, (error as Error).message);
      }
      if (hooks.signal.aborted) return aborted(task, hooks);
      const submitted = await submitJob(this.submitContext, task, tag, files, hooks);
      if ("result" in submitted) return submitted.result;
      jobId = submitted.jobId;
      jobOf.resolve(jobId);
      this.live.add(jobId);
      // Closed while sbatch ran: close() could not see this job.
      if (this.closed) {
        await slurmCommand("scancel", [jobId], this.env);
        return aborted(task, hooks);
      }
      this.running.set(jobId, files);
      if (this.awaited.has(jobId)) this.lingering.release(files);
      return await watchJob(this.watch, task, hooks, files, prepared, jobId);
    } finally {
      jobOf.resolve(undefined);
      this.jobEnded(jobId, files);
    }
  }

  /**
   * Runs the attempt in the job queued ahead for it: its script is prepared first (a virtualenv may
   * take minutes, while that job may already hold its node), then the job is claimed and the
   * script handed over. Undefined when the job cannot take it: the attempt needs a job of its own.
   */
  private async handOver(
    task: StepTask,
    hooks: AttemptHooks,
    slot: Slot,
  ): Promise<AttemptResult | undefined> {
    const jobId = await this.usableSlot(slot);
    if (!jobId) return undefined;
    const { files } = slot;
    const ready = `${files.attempt}.ready`;
    let prepared: Prepared;
    try {
      prepared = await this.scripts.write(task, files, ready);
    } catch (error) {
      await this.cancelSlot(slot, jobId);
      return failed(task, (error as Error).message);
    }
    if (hooks.signal.aborted || this.closed) {
      await this.cancelSlot(slot, jobId);
      return aborted(task, hooks);
    }
    try {
      mkdirSync(files.claim);
    } catch {
      // It gave up waiting meanwhile (and failed, so nothing queued behind it starts).
      this.live.delete(jobId);
      this.lingering.removeLater(files);
      return undefined;
    }
    renameSync(ready, files.attempt);
    this.running.set(jobId, files);
    if (this.awaited.has(jobId)) this.lingering.release(files);
    this.stats.usedAhead++;
    try {
      return await watchJob(this.watch, task, hooks, files, prepared, jobId);
    } finally {
      this.jobEnded(jobId, files);
    }
  }

  /** After an attempt: the job is no longer live; its files go once it surely ended (see LingeringJobs). */
  private jobEnded(jobId: string | undefined, files: JobFiles): void {
    if (jobId) {
      this.live.delete(jobId);
      this.running.delete(jobId);
      this.awaited.delete(jobId);
    }
    this.lingering.ended(files);
  }

  /**
   * Queues `upcoming` ahead: a job that waits (`afterok`) on the jobs of the attempts it waits on,
   * so that Slurm starts it the moment they end; the attempt is handed to it when execute() comes.
   */
  anticipate(upcoming: UpcomingStep): boolean {
    const id = slotId(upcoming.runId, upcoming.stepKey);
    if (this.slots.has(id)) return true;
    if (this.closed || upcoming.environment?.kind === "IMAGE") return false;
    let tag: string;
    let files: JobFiles;
    try {
      tag = runTag(upcoming.runId, this.keys.keyFor(upcoming.runId));
      files = jobFilesIn(this.sharedDir, tag, `${upcoming.stepKey}.ahead`);
    } catch {
      return false; // execute() reports an unwritable state folder or shared directory
    }
    const upstream = upcoming.after.map((key) => this.jobOf(slotId(upcoming.runId, key)).promise);
    const slot: Slot = {
      runId: upcoming.runId,
      tag,
      files,
      afterKeys: upcoming.after,
      after: [],
      job: Promise.resolve(undefined),
      dismissed: false,
    };
    slot.job = this.queueAhead(upcoming, slot, upstream);
    this.slots.set(id, slot);
    const jobOf = this.jobOf(id);
    void slot.job.then((jobId) => jobOf.resolve(jobId));
    this.submissions.add(slot.job);
    void slot.job.finally(() => this.submissions.delete(slot.job));
    return true;
  }

  dismiss(runId: string, stepKey: string): void {
    const id = slotId(runId, stepKey);
    // Nothing of this step runs now: what was queued behind it is not waited on in vain.
    this.jobsOf.get(id)?.resolve(undefined);
    const slot = this.slots.get(id);
    if (!slot) return;
    this.slots.delete(id);
    this.dropSlot(slot);
  }

  private jobOf(id: string): JobOf {
    let jobOf = this.jobsOf.get(id);
    if (!jobOf) {
      jobOf = new JobOf();
      this.jobsOf.set(id, jobOf);
    }
    return jobOf;
  }

  private async queueAhead(upcoming: UpcomingStep, slot: Slot, upstream: Promise<string | undefined>[]) {
    const ids = await Promise.all(upstream);
    if (slot.dismissed || this.closed || ids.some((jobId) => !jobId)) return undefined;
    slot.after = ids as string[];
    const { files } = slot;
    try {
      writeFileSync(files.script, slotScript(files), { mode: 0o755 });
      await this.keys.stored(upcoming.runId);
    } catch {
      return undefined; // execute() reports an unwritable shared directory or store
    }
    if (slot.dismissed || this.closed) return undefined;
    const label = { runTag: slot.tag, stepKey: upcoming.stepKey };
    const jobId = await submitAhead(this.submitContext, upcoming.step, label, files, slot.after);
    if (jobId === undefined) return undefined;
    this.stats.submitted++;
    this.stats.queuedAhead++;
    this.live.add(jobId);
    // The jobs it waits on need not linger: their end starts it (even those whose step already
    // ended: their end is what makes slurmctld schedule at once).
    for (const upstreamId of slot.after) {
      this.awaited.add(upstreamId);
      this.lingering.release(this.running.get(upstreamId));
    }
    this.lingering.releaseAll();
    if (slot.dismissed || this.closed) await this.cancelSlot(slot, jobId);
    return jobId;
  }

  /** The slot's job id if the attempt can run in it: queued, and the attempts it waits on succeeded. */
  private async usableSlot(slot: Slot): Promise<string | undefined> {
    // Every attempt it waits on has ended: one that never reached this runtime never will.
    for (const key of slot.afterKeys) this.jobsOf.get(slotId(slot.runId, key))?.resolve(undefined);
    const jobId = await slot.job;
    if (!jobId) {
      this.lingering.remove(slot.files);
      return undefined;
    }
    if (slot.after.every((upstream) => this.succeeded.has(upstream))) return jobId;
    await this.cancelSlot(slot, jobId);
    return undefined;
  }

  private dropSlot(slot: Slot): void {
    slot.dismissed = true;
    void slot.job.then((jobId) => (jobId ? this.cancelSlot(slot, jobId) : this.lingering.remove(slot.files)));
  }

  /** Ends a job queued ahead that will get no attempt (see claimToFail). */
  private async cancelSlot(slot: Slot, jobId: string): Promise<void> {
    const { files } = slot;
    if (claimToFail(files)) {
      const answer = await slurmCommand("scancel", [jobId], this.env);
      // Unless this scancel got through, the job may still start and read its failing script: its
      // files and its place in close()'s scancel stay.
      if (answer.code !== 0) return;
    } // else it gave up and failed by itself.
    this.live.delete(jobId);
    this.lingering.removeLater(files);
  }

  /** Ends what run `runId` left on the cluster when its driver was killed (see endRunJobs). */
  endRun(runId: string): Promise<string[]> {
    return endRunJobs(runId, this.keys, this.sharedDir, this.env);
  }

  /** Asks the cluster what it offers, or why jobs cannot run there (`canal targets --check`). */
  check(target: string): Promise<TargetCheck> {
    const { partition, account, gres, gpus } = this.options;
    return checkCluster(
      {
        sharedDir: this.sharedDir,
        env: this.env,
        partition,
        account,
        gres,
        ...(gpus !== undefined ? { gpus } : {}),
      },
      target,
    );
  }

  /** Cancels jobs still queued or running (a driver that is closing leaves none behind). */
  async close(): Promise<void> {
    this.closed = true;
    const slots = [...this.slots.values()];
    for (const slot of slots) slot.dismissed = true;
    this.slots.clear();
    for (const jobOf of this.jobsOf.values()) jobOf.resolve(undefined);
    await Promise.all(this.submissions);
    this.lingering.releaseAll();
    if (this.live.size) await slurmCommand("scancel", [...this.live], this.env);
    this.live.clear();
    for (const slot of slots) this.lingering.remove(slot.files);
    // Now, not on a timer this process may not live to see (`canal run` exits once closed): a job's
    // attempt script holds the values of the variables its step declares and the bucket's
    // credentials. Every job was released or cancelled above; one still lingering only waits a
    // little longer for a release now gone.
    this.lingering.removeEnding();
    // Nothing of its runs is left on the cluster: their keys are no longer needed. One the store
    // could not forget (unreachable) only names jobs that are gone.
    for (const runId of this.keys.runs()) await this.keys.forget(runId).catch(() => undefined);
  }
}

/** The attempt's failure, which trying again would not change. */
function failed(task: StepTask, reason: string): AttemptResult {
  return { status: "failed", error: `step ${task.stepKey}: ${reason}`, retryable: false };
}
