import type { StepTask } from "./contract.js";

/** Quotes a word for /bin/sh. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

function valueText(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/**
 * A script step's command with its placeholders filled: inputs as local paths (a fan-in as several
 * words), outputs as the paths to write, values as text; every substitution shell-quoted.
 */
export function renderCommand(task: StepTask): string {
  const command = task.step.script?.command ?? "";
  return command.replace(/\{([A-Za-z_$][\w$]*)\}/g, (_whole, name: string) => {
    const input = task.inputs[name];
    if (input?.kind === "artifact") return shellQuote(input.path);
    if (input?.kind === "artifacts") return input.paths.map(shellQuote).join(" ");
    if (input?.kind === "value") return shellQuote(valueText(input.value));
    const output = task.outputs[name];
    if (output) return shellQuote(output.path);
    // The compiler rejects unknown placeholders (CANAL1005); an optional input left out renders empty.
    return "";
  });
}

/** Environment variable name for a step input/output name: `testFraction` -> `TESTFRACTION`. */
export function envName(name: string): string {
  return name.replace(/[^A-Za-z0-9]/g, "_").toUpperCase();
}

/**
 * The documented environment of a step process:
 *   CANAL_RUN_ID, CANAL_STEP (the instance key), CANAL_ATTEMPT, CANAL_METRICS_FILE
 *   CANAL_INPUT_<NAME>   an artifact input's path (a fan-in: a JSON array of paths)
 *   CANAL_PARAM_<NAME>   a value input as JSON (strings as they are)
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
    if (input.kind === "artifact") env[`CANAL_INPUT_${envName(name)}`] = input.path;
    else if (input.kind === "artifacts") env[`CANAL_INPUT_${envName(name)}`] = JSON.stringify(input.paths);
    else env[`CANAL_PARAM_${envName(name)}`] = valueText(input.value);
  }
  for (const [name, output] of Object.entries(task.outputs))
    env[`CANAL_OUTPUT_${envName(name)}`] = output.path;
  for (const variable of task.environment?.variables ?? []) env[variable.name] = variable.value;
  return { ...env, ...task.variables };
}
