import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";

// A one-node Slurm cluster (slurmctld + slurmd, munge) started for tests and benchmarks, as
// ../shared/RECIPES.md shows. Plain JavaScript so `npm run bench` can start one too; types in
// cluster.d.mts.

const MUNGE_PID = "/run/munge/munged.pid";
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

class SlurmSetupError extends Error {
  constructor(message) {
    super(`the Slurm test cluster could not be set up: ${message}`);
  }
}

function run(command, args, env, timeoutMs = 60_000) {
  const result = spawnSync(command, args, { env: env ?? process.env, encoding: "utf8", timeout: timeoutMs });
  if (result.error) throw new SlurmSetupError(`${command} ${args.join(" ")}: ${result.error.message}`);
  if (result.status !== 0) {
    throw new SlurmSetupError(
      `${command} ${args.join(" ")} exited with ${result.status}: ${(result.stderr || result.stdout).trim().slice(-1500)}`,
    );
  }
  return result.stdout;
}

const onPath = (command) => spawnSync("sh", ["-c", `command -v ${command}`]).status === 0;

function install() {
  if (onPath("slurmctld") && onPath("slurmd") && existsSync("/usr/sbin/munged")) return;
  run(
    "apt-get",
    ["-o", "DPkg::Lock::Timeout=600", "install", "-y", "--no-install-recommends", "slurm-wlm", "munge"],
    { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    600_000,
  );
}

/** @returns {number | undefined} */
/** Whether a process is alive (a zombie is not). */
function isRunning(pid) {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

const pidIn = (file) => {
  try {
    const pid = Number(readFileSync(file, "utf8").trim());
    return pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
};

/** Starts munged unless one is running (its pid file names a live process); true if started here. */
async function startMunge() {
  const existing = pidIn(MUNGE_PID);
  if (existing && isRunning(existing)) return false;
  mkdirSync("/run/munge", { recursive: true });
  run("chown", ["munge:munge", "/run/munge"]);
  run("runuser", ["-u", "munge", "--", "/usr/sbin/munged", "--force"]);
  await until("munged to write its pid file", () => pidIn(MUNGE_PID) !== undefined, 10_000);
  return true;
}

async function until(what, ready, timeoutMs, detail = () => "") {
  const deadline = Date.now() + timeoutMs;
  while (!ready()) {
    if (Date.now() > deadline)
      throw new SlurmSetupError(`timed out after ${timeoutMs} ms waiting for ${what}${detail()}`);
    await sleep(50);
  }
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

async function stopPid(pid) {
  if (!pid || !isRunning(pid)) return;
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return;
  }
  const deadline = Date.now() + 10_000;
  while (isRunning(pid) && Date.now() < deadline) await sleep(50);
  if (isRunning(pid)) process.kill(pid, "SIGKILL");
}

/**
 * Installs Slurm and munge if missing and starts a one-node cluster in a scratch root, with two
 * stand-in GPUs (character devices made by mknod) behind GRES. Fails loudly when it cannot.
 */
export async function startSlurmCluster() {
  if (process.getuid?.() !== 0) throw new SlurmSetupError("it must run as root (slurmd and munged do)");
  install();
  const startedMunge = await startMunge();
  const root = mkdtempSync(join(tmpdir(), "canal-slurm-"));
  const dir = join(root, "slurm");
  mkdirSync(join(dir, "state"), { recursive: true });
  mkdirSync(join(dir, "spool"), { recursive: true });
  run("mknod", [join(dir, "fakegpu0"), "c", "1", "3"]);
  run("mknod", [join(dir, "fakegpu1"), "c", "1", "5"]);
  // Ports of its own, so a cluster left by another test process (or a real one) is never spoken to.
  const [controllerPort, nodePort] = [await freePort(), await freePort()];
  // More CPUs than the machine has (config_overrides lets slurmd accept that), so parallel steps
  // of the conformance suite are not queued behind each other on a two-core machine.
  const cpuCount = Math.max(4, cpus().length);
  const conf = join(dir, "slurm.conf");
  writeFileSync(
    conf,
    `ClusterName=canal
GresTypes=gpu
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
SlurmctldPort=${controllerPort}
SlurmdPort=${nodePort}
StateSaveLocation=${dir}/state
SlurmdSpoolDir=${dir}/spool
SlurmctldPidFile=${dir}/slurmctld.pid
SlurmdPidFile=${dir}/slurmd.pid
SlurmctldLogFile=${dir}/slurmctld.log
SlurmdLogFile=${dir}/slurmd.log
SlurmdParameters=config_overrides
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SwitchType=switch/none
ReturnToService=2
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc=${dir}/jobcomp.txt
MinJobAge=600
# Latency: the scheduler acts on a finished job at once (batch_sched_delay=0), and the
# epilog-complete message an Epilog sends starts it (RECIPES.md, "Slurm latency").
SchedulerParameters=kill_invalid_depend,batch_sched_delay=0
Epilog=/bin/true
NodeName=localhost NodeHostname=localhost CPUs=${cpuCount} RealMemory=4000 Gres=gpu:2 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
`,
  );
  writeFileSync(join(dir, "gres.conf"), `NodeName=localhost Name=gpu File=${dir}/fakegpu[0-1]\n`);
  const env = { ...process.env, SLURM_CONF: conf };
  const logs = () =>
    ["slurmctld.log", "slurmd.log"]
      .map((f) =>
        existsSync(join(dir, f)) ? `\n${f}: ${readFileSync(join(dir, f), "utf8").slice(-1500)}` : "",
      )
      .join("");
  const startController = async () => {
    run("slurmctld", ["-f", conf], env);
    await until(
      "slurmctld to write its pid file",
      () => pidIn(join(dir, "slurmctld.pid")) !== undefined,
      10_000,
      logs,
    );
  };
  const stop = async () => {
    await stopPid(pidIn(join(dir, "slurmd.pid")));
    await stopPid(pidIn(join(dir, "slurmctld.pid")));
    if (startedMunge) await stopPid(pidIn(MUNGE_PID));
    rmSync(root, { recursive: true, force: true });
  };
  try {
    await startController();
    run("slurmd", ["-f", conf, "-N", "localhost"], env);
    const state = () => spawnSync("sinfo", ["-h", "-o", "%T"], { env, encoding: "utf8" }).stdout?.trim();
    await until(
      "sinfo to report the node idle",
      () => state() === "idle",
      30_000,
      () => `; sinfo says ${state()}${logs()}`,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    root,
    env,
    // SIGTERM, as a service restart sends: slurmctld saves its state and recovers its jobs.
    async restartController() {
      const pid = pidIn(join(dir, "slurmctld.pid"));
      if (pid) process.kill(pid, "SIGTERM");
      await until("the stopped slurmctld to end", () => !pid || !isRunning(pid), 10_000);
      rmSync(join(dir, "slurmctld.pid"), { force: true });
      // Down long enough for the runtime's polls to find it unreachable.
      await sleep(1000);
      await startController();
    },
    stop,
  };
}

/** Slurm job ids of jobs named `name` that are pending or running. */
export function jobsNamed(env, name) {
  const out = execFileSync("squeue", ["-h", "-o", "%i %j", "-t", "PD,R,CF"], { env, encoding: "utf8" });
  return out
    .split("\n")
    .map((line) => line.trim().split(" "))
    .filter(([, job]) => job === name)
    .map(([id]) => id);
}
