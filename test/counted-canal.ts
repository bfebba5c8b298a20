// `canal` as a process of its own whose reads the kernel counts (/proc/PID/io): how the tests that
// say which bytes a driver reads (and which it does not) measure it.
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./helpers.js";

const cli = join(repoRoot, "packages/cli/dist/main.js");

export interface CountedEnd {
  status: number | null;
  /** stdout and stderr together, as they came. */
  output: string;
  /** What the kernel counted for the canal process: bytes read from storage, and by read calls (files, sockets, pipes). */
  io: { readBytes: number; rchar: number };
}

/**
 * Starts `canal ARGS` in `cwd` with this process's environment and `env()`'s; its counts are written
 * on exit by a hook put in `scratch`, where each run's counts are kept too.
 */
export function countedCanal(scratch: string, env: () => NodeJS.ProcessEnv) {
  const hook = join(scratch, "io-hook.mjs");
  writeFileSync(
    hook,
    `import { readFileSync, writeFileSync } from "node:fs";
process.on("exit", () => writeFileSync(process.env.CANAL_TEST_IO_FILE, readFileSync("/proc/self/io")));
`,
  );
  const start = (args: string[], cwd: string): { child: ChildProcess; ended: Promise<CountedEnd> } => {
    const ioFile = join(scratch, `io-${randomUUID()}`);
    const child = spawn(process.execPath, ["--import", hook, cli, ...args], {
      cwd,
      env: { ...process.env, ...env(), CANAL_TEST_IO_FILE: ioFile, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout?.on("data", (chunk) => (output += chunk));
    child.stderr?.on("data", (chunk) => (output += chunk));
    const ended = new Promise<CountedEnd>((resolve) =>
      child.on("close", (status) => {
        const text = existsSync(ioFile) ? readFileSync(ioFile, "utf8") : "";
        const field = (name: string) =>
          Number(new RegExp(`^${name}: (\\d+)$`, "m").exec(text)?.[1] ?? Number.NaN);
        resolve({ status, output, io: { readBytes: field("read_bytes"), rchar: field("rchar") } });
      }),
    );
    return { child, ended };
  };
  return { start, run: (args: string[], cwd: string) => start(args, cwd).ended };
}
