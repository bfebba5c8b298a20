import { createHash, randomBytes } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve, sep } from "node:path";
import { ARTIFACT_FILES, FileDigests, readArtifact } from "@canal/ir";
import { pythonHelperDir } from "@canal/python";
import {
  baseEnvironment,
  DEVICE_ASSIGNMENT,
  materializeSnapshot,
  pythonEnvironment,
  renderCommand,
  type StepFile,
  type StepTask,
  shellCommand,
  shellQuote,
  stepEntrypoint,
  stepEnvironment,
  workerEntrypoint,
} from "@canal/runtime-core";

import { batchScript, type JobFiles } from "./batch-script.js";

/** What Slurm tells a job about itself that its step may use: its GPUs, its id, its node, its CPUs. Not in the key. */
const FROM_JOB = [
  ...DEVICE_ASSIGNMENT,
  "SLURM_JOB_ID",
  "SLURM_JOB_GPUS",
  "SLURM_CPUS_ON_NODE",
  "SLURMD_NODENAME",
];

/** What a prepared attempt runs inside its job. */
export interface Prepared {
  command: string;
  /** For messages: the step's command as the user wrote it, rendered. */
  shown: string;
  resultFile?: string;
  /** Set when the job runs Canal's entrypoint, not the user's command directly: what it needs to start. */
  entrypoint?: Entrypoint;
}

/** Canal's entrypoint in a job: the `node` it runs with, and whether it moves the step's bytes. */
export interface Entrypoint {
  node: string;
  /** The step entrypoint, which fetches the inputs from the bucket and stores the outputs there. */
  movesBytes: boolean;
}

/**
 * A new job's folder, `<sharedDir>/jobs/<run tag>/<label>.<random>`, and the paths of its files;
 * `runTag`: the run as the cluster knows it (see `runTag` in run-keys.ts).
 */
export function jobFilesIn(sharedDir: string, runTag: string, label: string): JobFiles {
  const name = `${label.replace(/[^\w.-]/g, "_")}.${randomBytes(4).toString("hex")}`;
  const dir = join(sharedDir, "jobs", runTag, name);
  mkdirSync(dir, { recursive: true });
  return {
    dir,
    script: join(dir, "job.sh"),
    stdout: join(dir, "stdout.log"),
    stderr: join(dir, "stderr.log"),
    exit: join(dir, "exit-status"),
    release: join(dir, "release"),
    started: join(dir, "started"),
    attempt: join(dir, "attempt.sh"),
    claim: join(dir, "claimed"),
  };
}

/**
 * Writes what a job runs for one attempt, from the artifact staged in the shared directory: the
 * step's snapshot and rendered command, or the worker entrypoint with the task as a file.
 */
export class JobScripts {
  private readonly staged = new Map<string, string>();
  private digests: FileDigests | undefined;

  /** `env`: the Slurm commands' environment (its PATH, HOME … reach the jobs: see `baseEnvironment`). */
  constructor(
    private readonly sharedDir: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly nodePath: string = process.execPath,
  ) {}

  /**
   * The artifact as the jobs read it: a copy in the shared directory, named by the hash of its IR
   * (an artifact never changes once written), made once, and checked by this process before its
   * first use: a copy that was damaged (an edited blob, a changed IR) is replaced by a fresh one,
   * where every job would otherwise fail on it.
   */
  stage(artifactDir: string): string {
    const source = resolve(artifactDir);
    if (source.startsWith(this.sharedDir + sep)) return source;
    let staged = this.staged.get(source);
    if (staged) return staged;
    const digest = createHash("sha256")
      .update(readFileSync(join(source, ARTIFACT_FILES.ir)))
      .digest("hex");
    staged = join(this.sharedDir, "artifacts", digest.slice(0, 32));
    if (existsSync(staged) && !this.intact(staged, digest)) {
      const aside = `${staged}.damaged-${process.pid}-${randomBytes(4).toString("hex")}`;
      try {
        renameSync(staged, aside);
        rmSync(aside, { recursive: true, force: true });
      } catch {
        // Another driver moved it first; it stages a fresh copy as this one does.
      }
    }
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

  /** Whether a staged copy holds the IR it is named by and every blob intact (each hashed once per change). */
  private intact(staged: string, digest: string): boolean {
    this.digests ??= new FileDigests(join(this.sharedDir, "artifacts", ".verified"));
    try {
      if (!this.digests.matches(join(staged, ARTIFACT_FILES.ir), digest)) return false;
      readArtifact(staged, { digests: this.digests });
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Writes the attempt's batch script to `scriptPath` (renamed into place: a job queued ahead may be
   * looking for it), never to the script submitted to sbatch: it holds the step's declared values.
   */
  async write(task: StepTask, files: JobFiles, scriptPath = files.attempt): Promise<Prepared> {
    const artifactDir = this.stage(task.artifactDir);
    // The environment rule: the base (the Slurm commands' PATH, HOME …), the step's own variables
    // and what Canal sets; nothing else of the submitter's environment reaches the job's step.
    const base = baseEnvironment(this.env);
    // Which GPUs the job has is Slurm's to say, in the job: not the submitter's shell.
    for (const name of DEVICE_ASSIGNMENT) delete base[name];
    const env: Record<string, string> = {
      ...base,
      ...stepEnvironment(task),
      PYTHONPATH: pythonHelperDir,
      PYTHONUNBUFFERED: "1",
    };
    let command = "";
    let shown = "";
    let cwd = files.dir;
    let resultFile: string | undefined;
    let entrypoint: Entrypoint | undefined;
    if (task.step.kind === "SCRIPT") {
      const script = task.step.script;
      if (!script) throw new Error("the step has no script; recompile the artifact");
      const environment = task.environment;
      let binDir: string | undefined;
      // The virtualenv is built in the shared directory, so every node runs the same interpreter.
      if (environment?.kind === "PYTHON") binDir = await pythonEnvironment(environment, this.sharedDir);
      else if (environment?.kind === "NODE") binDir = dirname(this.nodePath);
      env.PATH = [binDir, base.PATH].filter(Boolean).join(":");
      cwd = join(files.dir, "src");
      materializeSnapshot(artifactDir, script.snapshot, cwd);
      shown = renderCommand(task);
      command = `/bin/sh -c ${shellQuote(shellCommand(shown, files.dir))}`;
    }
    // Declared variables' values (and the bucket's credentials) reach the job through its
    // script's environment, never a task file.
    const { variables: _values, ...written } = task;
    if (task.blobs || task.step.kind !== "SCRIPT") {
      // Canal's entrypoint runs in the job, with its task as a file. The step entrypoint when the
      // job moves its own bytes: it fetches the inputs from the bucket, runs the step (a script
      // step's shell as its child) and stores the outputs there; else the worker, for a TypeScript step.
      const movesBytes = task.blobs !== undefined;
      const taskFile = join(files.dir, movesBytes ? "step.json" : "task.json");
      resultFile = join(files.dir, "result.json");
      const file: StepFile | StepTask = movesBytes
        ? {
            task: { ...written, artifactDir },
            ...(task.step.kind === "SCRIPT"
              ? { script: { argv: ["/bin/sh", "-c", shellCommand(shown, files.dir)], cwd } }
              : {}),
          }
        : { ...written, artifactDir };
      writeFileSync(taskFile, JSON.stringify(file));
      const main = movesBytes ? stepEntrypoint : workerEntrypoint;
      if (task.step.kind !== "SCRIPT") shown = `node ${basename(main)} ${taskFile}`;
      command = [this.nodePath, main, taskFile, resultFile].map(shellQuote).join(" ");
      entrypoint = { node: this.nodePath, movesBytes };
      cwd = files.dir;
    }
    const temp = `${scriptPath}.tmp`;
    const text = batchScript({
      env,
      fromJob: FROM_JOB,
      cwd,
      command,
      exitFile: files.exit,
      releaseFile: files.release,
      startedFile: files.started,
    });
    // Owner only: it holds the values of the variables the step declares, which may be secrets.
    writeFileSync(temp, text, { mode: 0o700 });
    renameSync(temp, scriptPath);
    return { command, shown, ...(resultFile ? { resultFile } : {}), ...(entrypoint ? { entrypoint } : {}) };
  }
}
