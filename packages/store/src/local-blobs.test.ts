import { createHash, randomBytes } from "node:crypto";
import {
  chmodSync,
  cpSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
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

// What every blob store does is in test/conformance/blob-store.ts; here, what is the local folder's own.
describe("LocalBlobStore", () => {
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

  it("copies a small file out as the step's own: its bytes and mode 0644 whatever the umask, into a folder it makes, over what was there", async () => {
    const digest = await blobs.put("an input\n");
    const target = join(dir, "attempt", "in", "data", "file");
    const umask = process.umask(0o077);
    try {
      await blobs.materialize(digest, target);
      expect(readFileSync(target, "utf8")).toBe("an input\n");
      expect(statSync(target).mode & 0o777).toBe(0o644);
      // A longer, read-only file there before is replaced whole, bytes and mode.
      writeFileSync(target, "a longer file that was there before");
      chmodSync(target, 0o400);
      await blobs.materialize(digest, target);
      expect(readFileSync(target, "utf8")).toBe("an input\n");
      expect(statSync(target).mode & 0o777).toBe(0o644);
    } finally {
      process.umask(umask);
    }
    // The copy is the step's own: what the step writes to it never reaches the store.
    writeFileSync(target, "written by the step");
    expect(await blobs.verify(digest)).toBe("ok");
    expect(await blobs.get(digest)).toEqual(Buffer.from("an input\n"));
  });

  it("puts a small file of its own in place of a link or a second name at its target, and writes nothing where they lead", async () => {
    const digest = await blobs.put("an input\n");
    const elsewhere = join(dir, "elsewhere");
    writeFileSync(elsewhere, "kept");
    chmodSync(elsewhere, 0o600);
    mkdirSync(join(dir, "attempt", "in", "data"), { recursive: true });
    const linked = join(dir, "attempt", "in", "data", "linked");
    symlinkSync(elsewhere, linked);
    const named = join(dir, "attempt", "in", "data", "named");
    linkSync(elsewhere, named);
    for (const target of [linked, named]) {
      await blobs.materialize(digest, target);
      expect(readFileSync(target, "utf8")).toBe("an input\n");
      expect(lstatSync(target).isFile()).toBe(true);
      expect(lstatSync(target).nlink).toBe(1);
    }
    expect(readFileSync(elsewhere, "utf8")).toBe("kept");
    expect(statSync(elsewhere).mode & 0o777).toBe(0o600);
  });

  it("copies a large file in place of a link at its target, and writes nothing where it leads", async () => {
    const big = randomBytes(300 * 1024);
    const digest = await blobs.put(big);
    const elsewhere = join(dir, "elsewhere");
    writeFileSync(elsewhere, "kept");
    const target = join(dir, "big");
    linkSync(elsewhere, target);
    await blobs.materialize(digest, target);
    expect(readFileSync(target)).toEqual(big);
    expect(readFileSync(elsewhere, "utf8")).toBe("kept");
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

  it("learns a blob it hashed again, for the stores after it, when the folder was copied", async () => {
    const digest = await blobs.put("restored weights");
    await new Promise((resolve) => setImmediate(resolve));
    // A copy (a restore from a backup, a CI cache) keeps the bytes and the journal, not the
    // identities the journal names: the first store on it hashes the blob again.
    const copy = join(dir, "copy");
    cpSync(join(dir, "blobs"), copy, { recursive: true });
    const stored = join(copy, "sha256", digest.slice(0, 2), digest.slice(2));
    const info = statSync(stored, { bigint: true });
    const line = `${digest} ${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`;
    const journal = () => readFileSync(join(copy, "verified"), "utf8").split("\n");
    expect(journal()).not.toContain(line);
    expect(await new LocalBlobStore(copy).verify(digest)).toBe("ok");
    await vi.waitFor(() => expect(journal()).toContain(line), { timeout: 10_000 });
    expect(await new LocalBlobStore(copy).verify(digest)).toBe("ok");
    // What it learned is the copy's identity: changed bytes are still hashed and found.
    chmodSync(stored, 0o644);
    writeFileSync(stored, "restored weightz");
    expect(await new LocalBlobStore(copy).verify(digest)).toBe("corrupt");
  });
});
