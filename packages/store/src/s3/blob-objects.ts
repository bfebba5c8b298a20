// The bucket's objects by digest, laid out as S3BlobStore describes (`sha256/ab/cdef…` for a
// blob's bytes, `directories/ab/cdef…` for a directory's marker), with what this machine found
// intact: an object is created only if absent, re-checked by a HEAD against the ETag it last had
// when intact (or a listing standing in for many HEADs), and hashed whole only otherwise.
import type { S3Client } from "@aws-sdk/client-s3";
import { sha256 } from "../blob-io.js";
import { BlobCorruptError } from "../errors.js";
import type { BlobStatus } from "../types.js";
import { isPreconditionFailed, type S3Place, s3Failure } from "./client.js";
import { EtagJournal } from "./etag-journal.js";
import { ObjectListing } from "./listing.js";
import { hashStream } from "./local-files.js";
import { type Identity, uploadInParts } from "./multipart.js";
import type { BucketObjects, OpenObject } from "./objects.js";

export class BlobObjects {
  /** `s3://bucket/prefix`: what messages name. */
  readonly location: string;
  /** What this machine found intact: re-checking such a blob costs a HEAD, not a download. */
  readonly known: EtagJournal;
  /** Answers many checks of known blobs from a few listings of `sha256/` instead of a HEAD each. */
  private readonly listing: ObjectListing;

  constructor(
    readonly client: S3Client,
    readonly place: S3Place,
    /** The requests on the bucket's objects, by key. */
    private readonly objects: BucketObjects,
    /** A file of "digest etag" lines this machine found intact; absent: kept in memory only. */
    journalPath?: string,
  ) {
    this.location = `s3://${place.bucket}/${place.prefix}`;
    this.known = new EtagJournal(journalPath);
    this.listing = new ObjectListing((startAfter, maxKeys) =>
      this.objects.list(`${place.prefix}sha256/`, startAfter, maxKeys),
    );
  }

  private key(digest: string): string {
    return `${this.place.prefix}sha256/${digest.slice(0, 2)}/${digest.slice(2)}`;
  }

  private markerKey(digest: string): string {
    return `${this.place.prefix}directories/${digest.slice(0, 2)}/${digest.slice(2)}`;
  }

  /** The blob's object's size and ETag, or undefined when there is none. */
  head(digest: string): Promise<{ size: number; etag?: string } | undefined> {
    return this.objects.head(this.key(digest), `looking up sha256:${digest}`);
  }

  /** Whether the blob's directory marker is there. */
  async isDirectory(digest: string): Promise<boolean> {
    return (await this.objects.head(this.markerKey(digest), `looking up sha256:${digest}`)) !== undefined;
  }

  /** The blob's object as it streams in, unverified, or undefined when there is none. */
  open(digest: string): Promise<OpenObject | undefined> {
    return this.objects.open(this.key(digest), `reading sha256:${digest}`);
  }

  /** The blob's object, read whole and verified; undefined when there is none. */
  async bytes(digest: string): Promise<Buffer | undefined> {
    const object = await this.open(digest);
    if (!object) return undefined;
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of object.body) chunks.push(chunk as Buffer);
    } catch (error) {
      throw s3Failure(error, `reading sha256:${digest}`, this.place);
    }
    const bytes = Buffer.concat(chunks);
    const actual = sha256(bytes);
    if (actual !== digest) throw this.corrupt(digest, actual);
    this.known.remember(digest, object.etag);
    return bytes;
  }

  /** A blob whose object hashed to `actual`: no longer known intact, reported by its place. */
  corrupt(digest: string, actual: string): BlobCorruptError {
    this.known.forget(digest);
    return new BlobCorruptError(
      digest,
      `${this.location}${this.key(digest).slice(this.place.prefix.length)}`,
      actual,
    );
  }

  /** Stores `data` (hashed to `digest`) as the blob's object unless an intact one is there. */
  put(digest: string, data: Uint8Array): Promise<void> {
    return this.store(digest, (conditional) => {
      this.listing.forget(this.key(digest));
      return this.objects.put(this.key(digest), data, digest, conditional);
    });
  }

  /**
   * Sends the large file `path` (hashed to `digest` while it was `before`) in parts, unless an
   * intact object is there: a multipart upload cannot be made conditional on every server, so the
   * object is checked first (one HEAD when its ETag is known, else its bytes read and hashed; a
   * missing one is a 404 either way).
   */
  async putLarge(digest: string, path: string, before: Identity): Promise<void> {
    if ((await this.check(digest)) === "ok") return;
    try {
      this.listing.forget(this.key(digest));
      this.known.remember(
        digest,
        await uploadInParts(this.client, this.place.bucket, this.key(digest), path, digest, before),
      );
    } catch (error) {
      throw s3Failure(error, `storing ${path} as sha256:${digest}`, this.place);
    }
  }

  /** Marks the blob a directory's manifest (an empty object), unless it is marked. */
  mark(digest: string): Promise<void> {
    return this.objects.mark(this.markerKey(digest), `marking sha256:${digest} a directory`);
  }

  /**
   * Creates the blob `digest` with `upload` unless it is there: when the conditional create finds
   * an object, that object is checked, and replaced (unconditionally) only if it is not intact.
   */
  private async store(digest: string, upload: (conditional: boolean) => Promise<string | undefined>) {
    try {
      this.known.remember(digest, await upload(true));
      return;
    } catch (error) {
      if (!isPreconditionFailed(error)) throw s3Failure(error, `storing sha256:${digest}`, this.place);
    }
    if ((await this.check(digest)) === "ok") return;
    try {
      this.known.remember(digest, await upload(false));
    } catch (error) {
      throw s3Failure(error, `storing sha256:${digest}`, this.place);
    }
  }

  /**
   * Whether the object is there and hashes to its name: a HEAD when its ETag is the one last found
   * intact by this handle, otherwise its bytes streamed through sha256. With `listed`, a fresh
   * listing of many objects may stand in for the HEAD (see ObjectListing); a put's check, which
   * decides whether to send the bytes, always asks the object itself.
   */
  async check(digest: string, listed = false): Promise<BlobStatus> {
    const known = this.known.get(digest);
    if (known) {
      const key = this.key(digest);
      const head =
        (listed ? await this.listing.lookup(key) : undefined) ??
        (await this.objects.head(key, `checking sha256:${digest}`));
      if (!head) {
        this.known.forget(digest);
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
      this.known.forget(digest);
      return "corrupt";
    }
    this.known.remember(digest, object.etag);
    return "ok";
  }
}
