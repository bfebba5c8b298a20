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
import { runWorkerTask } from "./worker-task.js";

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
    const result = await runWorkerTask(request.task, request.moduleCache);
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
  const result = await runWorkerTask(task, join(task.workDir, "modules"));
  writeFileSync(resultPath, JSON.stringify(result));
  process.exitCode = result.status === "succeeded" ? 0 : 1;
} else {
  process.stderr.write("usage: worker-main.js --ipc | worker-main.js TASK.json RESULT.json\n");
  process.exitCode = 2;
}
