import { createHash, randomBytes } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve, sep } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { ARTIFACT_FILES } from "@canal/ir";
import { pythonHelperDir } from "@canal/python";
import {
  type AttemptHooks,
  type AttemptResult,
  materializeSnapshot,
  type Runtime,
  renderCommand,
  type StepTask,
  shellQuote,
  stepEnvironment,
  type UpcomingStep,
  workerEntrypoint,
} from "@canal/runtime-core";
import { pythonEnvironment } from "@canal/runtime-local";
import { attemptResult, NEVER_SATISFIED } from "./attempt-result.js";
import {
  batchScript,
  type JobFiles,
  LINGER_MAX_MS,
  resourceArgs,
  runComment,
  type SubmitSettings,
  sbatchArgs,
  slotScript,
} from "./batch-script.js";
import { isTerminal, type JobInfo, parseJob } from "./job-state.js";
import { LogTail } from "./log-tail.js";
import { controllerUnreachable, slurmCommand } from "./slurm-commands.js";

export interface SlurmRuntimeOptions extends SubmitSettings {
  /**
   * A directory every node sees (and this process): the artifact is staged there, and each job's
   * script, task, logs and Python environments live there. The workspace's store and work
   * directories must be on a shared filesystem too, since jobs read inputs and write outputs there.
   */
  sharedDir: string;
  /** Jobs in the queue at once for one run; default 32. */
  maxParallel?: number;
  /** How often job state is read while a job runs; default 100 ms (`sbatch --wait` waits 2 s; the exit file, checked every 10 ms, usually tells first). */
  pollIntervalMs?: number;
  /** How long slurmctld may be unreachable (a restart) before the attempt fails; default 60 s. */
  controllerGraceMs?: number;
  /** The environment of the Slurm commands and so of the jobs (SLURM_CONF, PATH); default this process's. */
  env?: NodeJS.ProcessEnv;
  /** Node on the compute nodes, for TypeScript steps; default the one running Canal (same path everywhere). */
  nodePath?: string;
  /** Keep each job's files in the shared directory after it ended (for debugging). */
  keepJobFiles?: boolean;
}

/** What a prepared attempt runs inside its job. */
interface Prepared {
  command: string;
  /** For messages: the step's command as the user wrote it, rendered. */
  shown: string;
  resultFile?: string;
}

type Submitted = { jobId: string } | { result: AttemptResult };

/** A job queued ahead of a step's attempt, behind the jobs of the attempts it waits on. */
interface Slot {
  runId: string;
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
/** How often the job's exit file and logs are looked at (a stat, far cheaper than asking slurmctld). */
const EXIT_CHECK_MS = 10;
/** How long a job we cancelled may take to end before the attempt is reported ended anyway. */
const CANCEL_WAIT_MS = 15_000;

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
  private readonly pollMs: number;
  private readonly graceMs: number;
  private readonly staged = new Map<string, string>();
  private readonly live = new Set<string>();
  /** Jobs whose step ended but which wait for their release (see batchScript). */
  private readonly lingering = new Set<JobFiles>();
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
    this.env = options.env ?? process.env;
    this.pollMs = options.pollIntervalMs ?? 100;
    this.graceMs = options.controllerGraceMs ?? 60_000;
  }

  async execute(task: StepTask, hooks: AttemptHooks): Promise<AttemptResult> {
    // Registered before the first await: the orchestrator anticipates what comes next right after
    // calling execute, and a job queued ahead waits on this attempt's job.
    const id = slotId(task.runId, task.stepKey);
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
    let files: JobFiles;
    try {
      files = this.jobFiles(task.runId, `${task.stepKey}.${task.attempt}`);
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
        prepared = await this.prepare(task, files);
      } catch (error) {
        return {
          status: "failed",
          error: `step ${task.stepKey}: ${(error as Error).message}`,
          retryable: false,
        };
      }
      if (hooks.signal.aborted) return aborted(task, hooks);
      const submitted = await this.submit(task, files, hooks);
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
      return await this.follow(task, hooks, files, prepared, jobId);
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
    const ready = `${files.assign}.ready`;
    let prepared: Prepared;
    try {
      prepared = await this.prepare(task, files, ready);
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
      setTimeout(() => this.remove(files), 2 * LINGER_MAX_MS).unref();
      return undefined;
    }
    renameSync(ready, files.assign);
    this.running.set(jobId, files);
    if (this.awaited.has(jobId)) this.release(files);
    this.stats.usedAhead++;
    try {
      return await this.follow(task, hooks, files, prepared, jobId);
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
    else setTimeout(() => this.remove(files), 2 * LINGER_MAX_MS).unref();
  }

  /**
   * Queues `upcoming` ahead: a job that waits (`afterok`) on the jobs of the attempts it waits on,
   * so that Slurm starts it the moment they end; the attempt is handed to it when execute() comes.
   */
  anticipate(upcoming: UpcomingStep): boolean {
    const id = slotId(upcoming.runId, upcoming.stepKey);
    if (this.slots.has(id)) return true;
    if (this.closed || upcoming.environment?.kind === "IMAGE") return false;
    let files: JobFiles;
    try {
      files = this.jobFiles(upcoming.runId, `${upcoming.stepKey}.ahead`);
    } catch {
      return false; // execute() reports an unwritable shared directory
    }
    const upstream = upcoming.after.map((key) => this.jobOf(slotId(upcoming.runId, key)).promise);
    const slot: Slot = {
      runId: upcoming.runId,
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
    } catch {
      return undefined;
    }
    const answer = await slurmCommand(
      "sbatch",
      sbatchArgs(upcoming.step, upcoming, files, this.options, slot.after),
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
      setTimeout(() => this.remove(files), 2 * LINGER_MAX_MS).unref();
      return;
    }
    try {
      writeFileSync(`${files.assign}.tmp`, "exit 1\n");
      renameSync(`${files.assign}.tmp`, files.assign);
    } catch {
      // Its folder is gone: scancel alone.
    }
    const answer = await slurmCommand("scancel", [jobId], this.env);
    // Unless this scancel got through, the job may still start and read its failing script: its
    // files and its place in close()'s scancel stay.
    if (answer.code !== 0) return;
    this.live.delete(jobId);
    setTimeout(() => this.remove(files), 2 * LINGER_MAX_MS).unref();
  }

  /** Cancels the run's jobs still queued or running: they carry its id in their comment. */
  async endRun(runId: string): Promise<string[]> {
    const listed = await slurmCommand("squeue", ["-h", "-o", "%i %k"], this.env);
    if (listed.code !== 0) throw new Error(`squeue failed: ${lastLine(listed.stderr)}`);
    const comment = runComment(runId);
    const jobs = listed.stdout
      .split("\n")
      .map((line) => line.trim().split(" "))
      .filter(([id, said]) => id && said === comment)
      .map(([id]) => id as string);
    if (jobs.length) {
      const cancelled = await slurmCommand("scancel", jobs, this.env);
      if (cancelled.code !== 0) throw new Error(`scancel failed: ${lastLine(cancelled.stderr)}`);
    }
    return jobs.map((id) => `Slurm job ${id}`);
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
      setTimeout(() => this.remove(files), 2 * LINGER_MAX_MS).unref();
    }
    this.lingering.clear();
  }

  private remove(files: JobFiles): void {
    if (!this.options.keepJobFiles) rmSync(files.dir, { recursive: true, force: true });
  }

  private jobFiles(runId: string, label: string): JobFiles {
    const name = `${label.replace(/[^\w.-]/g, "_")}.${randomBytes(4).toString("hex")}`;
    const dir = join(this.sharedDir, "jobs", runId, name);
    mkdirSync(dir, { recursive: true });
    return {
      dir,
      script: join(dir, "job.sh"),
      stdout: join(dir, "stdout.log"),
      stderr: join(dir, "stderr.log"),
      exit: join(dir, "exit-status"),
      release: join(dir, "release"),
      started: join(dir, "started"),
      assign: join(dir, "attempt.sh"),
      claim: join(dir, "claimed"),
    };
  }

  /**
   * The artifact as the jobs read it: a copy in the shared directory, named by the hash of its IR
   * (an artifact never changes once written), made once.
   */
  private stageArtifact(artifactDir: string): string {
    const source = resolve(artifactDir);
    if (source.startsWith(this.sharedDir + sep)) return source;
    let staged = this.staged.get(source);
    if (staged) return staged;
    const digest = createHash("sha256")
      .update(readFileSync(join(source, ARTIFACT_FILES.ir)))
      .digest("hex");
    staged = join(this.sharedDir, "artifacts", digest.slice(0, 32));
    if (!existsSync(staged)) {
      const temp = `${staged}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
      cpSync(source, temp, { recursive: true });
      try {
        renameSync(temp, staged);
      } catch (error) {
        rmSync(temp, { recursive: true, force: true });
        if (!existsSync(staged)) throw error;
      }
    }
    this.staged.set(source, staged);
    return staged;
  }

  /** Writes the attempt's batch script to `scriptPath` (renamed into place: a job queued ahead may be looking for it). */
  private async prepare(task: StepTask, files: JobFiles, scriptPath = files.script): Promise<Prepared> {
    const artifactDir = this.stageArtifact(task.artifactDir);
    const nodePath = this.options.nodePath ?? process.execPath;
    const env: Record<string, string> = {
      ...stepEnvironment(task),
      PYTHONPATH: [pythonHelperDir, this.env.PYTHONPATH].filter(Boolean).join(":"),
      PYTHONUNBUFFERED: "1",
    };
    let command: string;
    let shown: string;
    let cwd = files.dir;
    let resultFile: string | undefined;
    if (task.step.kind === "SCRIPT") {
      const script = task.step.script;
      if (!script) throw new Error("the step has no script; recompile the artifact");
      const environment = task.environment;
      let binDir: string | undefined;
      if (environment?.kind === "IMAGE") {
        throw new Error(
          `it runs in the image ${environment.image}, which the Slurm runtime cannot start; use a container target (--target docker)`,
        );
      }
      // The virtualenv is built in the shared directory, so every node runs the same interpreter.
      if (environment?.kind === "PYTHON") binDir = await pythonEnvironment(environment, this.sharedDir);
      else if (environment?.kind === "NODE") binDir = dirname(nodePath);
      env.PATH = [binDir, this.env.PATH].filter(Boolean).join(":");
      cwd = join(files.dir, "src");
      materializeSnapshot(artifactDir, script.snapshot, cwd);
      shown = renderCommand(task);
      command = `/bin/sh -c ${shellQuote(shown)}`;
    } else {
      const taskFile = join(files.dir, "task.json");
      resultFile = join(files.dir, "result.json");
      writeFileSync(taskFile, JSON.stringify({ ...task, artifactDir }));
      shown = `node worker-main.js ${taskFile}`;
      command = [nodePath, workerEntrypoint, taskFile, resultFile].map(shellQuote).join(" ");
    }
    const temp = `${scriptPath}.tmp`;
    writeFileSync(
      temp,
      batchScript({
        env,
        cwd,
        command,
        exitFile: files.exit,
        releaseFile: files.release,
        startedFile: files.started,
      }),
      {
        mode: 0o755,
      },
    );
    renameSync(temp, scriptPath);
    return { command, shown, ...(resultFile ? { resultFile } : {}) };
  }

  private async submit(task: StepTask, files: JobFiles, hooks: AttemptHooks): Promise<Submitted> {
    const args = sbatchArgs(task.step, task, files, this.options);
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

  private async follow(
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
        if (status === 0) this.succeeded.add(jobId);
        drain();
        const state = status === 0 ? "COMPLETED" : "FAILED";
        return this.result(
          task,
          hooks,
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
        await slurmCommand("scancel", [jobId], this.env);
      }
      if (!asking && Date.now() - lastAsked >= this.pollMs) {
        lastAsked = Date.now();
        asking = this.jobState(jobId, files).then((info) => {
          answer = info;
          asking = undefined;
          return info;
        });
      }
      const info = answer;
      answer = undefined;
      if (info === "unreachable") {
        unreachableSince ??= Date.now();
        if (Date.now() - unreachableSince > this.graceMs) {
          drain();
          return {
            status: "failed",
            error: `step ${task.stepKey}: slurmctld could not be reached for ${Math.round(this.graceMs / 1000)} s while job ${jobId} ran; the attempt is given up, and retried if the step allows`,
            retryable: true,
          };
        }
      } else if (info) {
        unreachableSince = undefined;
        const stuck = info.state === "PENDING" && info.reason === NEVER_SATISFIED;
        if (stuck) await slurmCommand("scancel", [jobId], this.env);
        if (isTerminal(info.state) || info.state === "VANISHED" || stuck) {
          // The batch script may have written its exit file just before the job ended.
          if (!hooks.signal.aborted && exitStatus(files) !== undefined) continue;
          drain();
          return this.result(task, hooks, jobId, info, prepared, stderr.last);
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
  private async jobState(jobId: string, files: JobFiles): Promise<JobInfo | "unreachable" | undefined> {
    const answer = await slurmCommand("scontrol", ["show", "job", "-o", jobId], this.env);
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

  private result(
    task: StepTask,
    hooks: AttemptHooks,
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
    });
  }
}

/** The exit status the batch script wrote; undefined before it did (or while it writes). */
function exitStatus(files: JobFiles): number | undefined {
  let text: string;
  try {
    text = readFileSync(files.exit, "utf8");
  } catch {
    return undefined;
  }
  return /^\d+\n$/.test(text) ? Number(text) : undefined;
}

function slotId(runId: string, stepKey: string): string {
  return `${runId}\u0000${stepKey}`;
}

function aborted(task: StepTask, hooks: AttemptHooks): AttemptResult {
  return hooks.signal.reason === "timeout"
    ? { status: "timed-out", error: `step ${task.stepKey} timed out` }
    : { status: "canceled" };
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
