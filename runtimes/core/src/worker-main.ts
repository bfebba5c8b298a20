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

async function handle(request: WorkerRequest): Promise<AttemptResult> {
  try {
    const digest = request.task.step.code?.bundle ?? "";
    const path = bundleModulePath(request.task.artifactDir, digest, request.moduleCache);
    return await runTypescriptStep(request.task, path);
  } catch (error) {
    return { status: "failed", error: (error as Error).message, retryable: false };
  }
}

/**
 * A warm worker runs one step after another: each gets exactly the environment it started with
 * (the runtime's base, see `baseEnvironment()`) plus its own step's variables, none of another's.
 */
function setEnvironment(wanted: Record<string, string | undefined>): void {
  for (const name of Object.keys(process.env)) if (!(name in wanted)) delete process.env[name];
  for (const [name, value] of Object.entries(wanted)) if (value !== undefined) process.env[name] = value;
}

const [mode, resultPath] = process.argv.slice(2);
if (mode === "--ipc") {
  const start = { ...process.env };
  process.on("message", async (request: WorkerRequest) => {
    setEnvironment({ ...start, ...stepEnvironment(request.task) });
    const result = await handle(request);
    setEnvironment(start);
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
