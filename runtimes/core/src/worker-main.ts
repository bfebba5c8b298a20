#!/usr/bin/env node
// The worker entrypoint: runs TypeScript steps from a compiled artifact, needing nothing else.
//
//   node worker-main.js --ipc                      a warm worker: tasks arrive as IPC messages
//   node worker-main.js TASK.json RESULT.json      one task from a file (a container, a Slurm job)
//
// A task names the artifact directory; the bundle is read from it (verified) into a module cache.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { AttemptResult, StepTask } from "./contract.js";
import { bundleModulePath } from "./materialize.js";
import { stepEnvironment } from "./script-command.js";
import { runTypescriptStep } from "./step-runner.js";

export interface WorkerRequest {
  task: StepTask;
  /** Where bundles are unpacked as .mjs files. */
  moduleCache: string;
  /**
   * Written to stdout and to stderr once the step has returned, before the result is sent: the
   * step's output travels on those pipes and the result on the IPC channel, and the parent cannot
   * otherwise tell when it has read all of the output that came before the result.
   */
  endMarker?: string;
}

/** The reply to a request; `marked`: the end marker was written to both streams. */
export interface WorkerReply {
  result: AttemptResult;
  marked: boolean;
}

const writeMarker = (stream: NodeJS.WriteStream, marker: string) =>
  new Promise<boolean>((resolve) => stream.write(marker, (error) => resolve(!error)));

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

async function handle(request: WorkerRequest): Promise<AttemptResult> {
  const leave = enterStepEnvironment(request.task);
  try {
    const digest = request.task.step.code?.bundle ?? "";
    const path = bundleModulePath(request.task.artifactDir, digest, request.moduleCache);
    return await runTypescriptStep(request.task, path);
  } catch (error) {
    return { status: "failed", error: (error as Error).message, retryable: false };
  } finally {
    leave();
  }
}

const [mode, resultPath] = process.argv.slice(2);
if (mode === "--ipc") {
  // The process that sent the task is gone (killed): nobody will record the step's end, so it
  // must not run on. The worker leads a process group of its own, which the step's children share.
  process.on("disconnect", () => {
    try {
      process.kill(-process.pid, "SIGKILL");
    } catch {}
    process.exit(1);
  });
  process.on("message", async (request: WorkerRequest) => {
    const result = await handle(request);
    const marker = request.endMarker;
    const marked = marker
      ? (await Promise.all([writeMarker(process.stdout, marker), writeMarker(process.stderr, marker)])).every(
          Boolean,
        )
      : false;
    const reply: WorkerReply = { result, marked };
    process.send?.(reply);
  });
} else if (mode && resultPath) {
  const task = JSON.parse(readFileSync(mode, "utf8")) as StepTask;
  const result = await handle({ task, moduleCache: join(task.workDir, "modules") });
  writeFileSync(resultPath, JSON.stringify(result));
  process.exitCode = result.status === "succeeded" ? 0 : 1;
} else {
  process.stderr.write("usage: worker-main.js --ipc | worker-main.js TASK.json RESULT.json\n");
  process.exitCode = 2;
}
