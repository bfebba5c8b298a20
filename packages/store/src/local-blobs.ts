import { randomBytes } from "node:crypto";
import { chmodSync, constants, fchmodSync, lstatSync, renameSync, statSync } from "node:fs";
import {
  copyFile,
  type FileHandle,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  unlink,
  writeFile,
} from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import {
  copyHashing,
  copySmallFile,
  errorCode,
  fsyncFd,
  type Hashed,
  hashFile,
  mapLimit,
  orMakeParent,
  orMakeParentSync,
  SMALL_FILE,
  sha256,
  syncDirectory,
  syncFile,
  verifyBlob,
} from "./blob-io.js";
import { DeferredSyncs } from "./deferred-syncs.js";
import { BlobCorruptError, BlobMissingError, checkDigest, StoreError } from "./errors.js";
import { encodeManifest, listFiles, parseManifest } from "./manifest.js";
import type { ArtifactKind, BlobInfo, BlobStatus, BlobStore, ManifestEntry, PutOptions } from "./types.js";
import { identity, VerifiedJournal } from "./verified-journal.js";

// Files of a directory are stored and rebuilt this many at a time: enough to hide per-file latency,
// few enough to stay well under the open-file limit.
const PARALLEL_FILES = 8;

/**
 * Artifact bytes in a local directory, addressed by sha256:
 *
 *   sha256/ab/cdef…        the bytes of every blob (files, and directory manifests), read-only
 *   directories/ab/cdef…   an empty marker: this digest is a directory's manifest
 *   verified               a journal of blob identities known intact ("digest ino:size:mtime:ctime"),
 *                          so that a later process need not hash a blob again to trust it
 *   tmp/                   blobs being written; renamed into sha256/ only once complete and synced
 *                          (with `deferSync`: synced by the next flush(), before any record names it)
 *
 * A crash leaves at worst a stray file under tmp/, never a partial blob under its final name (with
 * `deferSync`, a crash of the machine before the flush may: reads verify, so it is found corrupt).
 * Writing content that is already stored rewrites it when the stored copy does not match its name,
 * so re-running the step that produced a corrupt blob repairs it.
 */
export class LocalBlobStore implements BlobStore {
  readonly root: string;
  /** The blobs known intact, and the journal that keeps them for later processes. */
  private readonly journal: VerifiedJournal;
  /** Syncs to disk of blobs stored with `deferSync`, not finished yet; flush() waits for them. */
  private readonly syncs = new DeferredSyncs();

  /** The folders of the blobs and of the directory markers, each ending in a separator. */
  private readonly blobsDir: string;
  private readonly markersDir: string;

  constructor(root: string) {
    this.root = resolve(root);
    this.blobsDir = join(this.root, "sha256", sep);
    this.markersDir = join(this.root, "directories", sep);
    this.journal = new VerifiedJournal(join(this.root, "verified"));
  }

  // A digest's path is put together, not joined: a digest is 64 hex digits (checked before any
  // read or write), so there is nothing to normalize, and a cached run asks for a path per output
  // (path.join's normalizing cost ~3 ms of a fresh no-op of 1,000 steps).
  private blobPath(digest: string): string {
    return `${this.blobsDir}${digest.slice(0, 2)}${sep}${digest.slice(2)}`;
  }

  private markerPath(digest: string): string {
    return `${this.markersDir}${digest.slice(0, 2)}${sep}${digest.slice(2)}`;
  }

  private tempPath(): string {
    return join(this.root, "tmp", randomBytes(8).toString("hex"));
  }

  private async tempFile(): Promise<{ path: string; handle: FileHandle }> {
    const path = this.tempPath();
    const handle = await orMakeParent(path, () => open(path, "wx", 0o644));
    return { path, handle };
  }

  async put(bytes: Uint8Array | string): Promise<string> {
    return this.putBytes(bytes, {});
  }

  private async putBytes(bytes: Uint8Array | string, options: PutOptions): Promise<string> {
    const data = typeof bytes === "string" ? Buffer.from(bytes, "utf8") : bytes;
    const digest = sha256(data);
    if ((await this.check(digest)) === "ok") return digest;
    const temp = await this.tempFile();
    try {
      await temp.handle.writeFile(data);
      await this.commit(temp.path, temp.handle.fd, digest, options);
    } finally {
      await this.discard(temp);
    }
    return digest;
  }

  async putFile(path: string, options: PutOptions = {}): Promise<string> {
    return (await this.storeFile(path, options)).digest;
  }

  private async storeFile(path: string, options: PutOptions): Promise<Hashed> {
    if (options.move) {
      const moved = await this.moveIn(path, options);
      if (moved) return moved;
    }
    const temp = await this.tempFile();
    try {
      // Hash what is copied, not the source afterwards: the digest names exactly the stored bytes
      // even if the source changes meanwhile.
      const hashed = await copyHashing(path, temp.handle);
      if ((await this.check(hashed.digest)) !== "ok")
        await this.commit(temp.path, temp.handle.fd, hashed.digest, options);
      return hashed;
    } finally {
      await this.discard(temp);
    }
  }

  /**
   * Takes a file the caller gives up (a finished step's output) by renaming it into the store
   * rather than copying it: a 1 GiB output costs one read to hash instead of a read and a write.
   * Only a plain file with no other name qualifies (a store blob must share its bytes with
   * nothing), and only on the store's file system; otherwise undefined, and the caller copies.
   */
  private async moveIn(path: string, options: PutOptions): Promise<Hashed | undefined> {
    // Metadata calls here are synchronous: each is one cheap system call, where the asynchronous
    // form costs a thread-pool round trip; only the syncs to disk are waited for asynchronously.
    // The file is hashed where it is and renamed to its digest's name: a writer that still holds
    // it open could change it after the hash either way, and such a change makes it fail
    // verification, never pass it.
    const info = lstatSync(path);
    if (!info.isFile() || info.nlink !== 1) return undefined;
    const hashed = await hashFile(path, info.size);
    if ((await this.check(hashed.digest)) === "ok") return hashed;
    try {
      await this.commit(path, undefined, hashed.digest, options);
    } catch (error) {
      if (errorCode(error) === "EXDEV") return undefined;
      throw error;
    }
    return hashed;
  }

  /**
   * Makes a complete file (open as `fd`, when it is) the blob `digest`: synced, read-only, renamed
   * (with `deferSync`, renamed now and synced before the next flush() returns).
   */
  private async commit(
    tempPath: string,
    fd: number | undefined,
    digest: string,
    options: PutOptions,
  ): Promise<void> {
    if (!options.deferSync) await (fd === undefined ? syncFile(tempPath) : fsyncFd(fd));
    if (fd === undefined) chmodSync(tempPath, 0o444);
    else fchmodSync(fd, 0o444);
    const final = this.blobPath(digest);
    // rename() replaces atomically: a concurrent writer of the same content, or a reader, sees
    // either the old complete file or the new one.
    orMakeParentSync(final, () => renameSync(tempPath, final));
    // These are the bytes just hashed: the next reader (the step downstream) need not hash them
    // again while the file is unchanged.
    const info = await this.exists(final);
    const known = info && identity(info);
    if (known) this.journal.verified().set(digest, known);
    else this.journal.verified().delete(digest);
    // The journal vouches for the bytes in later processes: it learns them only once they are on
    // disk, so that a crash of the machine cannot leave it vouching for bytes the disk lost.
    const durable = async () => {
      await syncDirectory(dirname(final));
      if (known) this.journal.record(digest, known);
    };
    if (options.deferSync)
      this.syncs.later(async () => {
        await syncFile(final);
        await durable();
      });
    else await durable();
  }

  private async discard(temp: { path: string; handle: FileHandle }): Promise<void> {
    await temp.handle.close().catch(() => {});
    await rm(temp.path, { force: true });
  }

  async putDirectory(path: string, options: PutOptions = {}): Promise<string> {
    const files = await listFiles(path);
    const entries = await mapLimit(files, PARALLEL_FILES, async (file): Promise<ManifestEntry> => {
      const { digest, size } = await this.storeFile(file.absolute, options);
      return { path: file.path, sha256: digest, size, executable: file.executable };
    });
    const digest = await this.putBytes(encodeManifest(entries), options);
    const marker = this.markerPath(digest);
    await mkdir(dirname(marker), { recursive: true });
    await writeFile(marker, "");
    if (options.deferSync) this.syncs.later(() => syncDirectory(dirname(marker)));
    else await syncDirectory(dirname(marker));
    return digest;
  }

  /**
   * Waits until every blob stored with `deferSync` so far is on disk; throws if a sync failed. A
   * record that names such a blob is written only after this, as if the blob had been synced
   * when it was stored: a crash of the machine in between loses neither or the record only.
   */
  async flush(): Promise<void> {
    await this.syncs.flush();
  }

  async has(digest: string): Promise<boolean> {
    return (await this.exists(this.blobPath(checkDigest(digest)))) !== undefined;
  }

  // A stat is answered from the inode cache: one synchronous call costs less than the thread-pool
  // round trip of an asynchronous one, and a run makes several per step.
  private async exists(path: string) {
    return statSync(path, { bigint: true, throwIfNoEntry: false });
  }

  private async isDirectory(digest: string): Promise<boolean> {
    return (await this.exists(this.markerPath(digest))) !== undefined;
  }

  async stat(digest: string): Promise<BlobInfo | undefined> {
    const info = await this.exists(this.blobPath(checkDigest(digest)));
    if (!info) return undefined;
    if (!(await this.isDirectory(digest))) return { digest, kind: "file", size: Number(info.size) };
    const entries = await this.readManifest(digest);
    return { digest, kind: "directory", size: entries.reduce((sum, e) => sum + e.size, 0) };
  }

  async get(digest: string): Promise<Buffer> {
    const path = this.blobPath(checkDigest(digest));
    const bytes = await readFile(path).catch((error) => {
      if (errorCode(error) === "ENOENT") throw new BlobMissingError(digest, this.root);
      throw error;
    });
    const actual = sha256(bytes);
    if (actual !== digest) throw new BlobCorruptError(digest, path, actual);
    return bytes;
  }

  async readManifest(digest: string): Promise<ManifestEntry[]> {
    const bytes = await this.get(digest);
    if (!(await this.isDirectory(digest))) {
      throw new StoreError(
        "CANAL_STORE_INVALID_DIGEST",
        `sha256:${digest} is a file artifact, not a directory; read it with get or materialize it`,
      );
    }
    return parseManifest(bytes, digest);
  }

  async verify(digest: string, kind?: ArtifactKind): Promise<BlobStatus> {
    checkDigest(digest);
    return verifyBlob(
      {
        check: (d) => this.check(d),
        isDirectory: (d) => this.isDirectory(d),
        readManifest: (d) => this.readManifest(d),
      },
      digest,
      PARALLEL_FILES,
      kind,
    );
  }

  /** Whether the stored file is there and hashes to its name. */
  private async check(digest: string): Promise<BlobStatus> {
    return (await this.inspect(digest)).status;
  }

  private async inspect(digest: string): Promise<{ status: BlobStatus; actual?: string; size?: number }> {
    const path = this.blobPath(digest);
    const info = await this.exists(path);
    if (!info) return { status: "missing" };
    const size = Number(info.size);
    const known = identity(info);
    if (this.journal.verified().get(digest) === known) return { status: "ok", size };
    const { digest: actual } = await hashFile(path, size).catch((error) => {
      if (errorCode(error) === "ENOENT") return { digest: undefined };
      throw error;
    });
    if (actual === undefined) return { status: "missing" };
    if (actual !== digest) return { status: "corrupt", actual };
    this.journal.verified().set(digest, known);
    this.learn(path, digest, known);
    return { status: "ok", size };
  }

  /**
   * Tells the journal of a blob found intact by hashing, so that later processes need not hash it
   * again: a store folder copied or restored from a backup keeps its bytes but not the identities
   * the journal names, and every run would hash each of its blobs, whatever their size. As for a
   * blob stored here, the journal learns it only once its bytes are on disk. Best effort, off the
   * caller's path: what fails is only a later hash.
   */
  private learn(path: string, digest: string, known: string): void {
    syncFile(path).then(
      () => this.journal.record(digest, known),
      () => {},
    );
  }

  async materialize(digest: string, destination: string): Promise<void> {
    const target = resolve(destination);
    checkDigest(digest);
    if (!(await this.isDirectory(digest))) {
      // The copy makes the folder it goes into where it finds none (on a step's staging it is
      // there: a mkdir and a stat fewer).
      await this.materializeFile(digest, target, false);
      return;
    }
    const entries = await this.readManifest(digest);
    await this.refuseNonEmpty(target);
    // Built beside the destination and renamed into place: a failure (a corrupt member) leaves no
    // half-built directory where a step would read it.
    const staging = `${target}.canal-${randomBytes(4).toString("hex")}`;
    await mkdir(staging, { recursive: true });
    try {
      await mapLimit(entries, PARALLEL_FILES, (entry) =>
        this.materializeFile(entry.sha256, join(staging, ...entry.path.split("/")), entry.executable),
      );
      await rename(staging, target).catch((error) => {
        if (errorCode(error) === "ENOTEMPTY" || errorCode(error) === "EEXIST")
          throw this.destinationExists(target);
        throw error;
      });
    } catch (error) {
      await rm(staging, { recursive: true, force: true });
      throw error;
    }
  }

  /**
   * Copies one blob out once it is verified (hashed, or found unchanged since it was), so the copy
   * is of bytes that match the digest. A small file (most inputs) goes through one buffer, in
   * half the system calls of the kernel's copy; a larger one is copied by the kernel (a
   * copy-on-write clone where the file system has them), its bytes never passing through this
   * process. The copy is the step's own, so nothing a step does to it reaches the store.
   */
  private async materializeFile(digest: string, target: string, executable: boolean): Promise<void> {
    const source = this.blobPath(digest);
    const { status, actual, size = 0 } = await this.inspect(digest);
    if (status === "missing") throw new BlobMissingError(digest, this.root);
    if (status === "corrupt") throw new BlobCorruptError(digest, source, actual ?? "");
    const mode = executable ? 0o755 : 0o644;
    try {
      if (size <= SMALL_FILE) orMakeParentSync(target, () => copySmallFile(source, target, size, mode));
      else {
        // The kernel's copy writes through a link or a second name at the target: none is left there.
        await unlink(target).catch((error) => {
          if (errorCode(error) !== "ENOENT") throw error;
        });
        await orMakeParent(target, () => copyFile(source, target, constants.COPYFILE_FICLONE));
        chmodSync(target, mode);
      }
    } catch (error) {
      if (errorCode(error) === "EISDIR") throw this.destinationExists(target);
      await rm(target, { force: true }).catch(() => {});
      if (errorCode(error) === "ENOENT" && !(await this.exists(source)))
        throw new BlobMissingError(digest, this.root);
      throw error;
    }
  }

  private async refuseNonEmpty(target: string): Promise<void> {
    const info = await this.exists(target);
    if (!info) return;
    if (!info.isDirectory() || (await readdir(target)).length > 0) throw this.destinationExists(target);
  }

  private destinationExists(target: string): StoreError {
    return new StoreError(
      "CANAL_STORE_DESTINATION_EXISTS",
      `cannot materialize into ${target}: something is already there; remove it or choose an empty path`,
    );
  }
}
