import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { repoRoot, waitFor } from "../helpers.js";

const cli = join(repoRoot, "packages/cli/dist/main.js");

/** A `canal ui` started in a project, with the sign-in link it printed. */
export interface UiServer {
  process: ChildProcess;
  /** The sign-in link, its code in the fragment. */
  link: string;
  /** The link's origin. */
  base: string;
  /** What the server has written to stderr so far: its request log. */
  log(): string;
}

/** Starts `canal ui` on a free port in `dir` and waits for it to print its sign-in link. */
export async function startUi(dir: string): Promise<UiServer> {
  const child = spawn(process.execPath, [cli, "ui", "--port", "0", "--no-open"], {
    cwd: dir,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  let log = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
    log += chunk.toString();
  });
  const signIn = /sign in .* at (http:\/\/\S+)/;
  await waitFor("canal ui to print its link", () => signIn.test(output));
  const link = (signIn.exec(output) as RegExpExecArray)[1] as string;
  return { process: child, link, base: new URL(link).origin, log: () => log };
}
