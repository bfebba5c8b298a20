import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { pythonHelperDir } from "@canal/python";
import {
  type AttemptHooks,
  type AttemptResult,
  materializeSnapshot,
  renderCommand,
  type StepTask,
  stepEnvironment,
} from "@canal/runtime-core";
import { pythonEnvironment } from "./python-env.js";

const KILL_GRACE_MS = 2000;

/**
 * Runs a script step: its snapshot materialised in the attempt's work directory, its command with
 * placeholders filled, under /bin/sh in a process group of its own (so canceling ends every child),
 * with the environment's interpreter first on PATH.
 */
export async function runScript(
  task: StepTask,
  hooks: AttemptHooks,
  cacheDir: string,
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
  const inherited = process.env;
  const env = {
    ...inherited,
    ...stepEnvironment(task),
    PATH: [binDir, inherited.PATH].filter(Boolean).join(":"),
    PYTHONPATH: [pythonHelperDir, inherited.PYTHONPATH].filter(Boolean).join(":"),
    PYTHONUNBUFFERED: "1",
  };
  return new Promise<AttemptResult>((resolve) => {
    const child = spawn("/bin/sh", ["-c", command], {
      cwd,
      env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderrTail = "";
    child.stdout.on("data", (chunk: Buffer) => hooks.log("stdout", chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      stderrTail = (stderrTail + text).slice(-2000);
      hooks.log("stderr", text);
    });
    let killTimer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      const group = -(child.pid ?? 0);
      try {
        process.kill(group, "SIGTERM");
      } catch {}
      killTimer = setTimeout(() => {
        try {
          process.kill(group, "SIGKILL");
        } catch {}
      }, KILL_GRACE_MS);
    };
    hooks.signal.addEventListener("abort", onAbort);
    child.on("error", (error) => {
      hooks.signal.removeEventListener("abort", onAbort);
      resolve({
        status: "failed",
        error: `step ${task.stepKey} could not start /bin/sh: ${error.message}`,
        retryable: false,
      });
    });
    child.on("close", (code, signal) => {
      clearTimeout(killTimer);
      hooks.signal.removeEventListener("abort", onAbort);
      if (hooks.signal.aborted) {
        resolve(
          hooks.signal.reason === "timeout"
            ? { status: "timed-out", error: `step ${task.stepKey} timed out` }
            : { status: "canceled" },
        );
      } else if (code === 0) {
        resolve({ status: "succeeded", values: {}, returned: {} });
      } else if (code === 127) {
        const word = command.trim().split(/\s+/)[0];
        resolve({
          status: "failed",
          exitCode: 127,
          error: `step ${task.stepKey}: command not found (${stderrTail.trim().split("\n").pop() ?? word}); install \`${word}\` or fix the step's \`run\``,
          retryable: false,
        });
      } else {
        const last = stderrTail.trim().split("\n").slice(-3).join("\n");
        resolve({
          status: "failed",
          ...(code !== null ? { exitCode: code } : {}),
          error: `step ${task.stepKey}: \`${command}\` ${code !== null ? `exited with status ${code}` : `was killed by ${signal}`}${last ? `:\n${last}` : ""}`,
          retryable: true,
        });
      }
    });
  });
}
