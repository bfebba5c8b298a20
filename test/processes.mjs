// Process checks shared by the TypeScript tests and the plain-Node benchmarks (which cannot import
// .ts files).
import { existsSync, readFileSync } from "node:fs";

/**
 * Whether a process is still running. A killed process whose parent has not reaped it yet (a
 * zombie, e.g. under a container's init) has ended: it holds no resources and runs nothing.
 */
export function isRunning(pid) {
  if (!existsSync("/proc/self/stat")) {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
  let stat;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return false;
  }
  // "pid (comm) S ...": the state follows the command name, which may itself hold spaces or ")".
  return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
}
