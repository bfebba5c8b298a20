import { type Io, runCli } from "@canal/cli";
import { IRIS_REGISTER } from "./helpers.js";

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

/** Registers the flagship's raw data in the copy `dir` (test/helpers.ts copyIris) as a user does; throws if it fails. */
export async function registerIris(dir: string): Promise<string> {
  const result = await canal(IRIS_REGISTER, dir);
  if (result.status !== 0) throw new Error(`canal ${IRIS_REGISTER.join(" ")} failed: ${result.stderr}`);
  return result.stdout;
}
