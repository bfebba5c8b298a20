import { spawnSync } from "node:child_process";
import { randomInt, randomUUID } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isRunning } from "../processes.mjs";
import { installDebianPackages } from "./debian.mjs";

// An S3 server for tests and benchmarks: Ceph's RADOS Gateway (one monitor, one in-memory OSD, no
// manager) in a scratch directory on loopback, as ../shared/RECIPES.md shows. It is the real S3
// server a team might run: it honours conditional creates (`IfNoneMatch: "*"`), multipart and
// pagination. Plain JavaScript so `npm run bench` can start one too; types in rgw.d.mts.

const PACKAGES = ["ceph-mon", "ceph-osd", "radosgw", "ceph-common", "curl"];
const COMMANDS = ["ceph-mon", "ceph-osd", "radosgw", "radosgw-admin", "monmaptool", "ceph-conf", "ceph"];
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

class RgwSetupError extends Error {
  constructor(message) {
    super(`the S3 test server (Ceph RADOS Gateway) could not be set up: ${message}`);
  }
}

function run(command, args, timeoutMs = 60_000) {
  const result = spawnSync(command, args, { encoding: "utf8", timeout: timeoutMs });
  if (result.error) throw new RgwSetupError(`${command} ${args.join(" ")}: ${result.error.message}`);
  if (result.status !== 0) {
    throw new RgwSetupError(
      `${command} ${args.join(" ")} exited with ${result.status}: ${(result.stderr || result.stdout).trim().slice(-1500)}`,
    );
  }
  return result.stdout;
}

/** Whether nothing listens on 127.0.0.1:`port`. */
function portFree(port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/**
 * A block of 110 ports below the kernel's ephemeral range, all free: the monitor's, the gateway's
 * and the OSD's range of 100 (which the OSD binds from, so it never meets a port in use).
 */
async function portBlock() {
  for (let tries = 0; tries < 50; tries++) {
    const base = 20_000 + randomInt(0, 110) * 110;
    const probes = [base, base + 1, base + 10, base + 11, base + 12, base + 13];
    const free = await Promise.all(probes.map(portFree));
    if (free.every(Boolean)) return { mon: base, rgw: base + 1, osdMin: base + 10, osdMax: base + 109 };
  }
  throw new RgwSetupError("no free block of ports on 127.0.0.1");
}

function config(root, ports, memoryBytes) {
  return `[global]
fsid = ${randomUUID()}
mon host = v2:127.0.0.1:${ports.mon}
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind ipv4 = true
ms bind ipv6 = false
ms bind msgr1 = false
ms bind port min = ${ports.osdMin}
ms bind port max = ${ports.osdMax}
auth cluster required = none
auth service required = none
auth client required = none
# With auth none, radosgw (unlike the ceph CLI) defaults to a secure mon connection it cannot make
# and never starts: crc is what auth none can do.
ms mon client mode = crc
run dir = ${root}/run
admin socket = ${root}/run/$name.asok
log file = ${root}/log/$name.log
pid file = ${root}/run/$name.pid
crash dir = ${root}/crash
keyring = ${root}/keyring
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon data avail warn = 2
mon data avail crit = 1
# Each pool the gateway creates waits for a paxos round: 2 s by default, ~14 s to start.
paxos propose interval = 0.05
paxos min wait = 0.01
[mon]
mon data = ${root}/mon.$id
mon cluster log file = ${root}/log/cluster.log
[osd]
osd data = ${root}/osd.$id
osd objectstore = memstore
memstore device bytes = ${memoryBytes}
osd memory target = 939524096
[client.rgw]
rgw data = ${root}/rgw
rgw frontends = beast endpoint=127.0.0.1:${ports.rgw} tcp_nodelay=1
rgw gc obj min wait = 0
rgw gc processor period = 10
`;
}

const pidIn = (file) => {
  try {
    const pid = Number(readFileSync(file, "utf8").trim());
    return pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
};

async function until(what, ready, timeoutMs, detail = () => "") {
  const deadline = Date.now() + timeoutMs;
  while (!(await ready())) {
    if (Date.now() > deadline)
      throw new RgwSetupError(`timed out after ${timeoutMs} ms waiting for ${what}${detail()}`);
    await sleep(50);
  }
}

async function killAndWait(pids) {
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Gone already.
    }
  }
  for (const pid of pids) while (isRunning(pid)) await sleep(50);
}

/**
 * Installs Ceph's packages if missing and starts a RADOS Gateway in a scratch directory, on
 * loopback ports of its own, with one S3 user. Fails loudly, with the reason, when it cannot.
 */
export async function startRgw(options = {}) {
  const installStarted = Date.now();
  const installed = installDebianPackages(PACKAGES, COMMANDS);
  const installMs = Date.now() - installStarted;
  const started = Date.now();
  const root = mkdtempSync(join(tmpdir(), "canal-rgw-"));
  for (const dir of ["run", "log", "mon.a", "osd.0", "rgw", "crash"])
    mkdirSync(join(root, dir), { recursive: true });
  const ports = await portBlock();
  const conf = join(root, "ceph.conf");
  // The OSD keeps objects in memory, up to this much (a hard cap: beyond it writes fail).
  writeFileSync(conf, config(root, ports, options.memoryBytes ?? 4 * 1024 ** 3));
  const c = ["-c", conf];
  const logs = () => {
    const dir = join(root, "log");
    if (!existsSync(dir)) return "";
    return readdirSync(dir)
      .map((f) => `\n${f}: ${readFileSync(join(dir, f), "utf8").trim().split("\n").slice(-8).join("\n")}`)
      .join("");
  };
  const pids = () =>
    readdirSync(join(root, "run"))
      .filter((f) => f.endsWith(".pid"))
      .map((f) => pidIn(join(root, "run", f)))
      .filter((pid) => pid !== undefined);
  const gatewayPidFile = join(root, "run", "client.rgw.pid");
  const endpoint = `http://127.0.0.1:${ports.rgw}`;
  const credentials = { accessKeyId: `CANALTEST${randomInt(1e9)}`, secretAccessKey: randomUUID() };
  const answers = async () => {
    try {
      return (await fetch(`${endpoint}/`)).status > 0;
    } catch {
      return false;
    }
  };
  const startGateway = async () => {
    run("radosgw", [...c, "-n", "client.rgw"]);
    await until("the gateway to answer HTTP", answers, 60_000, logs);
  };
  try {
    const monmap = join(root, "monmap");
    const fsid = run("ceph-conf", [...c, "--lookup", "fsid"]).trim();
    run("monmaptool", ["--create", "--fsid", fsid, "--addv", "a", `[v2:127.0.0.1:${ports.mon}]`, monmap]);
    run("ceph-mon", [...c, "--mkfs", "-i", "a", "--monmap", monmap]);
    run("ceph-mon", [...c, "-i", "a"]);
    const osdUuid = randomUUID();
    run("ceph", [...c, "--connect-timeout", "30", "osd", "new", osdUuid, "0"]);
    run("ceph-osd", [...c, "-i", "0", "--mkfs", "--osd-uuid", osdUuid]);
    run("ceph-osd", [...c, "-i", "0"]);
    await until(
      "osd.0 to be up",
      () => /^osd\.0 up/m.test(spawnSync("ceph", [...c, "osd", "dump"], { encoding: "utf8" }).stdout ?? ""),
      60_000,
      logs,
    );
    await startGateway();
    run("radosgw-admin", [
      ...c,
      "user",
      "create",
      "--uid=canal-test",
      "--display-name=canal-test",
      `--access-key=${credentials.accessKeyId}`,
      `--secret-key=${credentials.secretAccessKey}`,
    ]);
  } catch (error) {
    await killAndWait(pids());
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
  return {
    root,
    endpoint,
    region: "us-east-1",
    credentials,
    timings: { installed, installMs, startMs: Date.now() - started },
    /** Stops the gateway alone (by its PID): the S3 endpoint goes away, the data stays. */
    async stopGateway() {
      const pid = pidIn(gatewayPidFile);
      if (pid !== undefined) await killAndWait([pid]);
      rmSync(gatewayPidFile, { force: true });
    },
    startGateway,
    /** Stops the gateway's process (SIGSTOP, by its PID): requests wait unanswered until resumeGateway. */
    pauseGateway() {
      const pid = pidIn(gatewayPidFile);
      if (pid === undefined) throw new Error("the gateway is not running: there is nothing to pause");
      process.kill(pid, "SIGSTOP");
    },
    /** Lets a paused gateway go on (SIGCONT): the requests it held are answered. */
    resumeGateway() {
      const pid = pidIn(gatewayPidFile);
      if (pid !== undefined) process.kill(pid, "SIGCONT");
    },
    async stop() {
      await killAndWait(pids());
      rmSync(root, { recursive: true, force: true });
    },
  };
}
