import { type ChildProcess, fork } from "node:child_process";
import { type AttemptHooks, type AttemptResult, type StepTask, workerEntrypoint } from "@canal/runtime-core";

/**
 * Warm Node processes that run TypeScript steps one at a time each, so a step does not pay a Node
 * start-up (and a bundle import) every time. A canceled or timed-out attempt kills its worker; the
 * pool starts another when needed.
 */
export class WorkerPool {
  private idle: ChildProcess[] = [];
  private all = new Set<ChildProcess>();

  constructor(private readonly moduleCache: string) {}

  private start(): ChildProcess {
    const child = fork(workerEntrypoint, ["--ipc"], {
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      serialization: "advanced",
    });
    this.all.add(child);
    child.once("exit", () => {
      this.all.delete(child);
      this.idle = this.idle.filter((c) => c !== child);
    });
    return child;
  }

  async run(task: StepTask, hooks: AttemptHooks): Promise<AttemptResult> {
    const child = this.idle.pop() ?? this.start();
    const onStdout = (chunk: Buffer) => hooks.log("stdout", chunk.toString("utf8"));
    const onStderr = (chunk: Buffer) => hooks.log("stderr", chunk.toString("utf8"));
    child.stdout?.on("data", onStdout);
    child.stderr?.on("data", onStderr);
    try {
      return await new Promise<AttemptResult>((resolve) => {
        const onMessage = (message: { result: AttemptResult }) => {
          cleanup();
          resolve(message.result);
        };
        const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
          cleanup();
          if (hooks.signal.aborted)
            resolve(
              hooks.signal.reason === "timeout"
                ? { status: "timed-out", error: `step ${task.stepKey} timed out` }
                : { status: "canceled" },
            );
          else
            resolve({
              status: "failed",
              error: `the worker running step ${task.stepKey} exited (${signal ?? `code ${code}`})`,
              retryable: true,
            });
        };
        const onAbort = () => child.kill("SIGKILL");
        const cleanup = () => {
          child.off("message", onMessage);
          child.off("exit", onExit);
          hooks.signal.removeEventListener("abort", onAbort);
        };
        child.on("message", onMessage);
        child.on("exit", onExit);
        hooks.signal.addEventListener("abort", onAbort);
        if (hooks.signal.aborted) onAbort();
        child.send({ task, moduleCache: this.moduleCache });
      });
    } finally {
      child.stdout?.off("data", onStdout);
      child.stderr?.off("data", onStderr);
      if (child.exitCode === null && child.signalCode === null && !hooks.signal.aborted)
        this.idle.push(child);
    }
  }

  async close(): Promise<void> {
    const exits = [...this.all].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once("exit", () => resolve());
          child.kill("SIGTERM");
        }),
    );
    this.idle = [];
    await Promise.all(exits);
  }
}
