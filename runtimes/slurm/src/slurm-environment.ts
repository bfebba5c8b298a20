import { DEVICE_ASSIGNMENT, PASSED_THROUGH } from "@canal/runtime-core";

/**
 * Kept whatever the prefix: the variables that say where things are (what a step starts from, see
 * `baseEnvironment`) and how text and time are read (Slurm's commands print and parse dates).
 */
const KEPT: ReadonlySet<string> = new Set([
  ...PASSED_THROUGH.filter((name) => !DEVICE_ASSIGNMENT.includes(name)),
  "LANG",
  "TZ",
]);

/** Slurm's own settings (`SLURM_CONF`, `SLURM_CLUSTERS`, `SBATCH_PARTITION` …) and the locale's. */
const KEPT_PREFIX = /^(SLURM_|SBATCH_|LC_)/;

/**
 * The environment Slurm's commands run with, from the one Canal was given: Slurm's own settings and
 * the variables that say where things are, nothing else. sbatch hands a job the environment it runs
 * with (`--export=ALL`), and slurmctld saves that with the job in its StateSaveLocation, where it
 * stays while the cluster knows the job: a token or password in the shell that started `canal run`
 * must never get there. The job's step does not need it either: its batch script sets the step's
 * environment itself (the environment rule). Which GPUs a job has is Slurm's to say in the job,
 * never the submitter's shell, so the device variables are left out too.
 *
 * @example
 * ```ts
 * slurmEnvironment({ PATH: "/usr/bin", SLURM_CONF: "/etc/slurm/slurm.conf", AWS_SECRET_ACCESS_KEY: "…" });
 * // { PATH: "/usr/bin", SLURM_CONF: "/etc/slurm/slurm.conf" }
 * ```
 */
export function slurmEnvironment(from: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(from)) {
    if (value !== undefined && (KEPT.has(name) || KEPT_PREFIX.test(name))) env[name] = value;
  }
  return env;
}
