import { execFileSync, spawn } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isRunning } from "../processes.mjs";

/** The image tests and the docker benchmark run steps in: an empty root that borrows the host's /usr (node, python). */
export const HOST_IMAGE = "canal-test/host:1";
/** Every container they start gets the host's /usr, read-only. */
export const HOST_BINDS = ["/usr:/usr:ro"];

function ensureDocker() {
  if (existsSync("/usr/sbin/dockerd") || existsSync("/usr/bin/dockerd")) return;
  try {
    execFileSync(
      "apt-get",
      ["-o", "DPkg::Lock::Timeout=600", "install", "-y", "--no-install-recommends", "docker.io"],
      { stdio: "pipe", timeout: 300_000 },
    );
  } catch (error) {
    throw new Error(
      `dockerd is needed, and installing docker.io failed: ${error.stderr?.toString().trim().split("\n").slice(-3).join(" | ") || error.message}`,
    );
  }
}

async function until(what, ready, log, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!ready()) {
    if (Date.now() > deadline) {
      const tail = existsSync(log) ? readFileSync(log, "utf8").trim().split("\n").slice(-5).join("\n") : "";
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; dockerd log:\n${tail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Installs docker.io when missing, starts a dockerd of its own in a scratch directory (never the
 * host's socket, never its networking: no iptables, no forwarding, no bridge) and imports the
 * test image. Fails loudly, with the reason, when any of that is impossible here.
 */
export async function startEngine() {
  ensureDocker();
  const root = mkdtempSync(join(tmpdir(), "canal-dockerd-"));
  const socket = join(root, "docker.sock");
  const log = join(root, "dockerd.log");
  let daemon;
  const cli = (args) =>
    execFileSync("docker", ["-H", `unix://${socket}`, ...args], { encoding: "utf8", stdio: "pipe" });
  const ready = () => {
    try {
      cli(["version", "--format", "{{.Server.Version}}"]);
      return true;
    } catch {
      return false;
    }
  };
  const start = async () => {
    const out = openSync(log, "a");
    daemon = spawn(
      "dockerd",
      [
        "--iptables=false",
        "--ip-forward=false",
        "--bridge=none",
        "--data-root",
        join(root, "docker-data"),
        "--exec-root",
        join(root, "docker-exec"),
        "-H",
        `unix://${socket}`,
        "--pidfile",
        join(root, "docker.pid"),
      ],
      { stdio: ["ignore", out, out] },
    );
    const started = daemon;
    daemon.on("error", () => {});
    await until("dockerd to answer", () => ready() || started.exitCode !== null, log);
    if (started.exitCode !== null) {
      throw new Error(
        `dockerd exited with status ${started.exitCode} at start: ${readFileSync(log, "utf8").trim().split("\n").slice(-5).join("\n")}`,
      );
    }
  };
  const kill = () => {
    const pid = daemon?.pid;
    if (pid !== undefined && isRunning(pid)) process.kill(pid, "SIGKILL");
  };
  const stop = async () => {
    const current = daemon;
    const pid = current?.pid;
    if (!current || pid === undefined || current.exitCode !== null) return;
    const exited = new Promise((resolve) => current.once("exit", resolve));
    process.kill(pid, "SIGTERM");
    const timer = setTimeout(() => {
      if (isRunning(pid)) process.kill(pid, "SIGKILL");
    }, 10_000);
    await exited;
    clearTimeout(timer);
  };
  await start();
  const image = join(root, "image");
  for (const dir of ["tmp", "proc", "sys", "dev", "etc", "usr", "work"])
    mkdirSync(join(image, dir), { recursive: true });
  for (const link of ["bin", "lib", "lib64", "sbin"]) symlinkSync(`usr/${link}`, join(image, link));
  // Shared libraries under /usr are found through Debian's alternatives links and the loader cache.
  for (const path of ["/etc/alternatives", "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d"]) {
    if (existsSync(path)) cpSync(path, join(image, path), { recursive: true, verbatimSymlinks: true });
  }
  execFileSync("tar", ["-C", image, "-cf", join(root, "host.tar"), "."]);
  cli(["import", join(root, "host.tar"), HOST_IMAGE]);
  return {
    root,
    socket,
    cli,
    kill,
    start,
    async restart() {
      const current = daemon;
      const exited =
        current && current.exitCode === null ? new Promise((r) => current.once("exit", r)) : undefined;
      kill();
      await exited;
      // dockerd's own containerd dies with it, but not at once: a dockerd started while it lingers
      // connects to it and then times out. It is waited for (killed by its pid file if it stays).
      const containerdPid = join(root, "docker-exec", "containerd", "containerd.pid");
      if (existsSync(containerdPid)) {
        const pid = Number(readFileSync(containerdPid, "utf8").trim());
        const deadline = Date.now() + 5000;
        while (pid > 0 && isRunning(pid) && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 50));
        if (pid > 0 && isRunning(pid)) process.kill(pid, "SIGKILL");
        rmSync(containerdPid, { force: true });
      }
      rmSync(join(root, "docker.pid"), { force: true });
      await start();
    },
    async stop() {
      await stop();
      // dockerd mounts its data root over itself (once per start: a killed one leaves its mount).
      const mounts = readFileSync("/proc/mounts", "utf8")
        .split("\n")
        .map((line) => line.split(" ")[1] ?? "")
        .filter((path) => path === root || path.startsWith(`${root}/`))
        .sort((a, b) => b.length - a.length);
      for (const path of mounts) {
        try {
          execFileSync("umount", [path], { stdio: "pipe" });
        } catch {
          // Already gone with an outer one.
        }
      }
      try {
        rmSync(root, { recursive: true, force: true });
      } catch {
        // A mount the daemon left behind; the scratch directory stays for a look.
      }
    },
  };
}
