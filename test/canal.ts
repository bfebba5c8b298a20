import { type Io, runCli } from "@canal/cli";

/** Runs `canal ARGS` in-process in `cwd`, capturing what it prints. */
export async function canal(
  args: string[],
  cwd: string,
): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const io: Io = {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    cwd,
  };
  const status = await runCli(args, io);
  return { status, stdout, stderr };
}
