import { createHash, randomBytes } from "node:crypto";
import {
  appendFileSync,
  createReadStream,
  createWriteStream,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
} from "node:fs";
import { chmod, mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import type { BlobPlace, SharedBlobs } from "@canal/ir/run-types";
import type { StoreContext } from "../backends.js";
import { copyHashing, errorCode, mapLimit, sha256, verifyBlob } from "../blob-io.js";
import { BlobCorruptError, BlobMissingError, checkDigest, StoreError } from "../errors.js";
import { encodeManifest, listFiles, parseManifest } from "../manifest.js";
import type { ArtifactKind, BlobInfo, BlobStatus, BlobStore, ManifestEntry, PutOptions } from "../types.js";
import type { S3Settings } from "./backend.js";
import {
  connect,
  isNotFound,
  isPreconditionFailed,
  type S3Place,
  s3Failure,
  signedWithDigest,
} from "./client.js";
import type { LeanRequests } from "./lean-request.js";
import { type ListPage, ObjectListing } from "./listing.js";

// Files of a directory are stored and fetched this many at a time: enough to hide the round trips.
const PARALLEL_FILES = 8;
// A file up to this size is sent in one PutObject from memory; a larger one in parts of this size,
// a few at a time: memory stays under PART_SIZE * (QUEUE + 1) per file whatever its size.
const PART_SIZE = 8 * 1024 * 1024;
const QUEUE = 4;
// A file up to this size put with `deferSync` is sent in the background (see S3BlobStore.deferred),
// while the bytes of all such puts not acknowledged yet stay under DEFERRED_BYTES; beyond it a put
// waits for its own request.
const DEFER_MAX = 1024 * 1024;
const DEFERRED_BYTES = 64 * 1024 * 1024;
// The bytes of recent small puts and downloads, each hashed to its digest, kept to materialize
// from: a chain's next step reads what the last wrote, a fan-out's every step the same input.
const RECENT_BYTES = 16 * 1024 * 1024;

/** Opens the bucket `settings` name, checking at once that it can be reached and read. */
export async function openS3BlobStore(settings: S3Settings, context: StoreContext): Promise<S3BlobStore> {
  const { client, place, shared, lean } = connect(settings, context);
  try {
    await client.send(new HeadBucketCommand({ Bucket: place.bucket }));
  } catch (error) {
    client.destroy();
    throw s3Failure(error, "opening the artifact store", place);
  }
  // What this machine found intact in this bucket and prefix, kept across processes.
  const journal =
    context.cacheFolder === undefined
      ? undefined
      : join(
          context.cacheFolder,
          "s3-verified",
          sha256(Buffer.from(`${place.endpoint}\n${place.bucket}\n${place.prefix}`)).slice(0, 32),
        );
  return new S3BlobStore(client, place, journal, shared, lean);
}

/**
 * The bucket `place` names, opened where a step runs (its container, its job) with the step's own
 * credentials: the standard AWS variables of its environment. Nothing is kept across processes.
 */
export function openStepBlobStore(place: BlobPlace): S3BlobStore {
  const {
    client,
    place: where,
    lean,
  } = connect(
    {
      kind: "s3",
      bucket: place.bucket,
      prefix: place.prefix,
      ...(place.endpoint !== undefined ? { endpoint: place.endpoint } : {}),
      ...(place.region !== undefined ? { region: place.region } : {}),
      ...(place.forcePathStyle !== undefined ? { forcePathStyle: place.forcePathStyle } : {}),
    },
    { workspace: "", root: "/", configFile: "the workspace's canal.config.json" },
  );
  return new S3BlobStore(client, where, undefined, undefined, lean);
}

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
  /**
   * Digest -> the ETag of the object last found intact (hashed, or written from bytes just hashed):
   * re-checking it then costs a HEAD, since any write of other bytes changes the ETag. Seeded from
   * the journal on first use, so a later process need not download a blob again to trust it.
   */
  private knownEtags: Map<string, string> | undefined;
  private journalLines: string[] = [];
  /**
   * Puts made with `deferSync` whose request is still on its way, by digest: durable once flush()
   * returns, which the recorder waits for before it writes a record that names them. Their bytes
   * are hashed and held here, so a step materializes them without waiting for the request.
   */
  private readonly deferred = new Map<string, { bytes: Buffer; sent: Promise<void> }>();
  private deferredBytes = 0;
  /**
   * The first deferred put that failed: every later flush throws it, since a record naming that
   * blob may be waiting for one to pass.
   */
  private deferredFailure: unknown;
  /** The bytes of the latest small puts and downloads, oldest first, each hashed to its digest. */
  private readonly recent = new Map<string, Buffer>();
  private recentBytes = 0;

  /** The bucket as steps reach it themselves; absent for a store opened where a step runs. */
  readonly shared: SharedBlobs | undefined;
  /** Answers many checks of known blobs from a few listings of `sha256/` instead of a HEAD each. */
  private readonly listing: ObjectListing;

  constructor(
    private readonly client: S3Client,
    private readonly place: S3Place,
    /** A file of "digest etag" lines this machine found intact; absent: kept in memory only. */
    private readonly journalPath?: string,
    sharedPlace?: BlobPlace,
    /** Sends a small blob's put and a HEAD as one signed request each; absent: through the SDK's commands. */
    private readonly lean?: LeanRequests,
  ) {
    this.location = `s3://${place.bucket}/${place.prefix}`;
    this.listing = new ObjectListing((startAfter, maxKeys) => this.listPage(startAfter, maxKeys));
    this.shared = sharedPlace && {
      place: sharedPlace,
      // Given just before a step that reaches the bucket itself starts: what it fetches (an output
      // a step here put with deferSync) is in the bucket by then.
      credentials: async () => {
        await this.flush();
        return this.credentials();
      },
      adopt: (digest, kind) => this.adopt(digest, kind),
    };
  }

  /**
   * The credentials this store's client uses (from the config's variables, a profile or the
   * standard sources), as the standard AWS variables: for a step's environment, nowhere else.
   */
  private async credentials(): Promise<Record<string, string>> {
    let found: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
    try {
      found = await this.client.config.credentials();
    } catch (error) {
      throw s3Failure(error, "reading the credentials steps reach the bucket with", this.place);
    }
    for (const secret of [found.secretAccessKey, found.sessionToken])
      if (secret && !this.place.secrets.includes(secret)) this.place.secrets.push(secret);
    return {
      AWS_ACCESS_KEY_ID: found.accessKeyId,
      AWS_SECRET_ACCESS_KEY: found.secretAccessKey,
      ...(found.sessionToken ? { AWS_SESSION_TOKEN: found.sessionToken } : {}),
    };
  }

  /**
   * Whether a blob that a step stored is there, without reading its bytes: a HEAD of the object
   * (and, for a directory, of its marker and of each file its manifest names, the manifest itself
   * read and verified). What it finds is remembered as intact, as what this store stores is: the
   * step hashed the bytes as it stored them.
   */
  private async adopt(digest: string, kind: ArtifactKind): Promise<{ size: number } | undefined> {
    checkDigest(digest);
    const doing = `looking up sha256:${digest}`;
    const [object, directory] = await Promise.all([
      this.head(this.key(digest), doing),
      kind === "directory" ? this.isDirectory(digest) : false,
    ]);
    if (!object || (kind === "directory") !== directory) return undefined;
    if (kind === "file") {
      this.remember(digest, object.etag);
      return { size: object.size };
    }
    const entries = await this.readManifest(digest);
    const found = await mapLimit(entries, PARALLEL_FILES, async (entry) => {
      const member = await this.head(this.key(entry.sha256), `looking up sha256:${entry.sha256}`);
      if (!member || member.size !== entry.size) return false;
      this.remember(entry.sha256, member.etag);
      return true;
    });
    if (found.includes(false)) return undefined;
    return { size: entries.reduce((sum, entry) => sum + entry.size, 0) };
  }

  private get known(): Map<string, string> {
    this.knownEtags ??= this.journalPath ? readJournal(this.journalPath) : new Map();
    return this.knownEtags;
  }

  private key(digest: string): string {
    return `${this.place.prefix}sha256/${digest.slice(0, 2)}/${digest.slice(2)}`;
  }

  /** One page of the blobs' keys after `startAfter`; a failure is the listing's to handle (a HEAD follows). */
  private async listPage(startAfter: string, maxKeys: number): Promise<ListPage> {
    const response = await this.client.send(
      new ListObjectsV2Command({
        Bucket: this.place.bucket,
        Prefix: `${this.place.prefix}sha256/`,
        ...(startAfter ? { StartAfter: startAfter } : {}),
        MaxKeys: maxKeys,
      }),
    );
    const objects: ListPage["objects"] = [];
    for (const object of response.Contents ?? []) {
      if (object.Key === undefined) continue;
      objects.push({
        key: object.Key,
        size: object.Size ?? 0,
        ...(object.ETag ? { etag: object.ETag } : {}),
      });
    }
    return { objects, truncated: response.IsTruncated === true };
  }

  private markerKey(digest: string): string {
    return `${this.place.prefix}directories/${digest.slice(0, 2)}/${digest.slice(2)}`;
  }

  /** Runs one request; a 404 or a failed precondition is thrown as it is (callers decide), any other failure in Canal's words. */
  private async send<T>(request: () => Promise<T>, doing: string): Promise<T> {
    try {
      return await request();
    } catch (error) {
      if (isNotFound(error) || isPreconditionFailed(error)) throw error;
      throw s3Failure(error, doing, this.place);
    }
  }

  private remember(digest: string, etag: string | undefined): void {
    if (!etag) {
      this.known.delete(digest);
      return;
    }
    if (this.known.get(digest) === etag) return;
    this.known.set(digest, etag);
    this.journal(`${digest} ${etag}\n`);
  }

  /** Appends to the journal, one write per turn of the event loop however many blobs it learns. */
  private journal(line: string): void {
    const path = this.journalPath;
    if (!path || this.journalLines.push(line) > 1) return;
    setImmediate(() => {
      const lines = this.journalLines.join("");
      this.journalLines = [];
      try {
        mkdirSync(dirname(path), { recursive: true });
        appendFileSync(path, lines);
      } catch {
        // Only a later download to check a blob is lost.
      }
    });
  }

  async put(bytes: Uint8Array | string): Promise<string> {
    const data = typeof bytes === "string" ? Buffer.from(bytes, "utf8") : bytes;
    const digest = sha256(data);
    await this.store(digest, (conditional) => this.putObject(digest, data, conditional));
    return digest;
  }

  /**
   * Creates the blob `digest` with `upload` unless it is there: when the conditional create finds
   * an object, that object is checked, and replaced (unconditionally) only if it is not intact.
   */
  private async store(digest: string, upload: (conditional: boolean) => Promise<string | undefined>) {
    try {
      this.remember(digest, await upload(true));
      return;
    } catch (error) {
      if (!isPreconditionFailed(error)) throw s3Failure(error, `storing sha256:${digest}`, this.place);
    }
    if ((await this.check(digest)) === "ok") return;
    try {
      this.remember(digest, await upload(false));
    } catch (error) {
      throw s3Failure(error, `storing sha256:${digest}`, this.place);
    }
  }

  private async putObject(
    digest: string,
    data: Uint8Array,
    conditional: boolean,
  ): Promise<string | undefined> {
    this.listing.forget(this.key(digest));
    if (this.lean) return this.lean.put(this.key(digest), data, digest, conditional);
    const response = await this.client.send(
      signedWithDigest(
        new PutObjectCommand({
          Bucket: this.place.bucket,
          Key: this.key(digest),
          Body: data,
          ContentLength: data.byteLength,
          ...(conditional ? { IfNoneMatch: "*" } : {}),
        }),
        digest,
      ),
    );
    return response.ETag;
  }

  async putFile(path: string, options: PutOptions = {}): Promise<string> {
    if (options.deferSync) {
      const { size } = await stat(path);
      if (size <= DEFER_MAX && this.deferredBytes + size <= DEFERRED_BYTES) {
        const bytes = await readFile(path);
        const digest = sha256(bytes);
        this.keepRecent(digest, bytes);
        if (!this.deferred.has(digest)) this.defer(digest, bytes);
        return digest;
      }
    }
    return (await this.storeFile(path)).digest;
  }

  /** Sends `bytes` as blob `digest` in the background; flush() waits for it. */
  private defer(digest: string, bytes: Buffer): void {
    this.deferredBytes += bytes.byteLength;
    const sent = this.store(digest, (conditional) => this.putObject(digest, bytes, conditional)).then(
      () => {},
      (error) => {
        this.deferredFailure ??= error;
      },
    );
    this.deferred.set(digest, { bytes, sent });
    void sent.finally(() => {
      this.deferred.delete(digest);
      this.deferredBytes -= bytes.byteLength;
    });
  }

  /** Waits for a deferred put of `digest`, if any, so that what follows finds the object. */
  private async sent(digest: string): Promise<void> {
    await this.deferred.get(digest)?.sent;
  }

  private keepRecent(digest: string, bytes: Buffer): void {
    if (bytes.byteLength > RECENT_BYTES) return;
    const old = this.recent.get(digest);
    if (old) {
      this.recent.delete(digest);
      this.recentBytes -= old.byteLength;
    }
    this.recent.set(digest, bytes);
    this.recentBytes += bytes.byteLength;
    for (const [oldest, kept] of this.recent) {
      if (this.recentBytes <= RECENT_BYTES) break;
      this.recent.delete(oldest);
      this.recentBytes -= kept.byteLength;
    }
  }

  private async storeFile(path: string): Promise<{ digest: string; size: number }> {
    const { size } = await stat(path);
    if (size <= PART_SIZE) {
      // Read once, hashed and sent from memory: the digest names exactly the bytes sent.
      const data = await readFile(path);
      const digest = sha256(data);
      await this.store(digest, (conditional) => this.putObject(digest, data, conditional));
      return { digest, size: data.byteLength };
    }
    const before = identity(await stat(path, { bigint: true }));
    const { digest } = await copyHashing(path);
    // A large blob that is there already is checked rather than sent again (a multipart upload
    // cannot be made conditional on every server).
    if (await this.has(digest)) {
      if ((await this.check(digest)) === "ok") return { digest, size };
    }
    try {
      this.remember(digest, await this.upload(path, digest, before));
    } catch (error) {
      throw s3Failure(error, `storing ${path} as sha256:${digest}`, this.place);
    }
    return { digest, size };
  }

  /**
   * Sends a large file in parts. It was hashed just before; if it changed since (its size, times
   * or inode differ once it is sent), the object may not match its name, so it is removed again
   * and the put fails. (Hashing what is sent as well would cost a second sha256 pass over the
   * file, a third of the time of a put on a fast network.)
   */
  private async upload(path: string, digest: string, before: Identity): Promise<string | undefined> {
    this.listing.forget(this.key(digest));
    const file = createReadStream(path, { highWaterMark: 1 << 20 });
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.place.bucket, Key: this.key(digest), Body: file },
      partSize: PART_SIZE,
      queueSize: QUEUE,
      leavePartsOnError: false,
    });
    const changed = async () =>
      identity(
        await stat(path, { bigint: true }).catch(() => ({ ino: 0n, size: 0n, mtimeNs: 0n, ctimeNs: 0n })),
      ) !== before;
    const refused = new StoreError(
      "CANAL_STORE_UNSUPPORTED_FILE",
      `cannot store ${path}: it changed while it was being stored (it hashed to sha256:${digest} before); ` +
        "store it once nothing writes to it any more",
    );
    let result: Awaited<ReturnType<Upload["done"]>>;
    try {
      result = await upload.done();
    } catch (error) {
      // A file that grew or shrank fails the upload itself (more or fewer parts than its size says).
      if (await changed()) throw refused;
      throw error;
    }
    if (await changed()) {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.place.bucket, Key: this.key(digest) }));
      throw refused;
    }
    // Some servers (Ceph RGW) answer a multipart upload with an empty ETag: then it is not remembered.
    return result.ETag || undefined;
  }

  async putDirectory(path: string): Promise<string> {
    const files = await listFiles(path);
    const entries = await mapLimit(files, PARALLEL_FILES, async (file): Promise<ManifestEntry> => {
      const { digest, size } = await this.storeFile(file.absolute);
      return { path: file.path, sha256: digest, size, executable: file.executable };
    });
    const digest = await this.put(encodeManifest(entries));
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.place.bucket,
          Key: this.markerKey(digest),
          Body: new Uint8Array(0),
          ContentLength: 0,
          IfNoneMatch: "*",
        }),
      );
    } catch (error) {
      if (!isPreconditionFailed(error))
        throw s3Failure(error, `marking sha256:${digest} a directory`, this.place);
    }
    return digest;
  }

  /** Closes the client's connections, once the deferred puts are sent; a request after this fails. */
  async close(): Promise<void> {
    await Promise.all([...this.deferred.values()].map((put) => put.sent));
    this.client.destroy();
  }

  /**
   * An object is durable once S3 acknowledged it: waits for the puts made with `deferSync` so far,
   * and throws the first of them that failed.
   */
  async flush(): Promise<void> {
    await Promise.all([...this.deferred.values()].map((put) => put.sent));
    if (this.deferredFailure) throw this.deferredFailure;
  }

  async has(digest: string): Promise<boolean> {
    await this.sent(checkDigest(digest));
    return (await this.head(this.key(digest), `looking up sha256:${digest}`)) !== undefined;
  }

  /** The object's size and ETag, or undefined when there is none. */
  private async head(key: string, doing: string): Promise<{ size: number; etag?: string } | undefined> {
    try {
      const lean = this.lean;
      if (lean) return await this.send(() => lean.head(key), doing);
      const response = await this.send(
        () => this.client.send(new HeadObjectCommand({ Bucket: this.place.bucket, Key: key })),
        doing,
      );
      return { size: response.ContentLength ?? 0, ...(response.ETag ? { etag: response.ETag } : {}) };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw s3Failure(error, doing, this.place);
    }
  }

  private async isDirectory(digest: string): Promise<boolean> {
    return (await this.head(this.markerKey(digest), `looking up sha256:${digest}`)) !== undefined;
  }

  async stat(digest: string): Promise<BlobInfo | undefined> {
    await this.sent(checkDigest(digest));
    const [blob, directory] = await Promise.all([
      this.head(this.key(digest), `looking up sha256:${digest}`),
      this.isDirectory(digest),
    ]);
    if (!blob) return undefined;
    if (!directory) return { digest, kind: "file", size: blob.size };
    const entries = await this.readManifest(digest);
    return { digest, kind: "directory", size: entries.reduce((sum, e) => sum + e.size, 0) };
  }

  /** The object's body as a stream with its ETag, or undefined when there is none. */
  private async open(digest: string): Promise<{ body: Readable; etag?: string; size?: number } | undefined> {
    const doing = `reading sha256:${digest}`;
    try {
      const response = await this.send(
        () => this.client.send(new GetObjectCommand({ Bucket: this.place.bucket, Key: this.key(digest) })),
        doing,
      );
      const body = response.Body instanceof Readable ? response.Body : Readable.from([]);
      return {
        body,
        ...(response.ETag ? { etag: response.ETag } : {}),
        ...(response.ContentLength !== undefined ? { size: response.ContentLength } : {}),
      };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw s3Failure(error, doing, this.place);
    }
  }

  private corrupt(digest: string, actual: string): BlobCorruptError {
    return new BlobCorruptError(
      digest,
      `${this.location}${this.key(digest).slice(this.place.prefix.length)}`,
      actual,
    );
  }

  async get(digest: string): Promise<Buffer> {
    await this.sent(checkDigest(digest));
    const object = await this.open(digest);
    if (!object) throw new BlobMissingError(digest, this.location);
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of object.body) chunks.push(chunk as Buffer);
    } catch (error) {
      throw s3Failure(error, `reading sha256:${digest}`, this.place);
    }
    const bytes = Buffer.concat(chunks);
    const actual = sha256(bytes);
    if (actual !== digest) {
      this.known.delete(digest);
      throw this.corrupt(digest, actual);
    }
    this.remember(digest, object.etag);
    return bytes;
  }

  async readManifest(digest: string): Promise<ManifestEntry[]> {
    const [bytes, directory] = await Promise.all([this.get(digest), this.isDirectory(digest)]);
    if (!directory) {
      throw new StoreError(
        "CANAL_STORE_INVALID_DIGEST",
        `sha256:${digest} is a file artifact, not a directory; read it with get or materialize it`,
      );
    }
    return parseManifest(bytes, digest);
  }

  async verify(digest: string, kind?: ArtifactKind): Promise<BlobStatus> {
    await this.sent(checkDigest(digest));
    return verifyBlob(
      {
        check: (d) => this.check(d, true),
        isDirectory: (d) => this.isDirectory(d),
        readManifest: (d) => this.readManifest(d),
      },
      digest,
      PARALLEL_FILES,
      kind,
    );
  }

  /**
   * Whether the object is there and hashes to its name: a HEAD when its ETag is the one last found
   * intact by this handle, otherwise its bytes streamed through sha256. With `listed`, a fresh
   * listing of many objects may stand in for the HEAD (see ObjectListing); a put's check, which
   * decides whether to send the bytes, always asks the object itself.
   */
  private async check(digest: string, listed = false): Promise<BlobStatus> {
    const known = this.known.get(digest);
    if (known) {
      const key = this.key(digest);
      const head =
        (listed ? await this.listing.lookup(key) : undefined) ??
        (await this.head(key, `checking sha256:${digest}`));
      if (!head) {
        this.known.delete(digest);
        return "missing";
      }
      if (head.etag === known) return "ok";
    }
    const object = await this.open(digest);
    if (!object) return "missing";
    let actual: string;
    try {
      actual = (await hashStream(object.body)).digest;
    } catch (error) {
      throw s3Failure(error, `checking sha256:${digest}`, this.place);
    }
    if (actual !== digest) {
      this.known.delete(digest);
      return "corrupt";
    }
    this.remember(digest, object.etag);
    return "ok";
  }

  async materialize(digest: string, destination: string): Promise<void> {
    const target = resolve(destination);
    checkDigest(digest);
    // The bytes of a recent put were hashed to this digest as they were put: written out as they are.
    const bytes = this.recent.get(digest);
    if (bytes) {
      await mkdir(dirname(target), { recursive: true });
      await writeHeld(target, bytes);
      return;
    }
    await this.sent(digest);
    if (!(await this.isDirectory(digest))) {
      await mkdir(dirname(target), { recursive: true });
      await this.download(digest, target, false);
      return;
    }
    const entries = await this.readManifest(digest);
    await refuseNonEmpty(target);
    // Built beside the destination and renamed into place: a failure (a corrupt member) leaves no
    // half-built directory where a step would read it.
    const staging = `${target}.canal-${randomBytes(4).toString("hex")}`;
    await mkdir(staging, { recursive: true });
    try {
      await mapLimit(entries, PARALLEL_FILES, async (entry) => {
        const file = join(staging, ...entry.path.split("/"));
        await mkdir(dirname(file), { recursive: true });
        await this.download(entry.sha256, file, entry.executable);
      });
      await rename(staging, target).catch((error) => {
        if (errorCode(error) === "ENOTEMPTY" || errorCode(error) === "EEXIST")
          throw destinationExists(target);
        throw error;
      });
    } catch (error) {
      await rm(staging, { recursive: true, force: true });
      throw error;
    }
  }

  /**
   * Streams one blob to `target`, hashing it on the way, into a file beside it that is renamed
   * into place only once it matched its digest: a damaged object never appears at `target`.
   */
  private async download(digest: string, target: string, executable: boolean): Promise<void> {
    const object = await this.open(digest);
    if (!object) throw new BlobMissingError(digest, this.location);
    const temp = `${target}.canal-${randomBytes(4).toString("hex")}`;
    const hash = createHash("sha256");
    // A small blob is kept once it matched, for the next step that reads it (a fan-out's input).
    const keep = object.size !== undefined && object.size <= DEFER_MAX ? [] : undefined;
    try {
      try {
        await pipeline(object.body, hashing(hash, keep), createWriteStream(temp, { flags: "wx" }));
      } catch (error) {
        if (errorCode(error) === "EISDIR") throw destinationExists(target);
        // A failure of the local file (it names its path) is the disk's; any other is the download's.
        if ((error as { path?: string }).path !== undefined) throw error;
        throw s3Failure(error, `reading sha256:${digest}`, this.place);
      }
      const actual = hash.digest("hex");
      if (actual !== digest) {
        this.known.delete(digest);
        throw this.corrupt(digest, actual);
      }
      this.remember(digest, object.etag);
      if (keep) this.keepRecent(digest, Buffer.concat(keep));
      await chmod(temp, executable ? 0o755 : 0o644);
      await rename(temp, target).catch((error) => {
        if (["EISDIR", "ENOTEMPTY", "EEXIST"].includes(errorCode(error) ?? ""))
          throw destinationExists(target);
        throw error;
      });
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }
}

// A journal past this size is started afresh rather than read: it is a cache of checks, no more.
const JOURNAL_MAX_BYTES = 32 * 1024 * 1024;
const JOURNAL_LINE = /^([0-9a-f]{64}) (\S{1,200})$/;

/** The ETags the journal vouches for; the last line for a digest wins. */
function readJournal(path: string): Map<string, string> {
  const known = new Map<string, string>();
  let text: string;
  try {
    if (statSync(path).size > JOURNAL_MAX_BYTES) {
      rmSync(path, { force: true });
      return known;
    }
    text = readFileSync(path, "utf8");
  } catch {
    return known;
  }
  for (const line of text.split("\n")) {
    const match = JOURNAL_LINE.exec(line);
    if (match) known.set(match[1] as string, match[2] as string);
  }
  return known;
}

type Identity = string;

/** What a file is, for knowing it unchanged: any write changes its times. */
function identity(info: { ino: bigint; size: bigint; mtimeNs: bigint; ctimeNs: bigint }): Identity {
  return `${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`;
}

/** A pass-through stream that feeds what flows through it to `hash`. */
function hashing(hash: ReturnType<typeof createHash>, keep?: Buffer[]): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      keep?.push(chunk);
      callback(null, chunk);
    },
  });
}

async function hashStream(stream: Readable): Promise<{ digest: string; size: number }> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { digest: hash.digest("hex"), size };
}

/**
 * Writes held bytes, already hashed to their digest, to a file beside `target` renamed into place,
 * as download leaves a file's blob.
 */
async function writeHeld(target: string, bytes: Buffer): Promise<void> {
  const temp = `${target}.canal-${randomBytes(4).toString("hex")}`;
  try {
    await writeFile(temp, bytes, { flag: "wx", mode: 0o644 });
    await chmod(temp, 0o644);
    await rename(temp, target).catch((error) => {
      if (["EISDIR", "ENOTEMPTY", "EEXIST"].includes(errorCode(error) ?? "")) throw destinationExists(target);
      throw error;
    });
  } catch (error) {
    await rm(temp, { force: true });
    if (errorCode(error) === "EISDIR") throw destinationExists(target);
    throw error;
  }
}

async function refuseNonEmpty(target: string): Promise<void> {
  const info = await stat(target).catch(() => undefined);
  if (!info) return;
  if (!info.isDirectory() || (await readdir(target)).length > 0) throw destinationExists(target);
}

function destinationExists(target: string): StoreError {
  return new StoreError(
    "CANAL_STORE_DESTINATION_EXISTS",
    `cannot materialize into ${target}: something is already there; remove it or choose an empty path`,
  );
}
