// The built `canal` as processes of their own, as two machines sharing a workspace run it: each
// process is tracked, so what a failed test leaves running is ended by its PID afterwards.
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { repoRoot } from "./helpers.js";

const cli = join(repoRoot, "packages/cli/dist/main.js");

export interface CanalProcess {
  child: ChildProcess;
  /** What it printed so far, stdout and stderr together. */
  output(): string;
  exited: Promise<number | null>;
}

export class CanalProcesses {
  private readonly started: CanalProcess[] = [];

  /** `canal ARGS` in `cwd`, with `env` over this process's environment. */
  start(args: string[], options: { cwd: string; env?: Record<string, string> }): CanalProcess {
    const child = spawn(process.execPath, [cli, ...args], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let text = "";
    const collect = (chunk: Buffer) => {
      text += chunk.toString();
    };
    child.stdout?.on("data", collect);
    child.stderr?.on("data", collect);
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    const started = { child, output: () => text, exited };
    this.started.push(started);
    return started;
  }

  /** `canal ARGS` to its end: its exit status and what it printed. */
  async exec(
    args: string[],
    options: { cwd: string; env?: Record<string, string> },
  ): Promise<{ status: number | null; output: string }> {
    const run = this.start(args, options);
    const status = await run.exited;
    return { status, output: run.output() };
  }

  /** Ends every process still running (SIGKILL, by its PID) and waits for each to exit. */
  async stopAll(): Promise<void> {
    for (const { child, exited } of this.started.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    }
  }
}
