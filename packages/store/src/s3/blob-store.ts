import { mkdir, readFile, stat } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import type { S3Client } from "@aws-sdk/client-s3";
import type { BlobPlace, SharedBlobs } from "@canal/ir/run-types";
import { copyHashing, mapLimit, sha256, verifyBlob } from "../blob-io.js";
import { BlobCorruptError, BlobMissingError, checkDigest, StoreError } from "../errors.js";
import { encodeManifest, listFiles, parseManifest } from "../manifest.js";
import type { ArtifactKind, BlobInfo, BlobStatus, BlobStore, ManifestEntry, PutOptions } from "../types.js";
import { BlobObjects } from "./blob-objects.js";
import { type S3Place, s3Failure } from "./client.js";
import { DEFER_MAX, DeferredPuts, RecentBlobs } from "./held-blobs.js";
import type { InlineBlobs } from "./inline-blobs.js";
import type { LeanRequests } from "./lean-request.js";
import { buildDirectory, writeHeld, writeVerified } from "./local-files.js";
import { identityOf, PART_SIZE } from "./multipart.js";
import { BucketObjects, PARALLEL_FILES } from "./objects.js";
import { StepAccess } from "./step-access.js";

/**
 * Artifact bytes in an S3 bucket, addressed by sha256, laid out as the local store is:
 *
 *   PREFIX sha256/ab/cdef…        the bytes of every blob (files, and directory manifests)
 *   PREFIX directories/ab/cdef…   an empty marker: this digest is a directory's manifest
 *
 * A blob is created only if absent (`IfNoneMatch: "*"`), so concurrent writers of one content,
 * on any machine, store it once. Every read is verified while it streams; an object that does not
 * match its name (changed, cut) is reported corrupt, and storing the content again overwrites it.
 * Credentials stay in the client: nothing here records or prints them.
 */
export class S3BlobStore implements BlobStore {
  /** `s3://bucket/prefix`: what messages name. */
  readonly location: string;
  /** The blobs' objects in the bucket, and what this machine found intact of them. */
  private readonly blobs: BlobObjects;
  /**
   * Puts made with `deferSync` whose request is still on its way. Their bytes are hashed and held
   * in `recent`, so a step materializes them without waiting for the request.
   */
  private readonly deferred: DeferredPuts;
  /** The bytes of the latest small puts and downloads, each hashed to its digest. */
  private readonly recent = new RecentBlobs();

  /** The bucket as steps reach it themselves; absent for a store opened where a step runs. */
  readonly shared: SharedBlobs | undefined;
  /** The requests on the bucket's objects, by key (lean or through the SDK's commands). */
  private readonly objects: BucketObjects;

  constructor(
    private readonly client: S3Client,
    private readonly place: S3Place,
    /** A file of "digest etag" lines this machine found intact; absent: kept in memory only. */
    journalPath?: string,
    sharedPlace?: BlobPlace,
    /** Sends a small blob's put, a HEAD and a GET as one signed request each; absent: through the SDK's commands. */
    lean?: LeanRequests,
    /**
     * Small file blobs kept in the metadata store's table instead of the bucket (`inlineBytes`);
     * absent: every blob is an object.
     */
    private readonly inline?: InlineBlobs,
  ) {
    this.objects = new BucketObjects(client, place, lean);
    this.blobs = new BlobObjects(client, place, this.objects, journalPath);
    this.location = this.blobs.location;
    this.deferred = new DeferredPuts((digest, bytes) => this.blobs.put(digest, bytes));
    this.shared =
      sharedPlace &&
      new StepAccess(
        sharedPlace,
        {
          blobs: this.blobs,
          flush: () => this.flush(),
          manifestOf: (digest) => this.manifestOf(digest),
          row: (digest) => this.row(digest),
        },
        inline !== undefined,
      );
  }

  /** The table's row of `digest`, hashed (InlineBlobs.read); one that matches is kept in memory to materialize from. */
  private async row(digest: string): Promise<{ bytes: Buffer } | { damaged: string } | undefined> {
    const row = await this.inline?.read(digest);
    if (row && "bytes" in row) this.recent.keep(digest, row.bytes);
    return row;
  }

  /** A damaged row, as a damaged object is reported. */
  private rowCorrupt(digest: string, actual: string): BlobCorruptError {
    return new BlobCorruptError(
      digest,
      `the metadata store's table of small blobs of ${this.location}`,
      actual,
    );
  }

  async put(bytes: Uint8Array | string): Promise<string> {
    const data = typeof bytes === "string" ? Buffer.from(bytes, "utf8") : bytes;
    const digest = sha256(data);
    if (this.inline?.fits(data.byteLength))
      await this.inline.put(digest, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    else await this.blobs.put(digest, data);
    return digest;
  }

  async putFile(path: string, options: PutOptions = {}): Promise<string> {
    const { size } = await stat(path);
    if (options.deferSync && (this.inline?.fits(size) || this.deferred.fits(size))) {
      const bytes = await readFile(path);
      const digest = sha256(bytes);
      this.recent.keep(digest, bytes);
      // Kept for the next flush's one statement, or sent to the bucket in the background.
      if (this.inline?.fits(bytes.byteLength)) this.inline.defer(digest, bytes);
      else this.deferred.defer(digest, bytes);
      return digest;
    }
    if (this.inline?.fits(size)) {
      const bytes = await readFile(path);
      const digest = sha256(bytes);
      if (this.inline.fits(bytes.byteLength)) await this.inline.put(digest, bytes);
      else await this.blobs.put(digest, bytes);
      return digest;
    }
    return (await this.storeFile(path)).digest;
  }

  private async storeFile(path: string): Promise<{ digest: string; size: number }> {
    const { size } = await stat(path);
    if (size <= PART_SIZE) {
      // Read once, hashed and sent from memory: the digest names exactly the bytes sent.
      const data = await readFile(path);
      const digest = sha256(data);
      await this.blobs.put(digest, data);
      return { digest, size: data.byteLength };
    }
    const before = await identityOf(path);
    const { digest } = await copyHashing(path);
    await this.blobs.putLarge(digest, path, before);
    return { digest, size };
  }

  async putDirectory(path: string): Promise<string> {
    const files = await listFiles(path);
    const entries = await mapLimit(files, PARALLEL_FILES, async (file): Promise<ManifestEntry> => {
      const { digest, size } = await this.storeFile(file.absolute);
      return { path: file.path, sha256: digest, size, executable: file.executable };
    });
    // A manifest and its marker are objects, never rows: a step that fetches a directory itself
    // reads both from the bucket.
    const manifest = encodeManifest(entries);
    const digest = sha256(manifest);
    await this.blobs.put(digest, manifest);
    await this.blobs.mark(digest);
    return digest;
  }

  /**
   * The table's rows of this bucket and prefix that `keep` does not name, stored or renewed more
   * than `olderThanMs` ago: deleted unless `dryRun`. Objects stay: gc keeps the bucket's.
   */
  async collectAside(
    keep: ReadonlySet<string>,
    options: { dryRun: boolean; olderThanMs: number },
  ): Promise<Array<{ digest: string; size: number; where: string }>> {
    const inline = this.inline;
    if (!inline) return [];
    const where = `the metadata store's table of small blobs of ${this.location}`;
    const unneeded = (await inline.collect(keep, options)).map((row) => ({ ...row, where }));
    for (const row of unneeded) this.recent.forget(row.digest);
    return unneeded;
  }

  /** Closes the client's connections, once the deferred puts are sent; a request after this fails. */
  async close(): Promise<void> {
    await this.deferred.settled();
    // What no flush took yet is stored if it can be; no record names it (records follow a flush).
    await this.inline?.flush().catch(() => {});
    this.client.destroy();
  }

  /**
   * An object is durable once S3 acknowledged it: waits for the puts made with `deferSync` so far,
   * and throws the first of them that failed.
   */
  async flush(): Promise<void> {
    await Promise.all([this.deferred.flush(), this.inline?.flush()]);
  }

  async has(digest: string): Promise<boolean> {
    await this.deferred.sent(checkDigest(digest));
    const row = await this.row(digest);
    if (row && "bytes" in row) return true;
    return (await this.blobs.head(digest)) !== undefined;
  }

  async stat(digest: string): Promise<BlobInfo | undefined> {
    await this.deferred.sent(checkDigest(digest));
    // The row, the object and the marker asked at once: a blob kept only in the bucket costs one
    // round trip, not the row's and then the object's (a row's blob costs a HEAD that finds
    // nothing, in the same round).
    const [row, blob, directory] = await Promise.all([
      this.row(digest),
      this.blobs.head(digest),
      this.blobs.isDirectory(digest),
    ]);
    if (row && "bytes" in row && !directory) return { digest, kind: "file", size: row.bytes.byteLength };
    if (!blob) return undefined;
    if (!directory) return { digest, kind: "file", size: blob.size };
    const entries = await this.manifestOf(digest);
    return { digest, kind: "directory", size: entries.reduce((sum, e) => sum + e.size, 0) };
  }

  async get(digest: string): Promise<Buffer> {
    await this.deferred.sent(checkDigest(digest));
    const row = await this.row(digest);
    if (row && "bytes" in row) return row.bytes;
    const bytes = await this.blobs.bytes(digest);
    if (bytes) return bytes;
    if (row) throw this.rowCorrupt(digest, row.damaged);
    throw new BlobMissingError(digest, this.location);
  }

  // A directory's manifest is an object, never a row (putDirectory): it is read from the bucket
  // without asking the table first, a round trip less.
  async readManifest(digest: string): Promise<ManifestEntry[]> {
    await this.deferred.sent(checkDigest(digest));
    const [object, directory] = await Promise.allSettled([
      this.blobs.bytes(digest),
      this.blobs.isDirectory(digest),
    ]);
    if (directory.status === "rejected") throw directory.reason;
    // Not a directory: refused as a file, or as missing, wherever the blob is kept.
    if (!directory.value) return this.parsed(digest, await this.get(digest), false);
    if (object.status === "rejected") throw object.reason;
    return this.parsed(digest, object.value ?? this.missing(digest), true);
  }

  /** The manifest of `digest`, whose marker the caller has just found: read without asking again. */
  private async manifestOf(digest: string): Promise<ManifestEntry[]> {
    await this.deferred.sent(digest);
    return this.parsed(digest, (await this.blobs.bytes(digest)) ?? this.missing(digest), true);
  }

  private missing(digest: string): never {
    throw new BlobMissingError(digest, this.location);
  }

  private parsed(digest: string, bytes: Buffer, directory: boolean): ManifestEntry[] {
    if (!directory) {
      throw new StoreError(
        "CANAL_STORE_INVALID_DIGEST",
        `sha256:${digest} is a file artifact, not a directory; read it with get or materialize it`,
      );
    }
    return parseManifest(bytes, digest);
  }

  async verify(digest: string, kind?: ArtifactKind): Promise<BlobStatus> {
    await this.deferred.sent(checkDigest(digest));
    return verifyBlob(
      {
        // A directory's manifest is an object, never a row: the table is asked only of its files.
        check: (d) =>
          kind === "directory" && d === digest ? this.blobs.check(d, true) : this.checkAnywhere(d),
        isDirectory: (d) => this.blobs.isDirectory(d),
        // Asked once the marker was found, unless the caller only said it is a directory.
        readManifest: (d) => (kind === "directory" ? this.readManifest(d) : this.manifestOf(d)),
      },
      digest,
      PARALLEL_FILES,
      kind,
    );
  }

  /** Whether the blob is intact in the table or, failing that, in the bucket. */
  private async checkAnywhere(digest: string): Promise<BlobStatus> {
    const row = await this.row(digest);
    if (row && "bytes" in row) return "ok";
    const status = await this.blobs.check(digest, true);
    return status === "missing" && row ? "corrupt" : status;
  }

  async materialize(digest: string, destination: string): Promise<void> {
    const target = resolve(destination);
    checkDigest(digest);
    // The bytes of a recent put were hashed to this digest as they were put: written out as they are.
    const bytes = this.recent.get(digest);
    if (bytes) {
      await writeHeld(target, bytes);
      return;
    }
    await this.deferred.sent(digest);
    // A row is a file's bytes: a directory's manifest is an object, with its marker.
    const row = await this.row(digest);
    if (row && "bytes" in row) {
      await writeHeld(target, row.bytes);
      return;
    }
    if (!(await this.blobs.isDirectory(digest))) {
      try {
        return await this.download(digest, target, false);
      } catch (error) {
        if (row && error instanceof BlobMissingError) throw this.rowCorrupt(digest, row.damaged);
        throw error;
      }
    }
    const entries = await this.manifestOf(digest);
    await buildDirectory(target, entries, PARALLEL_FILES, (entry, file) =>
      this.download(entry.sha256, file, entry.executable),
    );
  }

  /**
   * Streams one blob to `target`, hashing it on the way, into a file beside it that is renamed
   * into place only once it matched its digest: a damaged object never appears at `target`.
   */
  private async download(digest: string, target: string, executable: boolean): Promise<void> {
    // The folder before the GET: once the response is open, only writeVerified's pipeline reads
    // or destroys its body, and a body left unread holds its connection for good.
    await mkdir(dirname(target), { recursive: true });
    const object = await this.blobs.open(digest);
    if (!object) throw new BlobMissingError(digest, this.location);
    // A small blob is kept once it matched, for the next step that reads it (a fan-out's input).
    const keep = object.size !== undefined && object.size <= DEFER_MAX ? [] : undefined;
    await writeVerified(
      object.body,
      target,
      executable,
      (actual) => {
        if (actual !== digest) throw this.blobs.corrupt(digest, actual);
        this.blobs.known.remember(digest, object.etag);
        if (keep) this.recent.keep(digest, Buffer.concat(keep));
      },
      (error) => s3Failure(error, `reading sha256:${digest}`, this.place),
      keep,
    );
  }
}
