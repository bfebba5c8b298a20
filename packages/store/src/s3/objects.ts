// The requests an S3 blob store makes on its bucket's objects, each one request: through the lean
// path (one signed request, lean-request.ts) where the endpoint allows it, through the SDK's
// commands otherwise. A 404 and a failed precondition are thrown as they are (callers decide); any
// other failure is in Canal's words, naming what was being done.
import { Readable } from "node:stream";
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { isNotFound, isPreconditionFailed, type S3Place, s3Failure, signedWithDigest } from "./client.js";
import type { LeanRequests } from "./lean-request.js";
import type { ListPage } from "./listing.js";

// Files of a directory are stored and fetched this many at a time: enough to hide the round trips.
export const PARALLEL_FILES = 8;

/** An object's body as it streams in, with what its headers said. */
export interface OpenObject {
  body: Readable;
  etag?: string;
  size?: number;
}

export class BucketObjects {
  constructor(
    readonly client: S3Client,
    private readonly place: S3Place,
    /** One signed request each for a small put, a HEAD and a GET; absent: the SDK's commands. */
    public lean: LeanRequests | undefined,
  ) {}

  /** Runs one request; a 404 or a failed precondition is thrown as it is, any other failure in Canal's words. */
  private async send<T>(request: () => Promise<T>, doing: string): Promise<T> {
    try {
      return await request();
    } catch (error) {
      if (isNotFound(error) || isPreconditionFailed(error)) throw error;
      throw s3Failure(error, doing, this.place);
    }
  }

  /**
   * Puts `data` as `key`, signed with its digest `sha256Hex`, with `If-None-Match: *` when
   * `conditional`; resolves to the ETag.
   */
  async put(
    key: string,
    data: Uint8Array,
    sha256Hex: string,
    conditional: boolean,
  ): Promise<string | undefined> {
    if (this.lean) return this.lean.put(key, data, sha256Hex, conditional);
    const response = await this.client.send(
      signedWithDigest(
        new PutObjectCommand({
          Bucket: this.place.bucket,
          Key: key,
          Body: data,
          ContentLength: data.byteLength,
          ...(conditional ? { IfNoneMatch: "*" } : {}),
        }),
        sha256Hex,
      ),
    );
    return response.ETag;
  }

  /** Creates the empty object `key` unless it is there (a directory's marker). */
  async mark(key: string, doing: string): Promise<void> {
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.place.bucket,
          Key: key,
          Body: new Uint8Array(0),
          ContentLength: 0,
          IfNoneMatch: "*",
        }),
      );
    } catch (error) {
      if (!isPreconditionFailed(error)) throw s3Failure(error, doing, this.place);
    }
  }

  /** The object's size and ETag, or undefined when there is none. */
  async head(key: string, doing: string): Promise<{ size: number; etag?: string } | undefined> {
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

  /** The object's body as a stream with its ETag, or undefined when there is none. */
  async open(key: string, doing: string): Promise<OpenObject | undefined> {
    try {
      const lean = this.lean;
      if (lean) return await this.send(() => lean.get(key), doing);
      const response = await this.send(
        () => this.client.send(new GetObjectCommand({ Bucket: this.place.bucket, Key: key })),
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

  /** One page of the keys under `prefix` after `startAfter`; a failure is thrown as it is. */
  async list(prefix: string, startAfter: string, maxKeys: number): Promise<ListPage> {
    const response = await this.client.send(
      new ListObjectsV2Command({
        Bucket: this.place.bucket,
        Prefix: prefix,
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
}
