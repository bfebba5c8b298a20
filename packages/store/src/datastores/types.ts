// What a datastore is (AzureML's Datastore): a named place holding files that datasets are
// registered from: a folder on this machine or a bucket's prefix. Every kind answers the same
// calls, proven by one conformance suite (test/conformance/datastore.ts).
import type { Readable } from "node:stream";

/** One file of a datastore: its path from the datastore's root ("/"-separated) and its size in bytes. */
export interface DatastoreEntry {
  path: string;
  size: number;
}

/**
 * A file of a listing with what changes when the file does, without reading it: a local file's
 * modification time (ns), an object's ETag. What a data trigger compares between two listings.
 */
export interface VersionedEntry extends DatastoreEntry {
  version: string;
}

/** A file's content digest, streamed: sha256 (hex) and the bytes hashed. */
export interface FileDigest {
  digest: string;
  size: number;
}

/** A datastore's settings as resolved: its kind picks how it is opened. */
export interface DatastoreSettings {
  kind: string;
  [setting: string]: unknown;
}

export interface Datastore {
  readonly name: string;
  readonly kind: string;
  /** Where its files are, in words, with no secret: a folder, or `s3://bucket/prefix at endpoint`. */
  readonly location: string;
  /**
   * Its files that `pattern` names, sorted by path (`comparePaths`: by UTF-8 bytes): a glob (`*`, `?`, `**`, `{a,b}`, `[…]`), a
   * file's path, or a folder's path (everything under it). No pattern (or "") lists every file.
   */
  list(pattern?: string): Promise<DatastoreEntry[]>;
  /** As `list`, each file with its version (`VersionedEntry`): what a data trigger polls. */
  listVersions(pattern?: string): Promise<VersionedEntry[]>;
  /** The file at `path`, or undefined when there is none. */
  stat(path: string): Promise<DatastoreEntry | undefined>;
  /** The bytes of `path`, streamed. */
  openRead(path: string): Promise<Readable>;
  /** Bytes `start` up to `end` (exclusive) of `path`: a Parquet file's footer, without the rest. */
  readRange(path: string, start: number, end: number): Promise<Buffer>;
  /**
   * The real path of file `path` on this machine, for a datastore that is a folder here (checked
   * to lie inside it, as every path is); undefined for a kind whose files are elsewhere (S3), or
   * no such file. A step that reads data in place (access `mount`) is given it.
   */
  localPath?(path: string): Promise<string | undefined>;
  /** The sha256 of `path`'s bytes, streamed. */
  digest(path: string): Promise<FileDigest>;
  /**
   * Writes `path`: the bytes go to a temporary name first and take `path` only once complete, so
   * a reader never sees half a file.
   */
  write(path: string, bytes: Readable | Uint8Array | string): Promise<void>;
  /** Throws the reason (unreachable, missing, denied) when the datastore cannot be used. */
  check(): Promise<void>;
  close(): Promise<void>;
}
