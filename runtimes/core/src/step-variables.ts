import { createHmac, randomBytes } from "node:crypto";
import type { Step } from "@canal/ir";

/**
 * The environment rule: a step process gets Canal's own variables (CANAL_*, and PYTHONPATH and
 * PYTHONUNBUFFERED as Canal sets them), the variables below, and the variables the step declares
 * (`passEnv`) — nothing else of the environment `canal run` was started in. See README "Step I/O".
 *
 * Passed through unchanged and left out of the cache key: they say where things are (the
 * commands, the home and temporary folders, the user), not what a step computes. A step whose
 * result depends on one of them declares it in `passEnv`, which puts its value in the key.
 */
export const PASSED_THROUGH: readonly string[] = [
  "PATH",
  "HOME",
  "USER",
  "LOGNAME",
  "SHELL",
  "TMPDIR",
  "TERM",
  // Which GPUs the step may use, as the user's shell (locally) or the scheduler (a Slurm job's
  // GRES) assigns them.
  "CUDA_VISIBLE_DEVICES",
  "ROCR_VISIBLE_DEVICES",
  "GPU_DEVICE_ORDINAL",
];

/** The variables that say which devices a step was given: a scheduler sets them in the job itself. */
export const DEVICE_ASSIGNMENT: readonly string[] = [
  "CUDA_VISIBLE_DEVICES",
  "ROCR_VISIBLE_DEVICES",
  "GPU_DEVICE_ORDINAL",
];

/**
 * Set to the same value for every step, whatever the user's shell has: a locale changes how text
 * is sorted, compared and formatted, so it is fixed unless the step declares LANG or an LC_*.
 */
export const FIXED: Readonly<Record<string, string>> = { LANG: "C.UTF-8" };

/** The variables every step process starts from: {@link PASSED_THROUGH} as `from` has them, and {@link FIXED}. */
export function baseEnvironment(from: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of PASSED_THROUGH) {
    const value = from[name];
    if (value !== undefined) env[name] = value;
  }
  return { ...env, ...FIXED };
}

/** The values of the variables `step` declares that are set in `from` (an unset one is left out). */
export function declaredValues(step: Step, from: Record<string, string | undefined>): Record<string, string> {
  const values: Record<string, string> = {};
  for (const name of step.passEnv ?? []) {
    const value = from[name];
    if (value !== undefined) values[name] = value;
  }
  return values;
}

/**
 * Where the orchestrator reads declared variables from, and how it digests their values for the
 * cache key. The digest is keyed (HMAC-SHA256 under a secret of the workspace), so what the store
 * keeps reveals nothing of a value, not even a guessable one (a short token, a yes/no), to anyone
 * without that secret.
 */
export interface RunVariables {
  values: Record<string, string | undefined>;
  digest(name: string, value: string): string;
}

/** The digest of a variable's value under `secret`: "hmac-sha256:<hex>". */
export function variableDigest(secret: Buffer, name: string, value: string): string {
  const mac = createHmac("sha256", secret);
  // Framed: the name's length first, so that no name/value split collides with another.
  mac.update(`${Buffer.byteLength(name)}:${name}\n`);
  mac.update(value);
  return `hmac-sha256:${mac.digest("hex")}`;
}

/** This process's environment under a secret of this process only: keys never match another process's. */
export function processVariables(): RunVariables {
  const secret = randomBytes(32);
  return { values: process.env, digest: (name, value) => variableDigest(secret, name, value) };
}

/** What a step's declared variables put in its cache key: name -> digest, or "unset". */
export function variableComponents(
  step: Step,
  variables: RunVariables,
  runtimeVariables: Record<string, string> = {},
): Record<string, string> {
  const components: Record<string, string> = {};
  // A runtime's own variables (a Docker target's `env`) reach every step, so they key every step.
  for (const [name, value] of Object.entries(runtimeVariables))
    components[name] = variables.digest(name, value);
  for (const name of step.passEnv ?? []) {
    const value = variables.values[name];
    components[name] = value === undefined ? "unset" : variables.digest(name, value);
  }
  return components;
}
