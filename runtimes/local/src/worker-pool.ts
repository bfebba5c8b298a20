// node:child_process is taken when the first worker is started, not with the module: a run that
// the cache answers whole starts none, and does not load it.
import type { ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { StringDecoder } from "node:string_decoder";
import {
  type AttemptHooks,
  type AttemptResult,
  baseEnvironment,
  type StepTask,
  type WorkerReply,
  type WorkerRequest,
  workerEntrypoint,
} from "@canal/runtime-core";
import { attemptStart, endAttemptProcesses } from "./leftovers.js";

/**
 * One attempt's share of a warm worker's stdout or stderr: everything up to the attempt's end
 * marker, passed on as it arrives; whatever follows the marker belongs to no attempt.
 */
class AttemptStream {
  private readonly decoder = new StringDecoder("utf8");
  /** The end of the text read so far, when it could be the start of the marker. */
  private held = "";
  private resolveEnded: () => void = () => {};
  readonly ended = new Promise<void>((resolve) => {
    this.resolveEnded = resolve;
  });
  private done = false;

  constructor(
    private readonly marker: string,
    private readonly emit: (text: string) => void,
  ) {}

  write(chunk: Buffer): void {
    if (this.done) return;
    const text = this.held + this.decoder.write(chunk);
    const at = text.indexOf(this.marker);
    if (at >= 0) {
      this.done = true;
      if (at > 0) this.emit(text.slice(0, at));
      this.resolveEnded();
      return;
    }
    let keep = Math.min(text.length, this.marker.length - 1);
    while (keep > 0 && !this.marker.startsWith(text.slice(text.length - keep))) keep--;
    this.held = text.slice(text.length - keep);
    if (text.length > keep) this.emit(text.slice(0, text.length - keep));
  }
}

/**
 * Warm Node processes that run TypeScript steps one at a time each, so a step does not pay a Node
 * start-up (and a bundle import) every time. A canceled or timed-out attempt kills its worker; the
 * pool starts another when needed.
 */
export class WorkerPool {
  /** Idle workers by the run they were started for: a worker serves one run only. */
  private idle = new Map<string, ChildProcess[]>();
  private all = new Set<ChildProcess>();

  constructor(private readonly moduleCache: string) {}

  /**
   * A worker for run `runId`: its environment carries CANAL_RUN_ID from the start, so that a
   * `canal cancel` after the driver was killed finds it (a process's environment as /proc shows it
   * is the one it was started with), and it leads a process group that the step's children join.
   */
  private start(runId: string): ChildProcess {
    // Idle workers of other runs (a runtime that outlives a run) are not needed any more.
    for (const [other, idle] of this.idle) {
      if (other === runId) continue;
      for (const worker of idle.splice(0)) worker.kill("SIGTERM");
      this.idle.delete(other);
    }
    const child = process.getBuiltinModule("node:child_process").fork(workerEntrypoint, ["--ipc"], {
      // Not the driver's Node flags: a debugger port (--inspect) or a test runner's resolve
      // conditions would make every worker fail to start or load the wrong files.
      execArgv: [],
      // Not the driver's environment either: the environment rule (see `baseEnvironment`); each
      // step's own variables are set in the worker for its attempt. CANAL_RUN_ID marks the worker
      // as the run's, so a cancel after its driver was killed finds it.
      env: { ...baseEnvironment(), CANAL_RUN_ID: runId },
      detached: true,
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      serialization: "advanced",
    });
    this.all.add(child);
    child.once("exit", () => {
      this.all.delete(child);
      const idle = this.idle.get(runId) ?? [];
      // In place: an attempt that holds the list may still put its own worker back in it.
      if (idle.includes(child)) idle.splice(idle.indexOf(child), 1);
    });
    return child;
  }

  async run(task: StepTask, hooks: AttemptHooks): Promise<AttemptResult> {
    const started = attemptStart();
    const idle = this.idle.get(task.runId) ?? [];
    this.idle.set(task.runId, idle);
    const child = idle.pop() ?? this.start(task.runId);
    // The marker starts with a NUL, which text output does not hold: nothing a step prints is held
    // back waiting to see whether the marker follows.
    const endMarker = `\u0000canal-attempt-end:${randomUUID()}\u0000`;
    const stdout = new AttemptStream(endMarker, (text) => hooks.log("stdout", text));
    const stderr = new AttemptStream(endMarker, (text) => hooks.log("stderr", text));
    const onStdout = (chunk: Buffer) => stdout.write(chunk);
    const onStderr = (chunk: Buffer) => stderr.write(chunk);
    child.stdout?.on("data", onStdout);
    child.stderr?.on("data", onStderr);
    try {
      return await new Promise<AttemptResult>((resolve) => {
        const onMessage = (message: WorkerReply) => {
          cleanup();
          // The result can overtake the last of the step's output; the markers follow all of it.
          if (message.marked)
            void Promise.all([stdout.ended, stderr.ended]).then(() => resolve(message.result));
          else resolve(message.result);
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
        const onAbort = () => {
          try {
            process.kill(-(child.pid as number), "SIGKILL");
          } catch {
            child.kill("SIGKILL");
          }
        };
        const cleanup = () => {
          child.off("message", onMessage);
          child.off("exit", onExit);
          hooks.signal.removeEventListener("abort", onAbort);
        };
        child.on("message", onMessage);
        child.on("exit", onExit);
        hooks.signal.addEventListener("abort", onAbort);
        if (hooks.signal.aborted) onAbort();
        const request: WorkerRequest = { task, moduleCache: this.moduleCache, endMarker };
        child.send(request);
      });
    } finally {
      child.stdout?.off("data", onStdout);
      child.stderr?.off("data", onStderr);
      // What the step started ends with it: its children in the worker's group, and those that
      // left the group but carry its marker. Only then are its outputs hashed.
      await endAttemptProcesses({
        runId: task.runId,
        stepKey: task.stepKey,
        number: task.attempt,
        ...(child.pid ? { group: { id: child.pid, except: [child.pid] } } : {}),
        ...started,
      });
      if (child.exitCode === null && child.signalCode === null && !hooks.signal.aborted) idle.push(child);
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
    this.idle.clear();
    await Promise.all(exits);
  }
}
