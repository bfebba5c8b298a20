// Mount against download on an S3 datastore: one file (1 GiB; CANAL_BENCH_MOUNT_MIB) in a bucket of
// the RADOS Gateway started here, registered as a dataset, read once by one step through
// `canal run` (a fresh process, as a user runs it) with access `download` (copied into the
// workspace's blob store when the run is submitted, then the step's own copy) and with access
// `mount` (fetched into the mount cache when the step starts, hashed as it streams in, hard-linked
// into the step's folder). Each round is a new workspace with the dataset registered in it, so
// neither side finds the bytes in a cache; the sides alternate and the median counts
// (CANAL_BENCH_MOUNT_ROUNDS, 3). Beside them, a bare GetObject streamed to a file: what one read of
// the object costs. Bar: mount within 1.5x of download. Prints a table for people and one
// `BENCH {json}` line for scripts, with the load average the numbers were taken under.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  closeSync,
  createReadStream,
  createWriteStream,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline as streamPipeline } from "node:stream/promises";
import { startRgw } from "../services/rgw.mjs";
import { testBucket } from "../services/s3-bucket.mjs";
import { benchProject, repo } from "./generate.mjs";

const MIB = Number(process.env.CANAL_BENCH_MOUNT_MIB ?? 1024);
const ROUNDS = Number(process.env.CANAL_BENCH_MOUNT_ROUNDS ?? 3);
const BAR = 1.5;
const BUCKET = "canal-mount-bench";
const KEY_ENV = "CANAL_BENCH_MOUNT_KEY";
const SECRET_ENV = "CANAL_BENCH_MOUNT_SECRET";
const canal = join(repo, "packages/cli/dist/main.js");
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

// One step that reads its input once, 1 MiB at a time, and says how many bytes it read.
const PIPELINE = `import { open } from "node:fs/promises";
import { context, File, Metrics, pipeline, step } from "@canal/sdk";

export class Read {
  @step
  async read(data: File): Promise<{ read: Metrics }> {
    const handle = await open(data.path);
    const buffer = Buffer.allocUnsafe(1 << 20);
    let bytes = 0;
    try {
      for (;;) {
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
        if (bytesRead === 0) break;
        bytes += bytesRead;
      }
    } finally {
      await handle.close();
    }
    const out = context().outputPath("read");
    const { writeFile } = await import("node:fs/promises");
    await writeFile(out, JSON.stringify({ bytes }));
    return { read: new Metrics(out) };
  }

  @pipeline({ name: "downloaded" })
  run(data: File = File.get("big")) {
    return this.read(data);
  }
}

export class Mounted extends Read {
  @pipeline({ name: "mounted" })
  mounted(data: File = File.get("big", { access: "mount" })) {
    return this.read(data);
  }
}
`;

function cli(args, cwd, env) {
  const t0 = performance.now();
  const result = spawnSync(process.execPath, [canal, ...args], {
    cwd,
    env: { ...process.env, ...env },
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  const ms = performance.now() - t0;
  if (result.status !== 0)
    throw new Error(`canal ${args.join(" ")} failed (${result.status}): ${result.stdout}${result.stderr}`);
  return { ms, stdout: result.stdout };
}

/** The project the pipeline is compiled in, as the other benches make theirs. */
function project(root) {
  const dir = join(root, "project");
  mkdirSync(dir);
  benchProject(dir);
  writeFileSync(join(dir, "pipeline.ts"), PIPELINE);
  return dir;
}

export async function main() {
  const rgw = await startRgw({ memoryBytes: Math.max(4, (MIB * 3) / 1024) * 1024 ** 3 });
  const bucket = await testBucket(rgw, { bucket: BUCKET, keyEnv: KEY_ENV, secretEnv: SECRET_ENV });
  const root = mkdtempSync(join(tmpdir(), "canal-mount-bench-"));
  try {
    const { Upload } = await import("@aws-sdk/lib-storage");
    const { GetObjectCommand } = await import("@aws-sdk/client-s3");
    const source = join(root, "big.bin");
    const fd = openSync(source, "w");
    const chunk = randomBytes(1 << 20);
    for (let i = 0; i < MIB; i++) {
      chunk.writeUInt32LE(i, 0);
      writeSync(fd, chunk);
    }
    closeSync(fd);
    await new Upload({
      client: bucket.admin,
      params: {
        Bucket: BUCKET,
        Key: "lake/big.bin",
        Body: createReadStream(source, { highWaterMark: 1 << 20 }),
      },
      partSize: 8 * 1024 * 1024,
      queueSize: 4,
    }).done();
    rmSync(source);

    const dir = project(root);
    const compiled = cli(["compile", "pipeline.ts", "--out", "build"], dir);
    if (!/compiled/.test(compiled.stdout)) throw new Error(`compile printed ${compiled.stdout}`);
    const env = bucket.env();
    const config = JSON.stringify({
      workspace: "bench",
      datastores: { lake: bucket.config({ prefix: "lake" }) },
    });

    /** canal run of `name` in a new workspace where `big` is registered; its wall time and the step's. */
    const canalRound = (name, round) => {
      const ws = join(root, `${name}-${round}`);
      mkdirSync(ws);
      writeFileSync(join(ws, "canal.config.json"), config);
      cli(["datasets", "register", "big", "--from", "lake:big.bin"], ws, env);
      const run = cli(["run", join(dir, "build", name)], ws, env);
      const step = /^read: succeeded in ([\d.]+)s/m.exec(run.stdout);
      if (!step) throw new Error(`canal run ${name} printed ${run.stdout}`);
      rmSync(ws, { recursive: true, force: true });
      return { ms: run.ms, stepMs: Number(step[1]) * 1000 };
    };
    const bareRound = async () => {
      const out = join(root, "bare.bin");
      const t0 = performance.now();
      const object = await bucket.admin.send(new GetObjectCommand({ Bucket: BUCKET, Key: "lake/big.bin" }));
      await streamPipeline(object.Body, createWriteStream(out));
      const ms = performance.now() - t0;
      rmSync(out);
      return ms;
    };

    const sides = { download: [], mount: [], downloadStep: [], mountStep: [], bare: [] };
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? ["downloaded", "mounted"] : ["mounted", "downloaded"];
      for (const name of order) {
        const { ms, stepMs } = canalRound(name, round);
        const side = name === "mounted" ? "mount" : "download";
        sides[side].push(ms);
        sides[`${side}Step`].push(stepMs);
      }
      sides.bare.push(await bareRound());
    }
    const result = {
      bench: "s3-mount-vs-download",
      mib: MIB,
      rounds: ROUNDS,
      downloadMs: Math.round(median(sides.download)),
      mountMs: Math.round(median(sides.mount)),
      downloadStepMs: Math.round(median(sides.downloadStep)),
      mountStepMs: Math.round(median(sides.mountStep)),
      bareGetMs: Math.round(median(sides.bare)),
    };
    const ratio = result.mountMs / result.downloadMs;
    const loadavg = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).map(Number);
    const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`.padStart(8);
    const rate = (ms) => `${(MIB / (ms / 1000)).toFixed(0)} MiB/s`.padStart(11);
    console.log(
      `\nS3 datastore: one ${MIB} MiB file read once by a step, canal run in a new workspace each round, median of ${ROUNDS}`,
    );
    console.log(
      `  access download  ${seconds(result.downloadMs)} ${rate(result.downloadMs)}  (step ${seconds(result.downloadStepMs)})`,
    );
    console.log(
      `  access mount     ${seconds(result.mountMs)} ${rate(result.mountMs)}  (step ${seconds(result.mountStepMs)})`,
    );
    console.log(`  bare GetObject   ${seconds(result.bareGetMs)} ${rate(result.bareGetMs)}  (to a file)`);
    console.log(
      `  mount/download ${ratio.toFixed(2)}x (bar ${BAR}x): ${ratio <= BAR ? "within" : "OVER"}; load average ${loadavg.join(" ")}`,
    );
    console.log(`BENCH ${JSON.stringify({ ...result, ratio: Number(ratio.toFixed(3)), bar: BAR, loadavg })}`);
  } finally {
    bucket.release();
    rmSync(root, { recursive: true, force: true });
    await rgw.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
