// A step process's documented environment, in a module of its own: the worker that runs
// TypeScript steps needs it and nothing else of the command templates (no @canal/ir to load).
import type { StepTask } from "./contract.js";
import { LARGE_VALUE_BYTES } from "./large-values.js";

function valueText(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** Environment variable name for a step input/output name: `testFraction` -> `TESTFRACTION`. */
export function envName(name: string): string {
  return name.replace(/[^A-Za-z0-9]/g, "_").toUpperCase();
}

/**
 * The documented environment of a step process:
 *   CANAL_RUN_ID, CANAL_STEP (the instance key), CANAL_ATTEMPT, CANAL_METRICS_FILE
 *   CANAL_INPUT_<NAME>   an artifact input's path (a fan-in: a JSON array of paths, unless large)
 *   CANAL_INPUT_<NAME>_FILE  a fan-in's paths, one per line, relative to the file's folder
 *   CANAL_PARAM_<NAME>   a value input as JSON (strings as they are)
 *   CANAL_PARAM_<NAME>_FILE  instead, for a value over 32 KiB: a file holding its JSON
 *   CANAL_OUTPUT_<NAME>  where to write an output
 * then the environment's fixed `variables`, and the declared variables' values (`passEnv`). A
 * runtime starts the process from these and `baseEnvironment()`, never from its own environment.
 */
export function stepEnvironment(task: StepTask): Record<string, string> {
  const env: Record<string, string> = {
    CANAL_RUN_ID: task.runId,
    CANAL_STEP: task.stepKey,
    CANAL_ATTEMPT: String(task.attempt),
    CANAL_METRICS_FILE: task.metricsFile,
  };
  for (const [name, input] of Object.entries(task.inputs)) {
    const key = envName(name);
    if (input.kind === "artifact") {
      env[`CANAL_INPUT_${key}`] = input.path;
      if (input.dataset) env[`CANAL_INPUT_${key}_DATASET`] = JSON.stringify(input.dataset);
    } else if (input.kind === "artifacts") {
      const json = JSON.stringify(input.paths);
      // A long list is only in its file: the environment could not hold it.
      if (!input.listFile || Buffer.byteLength(json) <= LARGE_VALUE_BYTES) env[`CANAL_INPUT_${key}`] = json;
      if (input.listFile) env[`CANAL_INPUT_${key}_FILE`] = input.listFile;
    } else if (input.file) env[`CANAL_PARAM_${key}_FILE`] = input.file;
    else env[`CANAL_PARAM_${key}`] = valueText(input.value);
  }
  for (const [name, output] of Object.entries(task.outputs))
    env[`CANAL_OUTPUT_${envName(name)}`] = output.path;
  for (const variable of task.environment?.variables ?? []) env[variable.name] = variable.value;
  return { ...env, ...task.variables };
}
