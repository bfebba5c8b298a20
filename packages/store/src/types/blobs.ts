// The blob store: content-addressed files and directory manifests.

import type { SharedBlobs } from "@canal/ir/run-types";
import type { ArtifactKind } from "./runs.js";

/** One entry of a directory manifest; the manifest is a JSON array of these, sorted by path. */
export interface ManifestEntry {
  /** Relative, "/"-separated. */
  path: string;
  sha256: string;
  size: number;
  executable: boolean;
}

export interface BlobInfo {
  digest: string;
  kind: ArtifactKind;
  /** Bytes of the file, or of all files of a directory. */
  size: number;
}

export type BlobStatus = "ok" | "missing" | "corrupt";

export interface PutOptions {
  /** The caller gives the file up: the store may take it by renaming instead of copying. */
  move?: boolean;
  /**
   * Return once the blob is in place, and make it durable by the next flush() instead: for a
   * caller that writes its records in batches and flushes before each.
   */
  deferSync?: boolean;
}

/**
 * Content-addressed artifact bytes. Digests are sha256 hex; a directory's digest is its manifest's.
 * Nothing is ever returned unless it matches its digest.
 */
export interface BlobStore {
  put(bytes: Uint8Array | string): Promise<string>;
  /** Streams: memory stays flat whatever the file's size. */
  putFile(path: string, options?: PutOptions): Promise<string>;
  putDirectory(path: string, options?: PutOptions): Promise<string>;
  /** Waits until everything put with `deferSync` is durable; throws if that failed. */
  flush(): Promise<void>;
  /** Presence only; `verify` checks content. */
  has(digest: string): Promise<boolean>;
  stat(digest: string): Promise<BlobInfo | undefined>;
  /** The bytes, verified. For large blobs use `materialize`. */
  get(digest: string): Promise<Buffer>;
  readManifest(digest: string): Promise<ManifestEntry[]>;
  /**
   * Writes the file or rebuilds the directory at `destination`, verifying every byte (bytes this
   * store already verified, and unchanged since, are not hashed again).
   */
  materialize(digest: string, destination: string): Promise<void>;
  /**
   * A directory is ok only when its manifest and every file in it are. `kind`, where the caller
   * knows it (a stored value says which it is), spares looking the other kind up.
   */
  verify(digest: string, kind?: ArtifactKind): Promise<BlobStatus>;
  /**
   * Blobs the store keeps beside its own place (an S3 store's rows in the metadata store's table)
   * that `keep` does not name and that were stored more than `olderThanMs` ago: deleted, unless
   * `dryRun`, and returned with where they were. Absent for a store that keeps nothing beside.
   */
  collectAside?(
    keep: ReadonlySet<string>,
    options: { dryRun: boolean; olderThanMs: number },
  ): Promise<Array<{ digest: string; size: number; where: string }>>;
  /** Lets go of what the store holds open (a remote store's connections); optional. */
  close?(): Promise<void>;
  /**
   * Present when steps can reach the store themselves (an S3 bucket): a runtime that moves blobs
   * then has its steps fetch and store their own bytes.
   */
  readonly shared?: SharedBlobs | undefined;
}

/**
 * Small blobs kept in the metadata store's database beside a blob store that would otherwise make
 * one request each (a team store's PostgreSQL beside its S3 bucket), by digest, within one
 * namespace (a workspace's blobs in a bucket and prefix). Rows are stored bytes like any other: the blob store hashes each
 * to its digest before trusting it, and a put replaces a row whose bytes differ (a damaged one).
 */
export interface SmallBlobTable {
  /**
   * Stores every blob in one statement; resolves once it is committed. A put of a row that is
   * there renews its time (what gc's grace counts from).
   */
  putMany(blobs: ReadonlyArray<{ digest: string; bytes: Uint8Array }>): Promise<void>;
  /** The bytes of those of `digests` that have a row, one statement for all. */
  getMany(digests: readonly string[]): Promise<Map<string, Buffer>>;
  /**
   * Up to `limit` rows after `after` (in digest order) stored or renewed more than `olderThanMs`
   * ago by the database's clock: their digests and sizes.
   */
  list(after: string, limit: number, olderThanMs: number): Promise<Array<{ digest: string; size: number }>>;
  /** Deletes the rows of `digests`; resolves to how many there were. */
  deleteMany(digests: readonly string[]): Promise<number>;
}

/**
 * Offered by a metadata store that can keep small blobs for a blob store of the same workspace
 * (PostgreSQL does, SQLite does not): the table of `namespace`, a name the blob store gives to
 * the workspace's blobs in the place they are (its bucket and prefix).
 */
export interface SmallBlobHost {
  smallBlobTable?(namespace: string): SmallBlobTable;
}
