// The blob store's conformance suite: what any artifact store (a local folder today; S3 next) must
// do, written against the BlobStore interface alone: content-addressed, verified on every read, a
// damaged or missing blob reported as such and repaired by storing the content again, directories
// rebuilt exactly, never a write outside the destination. A backend proves itself by passing it
// unchanged: `blobStoreConformance("s3", () => ({ open, damage, close }))`.
import { createHash, randomBytes } from "node:crypto";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BlobStore } from "@canal/store";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

/** One fresh, empty blob store backend for a test. */
export interface BlobStoreFixture {
  /** A store on it; each call another handle on the same blobs (another process, another machine). */
  open(): BlobStore | Promise<BlobStore>;
  /** Damages what the store keeps for one blob (not a directory's manifest): as a disk or a colleague might. */
  damage(digest: string, how: "flip" | "truncate" | "delete"): void | Promise<void>;
  close(): void | Promise<void>;
  /**
   * Holds every request the backend is sent until the function it returns is called (S3: the
   * gateway paused). Absent for a local folder: it writes in place, and what it defers is the sync
   * to disk, which nothing short of a machine's crash shows.
   */
  hold?(): Promise<() => Promise<void>>;
}

const sha = (bytes: Uint8Array | string) => createHash("sha256").update(bytes).digest("hex");

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
    else {
      out[path] = {
        sha: sha(readFileSync(join(root, path))),
        exec: (statSync(join(root, path)).mode & 0o111) !== 0,
      };
    }
  }
  return out;
}

export function blobStoreConformance(
  kind: string,
  make: () => BlobStoreFixture | Promise<BlobStoreFixture>,
): void {
  let fixture: BlobStoreFixture;
  let blobs: BlobStore;
  /** Where a test keeps its own files: sources to store, destinations to rebuild into. */
  let dir: string;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "canal-blob-conformance-"));
    fixture = await make();
    blobs = await fixture.open();
  });
  afterEach(async () => {
    await fixture.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe(`blob store conformance: ${kind}`, () => {
    it("stores bytes under their sha256 and returns them verified", async () => {
      const digest = await blobs.put("hello canal");
      expect(digest).toBe(sha("hello canal"));
      expect(await blobs.has(digest)).toBe(true);
      expect((await blobs.get(digest)).toString()).toBe("hello canal");
      expect(await blobs.stat(digest)).toEqual({ digest, kind: "file", size: 11 });
      expect(await blobs.verify(digest)).toBe("ok");
      expect(await blobs.put(Buffer.from("hello canal"))).toBe(digest);
      expect(await (await fixture.open()).verify(digest)).toBe("ok");

      const unknown = sha("never stored");
      expect(await blobs.has(unknown)).toBe(false);
      expect(await blobs.stat(unknown)).toBeUndefined();
      expect(await blobs.verify(unknown)).toBe("missing");
      await expect(blobs.get(unknown)).rejects.toMatchObject({ code: "CANAL_STORE_BLOB_MISSING" });
      await expect(blobs.get("../../etc/passwd")).rejects.toMatchObject({
        code: "CANAL_STORE_INVALID_DIGEST",
      });
    });

    it("puts a file with deferSync: materialized at once, in the store for every handle once flushed", async () => {
      const source = join(dir, "small.txt");
      writeFileSync(source, "deferred bytes");
      const target = join(dir, "read", "small.txt");
      const putAndRead = async () => {
        const digest = await blobs.putFile(source, { move: true, deferSync: true });
        await blobs.materialize(digest, target);
        return digest;
      };
      let digest: string;
      if (fixture.hold) {
        // While the backend answers nothing, the put and the read return: the bytes travel later.
        // A store that sent them first would wait for the release; after a while it comes anyway.
        const release = await fixture.hold();
        let timer: ReturnType<typeof setTimeout> | undefined;
        const stuck = new Promise<"waited for the backend">((resolve) => {
          timer = setTimeout(() => resolve("waited for the backend"), 15_000);
        });
        try {
          digest = await Promise.race([putAndRead(), stuck]);
        } finally {
          clearTimeout(timer);
          await release();
        }
      } else digest = await putAndRead();
      expect(digest).toBe(sha("deferred bytes"));
      expect(readFileSync(target, "utf8")).toBe("deferred bytes");
      await blobs.flush();
      const other = await fixture.open();
      expect(await other.verify(digest, "file")).toBe("ok");
      expect((await other.get(digest)).toString()).toBe("deferred bytes");
    });

    it("reports a changed or cut blob as corrupt and a deleted one as missing; storing it again repairs it", async () => {
      const a = await blobs.put("some model weights");
      const b = await blobs.put("other model weights");
      const c = await blobs.put("a third blob");
      await fixture.damage(a, "flip");
      await fixture.damage(b, "truncate");
      await fixture.damage(c, "delete");
      // Another handle, as a later process has: nothing it remembers hides the damage.
      const later = await fixture.open();
      for (const store of [blobs, later]) {
        expect(await store.verify(a)).toBe("corrupt");
        expect(await store.verify(b)).toBe("corrupt");
        expect(await store.verify(c)).toBe("missing");
        // Told it is a file, as a stored value tells the cache: the same judgement.
        expect(await store.verify(a, "file")).toBe("corrupt");
        expect(await store.verify(c, "file")).toBe("missing");
      }
      await expect(later.get(a)).rejects.toMatchObject({ code: "CANAL_STORE_BLOB_CORRUPT" });
      const target = join(dir, "out", "weights.bin");
      await expect(later.materialize(a, target)).rejects.toMatchObject({ code: "CANAL_STORE_BLOB_CORRUPT" });
      await expect(later.materialize(c, target)).rejects.toMatchObject({ code: "CANAL_STORE_BLOB_MISSING" });
      expect(existsSync(target)).toBe(false);

      expect(await later.put("some model weights")).toBe(a);
      expect(await later.verify(a)).toBe("ok");
      const source = join(dir, "other.bin");
      writeFileSync(source, "other model weights");
      expect(await later.putFile(source)).toBe(b);
      expect((await later.get(b)).toString()).toBe("other model weights");
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
      const dest = join(dir, "work", "inputs", "prepped");
      await (await fixture.open()).materialize(digest, dest);
      expect(snapshot(dest)).toEqual(snapshot(src));
      expect(await blobs.verify(digest)).toBe("ok");
      const copy = join(dir, "copy");
      await blobs.materialize(digest, copy);
      expect(await blobs.putDirectory(copy)).toBe(digest);
      chmodSync(join(copy, "data", "train.csv"), 0o755);
      expect(await blobs.putDirectory(copy)).not.toBe(digest);
      await expect(blobs.materialize(digest, dest)).rejects.toMatchObject({
        code: "CANAL_STORE_DESTINATION_EXISTS",
      });
    });

    it("judges a directory by every file in it", async () => {
      const src = join(dir, "src");
      tree(src, { "a.txt": "alpha", "b/c.txt": "gamma" });
      const digest = await blobs.putDirectory(src);
      await fixture.damage(sha("gamma"), "flip");
      expect(await blobs.verify(digest)).toBe("corrupt");
      expect(await blobs.verify(digest, "directory")).toBe("corrupt");
      expect(await (await fixture.open()).verify(digest, "directory")).toBe("corrupt");
      const dest = join(dir, "dest");
      await expect(blobs.materialize(digest, dest)).rejects.toMatchObject({
        code: "CANAL_STORE_BLOB_CORRUPT",
      });
      expect(existsSync(dest)).toBe(false);
      await fixture.damage(sha("gamma"), "delete");
      expect(await blobs.verify(digest)).toBe("missing");
      expect(await blobs.verify(digest, "directory")).toBe("missing");
      expect(await blobs.putDirectory(src)).toBe(digest);
      expect(await blobs.verify(digest)).toBe("ok");
      expect(await blobs.verify(digest, "directory")).toBe("ok");
    });

    it("stores links to files as their content, and refuses links to directories or outside", async () => {
      const src = join(dir, "src");
      tree(src, { "real/data.txt": "data" });
      symlinkSync(join(src, "real", "data.txt"), join(src, "link.txt"));
      const digest = await blobs.putDirectory(src);
      expect((await blobs.readManifest(digest)).map((e) => [e.path, e.sha256])).toEqual([
        ["link.txt", sha("data")],
        ["real/data.txt", sha("data")],
      ]);
      symlinkSync(join(src, "real"), join(src, "dirlink"));
      await expect(blobs.putDirectory(src)).rejects.toMatchObject({ code: "CANAL_STORE_UNSUPPORTED_FILE" });
      const leaky = join(dir, "leaky");
      tree(leaky, { "sub/ok.txt": "ok" });
      symlinkSync("/etc/passwd", join(leaky, "sub", "leak"));
      await expect(blobs.putDirectory(leaky)).rejects.toMatchObject({
        code: "CANAL_STORE_UNSUPPORTED_FILE",
        message: expect.stringMatching(/`sub\/leak` is a link to .*, outside the directory/),
      });
    });

    it("stores the same content from concurrent puts through two handles once, intact", async () => {
      const source = join(dir, "model.bin");
      const content = randomBytes(4 * 1024 * 1024);
      writeFileSync(source, content);
      const other = await fixture.open();
      const digests = await Promise.all([
        ...Array.from({ length: 6 }, (_, i) => (i % 2 ? blobs : other).putFile(source)),
        ...Array.from({ length: 6 }, (_, i) => (i % 2 ? blobs : other).put(content)),
      ]);
      expect(new Set(digests)).toEqual(new Set([sha(content)]));
      expect(await blobs.verify(sha(content))).toBe("ok");
      expect((await other.get(sha(content))).equals(content)).toBe(true);
    });

    it("refuses to read a file artifact as a directory, and writes it out as a file", async () => {
      const digest = await blobs.put("just a file");
      await expect(blobs.readManifest(digest)).rejects.toMatchObject({ code: "CANAL_STORE_INVALID_DIGEST" });
      const dest = join(dir, "file-out");
      await blobs.materialize(digest, dest);
      expect(readFileSync(dest, "utf8")).toBe("just a file");
    });
  });
}
