// The datastore conformance suite on the `s3` kind, against a real S3 server (Ceph's RADOS Gateway,
// started here), then `canal datastores` and `canal datasets` on it: a dataset registered from a
// bucket's prefix and downloaded, the workspace's own datastore in an S3 artifact location, and a
// datastore that cannot be reached or has no credentials, each an error that never shows a key.
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { findWorkspace, openDatastore } from "@canal/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canal } from "../canal.js";
import { type Rgw, startRgw } from "../services/rgw.mjs";
import { type TestBucket, testBucket } from "../services/s3-bucket.mjs";
import { datastoreConformance } from "./datastore.js";

const BUCKET = "canal-datastores";
const KEY_ENV = "CANAL_TEST_DS_S3_KEY";
const SECRET_ENV = "CANAL_TEST_DS_S3_SECRET";

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

const lake = (prefix: string, extra: Record<string, unknown> = {}) => bucket.config({ prefix, ...extra });

async function seed(prefix: string, files: Record<string, string | Buffer>): Promise<void> {
  for (const [path, body] of Object.entries(files))
    await admin.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${prefix}/${path}`, Body: body }));
}

function project(datastores: Record<string, unknown>, artifacts?: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), "canal-ds-s3-"));
  writeFileSync(
    join(dir, "canal.config.json"),
    JSON.stringify({ workspace: "team", datastores, ...(artifacts ? { artifacts } : {}) }),
  );
  return dir;
}

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

datastoreConformance("s3", () => ({
  async make(files) {
    const prefix = `suite/${randomUUID()}`;
    await seed(prefix, files);
    const dir = project({ raw: lake(prefix) });
    dirs.push(dir);
    return openDatastore(findWorkspace(dir), "raw");
  },
  close() {},
}));

describe("datastores and datasets on S3", () => {
  it("lists and checks an S3 datastore, lists its files, registers a dataset from it and downloads it", async () => {
    const prefix = `lake/${randomUUID()}`;
    await seed(prefix, {
      "iris/part-1.csv": "sepal,species\n5.1,setosa\n",
      "iris/part-2.csv": "sepal,species\n7,\n",
      "tables/simple.parquet": readFileSync(
        join(import.meta.dirname, "../../packages/store/src/datasets/fixtures/simple.parquet"),
      ),
    });
    const dir = project({ lake: lake(prefix) });
    dirs.push(dir);
    const listed = await canal(["datastores", "--json"], dir);
    expect(listed.status, listed.stdout + listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout)[1]).toEqual({
      name: "lake",
      kind: "s3",
      location: `s3://${BUCKET}/${prefix}/ at ${rgw.endpoint}`,
      ok: true,
    });
    const files = await canal(["datastores", "ls", "lake:iris"], dir);
    expect(files.stdout).toContain("iris/part-1.csv\n");
    expect(files.stdout).toContain("2 files, 42 B in lake:iris\n");

    const registered = await canal(
      ["datasets", "register", "iris", "--from", "lake:iris/*.csv", "--table", "--json"],
      dir,
    );
    expect(registered.status, registered.stderr).toBe(0);
    expect(JSON.parse(registered.stdout).version).toMatchObject({
      version: 1,
      datastore: "lake",
      fileCount: 2,
      table: {
        format: "csv",
        schema: {
          columns: [
            { name: "sepal", type: "number", nullable: false },
            { name: "species", type: "string", nullable: true },
          ],
        },
      },
    });
    const again = await canal(["datasets", "register", "iris", "--from", "lake:iris", "--table"], dir);
    expect(again.stdout).toContain("iris version 1 already has this content");
    const parquet = await canal(
      ["datasets", "register", "simple", "--from", "lake:tables/*.parquet", "--table", "--json"],
      dir,
    );
    expect(JSON.parse(parquet.stdout).version.table.schema.columns).toEqual([
      { name: "A", type: "integer", nullable: true },
      { name: "B", type: "string", nullable: true },
    ]);

    const downloaded = await canal(["datasets", "download", "iris", "--to", "out"], dir);
    expect(downloaded.stdout).toContain("2 files written (42 B)");
    expect(readFileSync(join(dir, "out/part-2.csv"), "utf8")).toBe("sepal,species\n7,\n");

    await seed(prefix, { "iris/part-2.csv": "sepal,species\n8,x\n" });
    const stale = await canal(["datasets", "download", "iris:1", "--to", "out2"], dir);
    expect(stale.stderr).toContain(
      "CANAL_STORE_DATASET_FILE_CHANGED: lake:iris/part-2.csv changed since iris version 1",
    );
    expect(
      (await canal(["datasets", "register", "iris", "--from", "lake:iris", "--table"], dir)).stdout,
    ).toContain("registered iris version 2");
    for (const output of [listed, files, registered, downloaded, stale].flatMap((r) => [r.stdout, r.stderr]))
      expect(output).not.toContain(rgw.credentials.secretAccessKey);
  });

  it("has the workspace's own datastore under the S3 artifact location's prefix, written through a temporary key", async () => {
    const prefix = `ws/${randomUUID()}`;
    const dir = project({}, lake(prefix));
    dirs.push(dir);
    const own = await openDatastore(findWorkspace(dir), "workspace");
    try {
      await own.write("exports/a.txt", "hello");
      expect(await own.list()).toEqual([{ path: "exports/a.txt", size: 5 }]);
    } finally {
      await own.close();
    }
    const keys = await admin.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${prefix}/` }));
    expect((keys.Contents ?? []).map((o) => o.Key)).toEqual([`${prefix}/datastore/exports/a.txt`]);
    const checked = JSON.parse((await canal(["datastores", "--json"], dir)).stdout);
    expect(checked).toEqual([
      {
        name: "workspace",
        kind: "s3",
        location: `s3://${BUCKET}/${prefix}/datastore/ at ${rgw.endpoint}`,
        ok: true,
      },
    ]);
  });

  it("says a datastore cannot be reached, has no credentials, or refuses them, naming its settings and never a key", async () => {
    const url = new URL(rgw.endpoint);
    const closed = `http://127.0.0.1:${Number(url.port) + 7}`;
    process.env.CANAL_TEST_DS_WRONG = `wrong-${randomUUID()}`;
    try {
      const dir = project({
        down: lake("x", { endpoint: closed }),
        nokeys: lake("x", { accessKeyIdEnv: "CANAL_TEST_DS_UNSET" }),
        denied: lake("x", { secretAccessKeyEnv: "CANAL_TEST_DS_WRONG" }),
        nobucket: lake("x", { bucket: "no-such-bucket" }),
      });
      dirs.push(dir);
      const result = await canal(["datastores", "--json"], dir);
      expect(result.status).toBe(1);
      const byName = Object.fromEntries(
        (JSON.parse(result.stdout) as Array<{ name: string; error?: { code: string; message: string } }>).map(
          (d) => [d.name, d.error],
        ),
      );
      expect(byName.down).toMatchObject({
        code: "CANAL_STORE_UNREACHABLE",
        message: expect.stringContaining(`cannot reach datastore down at ${closed}`),
      });
      expect(byName.down?.message).toContain("`datastores.down.endpoint`");
      expect(byName.nokeys).toMatchObject({
        code: "CANAL_STORE_CREDENTIALS_MISSING",
        message: expect.stringContaining(
          "`datastores.nokeys.accessKeyIdEnv` names the environment variable CANAL_TEST_DS_UNSET, which is not set",
        ),
      });
      expect(byName.denied).toMatchObject({
        code: "CANAL_STORE_ACCESS_DENIED",
        message: expect.stringContaining("`datastores.denied.secretAccessKeyEnv`"),
      });
      expect(byName.nobucket).toMatchObject({ code: "CANAL_STORE_BUCKET_MISSING" });
      const text = await canal(["datastores"], dir);
      const register = await canal(["datasets", "register", "x", "--from", "denied:*"], dir);
      expect(register.stderr).toContain("CANAL_STORE_ACCESS_DENIED");
      for (const output of [result.stdout, text.stdout, text.stderr, register.stderr]) {
        expect(output).not.toContain(rgw.credentials.secretAccessKey);
        expect(output).not.toContain(process.env.CANAL_TEST_DS_WRONG);
      }
    } finally {
      delete process.env.CANAL_TEST_DS_WRONG;
    }
  });
});
