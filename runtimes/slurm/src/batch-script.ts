import type { Step } from "@canal/ir";
import { shellQuote } from "@canal/runtime-core";

/** Where one attempt's job files live, all inside the target's shared directory. */
export interface JobFiles {
  dir: string;
  /**
   * What is submitted to sbatch ({@link launchScript} or {@link slotScript}). slurmctld saves it
   * with the job and shows it (`scontrol write batch_script`): it never holds a variable's value.
   */
  script: string;
  stdout: string;
  stderr: string;
  /**
   * Written by the batch script last, with the step's exit status: read back if Slurm forgot the
   * job. Written in place (one `echo`, no process spawned): empty means not written yet.
   */
  exit: string;
  /** Written by the runtime to let a job that already reported its exit status end. */
  release: string;
  /**
   * Made by the batch script as it begins: the attempt runs (its timeout counts from then). It holds
   * the name of the job's node, as Slurm tells it (SLURMD_NODENAME), empty if Slurm did not.
   */
  started: string;
  /**
   * The attempt's script ({@link batchScript}), owner-only: it holds the values of the variables the
   * step declares, which may be secrets. The submitted script reads it, removes it and runs it; a
   * job queued ahead waits for it to appear, once the runtime assigns the attempt (see {@link slotScript}).
   */
  attempt: string;
  /** A job queued ahead: made (mkdir) by whichever takes it first, the runtime or the job giving up. */
  claim: string;
}

/** The site settings a job is submitted with (from the `slurm` target). */
export interface SubmitSettings {
  partition?: string | undefined;
  account?: string | undefined;
  /** The GRES name GPUs are requested under; "gpu" unless the target says otherwise. */
  gres?: string | undefined;
}

const MIB = 1024 * 1024;

/** `--time` in whole minutes: Slurm's own limit is a backstop behind Canal's timeout, so it is rounded up with a minute to spare. */
export function timeLimit(timeoutMs: number): string | undefined {
  if (!(timeoutMs > 0)) return undefined;
  return String(Math.ceil(timeoutMs / 60_000) + 1);
}

/** The GPU request as Slurm spells it: `gpu:2`, `gpu:a100:2`. */
export function gresRequest(step: Step, settings: SubmitSettings): string | undefined {
  const count = step.resources?.gpu ?? 0;
  if (count <= 0) return undefined;
  const type = step.resources?.gpuType;
  return [settings.gres ?? "gpu", ...(type ? [type] : []), String(count)].join(":");
}

/**
 * The resource words of a step's job, also quoted in submit errors so a message shows what was asked.
 * `waitMs`: how long a job queued ahead may wait for its attempt, added to its time limit.
 */
export function resourceArgs(step: Step, settings: SubmitSettings, waitMs = 0): string[] {
  const args: string[] = [];
  const cpu = step.resources?.cpu ?? 0;
  if (cpu > 0) args.push(`--cpus-per-task=${Math.ceil(cpu)}`);
  const memory = step.resources?.memoryBytes ?? 0;
  if (memory > 0) args.push(`--mem=${Math.ceil(memory / MIB)}M`);
  const gres = gresRequest(step, settings);
  if (gres) args.push(`--gres=${gres}`);
  const time = step.timeoutMs ? timeLimit(step.timeoutMs + waitMs) : undefined;
  if (time) args.push(`--time=${time}`);
  return args;
}

/**
 * The sbatch command line (after `sbatch`) for one attempt; `runTag`: the run as the cluster knows
 * it (see `runTag` in run-keys.ts); `after`: for a job queued ahead, the jobs it waits on
 * (`--dependency=afterok`).
 */
export function sbatchArgs(
  step: Step,
  { runTag, stepKey }: { runTag: string; stepKey: string },
  files: JobFiles,
  settings: SubmitSettings,
  after: string[] = [],
): string[] {
  return [
    "--parsable",
    `--job-name=canal:${stepKey}`,
    // The run's tag: a run whose driver is gone can still find and cancel its jobs, and no other
    // workspace's (`canal cancel`).
    `--comment=${runComment(runTag)}`,
    `--chdir=${files.dir}`,
    `--output=${files.stdout}`,
    `--error=${files.stderr}`,
    // Canal retries failed attempts itself (with its events and backoff); a job Slurm requeued
    // after a node failure would run the attempt twice behind the orchestrator's back.
    "--no-requeue",
    // The job gets the environment sbatch runs with, which the runtime already cut down to Slurm's
    // settings and where things are (slurmEnvironment), whatever an SBATCH_EXPORT says: the batch
    // script finds its commands on that PATH and sets the step's environment itself.
    "--export=ALL",
    ...(settings.partition ? [`--partition=${settings.partition}`] : []),
    ...(settings.account ? [`--account=${settings.account}`] : []),
    ...resourceArgs(step, settings, after.length ? SLOT_WAIT_MAX_MS : 0),
    // A dependency that can no longer be met (a job before it failed) cancels it, whatever the
    // cluster's kill_invalid_depend says: it never waits in the queue forever.
    ...(after.length ? [`--dependency=afterok:${after.join(":")}`, "--kill-on-invalid-dep=yes"] : []),
    files.script,
  ];
}

/** The comment every job of the run tagged `runTag` carries (a run of the previous version: its id alone). */
export const runComment = (runTag: string) => `canal-run=${runTag}`;

/** The longest a job queued ahead waits, once started, for the attempt it was queued for. */
export const SLOT_WAIT_MAX_MS = 120_000;

/**
 * The script of a job queued ahead of a step's attempt, behind the jobs it waits on: Slurm starts it
 * the moment they end (a dependency is resolved when a job ends, not on the next background pass).
 * It then runs the attempt's script once the runtime assigns it. If none comes within
 * SLOT_WAIT_MAX_MS, it fails (so what is queued behind it never starts), unless the runtime
 * claimed it first (then the script is on its way).
 */
export function slotScript(files: JobFiles, waitMs = SLOT_WAIT_MAX_MS): string {
  const attempt = shellQuote(files.attempt);
  return [
    "#!/bin/sh",
    "# Generated by Canal: a job queued ahead of one attempt of one step.",
    `deadline=$(($(date +%s) + ${Math.ceil(waitMs / 1000)}))`,
    "i=0",
    `while [ ! -e ${attempt} ]; do`,
    // The clock is read every 20th pass (a process each); giving up fails the job, so that no job
    // queued behind this one starts for nothing.
    `  if [ $((i % 20)) -eq 0 ] && [ "$(date +%s)" -ge "$deadline" ] && mkdir ${shellQuote(files.claim)} 2>/dev/null; then exit 1; fi`,
    "  sleep 0.005",
    "  i=$((i + 1))",
    "done",
    ...runAttempt(files),
    "",
  ].join("\n");
}

/**
 * Runs the attempt's script in this same shell (so Slurm's signals, the exit status and the job's
 * end are its own) once it has been read into the shell and removed: it holds the values of the
 * variables the step declares and the bucket's credentials, which then do not sit in the shared
 * directory while the job runs, nor after it if the driver that would remove them is killed.
 * Read whole and closed before it is removed, not sourced from an open descriptor: a file removed
 * while open stays on NFS as a `.nfs…` file until it is closed.
 */
function runAttempt(files: JobFiles): string[] {
  const attempt = shellQuote(files.attempt);
  return [`attempt=$(cat ${attempt}) && rm -f ${attempt} || exit 1`, 'eval "$attempt"'];
}

/**
 * The script submitted for an attempt's own job: it runs the attempt's script from the job's folder
 * in the shared directory (see {@link runAttempt}), and holds nothing else, since slurmctld keeps
 * what it is sent.
 */
export function launchScript(files: JobFiles): string {
  return [
    "#!/bin/sh",
    "# Generated by Canal: one attempt of one step, whose script is read from the job's folder.",
    ...runAttempt(files),
    "",
  ].join("\n");
}

/** The longest a job waits for its release after the step ended (see {@link batchScript}). */
export const LINGER_MAX_MS = 1000;

/** How long a signalled step's processes get to clean up before they are killed. */
const TERM_GRACE_MS = 10_000;

/**
 * The batch script: the step's command in `cwd` with exactly its environment (in a subshell, so
 * the batch shell itself carries none of it; `command` is exec'd there, in a session of its own); its exit
 * status is written to the exit file and returned.
 *
 * Then the job lingers until the runtime writes the release file (or LINGER_MAX_MS passes). Why:
 * slurmctld 22.05 starts a newly submitted job only on its next background pass (up to 1 s later),
 * but it schedules at once when a job ends. The runtime reads the exit file, the orchestrator
 * submits the next step, and the runtime then releases this job: its end starts the next one.
 */
export function batchScript(options: {
  env: Record<string, string>;
  /** Names taken from the job's own environment when set there (what Slurm gives the job: its GPUs, its id). */
  fromJob?: readonly string[];
  cwd: string;
  command: string;
  exitFile: string;
  releaseFile: string;
  startedFile: string;
  /** The longest the job lingers for its release after the step ended; default LINGER_MAX_MS. */
  lingerMs?: number;
}): string {
  const lines = [
    "#!/bin/sh",
    "# Generated by Canal: one attempt of one step.",
    // With the node's name (a builtin, no process): a message about the node can name it.
    `printf '%s\\n' "\${SLURMD_NODENAME-}" > ${shellQuote(options.startedFile)}`,
    // On scancel Slurm signals every process of the job. This shell outlives the step's processes
    // (its own process group, through setsid) so that the job ends only once they all have: Slurm's
    // linuxproc tracking loses processes whose parent died first.
    "terminated=",
    "trap 'terminated=1' TERM INT",
    "(",
  ];
  const tries = Math.ceil((options.lingerMs ?? LINGER_MAX_MS) / 10);
  // `env -i`: the step gets exactly `env`, none of the job's environment, which sbatch copies from
  // the submitter's (the environment rule; see `baseEnvironment`).
  const assignments = Object.entries(options.env).map(
    ([name, value]) => `    ${shellQuote(`${name}=${value}`)} \\`,
  );
  // `${NAME+"NAME=$NAME"}`: one word when the job has it, none when it does not.
  for (const name of options.fromJob ?? []) assignments.push(`    \${${name}+"${name}=$${name}"} \\`);
  lines.push(
    `  cd ${shellQuote(options.cwd)} || exit 1`,
    "  exec env -i \\",
    ...assignments,
    `    setsid ${options.command}`,
    ") &",
    "step=$!",
    'wait "$step"',
    "status=$?",
    // A trapped signal interrupts wait: wait again for the step's real status.
    'while kill -0 "$step" 2>/dev/null; do wait "$step"; status=$?; done',
    'if [ -n "$terminated" ]; then',
    "  i=0",
    `  while kill -0 -"$step" 2>/dev/null && [ "$i" -lt ${Math.ceil(TERM_GRACE_MS / 10)} ]; do sleep 0.01; i=$((i + 1)); done`,
    '  kill -KILL -"$step" 2>/dev/null',
    // Ended by a signal: Slurm's job state says why, and no exit status must pretend otherwise.
    '  exit "$status"',
    "fi",
    // The step is done: what it left in its process group ends before its outputs are read.
    'kill -KILL -"$step" 2>/dev/null',
    // Until they have ended (a zombie no one reaps also counts as there: wait a little at most).
    "i=0",
    'while kill -0 -"$step" 2>/dev/null && [ "$i" -lt 50 ]; do sleep 0.01; i=$((i + 1)); done',
    `echo "$status" > ${shellQuote(options.exitFile)}`,
    "i=0",
    `while [ ! -e ${shellQuote(options.releaseFile)} ] && [ "$i" -lt ${tries} ]; do sleep 0.01; i=$((i + 1)); done`,
    'exit "$status"',
    "",
  );
  return lines.join("\n");
}
