// The blob store conformance suite on S3 with a PostgreSQL metadata store, as a team workspace
// opens it: small file blobs are rows of the metadata store's table (`artifacts.inlineBytes`),
// everything else objects of a real S3 server (Ceph's RADOS Gateway), both started here on
// loopback. Then what the table changes: a deferred put is a row of one statement per flush and no
// PutObject, a damaged row is refused and a put repairs it, and a step that fetches its inputs
// from the bucket itself finds a row's blob there.
import { createHash, randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HeadObjectCommand } from "@aws-sdk/client-s3";
import type { BlobStore } from "@canal/store";
import { openWorkspace, type Workspace } from "@canal/store";
import { openStepBlobStore } from "@canal/store/step-blobs";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../helpers.js";
import { type PostgresServer, startPostgres } from "../postgres/server.js";
import { type Rgw, startRgw } from "../services/rgw.mjs";
import { type TestBucket, testBucket } from "../services/s3-bucket.mjs";
import { blobStoreConformance } from "./blob-store.js";

const BUCKET = "canal-conformance-table";
const KEY_ENV = "CANAL_TEST_S3_TABLE_KEY";
const SECRET_ENV = "CANAL_TEST_S3_TABLE_SECRET";

let pgServer: PostgresServer;
let db: pg.Client;
let rgw: Rgw;
let bucket: TestBucket;
let admin: TestBucket["admin"];

beforeAll(async () => {
  [pgServer, rgw] = await Promise.all([startPostgres(), startRgw()]);
  pgServer.psql("CREATE DATABASE canal");
  db = new pg.Client({ connectionString: pgServer.url("canal") });
  await db.connect();
  bucket = await testBucket(rgw, { bucket: BUCKET, keyEnv: KEY_ENV, secretEnv: SECRET_ENV });
  admin = bucket.admin;
}, 900_000);

afterAll(async () => {
  await db?.end();
  bucket?.release();
  await Promise.all([rgw?.stop(), pgServer?.stop()]);
});

const sha = (bytes: Uint8Array | string) => createHash("sha256").update(bytes).digest("hex");

/** A team workspace folder: PostgreSQL for the metadata, the bucket under `prefix` for the artifacts. */
function workspaceDir(prefix: string, artifacts: Record<string, unknown> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "canal-s3-table-"));
  writeFileSync(
    join(dir, "canal.config.json"),
    JSON.stringify({
      workspace: "w",
      store: { kind: "postgres", url: pgServer.url("canal") },
      artifacts: bucket.config({ prefix, ...artifacts }),
    }),
  );
  return dir;
}

const objectKey = (prefix: string, digest: string) =>
  `${prefix}/sha256/${digest.slice(0, 2)}/${digest.slice(2)}`;

/** Whether the bucket holds `digest` as an object of its own. */
async function inBucket(prefix: string, digest: string): Promise<boolean> {
  try {
    await admin.send(new HeadObjectCommand({ Bucket: BUCKET, Key: objectKey(prefix, digest) }));
    return true;
  } catch {
    return false;
  }
}

/** The rows the table holds for `digest` (one per bucket and prefix that stored it). */
async function rows(digest: string): Promise<number> {
  const { rows } = await db.query("SELECT 1 FROM small_blobs WHERE digest = $1", [digest]);
  return rows.length;
}

blobStoreConformance("s3 with a PostgreSQL table of small blobs", () => {
  const prefix = `runs/${randomUUID()}`;
  const dir = workspaceDir(prefix);
  const opened: Workspace[] = [];
  return {
    async open() {
      const workspace = await openWorkspace(dir);
      opened.push(workspace);
      return workspace.blobs;
    },
    // What the store keeps for the blob: its row when it has one, else its object.
    async damage(digest, how) {
      const change = {
        flip: "UPDATE small_blobs SET bytes = set_byte(bytes, 0, get_byte(bytes, 0) # 255) WHERE digest = $1",
        truncate: "UPDATE small_blobs SET bytes = substring(bytes FROM 1 FOR 2) WHERE digest = $1",
        delete: "DELETE FROM small_blobs WHERE digest = $1",
      }[how];
      const { rowCount } = await db.query(change, [digest]);
      if (rowCount && how !== "delete") return;
      await bucket.damage(objectKey(prefix, digest), how);
    },
    async close() {
      for (const workspace of opened) await workspace.close();
      rmSync(dir, { recursive: true, force: true });
    },
    async hold() {
      rgw.pauseGateway();
      return async () => rgw.resumeGateway();
    },
  };
});

/** Counts the requests `blobs` (an S3 blob store) sends, by HTTP method, at its client's HTTP handler. */
function countRequests(blobs: BlobStore): Record<string, number> {
  const counts: Record<string, number> = {};
  const { client } = blobs as unknown as {
    client: { config: { requestHandler: { handle(request: { method: string }): Promise<unknown> } } };
  };
  const handler = client.config.requestHandler;
  const handle = handler.handle.bind(handler);
  handler.handle = (request) => {
    counts[request.method] = (counts[request.method] ?? 0) + 1;
    return handle(request);
  };
  return counts;
}

/** Counts the statements on the table of small blobs that `workspace`'s metadata store sends, by verb. */
function countTableStatements(workspace: Workspace): Record<string, number> {
  const counts: Record<string, number> = {};
  const { pool } = (workspace.metadata as unknown as { parts: { pool: pg.Pool } }).parts;
  const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  (pool as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    const text = typeof args[0] === "string" ? args[0] : "";
    if (text.includes("small_blobs")) {
      const verb = text.trimStart().split(/\s/)[0] ?? "";
      counts[verb] = (counts[verb] ?? 0) + 1;
    }
    return query(...args);
  };
  return counts;
}

/** Holds the answers to `workspace`'s lookups in the table of small blobs until `release()`. */
function holdTableLookups(workspace: Workspace): { release(): void } {
  let release = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  const { pool } = (workspace.metadata as unknown as { parts: { pool: pg.Pool } }).parts;
  const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  (pool as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    const text = typeof args[0] === "string" ? args[0] : "";
    if (!text.includes("small_blobs") || !text.trimStart().startsWith("SELECT")) return query(...args);
    return held.then(() => query(...args));
  };
  return { release };
}

describe("s3 blob store with a table of small blobs: beyond the suite", () => {
  const dirs: string[] = [];
  const workspaces: Workspace[] = [];
  const open = async (prefix: string, artifacts: Record<string, unknown> = {}) => {
    const dir = workspaceDir(prefix, artifacts);
    dirs.push(dir);
    const workspace = await openWorkspace(dir);
    workspaces.push(workspace);
    return workspace;
  };
  afterAll(async () => {
    for (const workspace of workspaces) await workspace.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it("keeps small files put with deferSync as rows of one statement per flush, sending no PutObject", async () => {
    const prefix = `deferred/${randomUUID()}`;
    const workspace = await open(prefix);
    const requests = countRequests(workspace.blobs);
    const statements = countTableStatements(workspace);
    const source = mkdtempSync(join(tmpdir(), "canal-s3-table-src-"));
    dirs.push(source);
    const digests: string[] = [];
    for (let i = 0; i < 20; i++) {
      const path = join(source, `out-${i}.txt`);
      writeFileSync(path, `output ${i}\n`);
      digests.push(await workspace.blobs.putFile(path, { move: true, deferSync: true }));
    }
    // A file over the threshold is an object, as before.
    const large = join(source, "large.bin");
    writeFileSync(large, Buffer.alloc(20 * 1024, 7));
    const largeDigest = await workspace.blobs.putFile(large, { deferSync: true });
    expect(statements.INSERT ?? 0).toBe(0);
    await workspace.blobs.flush();
    expect(statements.INSERT).toBe(1);
    expect(requests.PUT).toBe(1);
    for (const digest of digests) {
      expect(await rows(digest)).toBe(1);
      expect(await inBucket(prefix, digest)).toBe(false);
    }
    expect(await inBucket(prefix, largeDigest)).toBe(true);
    expect(await rows(largeDigest)).toBe(0);

    // Another machine's handle checks them all in one lookup, and reads them.
    const other = await open(prefix);
    const otherStatements = countTableStatements(other);
    const otherRequests = countRequests(other.blobs);
    expect(await Promise.all(digests.map((digest) => other.blobs.verify(digest, "file")))).toEqual(
      digests.map(() => "ok"),
    );
    expect(otherStatements.SELECT).toBe(1);
    expect(otherRequests).toEqual({});
    expect((await other.blobs.get(digests[3] ?? "")).toString()).toBe("output 3\n");
    const target = join(source, "read", "out-5.txt");
    await other.blobs.materialize(digests[5] ?? "", target);
    expect(readFileSync(target, "utf8")).toBe("output 5\n");
    expect(await other.blobs.stat(digests[7] ?? "")).toEqual({ digest: digests[7], kind: "file", size: 9 });
  });

  it("commits the flushes of two machines putting the same rows at once, in any order", async () => {
    const prefix = `together/${randomUUID()}`;
    const [one, two] = [await open(prefix), await open(prefix)];
    const source = mkdtempSync(join(tmpdir(), "canal-s3-table-together-"));
    dirs.push(source);
    const paths = Array.from({ length: 400 }, (_, i) => {
      const path = join(source, `${i}.txt`);
      writeFileSync(path, `shared output ${i}\n`);
      return path;
    });
    for (let round = 0; round < 5; round++) {
      // Put again, each round: a put of a row that is there updates it, as a repair does.
      for (const path of paths) await one?.blobs.putFile(path, { deferSync: true });
      for (const path of [...paths].reverse()) await two?.blobs.putFile(path, { deferSync: true });
      await Promise.all([one?.blobs.flush(), two?.blobs.flush()]);
    }
    expect(await rows(sha("shared output 7\n"))).toBe(1);
  });

  it("refuses a damaged row and repairs it with the next put of its content", async () => {
    const prefix = `damaged/${randomUUID()}`;
    const workspace = await open(prefix);
    const digest = await workspace.blobs.put("model weights");
    expect(await rows(digest)).toBe(1);
    await db.query("UPDATE small_blobs SET bytes = 'other weights' WHERE digest = $1", [digest]);
    const later = await open(prefix);
    expect(await later.blobs.verify(digest, "file")).toBe("corrupt");
    expect(await later.blobs.has(digest)).toBe(false);
    await expect(later.blobs.get(digest)).rejects.toMatchObject({ code: "CANAL_STORE_BLOB_CORRUPT" });
    expect(await later.blobs.put("model weights")).toBe(digest);
    const { rows: stored } = await db.query("SELECT bytes FROM small_blobs WHERE digest = $1", [digest]);
    expect((stored[0] as { bytes: Buffer }).bytes.toString()).toBe("model weights");
    expect(await (await open(prefix)).blobs.verify(digest, "file")).toBe("ok");
  });

  it("puts a row's blob into the bucket before a step that fetches it itself starts, and keeps directories there", async () => {
    const prefix = `steps/${randomUUID()}`;
    const workspace = await open(prefix);
    const source = mkdtempSync(join(tmpdir(), "canal-s3-table-step-"));
    dirs.push(source);
    writeFileSync(join(source, "input.txt"), "an upstream output\n");
    const digest = await workspace.blobs.putFile(join(source, "input.txt"), { deferSync: true });
    const folder = join(source, "folder");
    mkdirSync(folder);
    writeFileSync(join(folder, "part.txt"), "a part\n");
    const directory = await workspace.blobs.putDirectory(folder);
    await workspace.blobs.flush();
    expect(await inBucket(prefix, digest)).toBe(false);
    // A directory's manifest and its files are objects: the step reads them from the bucket.
    expect(await inBucket(prefix, directory)).toBe(true);
    expect(await inBucket(prefix, sha("a part\n"))).toBe(true);

    const shared = workspace.blobs.shared;
    expect(shared).toBeDefined();
    const variables = await shared?.credentials([digest, directory]);
    expect(variables?.AWS_ACCESS_KEY_ID).toBe(process.env[KEY_ENV]);
    expect(await inBucket(prefix, digest)).toBe(true);
    // What the step opens where it runs: the bucket alone, with the credentials it was given.
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = variables?.AWS_ACCESS_KEY_ID;
    process.env.AWS_SECRET_ACCESS_KEY = variables?.AWS_SECRET_ACCESS_KEY;
    try {
      const step = openStepBlobStore({ ...(shared?.place ?? { kind: "s3", bucket: BUCKET, prefix: "" }) });
      const target = join(source, "fetched", "input.txt");
      await step.materialize(digest, target);
      expect(readFileSync(target, "utf8")).toBe("an upstream output\n");
      await step.materialize(directory, join(source, "fetched", "folder"));
      expect(readFileSync(join(source, "fetched", "folder", "part.txt"), "utf8")).toBe("a part\n");
      await step.close();
    } finally {
      for (const [name, value] of [
        ["AWS_ACCESS_KEY_ID", saved.id],
        ["AWS_SECRET_ACCESS_KEY", saved.secret],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  it("looks up a blob kept only in the bucket in one round trip, and a directory's manifest without the table", async () => {
    const prefix = `stat/${randomUUID()}`;
    const workspace = await open(prefix);
    const source = mkdtempSync(join(tmpdir(), "canal-s3-table-stat-"));
    dirs.push(source);
    // Over the threshold (16 KiB): an object of its own.
    const large = await workspace.blobs.put(Buffer.alloc(20 * 1024, 5));
    const folder = join(source, "folder");
    mkdirSync(folder);
    writeFileSync(join(folder, "part.txt"), "a part\n");
    const directory = await workspace.blobs.putDirectory(folder);

    // Another machine's handle, which has found nothing yet.
    const other = await open(prefix);
    const requests = countRequests(other.blobs);
    const statements = countTableStatements(other);
    const lookups = holdTableLookups(other);
    const looked = other.blobs.stat(large);
    try {
      // The object's HEAD and its marker's are sent while the row lookup is still unanswered.
      await waitFor("the HEADs of the object and of its marker", () => (requests.HEAD ?? 0) >= 2, 5_000);
    } finally {
      lookups.release();
    }
    expect(await looked).toEqual({ digest: large, kind: "file", size: 20 * 1024 });
    expect(statements.SELECT).toBe(1);

    // A directory's manifest is an object: the table is asked once, for the directory itself.
    expect(await other.blobs.stat(directory)).toEqual({ digest: directory, kind: "directory", size: 7 });
    expect(statements.SELECT).toBe(2);
    expect(await other.blobs.readManifest(directory)).toEqual([
      expect.objectContaining({ path: "part.txt", size: 7 }),
    ]);
    expect(statements.SELECT).toBe(2);
    // Checked: the table is asked of its file only.
    expect(await other.blobs.verify(directory, "directory")).toBe("ok");
    expect(statements.SELECT).toBe(3);
  });

  it("sends every blob to the bucket with inlineBytes 0, and refuses a threshold it cannot take", async () => {
    const prefix = `off/${randomUUID()}`;
    const workspace = await open(prefix, { inlineBytes: 0 });
    const digest = await workspace.blobs.put("kept as an object");
    expect(await inBucket(prefix, digest)).toBe(true);
    expect(await rows(digest)).toBe(0);
    for (const inlineBytes of [-1, 1.5, 2 * 1024 * 1024, "16k"]) {
      await expect(open(`bad/${randomUUID()}`, { inlineBytes })).rejects.toMatchObject({
        code: "CANAL_STORE_CONFIG_INVALID",
        message: expect.stringContaining("artifacts.inlineBytes"),
      });
    }
  });
});
