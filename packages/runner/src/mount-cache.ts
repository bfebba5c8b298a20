// The on-disk cache of S3 datastore files that steps read in place (access `mount`): a file is
// fetched from its datastore when a step that reads it starts, hashed as it streams in, and kept
// under its sha256 so that the next step (or run) that reads the same content finds it here. The
// cache is bounded: before a file comes in, the least recently used files go until it fits under
// `mountCache.maxSize` and leaves the disk its reserve; a file that cannot fit is an error, never
// a full disk. An entry is trusted only once hashed again when it is served: the bytes a step
// reads are exactly those its cache key names.

import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { chmod, mkdir, readdir, rename, rm, stat, statfs, utimes } from "node:fs/promises";
import { join } from "node:path";
import { copyHashed, type Datastore } from "@canal/store";
import { MountError } from "./errors.js";

/** What the disk keeps free however full the cache may get: 5% of it, at most 2 GiB. */
export function diskReserve(totalBytes: number): number {
  return Math.min(2 * 1024 ** 3, Math.floor(totalBytes * 0.05));
}

const SHA256 = /^[0-9a-f]{64}$/;

/** `512 B`, `1.5 MiB`, `10 GiB`: a size as a message shows it. */
function shownSize(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : Number(value.toFixed(1))} ${units[unit]}`;
}

interface Entry {
  path: string;
  size: number;
  usedMs: number;
}

/** The sha256 and size of a file on this machine, streamed. */
export async function hashLocal(path: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest("hex"), size };
}

export class MountCache {
  /** One fetch per content at a time in this process: two steps reading one file wait for one copy. */
  private readonly pending = new Map<string, Promise<string>>();
  private trimmed: Promise<boolean> | undefined;

  constructor(
    readonly dir: string,
    readonly maxBytes: number,
    /** The disk's free bytes and size; a test gives a small disk. */
    private readonly disk: (dir: string) => Promise<{ free: number; total: number }> = async (dir) => {
      const fs = await statfs(dir);
      return { free: fs.bavail * fs.bsize, total: fs.blocks * fs.bsize };
    },
  ) {}

  private entryPath(sha256: string): string {
    return join(this.dir, sha256.slice(0, 2), sha256);
  }

  /**
   * The path of a verified copy of `file` of `datastore` in the cache (read-only), fetched if it
   * is not there. With `file.sha256`, bytes of other content are an error naming the file; without
   * (a datastore path not registered), the content found is what is cached and returned.
   */
  async get(
    datastore: Datastore,
    file: { path: string; sha256?: string; size: number },
  ): Promise<{ path: string; sha256: string; size: number }> {
    // A bound lowered since the cache was filled holds from the first use on.
    this.trimmed ??= this.evict(0);
    await this.trimmed;
    if (file.sha256 !== undefined) {
      const cached = await this.hit(file.sha256, file.size);
      if (cached) return { path: cached, sha256: file.sha256, size: file.size };
      const key = file.sha256;
      let fetching = this.pending.get(key);
      if (!fetching) {
        fetching = this.fetch(datastore, file)
          .then((fetched) => fetched.path)
          .finally(() => this.pending.delete(key));
        this.pending.set(key, fetching);
      }
      return { path: await fetching, sha256: file.sha256, size: file.size };
    }
    return { ...(await this.fetch(datastore, file)), size: file.size };
  }

  /** A cached entry of this content, hashed again (an entry is trusted only once verified), and marked used. */
  private async hit(sha256: string, size: number): Promise<string | undefined> {
    if (!SHA256.test(sha256)) return undefined;
    const path = this.entryPath(sha256);
    try {
      if ((await stat(path)).size !== size) throw new Error("size");
      const found = await hashLocal(path);
      if (found.sha256 !== sha256) throw new Error("content");
    } catch {
      await rm(path, { force: true });
      return undefined;
    }
    const now = new Date();
    await utimes(path, now, now).catch(() => {});
    return path;
  }

  private async fetch(
    datastore: Datastore,
    file: { path: string; sha256?: string; size: number },
  ): Promise<{ path: string; sha256: string }> {
    await mkdir(this.dir, { recursive: true });
    await this.makeRoom(file.size, `${datastore.name}:${file.path}`);
    const temp = join(this.dir, `.tmp-${randomBytes(8).toString("hex")}`);
    try {
      const { sha256, size } = await copyHashed(datastore, file.path, temp, 0o600);
      if ((file.sha256 !== undefined && sha256 !== file.sha256) || size !== file.size) {
        throw new MountError(
          "CANAL_MOUNT_FILE_CHANGED",
          `${datastore.name}:${file.path} in ${datastore.location} is not what was registered: it has sha256:${sha256} (${size} B), the version records sha256:${file.sha256 ?? "?"} (${file.size} B); register the files again for a new version, or restore them`,
        );
      }
      // Read-only: the entry is shared by every step that reads this content.
      await chmod(temp, 0o444);
      const path = this.entryPath(sha256);
      await mkdir(join(this.dir, sha256.slice(0, 2)), { recursive: true });
      await rename(temp, path);
      return { path, sha256 };
    } finally {
      await rm(temp, { force: true });
    }
  }

  /** Every entry, least recently used first. */
  private async entries(): Promise<Entry[]> {
    const found: Entry[] = [];
    let shards: string[];
    try {
      shards = await readdir(this.dir);
    } catch {
      return found;
    }
    for (const shard of shards) {
      if (shard.startsWith(".")) continue;
      let names: string[];
      try {
        names = await readdir(join(this.dir, shard));
      } catch {
        continue;
      }
      for (const name of names) {
        const path = join(this.dir, shard, name);
        try {
          const info = await stat(path);
          found.push({ path, size: info.size, usedMs: info.mtimeMs });
        } catch {
          // Evicted meanwhile by another process.
        }
      }
    }
    return found.sort((a, b) => a.usedMs - b.usedMs);
  }

  /**
   * Evicts least recently used entries until `size` more bytes fit under the cache's bound and
   * leave the disk its reserve. A step reading an evicted entry keeps its bytes: it reads a hard
   * link of its own, which the disk frees when the step's folder goes.
   */
  private async makeRoom(size: number, what: string): Promise<void> {
    if (size > this.maxBytes)
      throw new MountError(
        "CANAL_MOUNT_CACHE_FULL",
        `${what} (${shownSize(size)}) is larger than the mount cache (mountCache.maxSize ${shownSize(this.maxBytes)}); raise mountCache.maxSize in canal.config.json, or read it with access "download"`,
      );
    if (await this.evict(size)) return;
    const disk = await this.disk(this.dir);
    throw new MountError(
      "CANAL_MOUNT_CACHE_FULL",
      `${what} (${shownSize(size)}) does not fit on the disk of the mount cache ${this.dir}: ${shownSize(disk.free)} free, and ${shownSize(diskReserve(disk.total))} stays free; free some space, or read it with access "download"`,
    );
  }

  /** Evicts least recently used entries until `size` more bytes fit; false if they cannot. */
  private async evict(size: number): Promise<boolean> {
    const entries = await this.entries();
    if (entries.length === 0 && size === 0) return true;
    let used = entries.reduce((sum, e) => sum + e.size, 0);
    let disk = await this.disk(this.dir);
    const reserve = diskReserve(disk.total);
    while (used + size > this.maxBytes || disk.free - size < reserve) {
      const oldest = entries.shift();
      if (!oldest) return false;
      await rm(oldest.path, { force: true });
      used -= oldest.size;
      disk = await this.disk(this.dir);
    }
    return true;
  }
}
