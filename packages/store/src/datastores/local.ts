// The `local` datastore kind: a folder on this machine. Every path is resolved through its real
// path, so a symbolic link that points out of the folder is an error, never a way out of it.
import { createHash, randomBytes } from "node:crypto";
import {
  closeSync,
  createReadStream,
  createWriteStream,
  type Dirent,
  openSync,
  readdirSync,
  readSync,
  realpathSync,
  statSync,
} from "node:fs";
import { mkdir, open, readdir, realpath, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, sep } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { errorCode } from "../blob-io.js";
import { comparePaths } from "../datasets/manifest.js";
import { StoreError } from "../errors.js";
import { datastorePath, globBase, LINK_FIX, matcher, pathEscape } from "./paths.js";
import type { Datastore, DatastoreEntry, FileDigest, VersionedEntry } from "./types.js";

/** A file up to this size is read whole to be hashed: one read instead of a stream's many. */
const SMALL_FILE = 1024 * 1024;
/** A larger one is read in chunks of this size into one buffer. */
const CHUNK = 4 * 1024 * 1024;
/** Files being written carry this prefix until they take their name; listing skips them. */
const TEMP_PREFIX = ".canal-tmp-";

export interface LocalDatastoreSettings {
  kind: "local";
  /** The folder, absolute. */
  path: string;
}

export class LocalDatastore implements Datastore {
  readonly kind = "local";
  readonly location: string;
  private realRoot: Promise<string> | undefined;

  constructor(
    readonly name: string,
    private readonly root: string,
    /** The config key that sets the folder, for the fix in a message. */
    private readonly setting: string,
    /** Make the folder when it is missing (the workspace's own datastore), instead of failing. */
    private readonly create = false,
  ) {
    this.location = root;
  }

  private missingRoot(error: unknown): StoreError {
    const code = errorCode(error);
    return new StoreError(
      "CANAL_STORE_UNREACHABLE",
      code === "ENOENT" || code === "ENOTDIR"
        ? `datastore ${this.name}'s folder ${this.root} does not exist; create it, or set \`${this.setting}\` to a folder that does`
        : `datastore ${this.name}'s folder ${this.root} cannot be read (${code ?? (error as Error).message}); check its permissions`,
    );
  }

  private base(): Promise<string> {
    this.realRoot ??= (async () => {
      try {
        if (this.create) await mkdir(this.root, { recursive: true });
        const real = await realpath(this.root);
        if (!(await stat(real)).isDirectory()) {
          throw new StoreError(
            "CANAL_STORE_UNREACHABLE",
            `datastore ${this.name}'s path ${this.root} is not a folder; set \`${this.setting}\` to a folder`,
          );
        }
        return real;
      } catch (error) {
        this.realRoot = undefined;
        if (error instanceof StoreError) throw error;
        throw this.missingRoot(error);
      }
    })();
    return this.realRoot;
  }

  private inside(real: string, base: string): boolean {
    return real === base || real.startsWith(base + sep);
  }

  /**
   * The real path of an existing `path`, checked to lie under the root; undefined when it does not
   * exist. Synchronous, as are the listing and the hashing of small files: for thousands of small
   * files a thread-pool round trip per call costs several times the call itself.
   */
  private resolveExisting(base: string, path: string): { rel: string; real: string } | undefined {
    const rel = datastorePath(this.name, path);
    let real: string;
    try {
      real = realpathSync.native(join(base, rel));
    } catch (error) {
      const code = errorCode(error);
      if (code === "ENOENT" || code === "ENOTDIR") return undefined;
      throw error;
    }
    if (!this.inside(real, base))
      throw pathEscape(this.name, path, `it is a symbolic link to ${real}`, LINK_FIX);
    return { rel, real };
  }

  private missingFile(path: string): StoreError {
    return new StoreError(
      "CANAL_STORE_DATASTORE_FILE_MISSING",
      `datastore ${this.name} has no file ${JSON.stringify(path)} (in ${this.root}); \`canal datastores ls ${this.name}\` lists its files`,
    );
  }

  async localPath(path: string): Promise<string | undefined> {
    const found = this.resolveExisting(await this.base(), path);
    return found && statSync(found.real).isFile() ? found.real : undefined;
  }

  async check(): Promise<void> {
    const base = await this.base();
    try {
      await readdir(base);
    } catch (error) {
      throw this.missingRoot(error);
    }
  }

  async list(pattern = ""): Promise<DatastoreEntry[]> {
    const clean = datastorePath(this.name, pattern);
    const base = await this.base();
    const matches = matcher(clean);
    const found: DatastoreEntry[] = [];
    const top = this.resolveExisting(base, globBase(clean));
    if (!top) return [];
    const topStat = statSync(top.real);
    if (topStat.isFile()) {
      if (matches(top.rel)) found.push({ path: top.rel, size: topStat.size });
      return found;
    }
    const seen = new Set<string>([top.real]);
    const walk = (real: string, rel: string): void => {
      let entries: Dirent[];
      try {
        entries = readdirSync(real, { withFileTypes: true });
      } catch (error) {
        if (errorCode(error) === "ENOENT") return;
        throw error;
      }
      for (const entry of entries) {
        if (entry.name.startsWith(TEMP_PREFIX)) continue;
        const childRel = rel ? `${rel}/${entry.name}` : entry.name;
        let childReal = join(real, entry.name);
        if (entry.isSymbolicLink()) {
          try {
            childReal = realpathSync.native(childReal);
          } catch {
            continue; // a dangling link is no file
          }
          if (!this.inside(childReal, base))
            throw pathEscape(this.name, childRel, `it is a symbolic link to ${childReal}`, LINK_FIX);
          const target = statSync(childReal);
          if (target.isDirectory()) {
            if (!seen.has(childReal)) {
              seen.add(childReal);
              walk(childReal, childRel);
            }
          } else if (target.isFile() && matches(childRel)) found.push({ path: childRel, size: target.size });
        } else if (entry.isDirectory()) walk(childReal, childRel);
        else if (entry.isFile() && matches(childRel))
          found.push({ path: childRel, size: statSync(childReal).size });
      }
    };
    walk(top.real, top.rel);
    return found.sort((a, b) => comparePaths(a.path, b.path));
  }

  async listVersions(pattern = ""): Promise<VersionedEntry[]> {
    const base = await this.base();
    const found: VersionedEntry[] = [];
    for (const entry of await this.list(pattern)) {
      const file = this.resolveExisting(base, entry.path);
      if (!file) continue; // gone between the listing and now: the next poll says so
      try {
        const info = statSync(file.real, { bigint: true });
        found.push({ path: entry.path, size: Number(info.size), version: String(info.mtimeNs) });
      } catch (error) {
        if (errorCode(error) !== "ENOENT") throw error;
      }
    }
    return found;
  }

  async stat(path: string): Promise<DatastoreEntry | undefined> {
    const found = this.resolveExisting(await this.base(), path);
    if (!found) return undefined;
    const info = statSync(found.real);
    return info.isFile() ? { path: found.rel, size: info.size } : undefined;
  }

  private async file(path: string): Promise<string> {
    const found = this.resolveExisting(await this.base(), path);
    if (!found || !statSync(found.real).isFile()) throw this.missingFile(path);
    return found.real;
  }

  async openRead(path: string): Promise<Readable> {
    return createReadStream(await this.file(path), { highWaterMark: 1024 * 1024 });
  }

  async readRange(path: string, start: number, end: number): Promise<Buffer> {
    const handle = await open(await this.file(path), "r");
    try {
      const buffer = Buffer.alloc(Math.max(0, end - start));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, start);
      return buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  }

  async digest(path: string): Promise<FileDigest> {
    const real = await this.file(path);
    // A small file in one read into a buffer kept for it; nothing awaits between the read and
    // the hash, so concurrent digests never share the buffer.
    const fd = openSync(real, "r");
    let length: number;
    try {
      length = readSync(fd, this.small, 0, this.small.length, 0);
    } finally {
      closeSync(fd);
    }
    if (length <= SMALL_FILE)
      return {
        digest: createHash("sha256").update(this.small.subarray(0, length)).digest("hex"),
        size: length,
      };
    const handle = await open(real, "r");
    try {
      const hash = createHash("sha256");
      const buffer = Buffer.allocUnsafe(CHUNK);
      let total = 0;
      for (;;) {
        const { bytesRead } = await handle.read(buffer, 0, CHUNK, null);
        if (bytesRead === 0) break;
        hash.update(bytesRead === CHUNK ? buffer : buffer.subarray(0, bytesRead));
        total += bytesRead;
      }
      return { digest: hash.digest("hex"), size: total };
    } finally {
      await handle.close();
    }
  }

  /** One byte more than a small file: a file that fills it is read as a large one. */
  private readonly small = Buffer.allocUnsafe(SMALL_FILE + 1);

  async write(path: string, bytes: Readable | Uint8Array | string): Promise<void> {
    const rel = datastorePath(this.name, path);
    if (rel === "") throw pathEscape(this.name, path, "it names the datastore's root, not a file");
    const base = await this.base();
    const folder = join(base, dirname(rel));
    await mkdir(folder, { recursive: true });
    const realFolder = await realpath(folder);
    if (!this.inside(realFolder, base))
      throw pathEscape(this.name, path, `its folder is a symbolic link to ${realFolder}`, LINK_FIX);
    const target = join(realFolder, rel.split("/").pop() as string);
    const temp = join(realFolder, `${TEMP_PREFIX}${randomBytes(8).toString("hex")}`);
    try {
      if (bytes instanceof Readable) {
        await pipeline(bytes, createWriteStream(temp, { flags: "wx" }));
      } else await writeFile(temp, bytes, { flag: "wx" });
      await rename(temp, target);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  async close(): Promise<void> {}
}
