// A PostgreSQL 15 server of the tests' own: Debian's package (installed when missing), a fresh
// cluster in a scratch folder, listening on loopback only, stopped by its PID. Never the
// package's `main` cluster, never port 5432.
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const BIN = "/usr/lib/postgresql/15/bin";
function ensurePostgres() {
  if (existsSync(join(BIN, "initdb"))) return;
  try {
    execFileSync("apt-get", ["-o", "DPkg::Lock::Timeout=600", "update", "-qq"], {
      stdio: "pipe",
      timeout: 300_000,
    });
    execFileSync(
      "apt-get",
      ["-o", "DPkg::Lock::Timeout=600", "install", "-y", "--no-install-recommends", "postgresql"],
      { stdio: "pipe", timeout: 600_000, env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } },
    );
  } catch (error) {
    const e = error;
    throw new Error(
      `PostgreSQL 15 is needed, and installing Debian's postgresql failed: ${e.stderr?.toString().trim().split("\n").slice(-3).join(" | ") || e.message}`,
    );
  }
  if (!existsSync(join(BIN, "initdb")))
    throw new Error(
      `installed Debian's postgresql, but ${BIN}/initdb is not there: this test needs PostgreSQL 15`,
    );
}
/** A port nothing listens on now, on loopback. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}
function isRunning(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
export async function startPostgres(options = {}) {
  ensurePostgres();
  const root = mkdtempSync(join(tmpdir(), "canal-pg-"));
  const data = join(root, "pgdata");
  const socket = join(root, "pgsock");
  const asRoot = process.getuid?.() === 0;
  const as = (command, args) =>
    asRoot
      ? execFileSync("runuser", ["-u", "postgres", "--", command, ...args], { stdio: "pipe" })
      : execFileSync(command, args, { stdio: "pipe" });
  if (asRoot) {
    chmodSync(root, 0o755);
    execFileSync("install", ["-d", "-o", "postgres", "-g", "postgres", "-m", "700", data, socket]);
  } else {
    execFileSync("install", ["-d", "-m", "700", data, socket]);
  }
  const auth =
    options.password === undefined ? ["-A", "trust"] : ["--auth-host=scram-sha-256", "--auth-local=trust"];
  const pwfile = join(root, "pwfile");
  if (options.password !== undefined) {
    execFileSync("sh", ["-c", 'printf "%s" "$PW" > "$F"', "sh"], {
      env: { ...process.env, PW: options.password, F: pwfile },
    });
    if (asRoot) execFileSync("chown", ["postgres", pwfile]);
  }
  as(join(BIN, "initdb"), [
    "-D",
    data,
    "-U",
    "postgres",
    ...auth,
    ...(options.password !== undefined ? [`--pwfile=${pwfile}`] : []),
    "-E",
    "UTF8",
    "--locale=C.UTF-8",
    "--no-sync",
  ]);
  rmSync(pwfile, { force: true });
  const port = await freePort();
  const startServer = () => {
    as(join(BIN, "pg_ctl"), [
      "-D",
      data,
      "-l",
      join(data, "server.log"),
      "-w",
      "-t",
      "30",
      "-o",
      `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories=${socket} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300`,
      "start",
    ]);
  };
  const stopServer = async () => {
    const pidFile = join(data, "postmaster.pid");
    if (!existsSync(pidFile)) return;
    const pid = Number(readFileSync(pidFile, "utf8").split("\n")[0]);
    if (!isRunning(pid)) return;
    process.kill(pid, "SIGINT");
    while (isRunning(pid)) await new Promise((resolve) => setTimeout(resolve, 100));
  };
  startServer();
  return {
    port,
    url: (database = "postgres") => `postgres://postgres@127.0.0.1:${port}/${database}`,
    psql: (sql, database = "postgres") =>
      execFileSync(
        "psql",
        [
          "-X",
          "-q",
          "-t",
          "-A",
          "-v",
          "ON_ERROR_STOP=1",
          "-h",
          socket,
          "-p",
          String(port),
          "-U",
          "postgres",
          "-d",
          database,
          "-c",
          sql,
        ],
        {
          encoding: "utf8",
          stdio: "pipe",
        },
      ),
    stopServer,
    startServer,
    async stop() {
      await stopServer();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
