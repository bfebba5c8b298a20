import { spawnSync } from "node:child_process";

// Installing the Debian packages a real-service test needs, on a fresh machine, as
// ../shared/RECIPES.md does it. Plain JavaScript so the benchmarks can use it too.

const onPath = (command) => spawnSync("sh", ["-c", `command -v ${command}`]).status === 0;

/**
 * Installs `packages` with apt-get unless every command in `commands` is on PATH already. The
 * package lists are refreshed first (a fresh image may have none). Throws with apt's last lines
 * when it cannot (not root, no apt, no network to the mirror).
 */
export function installDebianPackages(packages, commands, timeoutMs = 600_000) {
  if (commands.every(onPath)) return false;
  if (process.getuid?.() !== 0 || !onPath("apt-get")) {
    throw new Error(
      `${commands.join(", ")} must be installed (as root: apt-get install -y --no-install-recommends ${packages.join(" ")})`,
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const apt = (args) => {
    const result = spawnSync("apt-get", ["-o", "DPkg::Lock::Timeout=600", ...args], {
      env,
      encoding: "utf8",
      timeout: timeoutMs,
    });
    if (result.status !== 0) {
      const tail = `${result.stderr ?? ""}${result.stdout ?? ""}`.trim().split("\n").slice(-3).join(" | ");
      throw new Error(`apt-get ${args.join(" ")} failed: ${tail || result.error?.message}`);
    }
  };
  // A failed refresh (another apt holding the lists' lock, a mirror away) is not the end: the
  // lists there are may do; the install says so if they do not.
  let refresh;
  try {
    apt(["update", "-qq"]);
  } catch (error) {
    refresh = error;
  }
  try {
    apt(["install", "-y", "-qq", "--no-install-recommends", ...packages]);
  } catch (error) {
    throw refresh ? new Error(`${error.message} (before it, ${refresh.message})`) : error;
  }
  return true;
}
