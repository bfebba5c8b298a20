import { execFileSync } from "node:child_process";
import type { SourceInfo } from "@canal/ir";

function git(args: string[], cwd: string): string | undefined {
  try {
    return execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return undefined;
  }
}

/**
 * The git state of the source: commit, branch and whether tracked files differ from the commit
 * (untracked files, such as the compile output, do not make it dirty). Empty outside a repository.
 */
export function gitInfo(projectRoot: string): Omit<SourceInfo, "entry"> {
  const commit = git(["rev-parse", "HEAD"], projectRoot);
  if (!commit) return {};
  const branch = git(["rev-parse", "--abbrev-ref", "HEAD"], projectRoot);
  const status = git(["status", "--porcelain", "--untracked-files=no"], projectRoot);
  return { gitCommit: commit, gitBranch: branch ?? "", gitDirty: Boolean(status) };
}
