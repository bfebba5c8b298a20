import { dirname, join } from "node:path";
import { pythonHelperDir } from "@canal/python";
import {
  type AttemptHooks,
  type AttemptResult,
  baseEnvironment,
  materializeSnapshot,
  pythonEnvironment,
  renderCommand,
  type StepTask,
  shellCommand,
  shownCommand,
  stepEnvironment,
} from "@canal/runtime-core";
import type { Launcher } from "./launcher.js";

/**
 * Runs a script step: its snapshot materialised in the attempt's work directory, its command with
 * placeholders filled, under /bin/sh in a process group of its own (so canceling ends every child),
 * with the environment's interpreter first on PATH.
 */
export async function runScript(
  task: StepTask,
  hooks: AttemptHooks,
  cacheDir: string,
  launcher: Launcher,
): Promise<AttemptResult> {
  const script = task.step.script;
  if (!script) return { status: "failed", error: `step ${task.stepKey} has no script`, retryable: false };
  const environment = task.environment;
  let binDir: string | undefined;
  if (environment?.kind === "IMAGE") {
    return {
      status: "failed",
      error: `step ${task.stepKey} runs in the image ${environment.image}, which the local runtime cannot run; use a container target (--target docker)`,
      retryable: false,
    };
  }
  if (environment?.kind === "PYTHON") {
    try {
      binDir = await pythonEnvironment(environment, cacheDir);
    } catch (error) {
      return {
        status: "failed",
        error: `step ${task.stepKey}: ${(error as Error).message}`,
        retryable: false,
      };
    }
  } else if (environment?.kind === "NODE") {
    binDir = dirname(process.execPath);
  }
  const cwd = join(task.workDir, "src");
  materializeSnapshot(task.artifactDir, script.snapshot, cwd);
  const command = renderCommand(task);
  const launched = shellCommand(command, task.workDir);
  // The environment rule: never this process's environment, only the base, the step's own and
  // what Canal sets (the caller's PYTHONPATH would change which modules a step imports).
  const base = baseEnvironment();
  const env = {
    ...base,
    ...stepEnvironment(task),
    PATH: [binDir, base.PATH].filter(Boolean).join(":"),
    PYTHONPATH: pythonHelperDir,
    PYTHONUNBUFFERED: "1",
  };
  hooks.started();
  const ended = await launcher.launch({
    command: launched,
    cwd,
    env: env as Record<string, string>,
    signal: hooks.signal,
    log: hooks.log,
  });
  if ("error" in ended) {
    return {
      status: "failed",
      error: `step ${task.stepKey} could not start /bin/sh: ${ended.error}`,
      retryable: false,
    };
  }
  const { code, signal, stderrTail } = ended;
  if (hooks.signal.aborted) {
    return hooks.signal.reason === "timeout"
      ? { status: "timed-out", error: `step ${task.stepKey} timed out` }
      : { status: "canceled" };
  }
  if (code === 0) return { status: "succeeded", values: {}, returned: {} };
  if (code === 127) {
    const word = command.trim().split(/\s+/)[0];
    return {
      status: "failed",
      exitCode: 127,
      error: `step ${task.stepKey}: command not found (${stderrTail.trim().split("\n").pop() ?? word}); install \`${word}\` or fix the step's \`run\``,
      retryable: false,
    };
  }
  const last = stderrTail.trim().split("\n").slice(-3).join("\n");
  return {
    status: "failed",
    ...(code !== null ? { exitCode: code } : {}),
    error: `step ${task.stepKey}: \`${shownCommand(command)}\` ${code !== null ? `exited with status ${code}` : `was killed by ${signal}`}${last ? `:\n${last}` : ""}`,
    retryable: true,
  };
}
