import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { BlobPlace, Environment, Step } from "@canal/ir";
import type {
  AttemptHooks,
  AttemptResult,
  RunKeyRecords,
  Runtime,
  StepTask,
  TargetCheck,
  UpcomingStep,
} from "@canal/runtime-core";
import {
  type JobFiles,
  LINGER_MAX_MS,
  launchScript,
  resourceArgs,
  runComment,
  type SubmitSettings,
  sbatchArgs,
  slotScript,
} from "./batch-script.js";
import { checkCluster } from "./cluster-check.js";
import { JobScripts, jobFilesIn, type Prepared } from "./job-script.js";
import { checkRunId, jobsWithComment, RUN_KEYS_FOLDER, RunKeys, runTag } from "./run-keys.js";
import { controllerUnreachable, slurmCommand } from "./slurm-commands.js";
import { slurmEnvironment } from "./slurm-environment.js";
import { aborted, exitStatus, type WatchSettings, watchJob } from "./watch-job.js";

export interface SlurmRuntimeOptions extends SubmitSettings {
  /**
   * A directory every node sees (and this process): the artifact is staged there, and each job's
   * script, task, logs and Python environments live there. The workspace's store and work
   * directories must be on a shared filesystem too, since jobs read inputs and write outputs there.
   */
  sharedDir: string;
  /**
   * The workspace's metadata store, where each run's key is kept from before its first job is
   * submitted until its jobs and folder are ended, so that cancelling a run whose driver was killed,
   * from any checkout sharing the store, ends its own jobs and no other workspace's run of the same
   * id (see `RunKeys`).
   */
  runKeys?: RunKeyRecords;
  /**
   * The workspace's state folder (`folders.state`, not shared): the previous version kept each
   * run's key there in `slurm-runs/<run id>`, read still for the runs it started; without
   * `runKeys`, keys are kept there. Without either, keys are kept in this process only, and a
   * runtime built later finds none.
   */
  stateDir?: string;
  /** Jobs in the queue at once for one run; default 32. */
  maxParallel?: number;
  /** How often job state is read while a job runs; default 100 ms (`sbatch --wait` waits 2 s; the exit file, checked every 10 ms, usually tells first). */
  pollIntervalMs?: number;
  /** How long slurmctld may be unreachable (a restart) before the attempt fails; default 60 s. */
  controllerGraceMs?: number;
  /**
   * Where the Slurm commands' environment (SLURM_CONF, PATH) is taken from; default this process's.
   * Only Slurm's own settings and the variables that say where things are are kept (see
   * `slurmEnvironment`): sbatch hands its environment to the job, and slurmctld saves it.
   */
  env?: NodeJS.ProcessEnv;
  /** Node on the compute nodes, for TypeScript steps; default the one running Canal (same path everywhere). */
  nodePath?: string;
  /** Keep each job's files in the shared directory after it ended (for debugging). */
  keepJobFiles?: boolean;
  /** GPUs one step may ask for, as the target declares: what {@link SlurmRuntime.check} looks for in the GRES. */
  gpus?: number;
  /**
   * Whether the compute nodes reach the workspace's S3 endpoint; default true. Then each job
   * fetches its step's inputs from the bucket and stores its outputs there itself, and the driver
   * moves none of their bytes (see {@link SlurmRuntime.movesBlobs}); false: the driver stages them
   * through the shared directory, and the bucket's credentials never reach the nodes.
   */
  nodesReachStore?: boolean;
}

type Submitted = { jobId: string } | { result: AttemptResult };

/** A job queued ahead of a step's attempt, behind the jobs of the attempts it waits on. */
interface Slot {
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
class JobOf {
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

/** How many jobs this runtime submitted, and how many of them were queued ahead and then used. */
export interface SlurmRuntimeStats {
  submitted: number;
  queuedAhead: number;
  usedAhead: number;
}

const UNREACHABLE_RETRY_MS = 250;

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
  private readonly graceMs: number;
  private readonly scripts: JobScripts;
  private readonly keys: RunKeys;
  private readonly watch: WatchSettings;
  private readonly live = new Set<string>();
  /** Jobs whose step ended but which wait for their release (see batchScript). */
  private readonly lingering = new Set<JobFiles>();
  /** Jobs that ended or were cancelled, whose files are removed shortly (see removeLater). */
  private readonly ending = new Set<JobFiles>();
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
    this.graceMs = options.controllerGraceMs ?? 60_000;
    this.scripts = new JobScripts(this.sharedDir, this.env, options.nodePath);
    this.keys = new RunKeys(
      options.stateDir === undefined ? undefined : join(resolve(options.stateDir), RUN_KEYS_FOLDER),
      options.runKeys,
    );
    this.watch = {
      env: this.env,
      pollMs: options.pollIntervalMs ?? 100,
      graceMs: this.graceMs,
      onSucceeded: (jobId) => this.succeeded.add(jobId),
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
      return { status: "failed", error: `step ${task.stepKey}: ${refused}`, retryable: false };
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
      return {
        status: "failed",
        error: `step ${task.stepKey}: ${(error as Error).message}`,
        retryable: false,
      };
    }
    let files: JobFiles;
    try {
      files = jobFilesIn(this.sharedDir, tag, `${task.stepKey}.${task.attempt}`);
    } catch (error) {
      jobOf.resolve(undefined);
      return {
        status: "failed",
        error: `step ${task.stepKey}: cannot write the job's files to the shared directory ${this.sharedDir}: ${(error as Error).message}; set the target's sharedDir to a directory this machine and the nodes can write`,
        retryable: false,
      };
    }
    let jobId: string | undefined;
    try {
      let prepared: Prepared;
      try {
        prepared = await this.scripts.write(task, files);
        // Submitted in its place: slurmctld saves the script it is sent, which must hold no value.
        writeFileSync(files.script, launchScript(files), { mode: 0o755 });
      } catch (error) {
        return {
          status: "failed",
          error: `step ${task.stepKey}: ${(error as Error).message}`,
          retryable: false,
        };
      }
      if (hooks.signal.aborted) return aborted(task, hooks);
      const submitted = await this.submit(task, tag, files, hooks);
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
      if (this.awaited.has(jobId)) this.release(files);
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
      return {
        status: "failed",
        error: `step ${task.stepKey}: ${(error as Error).message}`,
        retryable: false,
      };
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
      this.removeLater(files);
      return undefined;
    }
    renameSync(ready, files.attempt);
    this.running.set(jobId, files);
    if (this.awaited.has(jobId)) this.release(files);
    this.stats.usedAhead++;
    try {
      return await watchJob(this.watch, task, hooks, files, prepared, jobId);
    } finally {
      this.jobEnded(jobId, files);
    }
  }

  /** After an attempt: a job whose step ended lingers until the next submission (see batchScript); its files go once it surely ended. */
  private jobEnded(jobId: string | undefined, files: JobFiles): void {
    if (jobId) {
      this.live.delete(jobId);
      this.running.delete(jobId);
      this.awaited.delete(jobId);
    }
    if (exitStatus(files) !== undefined && !existsSync(files.release)) this.lingering.add(files);
    else this.removeLater(files);
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
    const answer = await slurmCommand(
      "sbatch",
      sbatchArgs(
        upcoming.step,
        { runTag: slot.tag, stepKey: upcoming.stepKey },
        files,
        this.options,
        slot.after,
      ),
      this.env,
    );
    const jobId = answer.stdout.trim().split(";")[0] ?? "";
    if (answer.code !== 0 || !/^\d+$/.test(jobId)) return undefined;
    this.stats.submitted++;
    this.stats.queuedAhead++;
    this.live.add(jobId);
    // The jobs it waits on need not linger: their end starts it (even those whose step already
    // ended: their end is what makes slurmctld schedule at once).
    for (const upstreamId of slot.after) {
      this.awaited.add(upstreamId);
      this.release(this.running.get(upstreamId));
    }
    this.releaseAll();
    if (slot.dismissed || this.closed) await this.cancelSlot(slot, jobId);
    return jobId;
  }

  /** The slot's job id if the attempt can run in it: queued, and the attempts it waits on succeeded. */
  private async usableSlot(slot: Slot): Promise<string | undefined> {
    // Every attempt it waits on has ended: one that never reached this runtime never will.
    for (const key of slot.afterKeys) this.jobsOf.get(slotId(slot.runId, key))?.resolve(undefined);
    const jobId = await slot.job;
    if (!jobId) {
      this.remove(slot.files);
      return undefined;
    }
    if (slot.after.every((upstream) => this.succeeded.has(upstream))) return jobId;
    await this.cancelSlot(slot, jobId);
    return undefined;
  }

  private dropSlot(slot: Slot): void {
    slot.dismissed = true;
    void slot.job.then((jobId) => (jobId ? this.cancelSlot(slot, jobId) : this.remove(slot.files)));
  }

  /**
   * Ends a job queued ahead that will get no attempt. It is handed a script that fails at once,
   * so it ends even if scancel does not get through (slurmctld restarting); failing, it starts
   * nothing queued behind it.
   */
  private async cancelSlot(slot: Slot, jobId: string): Promise<void> {
    const { files } = slot;
    try {
      mkdirSync(files.claim);
    } catch {
      // It gave up and failed by itself.
      this.live.delete(jobId);
      this.removeLater(files);
      return;
    }
    try {
      writeFileSync(`${files.attempt}.tmp`, "exit 1\n");
      renameSync(`${files.attempt}.tmp`, files.attempt);
    } catch {
      // Its folder is gone: scancel alone.
    }
    const answer = await slurmCommand("scancel", [jobId], this.env);
    // Unless this scancel got through, the job may still start and read its failing script: its
    // files and its place in close()'s scancel stay.
    if (answer.code !== 0) return;
    this.live.delete(jobId);
    this.removeLater(files);
  }

  /**
   * Ends what run `runId` left on the cluster when its driver was killed: its jobs still queued or
   * running (their comment is the run's tag) are cancelled, then its job folder
   * (`<sharedDir>/jobs/<run tag>/`) removed, with the attempt scripts a job had not started yet,
   * which hold the step's declared values and the bucket's credentials, and the run's key is
   * forgotten. The tag holds the run's key, kept in the workspace's store (any checkout sharing it
   * finds it): another workspace's run of the same id, sharing the cluster and the shared
   * directory, has another key, and nothing of it is touched.
   *
   * A run with no key kept was started by the previous version, which tagged it by its id
   * alone: its jobs with the comment `canal-run=<run id>` and its folder `jobs/<run id>/` are ended,
   * as that version did. They cannot be told from another workspace's run of the same id started by
   * that version; no run of this version has that form.
   */
  async endRun(runId: string): Promise<string[]> {
    // The id comes from the store or the command line: it names one folder under jobs/, no other.
    checkRunId(runId, ": nothing was cancelled");
    const key = await this.keys.find(runId);
    const tag = key ? runTag(runId, key) : runId;
    const listed = await slurmCommand("squeue", ["-h", "-o", "%i %k"], this.env);
    if (listed.code !== 0) throw new Error(`squeue failed: ${lastLine(listed.stderr)}`);
    const jobs = jobsWithComment(listed.stdout, runComment(tag));
    if (jobs.length) {
      const cancelled = await slurmCommand("scancel", jobs, this.env);
      if (cancelled.code !== 0) throw new Error(`scancel failed: ${lastLine(cancelled.stderr)}`);
    }
    // A job cancelled as it started finds no folder and fails: none writes here again.
    rmSync(join(this.sharedDir, "jobs", tag), { recursive: true, force: true });
    // Nothing of the run is left here. Another target of the run on another cluster still finds
    // the key: `canal cancel` forgets it in the store once every target ended the run.
    await this.keys.forget(runId);
    return jobs.map((id) => `Slurm job ${id}`);
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
    this.releaseAll();
    if (this.live.size) await slurmCommand("scancel", [...this.live], this.env);
    this.live.clear();
    for (const slot of slots) this.remove(slot.files);
    // Now, not on a timer this process may not live to see (`canal run` exits once closed): a job's
    // attempt script holds the values of the variables its step declares and the bucket's
    // credentials. Every job was released or cancelled above; one still lingering only waits a
    // little longer for a release now gone.
    for (const files of this.ending) this.remove(files);
    // Nothing of its runs is left on the cluster: their keys are no longer needed. One the store
    // could not forget (unreachable) only names jobs that are gone.
    for (const runId of this.keys.runs()) await this.keys.forget(runId).catch(() => undefined);
  }

  private release(files: JobFiles | undefined): void {
    if (!files) return;
    try {
      writeFileSync(files.release, "");
    } catch {
      // Its directory is gone: nothing is waiting.
    }
    this.lingering.delete(files);
  }

  /** Lets every lingering job end: its end makes slurmctld schedule the jobs just submitted. */
  private releaseAll(): void {
    for (const files of this.lingering) {
      try {
        writeFileSync(files.release, "");
      } catch {
        // Its directory is gone: nothing is waiting.
      }
      // The job looks for its release every 10 ms; its files go once it has surely seen it.
      this.removeLater(files);
    }
    this.lingering.clear();
  }

  /** Removes a job's files once it has surely seen its release (or at close, whichever comes first). */
  private removeLater(files: JobFiles): void {
    // Once closed, now: this process may exit before any timer fires, leaving the attempt script.
    if (this.closed) {
      this.remove(files);
      return;
    }
    this.ending.add(files);
    setTimeout(() => this.remove(files), 2 * LINGER_MAX_MS).unref();
  }

  private remove(files: JobFiles): void {
    this.ending.delete(files);
    if (!this.options.keepJobFiles) rmSync(files.dir, { recursive: true, force: true });
  }

  private async submit(
    task: StepTask,
    tag: string,
    files: JobFiles,
    hooks: AttemptHooks,
  ): Promise<Submitted> {
    const args = sbatchArgs(task.step, { runTag: tag, stepKey: task.stepKey }, files, this.options);
    const started = Date.now();
    for (;;) {
      const answer = await slurmCommand("sbatch", args, this.env);
      if (answer.code === 0) {
        const jobId = answer.stdout.trim().split(";")[0] ?? "";
        if (/^\d+$/.test(jobId)) {
          this.stats.submitted++;
          this.releaseAll();
          return { jobId };
        }
      }
      const said = answer.stderr.trim() || answer.stdout.trim();
      if (controllerUnreachable(said) && Date.now() - started < this.graceMs) {
        if (hooks.signal.aborted) return { result: aborted(task, hooks) };
        await sleep(UNREACHABLE_RETRY_MS);
        continue;
      }
      const request = [...resourceArgs(task.step, this.options), ...partitionArgs(this.options)];
      if (controllerUnreachable(said)) {
        return {
          result: {
            status: "failed",
            error: `step ${task.stepKey}: slurmctld could not be reached for ${Math.round(this.graceMs / 1000)} s to submit the job (${lastLine(said)}); check that the controller runs (scontrol ping)`,
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
}

function slotId(runId: string, stepKey: string): string {
  return `${runId}\u0000${stepKey}`;
}

function partitionArgs(settings: SubmitSettings): string[] {
  return [
    ...(settings.partition ? [`--partition=${settings.partition}`] : []),
    ...(settings.account ? [`--account=${settings.account}`] : []),
  ];
}

function lastLine(text: string): string {
  return text.trim().split("\n").pop() ?? "";
}
