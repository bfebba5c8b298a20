// A dataset read in place (access "mount") from an S3 datastore on a real S3 server (Ceph's RADOS
// Gateway, started here): its files come through the workspace's mount cache, fetched when the
// step starts, verified, hard-linked read-only into the step's folder, served again from the cache
// without the bucket, and bounded by mountCache.maxSize.
import { randomUUID } from "node:crypto";
import { existsSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DeleteObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { openWorkspace } from "@canal/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canal } from "../canal.js";
import { makeProject } from "../helpers.js";
import { type Rgw, startRgw } from "../services/rgw.mjs";
import { type TestBucket, testBucket } from "../services/s3-bucket.mjs";

const BUCKET = "canal-mount";
const KEY_ENV = "CANAL_TEST_MOUNT_S3_KEY";
const SECRET_ENV = "CANAL_TEST_MOUNT_S3_SECRET";
const FILES = { "wine/part-1.csv": "ph,quality\n3.5,6\n3.1,5\n", "wine/part-2.csv": "ph,quality\n3.0,7\n" };

let rgw: Rgw;
let bucket: TestBucket;

beforeAll(async () => {
  rgw = await startRgw();
  bucket = await testBucket(rgw, { bucket: BUCKET, keyEnv: KEY_ENV, secretEnv: SECRET_ENV });
}, 900_000);

afterAll(async () => {
  bucket?.release();
  await rgw?.stop();
});

const runIdOf = (stdout: string) => /^run (run-\S+): /m.exec(stdout)?.[1] ?? "";

interface Seen {
  files: Array<{ name: string; symlink: boolean; links: number; writable: boolean; text: string }>;
}

describe("access mount on an S3 datastore", () => {
  const prefix = `mount/${randomUUID()}`;
  let dir: string;
  const cacheDir = () => join(dir, ".canal/cache/mount");
  /** The bytes the mount cache holds. */
  const cached = () =>
    existsSync(cacheDir())
      ? readdirSync(cacheDir())
          .filter((shard) => !shard.startsWith("."))
          .flatMap((shard) =>
            readdirSync(join(cacheDir(), shard)).map((name) => join(cacheDir(), shard, name)),
          )
          .reduce((sum, path) => sum + statSync(path).size, 0)
      : 0;
  const configure = (maxSize?: number) =>
    writeFileSync(
      join(dir, "canal.config.json"),
      JSON.stringify({
        datastores: { raw: bucket.config({ prefix }) },
        ...(maxSize ? { mountCache: { maxSize } } : {}),
      }),
    );
  const seed = async () => {
    for (const [path, body] of Object.entries(FILES))
      await bucket.admin.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${prefix}/${path}`, Body: body }));
  };
  const seen = async (stdout: string): Promise<Seen> => {
    const shown = JSON.parse((await canal(["runs", "show", runIdOf(stdout), "--json"], dir)).stdout) as {
      steps: Array<{ outputs?: Record<string, { digest?: string }> }>;
    };
    const workspace = await openWorkspace(dir);
    try {
      return JSON.parse(
        (await workspace.blobs.get(shown.steps[0]?.outputs?.seen?.digest as string)).toString(),
      );
    } finally {
      await workspace.close();
    }
  };

  beforeAll(async () => {
    dir = makeProject({ from: join(import.meta.dirname, "fixtures/mount") });
    configure();
    await seed();
    expect((await canal(["compile", "pipeline.ts", "--out", "build"], dir)).stderr).toBe("");
    const registered = await canal(["datasets", "register", "wine", "--from", "raw:wine/*.csv"], dir);
    expect(registered.status, registered.stderr).toBe(0);
  });

  it("fetches the files into the cache when the step starts and links them in, read-only", async () => {
    expect(cached()).toBe(0);
    const run = await canal(["run", "build/mounted"], dir);
    expect(run.status, run.stdout + run.stderr).toBe(0);
    const { files } = await seen(run.stdout);
    expect(files.map((f) => [f.name, f.symlink, f.links >= 2, f.writable, f.text])).toEqual([
      ["part-1.csv", false, true, false, FILES["wine/part-1.csv"]],
      ["part-2.csv", false, true, false, FILES["wine/part-2.csv"]],
    ]);
    expect(cached()).toBe(FILES["wine/part-1.csv"].length + FILES["wine/part-2.csv"].length);
  });

  it("serves the next step from the cache, verified, without reading the bucket", async () => {
    for (const path of Object.keys(FILES))
      await bucket.admin.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: `${prefix}/${path}` }));
    const run = await canal(["run", "build/mounted", "--regenerate"], dir);
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^look: succeeded/m);
    expect((await seen(run.stdout)).files.map((f) => f.text)).toEqual(Object.values(FILES));
    await seed();
  });

  it("stays under mountCache.maxSize, evicting what was used least recently", async () => {
    // Room for one of the two files at a time: the first is evicted for the second, and the step
    // still reads both (its own links keep the bytes).
    configure(30);
    const run = await canal(["run", "build/mounted", "--regenerate"], dir);
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect((await seen(run.stdout)).files.map((f) => f.text)).toEqual(Object.values(FILES));
    expect(cached()).toBeLessThanOrEqual(30);
    expect(cached()).toBeGreaterThan(0);
  });

  it("fails the step, naming the setting, for a file larger than the cache", async () => {
    configure(20);
    const run = await canal(["run", "build/mounted", "--regenerate"], dir);
    expect(run.status).toBe(1);
    expect(run.stdout + run.stderr).toContain(
      "raw:wine/part-1.csv (23 B) is larger than the mount cache (mountCache.maxSize 20 B); raise mountCache.maxSize in canal.config.json",
    );
    configure();
  });
});
