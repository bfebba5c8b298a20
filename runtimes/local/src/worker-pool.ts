import { type ChildProcess, fork } from "node:child_process";
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
  private idle: ChildProcess[] = [];
  private all = new Set<ChildProcess>();

  constructor(private readonly moduleCache: string) {}

  private start(): ChildProcess {
    const child = fork(workerEntrypoint, ["--ipc"], {
      // Not the driver's Node flags: a debugger port (--inspect) or a test runner's resolve
      // conditions would make every worker fail to start or load the wrong files.
      execArgv: [],
      // Not the driver's environment either: the environment rule (see `baseEnvironment`); each
      // step's own variables are set in the worker for its attempt.
      env: baseEnvironment(),
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
        const request: WorkerRequest = { task, moduleCache: this.moduleCache, endMarker };
        child.send(request);
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
