// The blob store conformance suite on S3: a bucket of a real S3 server (Ceph's RADOS Gateway,
// installed and started here on loopback), opened as a workspace opens it: by the config's
// `artifacts.kind`, with the keys in environment variables the config names. Each test gets a
// prefix of its own in one bucket: a fresh, empty store.
import { createHash, randomBytes, randomUUID } from "node:crypto";
import {
  appendFileSync,
  closeSync,
  createReadStream,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import type { BlobStore } from "@canal/store";
import { openWorkspace, type Workspace } from "@canal/store";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type Rgw, startRgw } from "../services/rgw.mjs";
import { type TestBucket, testBucket } from "../services/s3-bucket.mjs";
import { blobStoreConformance } from "./blob-store.js";

const BUCKET = "canal-conformance";
const KEY_ENV = "CANAL_TEST_S3_ACCESS_KEY";
const SECRET_ENV = "CANAL_TEST_S3_SECRET_KEY";

let rgw: Rgw;
let bucket: TestBucket;
let admin: TestBucket["admin"];

beforeAll(async () => {
  // The SDK's notice that its later releases need Node 22 (Canal pins one that runs on 20).
  rgw = await startRgw();
  console.info(
    `RGW: ${rgw.timings.installed ? `installed in ${rgw.timings.installMs} ms, ` : ""}started in ${rgw.timings.startMs} ms`,
  );
  bucket = await testBucket(rgw, { bucket: BUCKET, keyEnv: KEY_ENV, secretEnv: SECRET_ENV });
  admin = bucket.admin;
}, 900_000);

afterAll(async () => {
  bucket?.release();
  await rgw?.stop();
});

/** A workspace folder whose canal.config.json puts the artifacts in the bucket, under `prefix`. */
function workspaceDir(artifacts: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), "canal-s3-"));
  writeFileSync(
    join(dir, "canal.config.json"),
    JSON.stringify({
      workspace: "w",
      artifacts: bucket.config(artifacts),
    }),
  );
  return dir;
}

blobStoreConformance("s3", () => {
  const prefix = `runs/${randomUUID()}`;
  const dir = workspaceDir({ prefix });
  const key = (digest: string) => `${prefix}/sha256/${digest.slice(0, 2)}/${digest.slice(2)}`;
  const opened: Workspace[] = [];
  return {
    async open() {
      const workspace = await openWorkspace(dir);
      opened.push(workspace);
      return workspace.blobs;
    },
    damage: (digest, how) => bucket.damage(key(digest), how),
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

/**
 * Counts the requests `blobs` (an S3 blob store) sends, by command, through its client's middleware;
 * a HEAD as `HeadObjectCommand` and an object's GET as `GetObjectCommand` at the client's HTTP
 * handler, whether the command sent it or it was signed alone.
 */
function countRequests(blobs: BlobStore): Record<string, number> {
  const counts: Record<string, number> = {};
  const { client } = blobs as unknown as { client: S3Client };
  client.middlewareStack.add(
    (next, context) => (args) => {
      const name = context.commandName ?? "unknown";
      if (name !== "HeadObjectCommand" && name !== "GetObjectCommand") counts[name] = (counts[name] ?? 0) + 1;
      return next(args);
    },
    { step: "initialize", name: "canalTestCountRequests" },
  );
  const handler = client.config.requestHandler as {
    handle(request: { method: string; query?: Record<string, unknown> }): Promise<unknown>;
  };
  const handle = handler.handle.bind(handler);
  handler.handle = (request) => {
    const name =
      request.method === "HEAD"
        ? "HeadObjectCommand"
        : request.method === "GET" && request.query?.["list-type"] === undefined
          ? "GetObjectCommand"
          : undefined;
    if (name) counts[name] = (counts[name] ?? 0) + 1;
    return handle(request);
  };
  return counts;
}

/** Counts the GetObject commands `blobs` sends through its client's middleware. */
function countGetCommands(blobs: BlobStore): { commands: number } {
  const counted = { commands: 0 };
  const { client } = blobs as unknown as { client: S3Client };
  client.middlewareStack.add(
    (next, context) => (args) => {
      if (context.commandName === "GetObjectCommand") counted.commands++;
      return next(args);
    },
    { step: "initialize", name: "canalTestCountGetCommands" },
  );
  return counted;
}

/** Counts the HeadObject commands `blobs` sends through its client's middleware. */
function countHeadCommands(blobs: BlobStore): { commands: number } {
  const counted = { commands: 0 };
  const { client } = blobs as unknown as { client: S3Client };
  client.middlewareStack.add(
    (next, context) => (args) => {
      if (context.commandName === "HeadObjectCommand") counted.commands++;
      return next(args);
    },
    { step: "initialize", name: "canalTestCountHeadCommands" },
  );
  return counted;
}

describe("s3 blob store: beyond the suite", () => {
  const opened: string[] = [];
  const open = async (artifacts: Record<string, unknown>) => {
    const dir = workspaceDir(artifacts);
    opened.push(dir);
    return openWorkspace(dir);
  };
  afterAll(() => {
    for (const dir of opened) rmSync(dir, { recursive: true, force: true });
  });

  it("keeps the keys out of the config it resolved", async () => {
    const workspace = await open({ prefix: "team/canal" });
    const digest = await workspace.blobs.put("shared bytes");
    const object = await admin.send(
      new GetObjectCommand({
        Bucket: BUCKET,
        Key: `team/canal/sha256/${digest.slice(0, 2)}/${digest.slice(2)}`,
      }),
    );
    expect(await object.Body?.transformToString()).toBe("shared bytes");
    const settings = JSON.stringify(workspace.config.artifacts);
    expect(settings).not.toContain(rgw.credentials.secretAccessKey);
    expect(settings).not.toContain(rgw.credentials.accessKeyId);
    expect(workspace.config.artifacts).toMatchObject({ kind: "s3", prefix: "team/canal/" });
    await workspace.close();
  });

  it("creates a blob only if it is absent: an intact object is never rewritten", async () => {
    const prefix = `once/${randomUUID()}`;
    const workspace = await open({ prefix });
    const digest = await workspace.blobs.put("written once");
    const Key = `${prefix}/sha256/${digest.slice(0, 2)}/${digest.slice(2)}`;
    // The same bytes with a mark of their own: a second put that wrote the object would drop it.
    await admin.send(
      new PutObjectCommand({ Bucket: BUCKET, Key, Body: "written once", Metadata: { mark: "1" } }),
    );
    const other = await open({ prefix });
    expect(await other.blobs.put("written once")).toBe(digest);
    expect(await workspace.blobs.put("written once")).toBe(digest);
    const head = await admin.send(new HeadObjectCommand({ Bucket: BUCKET, Key }));
    expect(head.Metadata).toEqual({ mark: "1" });
    await workspace.close();
    await other.close();
  });

  it("signs a put with the blob's digest, which the server checks the body against; no second checksum", async () => {
    const workspace = await open({ prefix: `signed/${randomUUID()}` });
    const { client } = workspace.blobs as unknown as { client: S3Client };
    // What each put's request carried once signed, as the client's HTTP handler sends it, and a
    // switch that changes its body after the store declared its digest and signed it (as a body
    // damaged on its way would be).
    const sent: Record<string, string>[] = [];
    let damage = false;
    const handler = client.config.requestHandler as {
      handle(request: { method: string; headers: Record<string, string>; body?: unknown }): Promise<unknown>;
    };
    const handle = handler.handle.bind(handler);
    handler.handle = (request) => {
      if (request.method === "PUT") sent.push({ ...request.headers });
      if (damage && request.body instanceof Uint8Array) {
        const body = Buffer.from(request.body);
        body[0] = (body[0] ?? 0) ^ 0xff;
        request.body = body;
      }
      return handle(request);
    };
    // A small blob's put is one signed request, not a command through the SDK's stack.
    let commands = 0;
    client.middlewareStack.add(
      (next, context) => (args) => {
        if (context.commandName === "PutObjectCommand") commands++;
        return next(args);
      },
      { step: "initialize", name: "canalTestPutCommands" },
    );
    const digest = await workspace.blobs.put("signed by its digest");
    expect(sent[0]?.["x-amz-content-sha256"]).toBe(digest);
    expect(Object.keys(sent[0] ?? {}).filter((name) => /checksum/i.test(name))).toEqual([]);
    expect(commands).toBe(0);
    damage = true;
    const other = "bytes that change on the way";
    await expect(workspace.blobs.put(other)).rejects.toMatchObject({
      code: "CANAL_STORE_REMOTE_FAILED",
      message: expect.stringContaining("XAmzContentSHA256Mismatch"),
    });
    damage = false;
    const otherDigest = createHash("sha256").update(other).digest("hex");
    expect(await workspace.blobs.has(otherDigest)).toBe(false);
    await workspace.close();
  });

  it("looks a blob up with one signed HEAD, not a command, finding what the SDK's HEAD finds", async () => {
    const workspace = await open({ prefix: `head/${randomUUID()}` });
    const digest = await workspace.blobs.put("looked up");
    const absent = createHash("sha256").update("never put").digest("hex");
    const heads = countHeadCommands(workspace.blobs);
    expect(await workspace.blobs.has(digest)).toBe(true);
    expect(await workspace.blobs.has(absent)).toBe(false);
    expect(await workspace.blobs.stat(digest)).toEqual({ digest, kind: "file", size: 9 });
    expect(await workspace.blobs.stat(absent)).toBeUndefined();
    expect(heads.commands).toBe(0);
    await workspace.close();
    // A wrong secret (given once the bucket was opened, before any other request): refused, in the
    // same words as the SDK's HEAD, without the secret.
    const refusing = await open({ prefix: `head/${randomUUID()}` });
    const wrong = `wrong-${randomUUID()}`;
    const store = refusing.blobs as unknown as { client: S3Client; objects: { lean?: unknown } };
    store.client.config.credentials = async () => ({
      accessKeyId: rgw.credentials.accessKeyId,
      secretAccessKey: wrong,
    });
    const refusedHeads = countHeadCommands(refusing.blobs);
    const refused = await refusing.blobs.has(digest).catch((e: Error) => e);
    expect(refused).toMatchObject({ code: "CANAL_STORE_ACCESS_DENIED" });
    expect((refused as Error).message).not.toContain(wrong);
    const lean = store.objects.lean;
    store.objects.lean = undefined;
    try {
      const bySdk = await refusing.blobs.has(digest).catch((e: Error) => e);
      expect(refusedHeads.commands).toBe(1);
      expect(bySdk).toMatchObject({ code: "CANAL_STORE_ACCESS_DENIED" });
      expect((refused as Error).message).toBe((bySdk as Error).message);
    } finally {
      store.objects.lean = lean;
    }
    await refusing.close();
  });

  it("reads a blob with one signed GET, not a command, verified: a damaged object is reported, never served", async () => {
    const prefix = `get/${randomUUID()}`;
    const writer = await open({ prefix });
    const digest = await writer.blobs.put("fetched by one signed GET");
    const damaged = await writer.blobs.put("damaged once it was put");
    const absent = createHash("sha256").update("never put").digest("hex");
    await writer.close();
    // A fresh handle of another machine: nothing held, nothing known.
    const workspace = await open({ prefix });
    const dir = mkdtempSync(join(tmpdir(), "canal-s3-get-"));
    opened.push(dir);
    const commands = countGetCommands(workspace.blobs);
    const requests = countRequests(workspace.blobs);
    expect((await workspace.blobs.get(digest)).toString("utf8")).toBe("fetched by one signed GET");
    await workspace.blobs.materialize(digest, join(dir, "fetched.txt"));
    expect(readFileSync(join(dir, "fetched.txt"), "utf8")).toBe("fetched by one signed GET");
    await expect(workspace.blobs.get(absent)).rejects.toMatchObject({ code: "CANAL_STORE_BLOB_MISSING" });
    // Other bytes under the blob's name: refused by its digest, and nothing left where a step reads.
    await admin.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: `${prefix}/sha256/${damaged.slice(0, 2)}/${damaged.slice(2)}`,
        Body: "damaged once it was pux",
      }),
    );
    await expect(workspace.blobs.get(damaged)).rejects.toMatchObject({ code: "CANAL_STORE_BLOB_CORRUPT" });
    await expect(workspace.blobs.materialize(damaged, join(dir, "damaged.txt"))).rejects.toMatchObject({
      code: "CANAL_STORE_BLOB_CORRUPT",
    });
    expect(readdirSync(dir)).toEqual(["fetched.txt"]);
    expect(await workspace.blobs.verify(damaged)).toBe("corrupt");
    // Every GET signed alone and accepted by the gateway, which checks signatures; none a command.
    expect(commands.commands).toBe(0);
    expect(requests.GetObjectCommand).toBe(6);
    await workspace.close();

    // A wrong secret: refused in the same words as the SDK's GET, without the secret.
    const refusing = await open({ prefix });
    const wrong = `wrong-${randomUUID()}`;
    const store = refusing.blobs as unknown as { client: S3Client; objects: { lean?: unknown } };
    store.client.config.credentials = async () => ({
      accessKeyId: rgw.credentials.accessKeyId,
      secretAccessKey: wrong,
    });
    const refused = await refusing.blobs.get(digest).catch((e: Error) => e);
    expect(refused).toMatchObject({ code: "CANAL_STORE_ACCESS_DENIED" });
    expect((refused as Error).message).not.toContain(wrong);
    const lean = store.objects.lean;
    store.objects.lean = undefined;
    const refusedCommands = countGetCommands(refusing.blobs);
    try {
      const bySdk = await refusing.blobs.get(digest).catch((e: Error) => e);
      expect(refusedCommands.commands).toBe(1);
      expect((refused as Error).message).toBe((bySdk as Error).message);
    } finally {
      store.objects.lean = lean;
    }
    await refusing.close();
  });

  it("asks for a directory's marker once per look at it, and checks a large blob already stored with one HEAD", async () => {
    const prefix = `once-asked/${randomUUID()}`;
    const dir = workspaceDir({ prefix });
    opened.push(dir);
    const tree = mkdtempSync(join(tmpdir(), "canal-s3-tree-"));
    opened.push(tree);
    writeFileSync(join(tree, "a.txt"), "member a");
    writeFileSync(join(tree, "b.txt"), "member b");
    const large = join(tree, "large.bin");
    writeFileSync(large, randomBytes(9 * 1024 * 1024));
    const writer = await openWorkspace(dir);
    const directory = await writer.blobs.putDirectory(tree);
    const largeDigest = await writer.blobs.putFile(large);
    await writer.close();

    // A later process of the same workspace: the journal vouches for what the writer stored.
    const workspace = await openWorkspace(dir);
    const requests = countRequests(workspace.blobs);
    const stated = await workspace.blobs.stat(directory);
    expect(stated).toMatchObject({ digest: directory, kind: "directory" });
    // The blob's HEAD and the marker's, then the manifest: the marker is not asked again for it.
    expect(requests).toEqual({ HeadObjectCommand: 2, GetObjectCommand: 1 });
    const out = mkdtempSync(join(tmpdir(), "canal-s3-tree-out-"));
    opened.push(out);
    await workspace.blobs.materialize(directory, join(out, "tree"));
    expect(readFileSync(join(out, "tree", "b.txt"), "utf8")).toBe("member b");
    // The marker, the manifest and the three members.
    expect(requests).toEqual({ HeadObjectCommand: 3, GetObjectCommand: 5 });
    expect(await workspace.blobs.verify(directory)).toBe("ok");
    // The directory's own HEAD and its marker's, the manifest, and a HEAD per member (known to the journal).
    expect(requests).toEqual({ HeadObjectCommand: 8, GetObjectCommand: 6 });

    // Stored again: one HEAD finds the object with the ETag the journal has, and nothing is sent.
    const before = { ...requests };
    expect(await workspace.blobs.putFile(large)).toBe(largeDigest);
    expect(requests).toEqual({ ...before, HeadObjectCommand: (before.HeadObjectCommand ?? 0) + 1 });
    await workspace.close();
  });

  it("puts a small blob from a machine whose clock is an hour off, correcting by the server's time as the SDK does", async () => {
    const workspace = await open({ prefix: `skewed/${randomUUID()}` });
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date(Date.now() + 3_600_000));
    try {
      const digest = await workspace.blobs.put("signed an hour ahead");
      expect(await workspace.blobs.stat(digest)).toEqual({ digest, kind: "file", size: 20 });
      // A second put is signed with the corrected clock at once.
      expect(await workspace.blobs.put("signed an hour ahead, again")).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      vi.useRealTimers();
    }
    await workspace.close();
  });

  it("puts a small blob under a prefix with characters a key escapes, where the SDK finds it", async () => {
    const workspace = await open({ prefix: `odd keys/${randomUUID()}/a+b!(c)*'~é=&` });
    const digest = await workspace.blobs.put("under an odd prefix");
    expect(await workspace.blobs.stat(digest)).toEqual({ digest, kind: "file", size: 19 });
    expect(await workspace.blobs.put("under an odd prefix")).toBe(digest);
    await workspace.close();
  });

  it("sends a large file in parts and streams it back verified", async () => {
    const workspace = await open({ prefix: `large/${randomUUID()}` });
    const dir = mkdtempSync(join(tmpdir(), "canal-s3-large-"));
    opened.push(dir);
    const content = randomBytes(20 * 1024 * 1024 + 123);
    writeFileSync(join(dir, "weights.bin"), content);
    const digest = await workspace.blobs.putFile(join(dir, "weights.bin"));
    expect(digest).toBe(createHash("sha256").update(content).digest("hex"));
    expect(await workspace.blobs.stat(digest)).toEqual({ digest, kind: "file", size: content.length });
    await workspace.blobs.materialize(digest, join(dir, "out", "weights.bin"));
    expect(readFileSync(join(dir, "out", "weights.bin")).equals(content)).toBe(true);
    expect(await workspace.blobs.putFile(join(dir, "weights.bin"))).toBe(digest);
    await workspace.close();
  });

  it("streams a 256 MiB file both ways holding under 128 MiB", async () => {
    const workspace = await open({ prefix: `memory/${randomUUID()}` });
    const dir = mkdtempSync(join(tmpdir(), "canal-s3-memory-"));
    opened.push(dir);
    const source = join(dir, "big.bin");
    const hash = createHash("sha256");
    const fd = openSync(source, "w");
    const chunk = randomBytes(1 << 20);
    for (let i = 0; i < 256; i++) {
      chunk[0] = i;
      hash.update(chunk);
      writeSync(fd, chunk);
    }
    closeSync(fd);
    const digest = hash.digest("hex");
    // What the process holds in JavaScript and buffers, sampled while the bytes move.
    const held = () => process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
    const peakWhile = async <T>(work: Promise<T>) => {
      const base = held();
      let peak = base;
      const timer = setInterval(() => {
        peak = Math.max(peak, held());
      }, 10);
      try {
        await work;
      } finally {
        clearInterval(timer);
      }
      return (peak - base) / 2 ** 20;
    };
    expect(await peakWhile(workspace.blobs.putFile(source))).toBeLessThan(128);
    expect(await peakWhile(workspace.blobs.materialize(digest, join(dir, "out.bin")))).toBeLessThan(128);
    const back = createHash("sha256");
    for await (const part of createReadStream(join(dir, "out.bin"))) back.update(part as Buffer);
    expect(back.digest("hex")).toBe(digest);
    await workspace.close();
  }, 120_000);

  it("refuses a large file that changes while it is sent, and leaves no object under its old digest", async () => {
    const prefix = `changing/${randomUUID()}`;
    const workspace = await open({ prefix });
    const dir = mkdtempSync(join(tmpdir(), "canal-s3-changing-"));
    opened.push(dir);
    const source = join(dir, "growing.bin");
    const content = randomBytes(48 * 1024 * 1024);
    writeFileSync(source, content);
    const digest = createHash("sha256").update(content).digest("hex");
    const put = workspace.blobs.putFile(source).then(
      () => "stored",
      (error: unknown) => error,
    );
    for (;;) {
      const uploads = await admin.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: prefix }));
      if ((uploads.Uploads ?? []).length > 0) break;
    }
    appendFileSync(source, "more");
    expect(await put).toMatchObject({
      code: "CANAL_STORE_UNSUPPORTED_FILE",
      message: expect.stringContaining(`cannot store ${source}: it changed while it was being stored`),
    });
    expect(await workspace.blobs.has(digest)).toBe(false);
    await workspace.close();
  });

  it("says the bucket is missing and names the setting", async () => {
    await expect(open({ bucket: "no-such-bucket" })).rejects.toMatchObject({
      code: "CANAL_STORE_BUCKET_MISSING",
      message: expect.stringMatching(
        /bucket no-such-bucket does not exist at .*set `artifacts.bucket` in .*canal.config.json/,
      ),
    });
  });

  it("says access is denied for a wrong secret, naming the variables, without the secret", async () => {
    const wrong = `wrong-${randomUUID()}`;
    process.env.CANAL_TEST_S3_WRONG_SECRET = wrong;
    try {
      const error = await open({ secretAccessKeyEnv: "CANAL_TEST_S3_WRONG_SECRET" }).catch((e: Error) => e);
      expect(error).toMatchObject({
        code: "CANAL_STORE_ACCESS_DENIED",
        message: expect.stringContaining("CANAL_TEST_S3_WRONG_SECRET"),
      });
      expect((error as Error).message).toContain("artifacts.secretAccessKeyEnv");
      expect((error as Error).message).not.toContain(wrong);
      expect((error as Error).stack ?? "").not.toContain(wrong);
    } finally {
      delete process.env.CANAL_TEST_S3_WRONG_SECRET;
    }
  });

  it("says a variable the config names is not set", async () => {
    await expect(open({ accessKeyIdEnv: "CANAL_TEST_S3_UNSET" })).rejects.toMatchObject({
      code: "CANAL_STORE_CREDENTIALS_MISSING",
      message: expect.stringContaining(
        "`artifacts.accessKeyIdEnv` names the environment variable CANAL_TEST_S3_UNSET, which is not set",
      ),
    });
  });

  it("says an endpoint cannot be reached and names the setting", async () => {
    // A port nothing listens on: the gateway's own, plus one below the monitor's block.
    const url = new URL(rgw.endpoint);
    const closed = `http://127.0.0.1:${Number(url.port) + 7}`;
    await expect(open({ endpoint: closed })).rejects.toMatchObject({
      code: "CANAL_STORE_UNREACHABLE",
      message: expect.stringContaining(`cannot reach the artifact store at ${closed}`),
    });
  });

  it("takes the keys from the standard AWS variables when the config names none", async () => {
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = rgw.credentials.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = rgw.credentials.secretAccessKey;
    try {
      const workspace = await open({
        accessKeyIdEnv: undefined,
        secretAccessKeyEnv: undefined,
        prefix: "std",
      });
      const digest = await workspace.blobs.put("from the standard chain");
      expect((await workspace.blobs.get(digest)).toString()).toBe("from the standard chain");
      await workspace.close();
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

  it("fails a put clearly when the server stops during the upload; the same handle stores it once the server is back", async () => {
    const prefix = `fault/${randomUUID()}`;
    const workspace = await open({ prefix });
    const dir = mkdtempSync(join(tmpdir(), "canal-s3-fault-"));
    opened.push(dir);
    const content = randomBytes(64 * 1024 * 1024);
    writeFileSync(join(dir, "big.bin"), content);
    const digest = createHash("sha256").update(content).digest("hex");
    const put = workspace.blobs.putFile(join(dir, "big.bin"));
    const outcome = put.then(
      () => "stored",
      (error: unknown) => error,
    );
    // Stopped once the multipart upload is under way (the server lists it), not after a guess.
    for (;;) {
      const uploads = await admin.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: prefix }));
      if ((uploads.Uploads ?? []).length > 0) break;
      if ((await Promise.race([outcome, Promise.resolve("pending")])) !== "pending") break;
    }
    await rgw.stopGateway();
    try {
      expect(await outcome).toMatchObject({
        code: "CANAL_STORE_UNREACHABLE",
        message: expect.stringContaining(`cannot reach the artifact store at ${rgw.endpoint}`),
      });
    } finally {
      await rgw.startGateway();
    }
    expect(await workspace.blobs.putFile(join(dir, "big.bin"))).toBe(digest);
    expect(await workspace.blobs.verify(digest)).toBe("ok");
    const later = await open({ prefix });
    expect(await later.blobs.verify(digest)).toBe("ok");
    await later.close();
    await workspace.close();
  });

  it("sends a small put with deferSync in the background: flush waits for it, and one that failed fails every later flush", async () => {
    const prefix = `deferred/${randomUUID()}`;
    const workspace = await open({ prefix });
    const dir = mkdtempSync(join(tmpdir(), "canal-s3-deferred-"));
    opened.push(dir);
    writeFileSync(join(dir, "a.txt"), "sent later");
    const digest = await workspace.blobs.putFile(join(dir, "a.txt"), { deferSync: true });
    await workspace.blobs.flush();
    const object = await admin.send(
      new HeadObjectCommand({
        Bucket: BUCKET,
        Key: `${prefix}/sha256/${digest.slice(0, 2)}/${digest.slice(2)}`,
      }),
    );
    expect(object.ContentLength).toBe("sent later".length);

    // With the gateway gone the put still returns (its bytes are hashed and held), and the flush
    // that a run's records wait for fails: no record names a blob that is not in the bucket.
    await rgw.stopGateway();
    try {
      writeFileSync(join(dir, "b.txt"), "never sent");
      const lost = await workspace.blobs.putFile(join(dir, "b.txt"), { deferSync: true });
      expect(lost).toBe(createHash("sha256").update("never sent").digest("hex"));
      await expect(workspace.blobs.flush()).rejects.toMatchObject({ code: "CANAL_STORE_UNREACHABLE" });
    } finally {
      await rgw.startGateway();
    }
    await expect(workspace.blobs.flush()).rejects.toMatchObject({ code: "CANAL_STORE_UNREACHABLE" });
    await workspace.close();
  });

  it("hands a step the bucket's credentials only once the deferred puts are in: never while one failed", async () => {
    const prefix = `handed/${randomUUID()}`;
    const workspace = await open({ prefix });
    const shared = workspace.blobs.shared;
    if (!shared) throw new Error("an S3 store is shared with the steps that reach it");
    const dir = mkdtempSync(join(tmpdir(), "canal-s3-handed-"));
    opened.push(dir);
    writeFileSync(join(dir, "a.txt"), "fetched by the next step");
    const digest = await workspace.blobs.putFile(join(dir, "a.txt"), { deferSync: true });
    const credentials = await shared.credentials();
    expect(credentials.AWS_ACCESS_KEY_ID).toBe(rgw.credentials.accessKeyId);
    // A step handed them now fetches the output at once: it is in the bucket.
    const object = await admin.send(
      new HeadObjectCommand({
        Bucket: BUCKET,
        Key: `${prefix}/sha256/${digest.slice(0, 2)}/${digest.slice(2)}`,
      }),
    );
    expect(object.ContentLength).toBe("fetched by the next step".length);

    // A deferred put that failed: the step would fetch a blob that is not there, so none is handed them.
    await rgw.stopGateway();
    try {
      writeFileSync(join(dir, "b.txt"), "never sent");
      await workspace.blobs.putFile(join(dir, "b.txt"), { deferSync: true });
      await expect(shared.credentials()).rejects.toMatchObject({ code: "CANAL_STORE_UNREACHABLE" });
    } finally {
      await rgw.startGateway();
    }
    await workspace.close().catch(() => {});
  });

  it("leaves no connection held by a GET when the blob's destination folder cannot be made", async () => {
    const prefix = `nofolder/${randomUUID()}`;
    const writer = await open({ prefix });
    const digest = await writer.blobs.put("its destination's folder is a file");
    await writer.close();
    const workspace = await open({ prefix });
    const dir = mkdtempSync(join(tmpdir(), "canal-s3-nofolder-"));
    opened.push(dir);
    writeFileSync(join(dir, "file"), "in the way");
    await expect(workspace.blobs.materialize(digest, join(dir, "file", "blob.txt"))).rejects.toMatchObject({
      code: expect.stringMatching(/^(ENOTDIR|EEXIST)$/),
    });
    // A response whose body nobody reads keeps its keep-alive socket busy for good: the handler
    // runs out of sockets after as many such failures as it has.
    const { client } = workspace.blobs as unknown as { client: S3Client };
    const agent = (
      client.config.requestHandler as unknown as { config?: { httpAgent?: { sockets: object } } }
    ).config?.httpAgent;
    const busy = () =>
      Object.values((agent?.sockets ?? {}) as Record<string, unknown[]>).reduce(
        (n, list) => n + list.length,
        0,
      );
    await vi.waitFor(() => expect(busy()).toBe(0), { timeout: 5000 });
    await workspace.blobs.materialize(digest, join(dir, "blob.txt"));
    expect(readFileSync(join(dir, "blob.txt"), "utf8")).toBe("its destination's folder is a file");
    await workspace.close();
  });

  it("materializes a small blob it fetched and verified again from the bytes it holds", async () => {
    const prefix = `held/${randomUUID()}`;
    const writer = await open({ prefix });
    const digest = await writer.blobs.put("read by every step of a fan-out");
    await writer.close();
    const workspace = await open({ prefix });
    const dir = mkdtempSync(join(tmpdir(), "canal-s3-held-"));
    opened.push(dir);
    await workspace.blobs.materialize(digest, join(dir, "first.txt"));
    await admin.send(
      new DeleteObjectCommand({
        Bucket: BUCKET,
        Key: `${prefix}/sha256/${digest.slice(0, 2)}/${digest.slice(2)}`,
      }),
    );
    // No request: the bytes hashed to the digest on the way in, and are those bytes still.
    await workspace.blobs.materialize(digest, join(dir, "second.txt"));
    expect(readFileSync(join(dir, "second.txt"), "utf8")).toBe("read by every step of a fan-out");
    // Whether the bucket still holds it is always asked of the bucket.
    expect(await workspace.blobs.verify(digest)).toBe("missing");
    await workspace.close();
  });

  it("checks many known blobs with a listing or two, not a HEAD each, each as a HEAD would find it", async () => {
    const prefix = `listed/${randomUUID()}`;
    // One workspace folder: the later process reads the ETags the writer's journal vouches for.
    const dir = workspaceDir({ prefix });
    opened.push(dir);
    const writer = await openWorkspace(dir);
    const contents = Array.from({ length: 300 }, (_, i) => `cached output ${i}`);
    const digests = await Promise.all(contents.map((content) => writer.blobs.put(content)));
    await writer.close();
    const keyOf = (digest: string) => `${prefix}/sha256/${digest.slice(0, 2)}/${digest.slice(2)}`;
    // Before the listing: one removed, one replaced by other bytes (another ETag) under its name.
    const [gone, replaced] = digests as [string, string];
    await admin.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: keyOf(gone) }));
    await admin.send(new PutObjectCommand({ Bucket: BUCKET, Key: keyOf(replaced), Body: "other bytes" }));

    // A later process (the journal vouches for every ETag the writer got), checking all at once
    // as a cached run's probes do.
    const workspace = await openWorkspace(dir);
    const requests = countRequests(workspace.blobs);
    const found = await Promise.all(digests.map((digest) => workspace.blobs.verify(digest, "file")));
    expect(found[0]).toBe("missing");
    expect(found[1]).toBe("corrupt");
    expect(found.slice(2).every((status) => status === "ok")).toBe(true);
    // One page lists the 300 objects; the missing one is confirmed by a HEAD, the replaced one read.
    expect(requests).toEqual({ ListObjectsV2Command: 1, HeadObjectCommand: 1, GetObjectCommand: 1 });

    // Checked again at once: answered by the same page (the replaced object's new ETag is known now).
    const again = await Promise.all(digests.slice(2).map((digest) => workspace.blobs.verify(digest, "file")));
    expect(again.every((status) => status === "ok")).toBe(true);
    expect(requests).toEqual({ ListObjectsV2Command: 1, HeadObjectCommand: 1, GetObjectCommand: 1 });
    await workspace.close();
  });

  it("checks a few blobs in a prefix of many objects with HEADs once a page has not paid for itself", async () => {
    const prefix = `crowded/${randomUUID()}`;
    // A full page of other objects before every blob's key: the first page answers none of the checks.
    await mapInTurns(1000, 32, (i) =>
      admin.send(
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: `${prefix}/sha256/00/000000${String(i).padStart(6, "0")}`,
          Body: new Uint8Array(0),
        }),
      ),
    );
    const dir = workspaceDir({ prefix });
    opened.push(dir);
    const writer = await openWorkspace(dir);
    const digests = await Promise.all(
      Array.from({ length: 30 }, (_, i) => writer.blobs.put(`among many ${i}`)),
    );
    await writer.close();
    const workspace = await openWorkspace(dir);
    const requests = countRequests(workspace.blobs);
    const found = await Promise.all(digests.map((digest) => workspace.blobs.verify(digest, "file")));
    expect(found.every((status) => status === "ok")).toBe(true);
    // Thirty checks pay for one page (about 25 HEADs' worth); the rest is one HEAD each.
    expect(requests).toEqual({ ListObjectsV2Command: 1, HeadObjectCommand: 30 });
    await workspace.close();
  });

  it("takes the keys from the profile the config names", async () => {
    const dir = mkdtempSync(join(tmpdir(), "canal-s3-profile-"));
    opened.push(dir);
    writeFileSync(
      join(dir, "credentials"),
      `[team]\naws_access_key_id = ${rgw.credentials.accessKeyId}\naws_secret_access_key = ${rgw.credentials.secretAccessKey}\n`,
    );
    writeFileSync(join(dir, "config"), "[profile team]\nregion = us-east-1\n");
    const saved = {
      credentials: process.env.AWS_SHARED_CREDENTIALS_FILE,
      config: process.env.AWS_CONFIG_FILE,
    };
    process.env.AWS_SHARED_CREDENTIALS_FILE = join(dir, "credentials");
    process.env.AWS_CONFIG_FILE = join(dir, "config");
    try {
      const workspace = await open({
        accessKeyIdEnv: undefined,
        secretAccessKeyEnv: undefined,
        profile: "team",
        prefix: "profile",
      });
      const digest = await workspace.blobs.put("from a profile");
      expect((await workspace.blobs.get(digest)).toString()).toBe("from a profile");
      await workspace.close();
      await expect(
        open({ accessKeyIdEnv: undefined, secretAccessKeyEnv: undefined, profile: "nobody" }),
      ).rejects.toMatchObject({
        code: "CANAL_STORE_CREDENTIALS_MISSING",
        message: expect.stringContaining('the AWS profile "nobody" (`artifacts.profile`)'),
      });
    } finally {
      for (const [name, value] of [
        ["AWS_SHARED_CREDENTIALS_FILE", saved.credentials],
        ["AWS_CONFIG_FILE", saved.config],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  it("asks for the region when neither the config nor the environment gives one for AWS", async () => {
    const saved = {
      region: process.env.AWS_REGION,
      fallback: process.env.AWS_DEFAULT_REGION,
      config: process.env.AWS_CONFIG_FILE,
    };
    delete process.env.AWS_REGION;
    delete process.env.AWS_DEFAULT_REGION;
    // Not this machine's ~/.aws/config either, whose default region would send the request to AWS.
    process.env.AWS_CONFIG_FILE = join(tmpdir(), `canal-no-aws-config-${randomUUID()}`);
    try {
      await expect(open({ endpoint: undefined })).rejects.toMatchObject({
        code: "CANAL_STORE_CONFIG_INVALID",
        message: expect.stringContaining("set `artifacts.region`"),
      });
    } finally {
      if (saved.region !== undefined) process.env.AWS_REGION = saved.region;
      if (saved.fallback !== undefined) process.env.AWS_DEFAULT_REGION = saved.fallback;
      if (saved.config !== undefined) process.env.AWS_CONFIG_FILE = saved.config;
      else delete process.env.AWS_CONFIG_FILE;
    }
  });

  it("refuses settings it does not know, or a key variable without its pair", async () => {
    await expect(open({ secret: "x" })).rejects.toMatchObject({ code: "CANAL_STORE_CONFIG_INVALID" });
    await expect(open({ secretAccessKeyEnv: undefined })).rejects.toMatchObject({
      code: "CANAL_STORE_CONFIG_INVALID",
      message: expect.stringContaining("artifacts.secretAccessKeyEnv"),
    });
  });
});

/** Runs `work(0..count-1)`, `parallel` at a time. */
async function mapInTurns(count: number, parallel: number, work: (i: number) => Promise<unknown>) {
  for (let i = 0; i < count; i += parallel)
    await Promise.all(Array.from({ length: Math.min(parallel, count - i) }, (_, j) => work(i + j)));
}
