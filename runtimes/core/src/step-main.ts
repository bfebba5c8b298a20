#!/usr/bin/env node
// The entrypoint of a step that moves its own bytes (a task with `blobs`), in its container (docker)
// or its job (Slurm): fetches the inputs from the bucket, runs the step (a TypeScript step in this
// process, a script step's shell as a child), stores the outputs in the bucket and writes the result.
//
//   node step-main.js STEP.json RESULT.json
//
// The bucket's credentials are the standard AWS variables of this process's environment; the
// files name none.
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { constants } from "node:os";
import { join } from "node:path";
import { openStepBlobStore } from "@canal/store/step-blobs";
import type { AttemptResult, StepTask } from "./contract.js";
import { withStepBlobs } from "./step-blobs.js";
import { runWorkerTask } from "./worker-task.js";

/** What the runtime writes for the step: the task (no variable's value), and for a script step its shell command. */
export interface StepFile {
  task: StepTask;
  script?: { argv: string[]; cwd: string };
}

/** What the entrypoint writes back: the attempt's result; `scriptExit`, a script that failed with its status. */
export type StepFileResult = AttemptResult & { scriptExit?: number };

let scriptExit: number | undefined;

/** A script step's command, its output on this process's; a non-zero end as a failure with its status. */
function runScript(script: NonNullable<StepFile["script"]>): Promise<AttemptResult> {
  return new Promise((resolve) => {
    const [command, ...args] = script.argv as [string, ...string[]];
    const child = spawn(command, args, { cwd: script.cwd, stdio: "inherit" });
    child.on("error", (error) =>
      resolve({ status: "failed", exitCode: 127, error: error.message, retryable: false }),
    );
    child.on("exit", (code, signal) => {
      const exitCode = code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0);
      if (exitCode !== 0) scriptExit = exitCode;
      resolve(
        exitCode === 0
          ? { status: "succeeded", values: {}, returned: {} }
          : { status: "failed", exitCode, error: `exited with status ${exitCode}`, retryable: true },
      );
    });
  });
}

const [stepPath, resultPath] = process.argv.slice(2);
if (!stepPath || !resultPath) {
  process.stderr.write("usage: step-main.js STEP.json RESULT.json\n");
  process.exitCode = 2;
} else {
  const { task, script } = JSON.parse(readFileSync(stepPath, "utf8")) as StepFile;
  let result: AttemptResult;
  if (!task.blobs) {
    result = {
      status: "failed",
      error: `step ${task.stepKey}: its task names no blob store`,
      retryable: false,
    };
  } else {
    const { place } = task.blobs;
    let store: ReturnType<typeof openStepBlobStore> | undefined;
    try {
      store = openStepBlobStore(place);
      result = await withStepBlobs(task, store, () =>
        script ? runScript(script) : runWorkerTask(task, join(task.workDir, "modules")),
      );
    } catch (error) {
      result = {
        status: "failed",
        error: `step ${task.stepKey}: ${(error as Error).message}`,
        retryable: true,
      };
    } finally {
      await store?.close();
    }
  }
  const written: StepFileResult =
    result.status === "failed" && scriptExit !== undefined ? { ...result, scriptExit } : result;
  writeFileSync(resultPath, JSON.stringify(written));
  process.exitCode = result.status === "succeeded" ? 0 : 1;
}
