import { execFile } from "node:child_process";

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a Slurm client command; never rejects (a missing binary is code 127 with the reason on stderr). */
export function slurmCommand(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 30_000,
): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { env, timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (!error) return resolve({ code: 0, stdout, stderr });
        const failure = error as NodeJS.ErrnoException & { code?: number | string };
        if (failure.code === "ENOENT") {
          return resolve({
            code: 127,
            stdout,
            stderr: `${command} is not installed here (install slurm-client, or run on a Slurm login node)`,
          });
        }
        resolve({
          code: typeof failure.code === "number" ? failure.code : 1,
          stdout,
          stderr: stderr || failure.message,
        });
      },
    );
  });
}

/** Whether a client error means slurmctld could not be reached (so waiting may help), not a refusal. */
export function controllerUnreachable(stderr: string): boolean {
  return /Unable to contact slurm controller|Socket timed out|Connection refused|Zero Bytes were transmitted|Communication connection failure|Slurm backup controller in standby mode/i.test(
    stderr,
  );
}

/** The last line a command wrote: what an error message quotes of it. */
export function lastLine(text: string): string {
  return text.trim().split("\n").pop() ?? "";
}
