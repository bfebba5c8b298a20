// One TypeScript step task run in the process that reads it: a warm worker, a container's or a
// Slurm job's entrypoint.

import { bundleModulePath } from "./bundle-module.js";
import type { AttemptResult, StepTask } from "./contract.js";
import { stepEnvironment } from "./step-environment.js";
import { runTypescriptStep } from "./step-runner.js";

/**
 * Gives the step the environment a script step gets (CANAL_RUN_ID, CANAL_STEP, CANAL_INPUT_*…),
 * for the step itself and every process it starts; returns what puts the worker's own back.
 */
function enterStepEnvironment(task: StepTask): () => void {
  const saved = new Map<string, string | undefined>();
  for (const [name, value] of Object.entries(stepEnvironment(task))) {
    saved.set(name, process.env[name]);
    process.env[name] = value;
  }
  return () => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}

/**
 * Runs one TypeScript step task in this process, in the step's environment, its bundle unpacked
 * under `moduleCache`; however it ends, as an attempt result.
 */
export async function runWorkerTask(task: StepTask, moduleCache: string): Promise<AttemptResult> {
  const leave = enterStepEnvironment(task);
  try {
    const digest = task.step.code?.bundle ?? "";
    const path = bundleModulePath(task.artifactDir, digest, moduleCache);
    return await runTypescriptStep(task, path);
  } catch (error) {
    return { status: "failed", error: (error as Error).message, retryable: false };
  } finally {
    leave();
  }
}
