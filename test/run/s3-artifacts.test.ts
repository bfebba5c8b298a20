// `canal run` with the artifacts in an S3 bucket (a real server: Ceph's RADOS Gateway, started
// here): outputs land in the bucket, a re-run reuses them, an output deleted from the bucket is a
// cache miss that the re-run repairs, and the keys show nowhere in what canal prints.
import { randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canal } from "../canal.js";
import { makeProject } from "../helpers.js";
import { type Rgw, startRgw } from "../services/rgw.mjs";
import { type TestBucket, testBucket } from "../services/s3-bucket.mjs";

const BUCKET = "canal-runs";
const KEY_ENV = "CANAL_TEST_RUN_S3_KEY";
const SECRET_ENV = "CANAL_TEST_RUN_S3_SECRET";
const fixture = join(import.meta.dirname, "fixtures/slow");

let rgw: Rgw;
let bucket: TestBucket;
let admin: TestBucket["admin"];

beforeAll(async () => {
  rgw = await startRgw();
  bucket = await testBucket(rgw, { bucket: BUCKET, keyEnv: KEY_ENV, secretEnv: SECRET_ENV });
  admin = bucket.admin;
}, 900_000);

afterAll(async () => {
  bucket?.release();
  await rgw?.stop();
});

const runIdOf = (output: string) => /^run (run-\S+): /m.exec(output)?.[1] ?? "";

async function states(dir: string, runId: string): Promise<Record<string, string>> {
  const shown = await canal(["runs", "show", runId, "--json"], dir);
  const steps = JSON.parse(shown.stdout).steps as Array<{ stepId: string; status: string }>;
  return Object.fromEntries(steps.map((s) => [s.stepId, s.status]));
}

/** The workspace config of `dir`: its artifacts in the test bucket, keys from the test's variables. */
function writeS3Config(dir: string, artifacts: Record<string, string>): void {
  writeFileSync(
    join(dir, "canal.config.json"),
    JSON.stringify({
      workspace: "team",
      artifacts: bucket.config(artifacts),
    }),
  );
}

describe("canal run with an s3 blob store", () => {
  it("keeps the outputs in the bucket, reuses them, and re-runs a step whose output was deleted or changed there", async () => {
    const dir = makeProject({ from: fixture });
    const prefix = `team/${randomUUID()}`;
    writeS3Config(dir, { prefix });
    const first = await canal(["run", "pipeline.ts"], dir);
    expect(first.status, first.stdout + first.stderr).toBe(0);
    const firstId = runIdOf(first.stdout);
    const listed = await admin.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${prefix}/sha256/` }),
    );
    expect((listed.Contents ?? []).length).toBeGreaterThan(3);

    const again = await canal(["run", "pipeline.ts"], dir);
    expect(again.status, again.stdout + again.stderr).toBe(0);
    expect(await states(dir, runIdOf(again.stdout))).toEqual({
      first: "cached",
      quick: "cached",
      slow: "cached",
      last: "cached",
    });

    // The output of `first` deleted from the bucket: `first` runs again and stores it again; the
    // steps after it get the same bytes, so they stay cached.
    const shown = JSON.parse((await canal(["runs", "show", firstId, "--json"], dir)).stdout);
    const firstStep = (
      shown.steps as Array<{ stepId: string; outputs?: Record<string, { digest: string }> }>
    ).find((s) => s.stepId === "first");
    const digest = Object.values(firstStep?.outputs ?? {})[0]?.digest ?? "";
    expect(digest).toMatch(/^[0-9a-f]{64}$/);
    const Key = `${prefix}/sha256/${digest.slice(0, 2)}/${digest.slice(2)}`;
    await admin.send(new DeleteObjectCommand({ Bucket: BUCKET, Key }));

    const repaired = await canal(["run", "pipeline.ts"], dir);
    expect(repaired.status, repaired.stdout + repaired.stderr).toBe(0);
    expect(await states(dir, runIdOf(repaired.stdout))).toEqual({
      first: "succeeded",
      quick: "cached",
      slow: "cached",
      last: "cached",
    });
    expect((await admin.send(new HeadObjectCommand({ Bucket: BUCKET, Key }))).ContentLength).toBeGreaterThan(
      0,
    );

    // The output of `quick` changed in the bucket (other bytes): never a cache hit.
    const quickStep = (
      shown.steps as Array<{ stepId: string; outputs?: Record<string, { digest: string }> }>
    ).find((s) => s.stepId === "quick");
    const quickDigest = Object.values(quickStep?.outputs ?? {})[0]?.digest ?? "";
    const quickKey = `${prefix}/sha256/${quickDigest.slice(0, 2)}/${quickDigest.slice(2)}`;
    await admin.send(new PutObjectCommand({ Bucket: BUCKET, Key: quickKey, Body: "QUICK\n" }));
    const rerun = await canal(["run", "pipeline.ts"], dir);
    expect(rerun.status, rerun.stdout + rerun.stderr).toBe(0);
    expect(await states(dir, runIdOf(rerun.stdout))).toEqual({
      first: "cached",
      quick: "succeeded",
      slow: "cached",
      last: "cached",
    });
    const restored = await admin.send(new GetObjectCommand({ Bucket: BUCKET, Key: quickKey }));
    expect(await restored.Body?.transformToString()).toBe("quick\n");

    for (const output of [
      first,
      again,
      repaired,
      rerun,
      await canal(["runs", "show", firstId, "--json"], dir),
    ]) {
      expect(output.stdout + output.stderr).not.toContain(rgw.credentials.secretAccessKey);
      expect(output.stdout + output.stderr).not.toContain(rgw.credentials.accessKeyId);
    }
  }, 180_000);

  it("fails the step clearly when the server stops while its output uploads, and runs it once the server is back", async () => {
    const prefix = `fault/${randomUUID()}`;
    const dir = makeProject({
      files: {
        "pipeline.ts": `import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { context, File, pipeline, step } from "@canal/sdk";

export class Big {
  @step
  async big(): Promise<{ out: File }> {
    const out = context().outputPath("out");
    await writeFile(out, randomBytes(64 * 1024 * 1024));
    return { out: new File(out) };
  }

  @pipeline({ name: "big" })
  async run() {
    const big = await this.big();
    return { out: big.out };
  }
}
`,
      },
    });
    writeS3Config(dir, { prefix });
    const running = canal(["run", "pipeline.ts"], dir);
    let settled = false;
    void running.finally(() => {
      settled = true;
    });
    // Stopped once the step's output is being uploaded (the server lists the upload).
    for (;;) {
      const uploads = await admin.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: prefix }));
      if ((uploads.Uploads ?? []).length > 0 || settled) break;
    }
    expect(settled).toBe(false);
    await rgw.stopGateway();
    let failed: Awaited<typeof running>;
    try {
      failed = await running;
    } finally {
      await rgw.startGateway();
    }
    expect(failed.status).not.toBe(0);
    expect(failed.stdout + failed.stderr).toContain(`cannot reach the artifact store at ${rgw.endpoint}`);
    expect(await states(dir, runIdOf(failed.stdout))).toEqual({ big: "failed" });

    const again = await canal(["run", "pipeline.ts"], dir);
    expect(again.status, again.stdout + again.stderr).toBe(0);
    expect(await states(dir, runIdOf(again.stdout))).toEqual({ big: "succeeded" });
  }, 180_000);

  it("says once, naming the setting and without the secret, that the bucket refused the keys", async () => {
    const dir = makeProject({ from: fixture });
    const wrong = `wrong-${randomUUID()}`;
    process.env.CANAL_TEST_RUN_S3_WRONG = wrong;
    try {
      writeS3Config(dir, { secretAccessKeyEnv: "CANAL_TEST_RUN_S3_WRONG" });
      for (const args of [
        ["run", "pipeline.ts"],
        ["runs", "--json"],
      ]) {
        const result = await canal(args, dir);
        expect(result.status).not.toBe(0);
        const printed = result.stdout + result.stderr;
        expect(printed).toContain("CANAL_TEST_RUN_S3_WRONG");
        expect(printed).toContain("artifacts.secretAccessKeyEnv");
        expect(printed).not.toContain(wrong);
        // Said once on stderr; with --json, once more in the JSON error object on stdout.
        expect(result.stderr.match(/was denied/g)).toHaveLength(1);
        expect(result.stdout.match(/was denied/g)?.length ?? 0).toBe(args.includes("--json") ? 1 : 0);
      }
    } finally {
      delete process.env.CANAL_TEST_RUN_S3_WRONG;
    }
  });
});
