// Slurm jobs with the artifacts in an S3 bucket move their own bytes: the job fetches its step's
// inputs from the bucket and stores its outputs there, and the `canal run` process driving them
// reads none of those bytes (counted by the kernel, in /proc/PID/io). The same run with the bytes
// staged through the driver (`nodesReachStore: false`) is the control: it reads them all. The
// bucket's keys reach neither slurmctld nor anything Canal leaves behind.
import { execFileSync } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countedCanal } from "../counted-canal.js";
import { makeProject } from "../helpers.js";
import { type Rgw, startRgw } from "../services/rgw.mjs";
import { type TestBucket, testBucket } from "../services/s3-bucket.mjs";
import { filesHolding } from "../soundness/env-rule.js";
import { type SlurmCluster, startSlurmCluster } from "./cluster.mjs";
import { slurmLeaks } from "./leaks.js";

const BUCKET = "canal-slurm-bytes";
const KEY_ENV = "CANAL_TEST_SLURM_S3_KEY";
const SECRET_ENV = "CANAL_TEST_SLURM_S3_SECRET";
const MiB = 1024 * 1024;
const SIZE = 48 * MiB;

// A TypeScript step makes SIZE bytes from a seed (the test makes them too, to know their digest);
// a script step reads them all and writes their SHA-256.
const PIPELINE = `import { createHash } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { context, File, pipeline, step } from "@canal/sdk";

export class Bytes {
  @step
  async make(): Promise<{ data: File }> {
    const out = Buffer.alloc(${SIZE});
    let block = createHash("sha256").update("slurm-bytes").digest();
    for (let at = 0; at < out.length; at += block.length) {
      block.copy(out, at);
      block = createHash("sha256").update(block).digest();
    }
    const data = context().outputPath("data");
    await writeFile(data, out);
    return { data: new File(data) };
  }

  @step.script({ source: "./scripts", run: "sha256sum {data} | cut -d' ' -f1 | tr -d '\\\\n' > {sum}" })
  digest(data: File): { sum: File } {
    return step.declared();
  }

  @pipeline({ name: "bytes" })
  async run() {
    const made = await this.make();
    return this.digest(made.data);
  }
}
`;

function expected(): Buffer {
  const out = Buffer.alloc(SIZE);
  let block = createHash("sha256").update("slurm-bytes").digest();
  for (let at = 0; at < out.length; at += block.length) {
    block.copy(out, at);
    block = createHash("sha256").update(block).digest();
  }
  return out;
}
const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");
const keyOf = (prefix: string, digest: string) => `${prefix}/sha256/${digest.slice(0, 2)}/${digest.slice(2)}`;

let cluster: SlurmCluster;
let rgw: Rgw;
let bucket: TestBucket;
const scratch = mkdtempSync(join(tmpdir(), "canal-slurm-bytes-"));
// The driver's reads, as the kernel counted them.
const counted = countedCanal(scratch, () => bucket.env());

beforeAll(async () => {
  [cluster, rgw] = await Promise.all([startSlurmCluster(), startRgw()]);
  bucket = await testBucket(rgw, { bucket: BUCKET, keyEnv: KEY_ENV, secretEnv: SECRET_ENV });
}, 900_000);
afterAll(async () => {
  bucket?.release();
  await Promise.all([cluster?.stop(), rgw?.stop()]);
  rmSync(scratch, { recursive: true, force: true });
});

const canal = (args: string[], cwd: string) => counted.run(args, cwd);

/** A project whose artifacts are in the bucket under `prefix`, run on a slurm target `cluster`. */
function project(prefix: string, target: Record<string, unknown> = {}) {
  const dir = makeProject({ files: { "pipeline.ts": PIPELINE, "scripts/README": "script steps' source\n" } });
  const sharedDir = join(dir, "shared");
  const cluster = { kind: "slurm", sharedDir, slurmConf: slurmConf(), ...target };
  writeFileSync(
    join(dir, "canal.config.json"),
    JSON.stringify({ workspace: "slurm-bytes", artifacts: bucket.config({ prefix }), targets: { cluster } }),
  );
  return { dir, sharedDir };
}
const slurmConf = () => cluster.env.SLURM_CONF as string;

interface ShownStep {
  stepId: string;
  status: string;
  outputs?: Record<string, { digest?: string }>;
}

/** Compiles and runs the pipeline of `dir` on its target; the run's steps as `canal runs show` has them. */
async function compileAndRun(dir: string) {
  const compiled = await canal(["compile", "pipeline.ts", "--out", "artifact"], dir);
  expect(compiled.status, compiled.output).toBe(0);
  const ran = await canal(["run", join(dir, "artifact", "bytes"), "--target", "cluster"], dir);
  expect(ran.status, ran.output).toBe(0);
  const runId = /^run (run-\S+): /m.exec(ran.output)?.[1] ?? "";
  const show = await canal(["runs", "show", runId, "--json"], dir);
  expect(show.status, show.output).toBe(0);
  const steps = JSON.parse(show.output).steps as ShownStep[];
  return { ran, runId, steps: Object.fromEntries(steps.map((s) => [s.stepId, s])) };
}

const slurm = (args: string[]) =>
  execFileSync(args[0] as string, args.slice(1), { env: cluster.env, encoding: "utf8" });

describe("slurm jobs with an S3 blob store", () => {
  it("fetch and store their own bytes: the driver reads none of them, and the keys reach no Slurm state", async () => {
    const data = expected();
    const digest = sha256(data);
    const prefix = `moving/${randomUUID()}`;
    const moving = project(prefix);
    const { ran, runId, steps } = await compileAndRun(moving.dir);
    expect(steps.make?.status).toBe("succeeded");
    expect(steps.digest?.status).toBe("succeeded");
    // The job stored the bytes under their digest; the downstream job fetched and read them all.
    expect(steps.make?.outputs?.data?.digest).toBe(digest);
    const object = await bucket.admin.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: keyOf(prefix, digest) }),
    );
    const stored = Buffer.from((await object.Body?.transformToByteArray()) ?? []);
    expect(stored.length).toBe(SIZE);
    expect(sha256(stored)).toBe(digest);
    const sum = steps.digest?.outputs?.sum?.digest ?? "";
    const summed = await bucket.admin.send(new GetObjectCommand({ Bucket: BUCKET, Key: keyOf(prefix, sum) }));
    expect(await summed.Body?.transformToString()).toBe(digest);

    // Moving their own bytes, the jobs leave the driver what Node's and Canal's code and the small
    // records take: under a quarter of the one output it would otherwise have read twice.
    expect(ran.io.rchar, ran.output).toBeLessThan(SIZE / 4);

    // The control: the same pipeline with the bytes staged through the driver, which reads the
    // output to store it and the input from the bucket to stage it.
    const staged = project(`staged/${randomUUID()}`, { nodesReachStore: false });
    const control = await compileAndRun(staged.dir);
    expect(control.steps.make?.outputs?.data?.digest).toBe(digest);
    expect(control.ran.io.rchar, control.ran.output).toBeGreaterThan(2 * SIZE);

    // slurmctld still knows the jobs (MinJobAge): neither key in what it shows or keeps of them.
    const { accessKeyId, secretAccessKey } = rgw.credentials;
    const jobs = slurm(["squeue", "-h", "-t", "all", "-o", "%i %k"])
      .split("\n")
      .map((line) => line.trim().split(" "))
      // The run's tag: its id and the key its driver made (and removed as it exited).
      .filter(([, comment]) => comment?.startsWith(`canal-run=${runId}+`))
      .map(([id]) => id as string);
    expect(jobs).toHaveLength(2);
    const leaks = slurmLeaks(cluster, jobs, { accessKeyId, secretAccessKey });
    // Nor the run's output, the workspace or (once the jobs' files are gone) the shared directory.
    for (const secret of [accessKeyId, secretAccessKey]) {
      if (ran.output.includes(secret)) leaks.push("canal run's output");
      leaks.push(...filesHolding(join(moving.dir, ".canal"), secret));
    }
    expect(leaks).toEqual([]);
    // `canal run` has exited: the jobs' attempt scripts, which held the keys, went with it.
    for (const secret of [accessKeyId, secretAccessKey])
      leaks.push(...filesHolding(moving.sharedDir, secret));
    expect(leaks).toEqual([]);
    for (const dir of [moving.dir, staged.dir]) rmSync(dir, { recursive: true, force: true });
  }, 600_000);
});
