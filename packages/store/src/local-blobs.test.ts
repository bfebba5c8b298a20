import { createHash, randomBytes } from "node:crypto";
import {
  chmodSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LocalBlobStore } from "./local-blobs.js";

let dir: string;
let blobs: LocalBlobStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "canal-blobs-"));
  blobs = new LocalBlobStore(join(dir, "blobs"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const sha = (bytes: Uint8Array | string) => createHash("sha256").update(bytes).digest("hex");
const blobFile = (digest: string) => join(dir, "blobs", "sha256", digest.slice(0, 2), digest.slice(2));

/** Flips one byte of a stored (read-only) blob in place. */
function flipByte(digest: string, at = 0) {
  const path = blobFile(digest);
  chmodSync(path, 0o644);
  const bytes = readFileSync(path);
  bytes[at] = (bytes[at] ?? 0) ^ 0xff;
  writeFileSync(path, bytes);
}

function tree(root: string, files: Record<string, string | Buffer>, executables: string[] = []) {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, ".."), { recursive: true });
    writeFileSync(join(root, path), content);
    chmodSync(join(root, path), executables.includes(path) ? 0o755 : 0o644);
  }
}

function snapshot(root: string, prefix = ""): Record<string, { sha: string; exec: boolean }> {
  const out: Record<string, { sha: string; exec: boolean }> = {};
  for (const entry of readdirSync(join(root, prefix), { withFileTypes: true })) {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) Object.assign(out, snapshot(root, path));
    else
      out[path] = {
        sha: sha(readFileSync(join(root, path))),
        exec: (statSync(join(root, path)).mode & 0o111) !== 0,
      };
  }
  return out;
}

describe("LocalBlobStore", () => {
  it("stores bytes under their sha256 and returns them verified", async () => {
    const digest = await blobs.put("hello canal");
    expect(digest).toBe(sha("hello canal"));
    expect(existsSync(blobFile(digest))).toBe(true);
    expect(await blobs.has(digest)).toBe(true);
    expect((await blobs.get(digest)).toString()).toBe("hello canal");
    expect(await blobs.stat(digest)).toEqual({ digest, kind: "file", size: 11 });
    expect(await blobs.verify(digest)).toBe("ok");
    expect(await blobs.put(Buffer.from("hello canal"))).toBe(digest);

    const unknown = sha("never stored");
    expect(await blobs.has(unknown)).toBe(false);
    expect(await blobs.stat(unknown)).toBeUndefined();
    expect(await blobs.verify(unknown)).toBe("missing");
    await expect(blobs.get(unknown)).rejects.toMatchObject({ code: "CANAL_STORE_BLOB_MISSING" });
    await expect(blobs.get("../../etc/passwd")).rejects.toMatchObject({ code: "CANAL_STORE_INVALID_DIGEST" });
  });

  it("streams a large file in with flat memory", async () => {
    const source = join(dir, "big.bin");
    const size = 64 * 1024 * 1024;
    const hash = createHash("sha256");
    const out = await open(source, "w");
    for (let written = 0; written < size; written += 1 << 20) {
      const chunk = randomBytes(1 << 20);
      hash.update(chunk);
      await out.write(chunk);
    }
    await out.close();
    const expected = hash.digest("hex");

    global.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 2);
    const digest = await blobs.putFile(source);
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);

    expect(digest).toBe(expected);
    expect(statSync(blobFile(digest)).size).toBe(size);
    // Reading the file whole would add at least its 64 MiB; streaming adds about one 1 MiB buffer.
    expect(peak - before).toBeLessThan(24 * 1024 * 1024);
    expect(await blobs.verify(digest)).toBe("ok");
    expect(readdirSync(join(dir, "blobs", "tmp"))).toEqual([]);
  });

  it("reports a truncated or flipped blob as corrupt and a deleted one as missing", async () => {
    const a = await blobs.put("some model weights");
    const b = await blobs.put("other model weights");
    const c = await blobs.put("a third blob");
    expect(await blobs.verify(a)).toBe("ok");

    flipByte(a, 3);
    expect(await blobs.verify(a)).toBe("corrupt");
    await expect(blobs.get(a)).rejects.toMatchObject({ code: "CANAL_STORE_BLOB_CORRUPT" });
    const target = join(dir, "out", "weights.bin");
    await expect(blobs.materialize(a, target)).rejects.toMatchObject({ code: "CANAL_STORE_BLOB_CORRUPT" });
    expect(existsSync(target)).toBe(false);
    expect(readdirSync(join(dir, "out"))).toEqual([]);

    chmodSync(blobFile(b), 0o644);
    truncateSync(blobFile(b), 5);
    expect(await blobs.verify(b)).toBe("corrupt");

    rmSync(blobFile(c));
    expect(await blobs.verify(c)).toBe("missing");
    expect(await blobs.has(c)).toBe(false);
    await expect(blobs.materialize(c, target)).rejects.toMatchObject({ code: "CANAL_STORE_BLOB_MISSING" });

    // Storing the same content again (the step re-ran) repairs the blob.
    expect(await blobs.put("some model weights")).toBe(a);
    expect(await blobs.verify(a)).toBe("ok");
    const source = join(dir, "other.bin");
    writeFileSync(source, "other model weights");
    expect(await blobs.putFile(source)).toBe(b);
    expect((await blobs.get(b)).toString()).toBe("other model weights");
  });

  it("rebuilds a directory with identical bytes and executable bits", async () => {
    const src = join(dir, "src");
    const files = {
      "run.sh": "#!/bin/sh\necho hi\n",
      "data/train.csv": "a,b\n1,2\n",
      "data/empty.txt": "",
      "data/nested/deep/weights.bin": randomBytes(100_000),
      "a-b.txt": "sorts before a/ in bytes",
    };
    tree(src, files, ["run.sh"]);
    const digest = await blobs.putDirectory(src);
    const size = Object.values(files).reduce((sum, content) => sum + Buffer.byteLength(content), 0);
    expect(await blobs.stat(digest)).toEqual({ digest, kind: "directory", size });
    const manifest = await blobs.readManifest(digest);
    expect(manifest.map((e) => e.path)).toEqual([
      "a-b.txt",
      "data/empty.txt",
      "data/nested/deep/weights.bin",
      "data/train.csv",
      "run.sh",
    ]);
    expect(manifest.find((e) => e.path === "run.sh")).toMatchObject({
      executable: true,
      sha256: sha("#!/bin/sh\necho hi\n"),
    });
    expect(JSON.parse((await blobs.get(digest)).toString())).toEqual(manifest);

    const dest = join(dir, "work", "inputs", "prepped");
    await blobs.materialize(digest, dest);
    expect(snapshot(dest)).toEqual(snapshot(src));
    expect(snapshot(dest)["run.sh"]?.exec).toBe(true);
    expect(readdirSync(join(dir, "work", "inputs"))).toEqual(["prepped"]);
    expect(await blobs.verify(digest)).toBe("ok");

    // Same content elsewhere: same digest. A changed executable bit: a different directory.
    const copy = join(dir, "copy");
    await blobs.materialize(digest, copy);
    expect(await blobs.putDirectory(copy)).toBe(digest);
    chmodSync(join(copy, "data", "train.csv"), 0o755);
    expect(await blobs.putDirectory(copy)).not.toBe(digest);

    await expect(blobs.materialize(digest, dest)).rejects.toMatchObject({
      code: "CANAL_STORE_DESTINATION_EXISTS",
    });
    mkdirSync(join(dir, "empty"));
    await blobs.materialize(digest, join(dir, "empty"));
    expect(snapshot(join(dir, "empty"))).toEqual(snapshot(src));
  });

  it("judges a directory by every file in it", async () => {
    const src = join(dir, "src");
    tree(src, { "a.txt": "alpha", "b/c.txt": "gamma" });
    const digest = await blobs.putDirectory(src);
    const c = sha("gamma");
    flipByte(c);
    expect(await blobs.verify(digest)).toBe("corrupt");
    const dest = join(dir, "dest");
    await expect(blobs.materialize(digest, dest)).rejects.toMatchObject({ code: "CANAL_STORE_BLOB_CORRUPT" });
    expect(existsSync(dest)).toBe(false);
    expect(readdirSync(dir).sort()).toEqual(["blobs", "src"]);
    rmSync(blobFile(c));
    expect(await blobs.verify(digest)).toBe("missing");
    expect(await blobs.putDirectory(src)).toBe(digest);
    expect(await blobs.verify(digest)).toBe("ok");
  });

  it("never writes outside the destination, whatever a manifest says", async () => {
    const evil = Buffer.from(
      JSON.stringify([{ path: "../escaped.txt", sha256: sha("x"), size: 1, executable: false }]),
    );
    await blobs.put("x");
    const digest = await blobs.put(evil);
    const marker = join(dir, "blobs", "directories", digest.slice(0, 2), digest.slice(2));
    mkdirSync(join(marker, ".."), { recursive: true });
    writeFileSync(marker, "");
    await expect(blobs.materialize(digest, join(dir, "dest"))).rejects.toMatchObject({
      code: "CANAL_STORE_BLOB_CORRUPT",
    });
    expect(existsSync(join(dir, "escaped.txt"))).toBe(false);
    expect(await blobs.verify(digest)).toBe("corrupt");
  });

  it("stores links to files as their content and refuses links to directories", async () => {
    const src = join(dir, "src");
    tree(src, { "real/data.txt": "data" });
    symlinkSync(join(src, "real", "data.txt"), join(src, "link.txt"));
    const digest = await blobs.putDirectory(src);
    expect((await blobs.readManifest(digest)).map((e) => [e.path, e.sha256])).toEqual([
      ["link.txt", sha("data")],
      ["real/data.txt", sha("data")],
    ]);
    symlinkSync(join(src, "real"), join(src, "dirlink"));
    await expect(blobs.putDirectory(src)).rejects.toMatchObject({
      code: "CANAL_STORE_UNSUPPORTED_FILE",
      message: expect.stringContaining("`dirlink` is a link to a directory"),
    });
  });

  it("refuses a link that leads outside the directory, by name, whatever way it points there", async () => {
    const outside = join(dir, "outside-secret.txt");
    writeFileSync(outside, "host secret");
    for (const [name, target] of [
      ["abs", "/etc/passwd"],
      ["rel", "../../outside-secret.txt"],
      ["chain", "../inner-link"],
    ] as const) {
      const src = join(dir, `links-${name}`);
      tree(src, { "sub/ok.txt": "ok" });
      if (name === "chain") symlinkSync(outside, join(src, "inner-link"));
      symlinkSync(target, join(src, "sub", "leak"));
      await expect(blobs.putDirectory(src), name).rejects.toMatchObject({
        code: "CANAL_STORE_UNSUPPORTED_FILE",
        message: expect.stringMatching(/`(sub\/leak|inner-link)` is a link to .*, outside the directory/),
      });
    }
  });

  it("stores the same content from concurrent puts once, intact", async () => {
    const source = join(dir, "model.bin");
    const content = randomBytes(4 * 1024 * 1024);
    writeFileSync(source, content);
    const other = new LocalBlobStore(join(dir, "blobs"));
    const digests = await Promise.all([
      ...Array.from({ length: 6 }, (_, i) => (i % 2 ? blobs : other).putFile(source)),
      ...Array.from({ length: 6 }, (_, i) => (i % 2 ? blobs : other).put(content)),
    ]);
    expect(new Set(digests)).toEqual(new Set([sha(content)]));
    expect(await blobs.verify(sha(content))).toBe("ok");
    expect(readdirSync(join(dir, "blobs", "tmp"))).toEqual([]);
    expect(readdirSync(join(dir, "blobs", "sha256"))).toEqual([sha(content).slice(0, 2)]);
  });

  it("moves a given-up file in, and makes deferred puts durable by flush", async () => {
    const source = join(dir, "out.bin");
    writeFileSync(source, "an output");
    const digest = await blobs.putFile(source, { move: true, deferSync: true });
    expect(digest).toBe(sha("an output"));
    expect(existsSync(source)).toBe(false);
    await blobs.flush();
    expect(await blobs.verify(digest)).toBe("ok");
    // A hard-linked file shares its bytes with another name: copied, never moved.
    writeFileSync(source, "linked");
    linkSync(source, join(dir, "other-name"));
    expect(await blobs.putFile(source, { move: true })).toBe(sha("linked"));
    expect(readFileSync(join(dir, "other-name"), "utf8")).toBe("linked");
    expect(statSync(source).mode & 0o777).not.toBe(0o444);
  });

  it("trusts in a later store what an earlier one wrote, until the bytes change", async () => {
    const a = await blobs.put("kept weights");
    const b = await blobs.put("other weights");
    await new Promise((resolve) => setImmediate(resolve));
    flipByte(b);
    const later = new LocalBlobStore(join(dir, "blobs"));
    expect(await later.verify(a)).toBe("ok");
    expect(await later.verify(b)).toBe("corrupt");
    writeFileSync(join(dir, "blobs", "verified"), "not a journal\n");
    expect(await new LocalBlobStore(join(dir, "blobs")).verify(a)).toBe("ok");
  });

  it("refuses to read a file artifact as a directory", async () => {
    const digest = await blobs.put("just a file");
    await expect(blobs.readManifest(digest)).rejects.toMatchObject({ code: "CANAL_STORE_INVALID_DIGEST" });
    const dest = join(dir, "file-out");
    await blobs.materialize(digest, dest);
    expect(readFileSync(dest, "utf8")).toBe("just a file");
  });
});
