import { createHash } from "node:crypto";
import { appendFileSync, closeSync, openSync, readFileSync, readSync, rmSync, statSync } from "node:fs";
import { resolve } from "node:path";

/**
 * Which files were found to hold the bytes their digest names, so each is hashed once per change
 * rather than on every read: a file is known by its identity (inode, size, modification and change
 * times, which any write moves) at the time it hashed right. With a journal path the knowledge
 * outlives the process, as the blob store's `verified` journal does. Used for an artifact's blobs,
 * the workspace's kept copies of artifacts and its cache of bundle modules.
 */
export class FileDigests {
  private known: Map<string, string> | undefined;

  /** @param journal a file to keep what was learnt in (appended to; reset past 32 MiB) */
  constructor(private readonly journal?: string) {}

  /** Whether the file at `path` exists and its bytes have the sha256 `digest`. */
  matches(path: string, digest: string): boolean {
    const file = resolve(path);
    const info = statSync(file, { bigint: true, throwIfNoEntry: false });
    if (!info?.isFile()) return false;
    const identity = `${digest}:${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`;
    const known = this.entries();
    if (known.get(file) === identity) return true;
    let actual: string;
    try {
      actual = hashFile(file);
    } catch {
      return false;
    }
    if (actual !== digest) {
      known.delete(file);
      return false;
    }
    known.set(file, identity);
    if (this.journal) {
      try {
        appendFileSync(this.journal, `${identity} ${file}\n`);
      } catch {
        // Only a later hash is lost.
      }
    }
    return true;
  }

  private entries(): Map<string, string> {
    if (this.known) return this.known;
    this.known = new Map();
    if (!this.journal) return this.known;
    try {
      if (statSync(this.journal).size > 32 * 1024 * 1024) rmSync(this.journal, { force: true });
      for (const line of readFileSync(this.journal, "utf8").split("\n")) {
        const match = /^([0-9a-f]{64}:\d+:\d+:\d+:\d+) (\/.*)$/.exec(line);
        if (match) this.known.set(match[2] as string, match[1] as string);
      }
    } catch {
      // No journal yet.
    }
    return this.known;
  }
}

/** sha256 (hex) of a file's bytes, read in pieces. */
export function hashFile(path: string): string {
  const hash = createHash("sha256");
  const fd = openSync(path, "r");
  try {
    const buffer = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const read = readSync(fd, buffer, 0, buffer.length, null);
      if (read === 0) break;
      hash.update(buffer.subarray(0, read));
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest("hex");
}
