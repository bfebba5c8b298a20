// S3 benchmark: one large file (1 GiB; CANAL_BENCH_S3_MIB) put and got through Canal's S3 blob
// store against bare @aws-sdk/lib-storage `Upload` and a bare `GetObject` streamed to a file, on
// the same RADOS Gateway in this run, with the same part size and parallelism. Canal's side also
// hashes the file before sending it (its key is the digest), hashes what it sends, and hashes what
// it receives before the file takes its name. Bar (issue #11): within 1.2x each way. The sides
// alternate, each on a fresh key; the median counts.
import { randomBytes } from "node:crypto";
import {
  closeSync,
  createReadStream,
  createWriteStream,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { startRgw } from "../services/rgw.mjs";
import { repo } from "./generate.mjs";

const MIB = Number(process.env.CANAL_BENCH_S3_MIB ?? 1024);
const ROUNDS = Number(process.env.CANAL_BENCH_S3_ROUNDS ?? 3);
const BAR = 1.2;
const BUCKET = "canal-bench";
// As the S3 blob store sends large files.
const PART_SIZE = 8 * 1024 * 1024;
const QUEUE = 4;

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

export async function main() {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
  const { S3Client, CreateBucketCommand, DeleteObjectCommand, GetObjectCommand } = await import(
    "@aws-sdk/client-s3"
  );
  const { Upload } = await import("@aws-sdk/lib-storage");
  const { openWorkspace } = await import(join(repo, "packages/store/dist/index.js"));

  // Room for both sides' objects and what the gateway's collector has not freed yet.
  const rgw = await startRgw({ memoryBytes: Math.max(4, (MIB * 6) / 1024) * 1024 ** 3 });
  const root = mkdtempSync(join(tmpdir(), "canal-s3-bench-"));
  const client = new S3Client({
    endpoint: rgw.endpoint,
    region: rgw.region,
    forcePathStyle: true,
    credentials: rgw.credentials,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
  try {
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const source = join(root, "big.bin");
    const fd = openSync(source, "w");
    const chunk = randomBytes(1 << 20);
    for (let i = 0; i < MIB; i++) {
      chunk.writeUInt32LE(i, 0);
      writeSync(fd, chunk);
    }
    closeSync(fd);
    process.env.CANAL_BENCH_S3_KEY = rgw.credentials.accessKeyId;
    process.env.CANAL_BENCH_S3_SECRET = rgw.credentials.secretAccessKey;

    const bare = { put: [], get: [] };
    const canal = { put: [], get: [] };
    const bareRound = async (round) => {
      const Key = `bare/${round}`;
      let t0 = performance.now();
      await new Upload({
        client,
        params: { Bucket: BUCKET, Key, Body: createReadStream(source, { highWaterMark: 1 << 20 }) },
        partSize: PART_SIZE,
        queueSize: QUEUE,
      }).done();
      bare.put.push(performance.now() - t0);
      const out = join(root, `bare-${round}.bin`);
      t0 = performance.now();
      const object = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key }));
      await pipeline(object.Body, createWriteStream(out));
      bare.get.push(performance.now() - t0);
      rmSync(out);
      await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key }));
    };
    const canalRound = async (round) => {
      const dir = join(root, `ws-${round}`);
      mkdirSync(dir);
      writeFileSync(
        join(dir, "canal.config.json"),
        JSON.stringify({
          workspace: "bench",
          artifacts: {
            kind: "s3",
            bucket: BUCKET,
            prefix: `canal/${round}`,
            endpoint: rgw.endpoint,
            accessKeyIdEnv: "CANAL_BENCH_S3_KEY",
            secretAccessKeyEnv: "CANAL_BENCH_S3_SECRET",
          },
        }),
      );
      const workspace = await openWorkspace(dir);
      try {
        let t0 = performance.now();
        const digest = await workspace.blobs.putFile(source);
        canal.put.push(performance.now() - t0);
        const out = join(root, `canal-${round}.bin`);
        t0 = performance.now();
        await workspace.blobs.materialize(digest, out);
        canal.get.push(performance.now() - t0);
        rmSync(out);
        const Key = `canal/${round}/sha256/${digest.slice(0, 2)}/${digest.slice(2)}`;
        await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key }));
      } finally {
        await workspace.close();
      }
    };
    for (let round = 0; round < ROUNDS; round++) {
      if (round % 2 === 0) {
        await bareRound(round);
        await canalRound(round);
      } else {
        await canalRound(round);
        await bareRound(round);
      }
    }
    const result = {
      bench: "s3-large-file",
      mib: MIB,
      rounds: ROUNDS,
      barePutMs: Math.round(median(bare.put)),
      canalPutMs: Math.round(median(canal.put)),
      bareGetMs: Math.round(median(bare.get)),
      canalGetMs: Math.round(median(canal.get)),
    };
    const putRatio = result.canalPutMs / result.barePutMs;
    const getRatio = result.canalGetMs / result.bareGetMs;
    const rate = (ms) => `${(MIB / (ms / 1000)).toFixed(0)} MiB/s`.padStart(11);
    const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`.padStart(8);
    console.log(`\nS3: one ${MIB} MiB file on Ceph RGW (loopback, in-memory OSD), median of ${ROUNDS}`);
    console.log(`  put  bare lib-storage Upload  ${seconds(result.barePutMs)} ${rate(result.barePutMs)}`);
    console.log(`       Canal blobs.putFile      ${seconds(result.canalPutMs)} ${rate(result.canalPutMs)}`);
    console.log(`  get  bare GetObject to a file ${seconds(result.bareGetMs)} ${rate(result.bareGetMs)}`);
    console.log(`       Canal blobs.materialize  ${seconds(result.canalGetMs)} ${rate(result.canalGetMs)}`);
    for (const [what, ratio] of [
      ["put", putRatio],
      ["get", getRatio],
    ])
      console.log(`  ${what} ratio ${ratio.toFixed(2)}x (bar ${BAR}x): ${ratio <= BAR ? "within" : "OVER"}`);
    console.log(
      `BENCH ${JSON.stringify({ ...result, putRatio: Number(putRatio.toFixed(3)), getRatio: Number(getRatio.toFixed(3)), bar: BAR })}`,
    );
  } finally {
    client.destroy();
    delete process.env.CANAL_BENCH_S3_KEY;
    delete process.env.CANAL_BENCH_S3_SECRET;
    rmSync(root, { recursive: true, force: true });
    await rgw.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
