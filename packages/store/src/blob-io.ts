import { createHash, hash as hashOnce } from "node:crypto";
import {
  chmodSync,
  closeSync,
  constants,
  copyFileSync,
  fchmodSync,
  fstatSync,
  fsync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { type FileHandle, mkdir, open } from "node:fs/promises";
import { dirname } from "node:path";
import { StoreError } from "./errors.js";
import type { ArtifactKind, BlobStatus, ManifestEntry } from "./types.js";

// One buffer per copy: memory stays at this size whatever the file's.
const CHUNK = 1 << 20;

// Buffers of finished copies, reused: a run hashes thousands of small files, and a fresh 1 MiB
// buffer for each is garbage the collector then spends its time on.
const spare: Buffer[] = [];
const SPARE_MAX = 8;

export interface Hashed {
  digest: string;
  size: number;
}

/** Copies `source` into `target` (when given) while hashing what was read: one pass over the bytes. */
export async function copyHashing(source: string, target?: FileHandle): Promise<Hashed> {
  const hash = createHash("sha256");
  const input = await open(source, "r");
  const buffer = spare.pop() ?? Buffer.allocUnsafe(CHUNK);
  let size = 0;
  try {
    for (;;) {
      const { bytesRead } = await input.read(buffer, 0, CHUNK, null);
      if (bytesRead === 0) break;
      const chunk = buffer.subarray(0, bytesRead);
      hash.update(chunk);
      if (target) await target.write(chunk);
      size += bytesRead;
    }
  } finally {
    if (spare.length < SPARE_MAX) spare.push(buffer);
    await input.close();
  }
  return { digest: hash.digest("hex"), size };
}

// Up to this size a file is read whole, synchronously: a few system calls, where the streaming
// path costs a thread-pool round trip for each (most step outputs and inputs are small).
export const SMALL_FILE = 256 * 1024;

// Small files are read into this one buffer: the reads are synchronous, so nothing shares it.
const smallFile = Buffer.allocUnsafe(SMALL_FILE + 1);

/** The sha256 of a file whose size is known (from a stat just made): small ones in one read. */
export async function hashFile(path: string, size: number): Promise<Hashed> {
  if (size > SMALL_FILE) return copyHashing(path);
  const fd = openSync(path, "r");
  let length: number;
  try {
    // One byte more than expected: a file that grew since its stat is seen to have.
    length = readSync(fd, smallFile, 0, size + 1, 0);
  } finally {
    closeSync(fd);
  }
  if (length > size) return copyHashing(path);
  return { digest: sha256(smallFile.subarray(0, length)), size: length };
}

/**
 * Copies a file of `size` bytes (at most SMALL_FILE, from a stat just made) to `target`, with
 * exactly `mode`, through one buffer: open, read, close, open, write, truncate, chmod, close, where
 * the kernel's copy (copyFileSync) makes ten calls (two opens and fstats, a truncate, a chmod, a
 * clone that most file systems refuse, the copy, two closes) and the chmod after it one more. The
 * copy is the caller's own file either way. A plain file at `target` with no other name (a
 * recycled folder's input copy) is written over and cut to the new length, so no directory entry is
 * made; anything else there is replaced by a new file (see ownFile). A source of another size than
 * `size` (changed since its stat) is copied by the kernel, as it is.
 */
export function copySmallFile(source: string, target: string, size: number, mode: number): void {
  const input = openSync(source, "r");
  let length: number;
  try {
    length = readSync(input, smallFile, 0, size + 1, 0);
  } finally {
    closeSync(input);
  }
  if (length !== size) {
    copyFileSync(source, target, constants.COPYFILE_FICLONE);
    chmodSync(target, mode);
    return;
  }
  writeOver(target, smallFile.subarray(0, length), mode);
}

/**
 * Writes `bytes` to `target` as a file of its own with exactly `mode`: over a plain file there
 * with no other name, cut to their length (no directory entry made), else as a new file (see
 * ownFile). For small bytes, already known to be what they should be.
 */
export function writeOver(target: string, bytes: Uint8Array, mode: number): void {
  const output = ownFile(target, mode);
  try {
    for (let at = 0; at < bytes.length; ) at += writeSync(output, bytes, at, bytes.length - at, at);
    ftruncateSync(output, bytes.length);
    // A file that was there keeps its mode through the open, and the umask narrows a new one's.
    fchmodSync(output, mode);
  } finally {
    closeSync(output);
  }
}

const WRITE_OVER = constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/**
 * `target` open for writing as a file of its own: the file there if it is a plain file with one
 * link, else a new one in its place (a link, a second name of another file or a fifo there is
 * removed, never written through or waited on).
 */
function ownFile(target: string, mode: number): number {
  let fd: number | undefined;
  try {
    fd = openSync(target, WRITE_OVER, mode);
  } catch (error) {
    // A link (refused by O_NOFOLLOW), or a fifo with no reader (refused by O_NONBLOCK).
    if (!["ELOOP", "ENXIO"].includes(errorCode(error) ?? "")) throw error;
  }
  if (fd !== undefined) {
    const stats = fstatSync(fd);
    if (stats.isFile() && stats.nlink === 1) return fd;
    closeSync(fd);
  }
  unlinkSync(target);
  return openSync(target, WRITE_OVER | constants.O_EXCL, mode);
}

export function sha256(bytes: Uint8Array): string {
  return hashOnce("sha256", bytes, "hex");
}

/** fsync(2) of an open file, off the main thread: the one slow call in storing a small file. */
export function fsyncFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fsync(fd, (error) => (error ? reject(error) : resolve())));
}

/** Syncs a file's bytes to disk by its path. */
export async function syncFile(path: string): Promise<void> {
  const fd = openSync(path, "r");
  try {
    await fsyncFd(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Makes a rename durable: the new directory entry reaches the disk only when the directory itself
 * is synced. Some file systems refuse to sync a directory; there it is best effort.
 */
export async function syncDirectory(path: string): Promise<void> {
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    await fsyncFd(fd);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "EINVAL" && code !== "EPERM" && code !== "EISDIR" && code !== "EBADF") throw error;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/** Runs `fn` over `items` with at most `limit` at a time, keeping the results in order. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (next < items.length && !failed) {
      const index = next++;
      try {
        results[index] = await fn(items[index] as T);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** What `verifyBlob` asks of a blob store: one stored object's state, and how to read a directory's manifest. */
export interface VerifiableBlobs {
  check(digest: string): Promise<BlobStatus>;
  isDirectory(digest: string): Promise<boolean>;
  readManifest(digest: string): Promise<ManifestEntry[]>;
}

/**
 * A blob's state, for any blob store: the object itself and, for a directory, every member its
 * manifest names (`parallel` checked at a time). A damaged member makes the directory corrupt, a
 * missing one (and none damaged) missing.
 */
export async function verifyBlob(
  store: VerifiableBlobs,
  digest: string,
  parallel: number,
  kind?: ArtifactKind,
): Promise<BlobStatus> {
  if (kind === "file") return store.check(digest);
  // Both at once: on an object store each is a round trip.
  const [own, directory] = await Promise.all([
    store.check(digest),
    kind === "directory" ? true : store.isDirectory(digest),
  ]);
  if (own !== "ok" || !directory) return own;
  let entries: ManifestEntry[];
  try {
    entries = await store.readManifest(digest);
  } catch (error) {
    if (error instanceof StoreError && error.code === "CANAL_STORE_BLOB_CORRUPT") return "corrupt";
    throw error;
  }
  const members = await mapLimit(entries, parallel, (entry) => store.check(entry.sha256));
  if (members.includes("corrupt")) return "corrupt";
  return members.includes("missing") ? "missing" : "ok";
}

/** Runs `fn`, creating the parent directory of `path` first if `fn` found it missing. */
export function orMakeParentSync<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (errorCode(error) !== "ENOENT") throw error;
    mkdirSync(dirname(path), { recursive: true });
    return fn();
  }
}

/** As orMakeParentSync, for an asynchronous `fn`. */
export async function orMakeParent<T>(path: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (errorCode(error) !== "ENOENT") throw error;
    await mkdir(dirname(path), { recursive: true });
    return fn();
  }
}
