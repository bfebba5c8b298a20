// The `s3` datastore kind: the keys under a prefix of an S3 (or S3-compatible) bucket, reached with
// the S3 blob store's client and credential rules (s3/client.ts). Loaded only when such a datastore
// is opened, so a local workspace never loads the AWS SDK.
import { createHash, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import type { StoreContext } from "../backend-types.js";
import { comparePaths } from "../datasets/manifest.js";
import { StoreError } from "../errors.js";
import type { S3Settings } from "../s3/backend.js";
import { connect, isNotFound, type S3Place, s3Failure } from "../s3/client.js";
import { datastorePath, globBase, isGlob, matcher, pathEscape } from "./paths.js";
import type { Datastore, DatastoreEntry, FileDigest, VersionedEntry } from "./types.js";

const PART_SIZE = 8 * 1024 * 1024;
const TEMP_FOLDER = ".canal-tmp/";

export class S3Datastore implements Datastore {
  readonly kind = "s3";
  readonly location: string;
  private readonly client: S3Client;
  private readonly place: S3Place;

  constructor(
    readonly name: string,
    settings: S3Settings,
    context: StoreContext,
    /** The config object its settings are under, for the fix in a message. */
    field: string,
  ) {
    const { client, place } = connect(settings, context, { field, what: `datastore ${name}` });
    this.client = client;
    this.place = place;
    this.location = `s3://${place.bucket}/${place.prefix} at ${place.endpoint}`;
  }

  private key(rel: string): string {
    return this.place.prefix + rel;
  }

  private fail(error: unknown, doing: string): StoreError {
    return s3Failure(error, `${doing} in datastore ${this.name}`, this.place);
  }

  async check(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.place.bucket }));
      await this.client.send(
        new ListObjectsV2Command({ Bucket: this.place.bucket, Prefix: this.place.prefix, MaxKeys: 1 }),
      );
    } catch (error) {
      throw s3Failure(error, `opening datastore ${this.name}`, this.place);
    }
  }

  async list(pattern = ""): Promise<DatastoreEntry[]> {
    return (await this.listVersions(pattern)).map(({ path, size }) => ({ path, size }));
  }

  async listVersions(pattern = ""): Promise<VersionedEntry[]> {
    const clean = datastorePath(this.name, pattern);
    const base = globBase(clean);
    // A glob's matches lie in its base folder; a plain path is a file or a folder of that name.
    const prefix = this.key(isGlob(clean) && base !== "" ? `${base}/` : base);
    const matches = matcher(clean);
    const found: VersionedEntry[] = [];
    let token: string | undefined;
    do {
      let page: ListObjectsV2CommandOutput;
      try {
        page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.place.bucket,
            Prefix: prefix,
            ...(token ? { ContinuationToken: token } : {}),
          }),
        );
      } catch (error) {
        throw this.fail(error, `listing ${JSON.stringify(pattern)}`);
      }
      for (const object of page.Contents ?? []) {
        const key = object.Key;
        if (key === undefined || key.endsWith("/")) continue;
        const rel = key.slice(this.place.prefix.length);
        if (rel.startsWith(TEMP_FOLDER)) continue;
        // A key that is no clean path ("a//b", "a/../b") cannot become a file anywhere: left out.
        let normal: string;
        try {
          normal = datastorePath(this.name, rel);
        } catch {
          continue;
        }
        if (normal !== rel || !matches(rel)) continue;
        found.push({
          path: rel,
          size: object.Size ?? 0,
          version: object.ETag ?? String(object.LastModified?.getTime() ?? ""),
        });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return found.sort((a, b) => comparePaths(a.path, b.path));
  }

  async stat(path: string): Promise<DatastoreEntry | undefined> {
    const rel = datastorePath(this.name, path);
    if (rel === "") return undefined;
    try {
      const head = await this.client.send(
        new HeadObjectCommand({ Bucket: this.place.bucket, Key: this.key(rel) }),
      );
      return { path: rel, size: head.ContentLength ?? 0 };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw this.fail(error, `reading ${rel}`);
    }
  }

  async openRead(path: string): Promise<Readable> {
    const rel = datastorePath(this.name, path);
    try {
      const object = await this.client.send(
        new GetObjectCommand({ Bucket: this.place.bucket, Key: this.key(rel) }),
      );
      return object.Body as Readable;
    } catch (error) {
      if (isNotFound(error)) {
        throw new StoreError(
          "CANAL_STORE_DATASTORE_FILE_MISSING",
          `datastore ${this.name} has no file ${JSON.stringify(rel)} (${this.location}); \`canal datastores ls ${this.name}\` lists its files`,
        );
      }
      throw this.fail(error, `reading ${rel}`);
    }
  }

  async readRange(path: string, start: number, end: number): Promise<Buffer> {
    const rel = datastorePath(this.name, path);
    if (end <= start) return Buffer.alloc(0);
    try {
      const object = await this.client.send(
        new GetObjectCommand({
          Bucket: this.place.bucket,
          Key: this.key(rel),
          Range: `bytes=${start}-${end - 1}`,
        }),
      );
      return Buffer.from(
        await (object.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
      );
    } catch (error) {
      throw this.fail(error, `reading ${rel}`);
    }
  }

  async digest(path: string): Promise<FileDigest> {
    const body = await this.openRead(path);
    const hash = createHash("sha256");
    let size = 0;
    try {
      for await (const chunk of body) {
        hash.update(chunk as Buffer);
        size += (chunk as Buffer).length;
      }
    } catch (error) {
      throw this.fail(error, `reading ${path}`);
    }
    return { digest: hash.digest("hex"), size };
  }

  async write(path: string, bytes: Readable | Uint8Array | string): Promise<void> {
    const rel = datastorePath(this.name, path);
    if (rel === "") throw pathEscape(this.name, path, "it names the datastore's root, not a file");
    const temp = this.key(`${TEMP_FOLDER}${randomBytes(8).toString("hex")}`);
    const bucket = this.place.bucket;
    try {
      if (bytes instanceof Readable) {
        await new Upload({
          client: this.client,
          params: { Bucket: bucket, Key: temp, Body: bytes },
          partSize: PART_SIZE,
          queueSize: 4,
          leavePartsOnError: false,
        }).done();
      } else await this.client.send(new PutObjectCommand({ Bucket: bucket, Key: temp, Body: bytes }));
      // The object takes its name in one request, whole: a reader sees the old one or the new one.
      await this.client.send(
        new CopyObjectCommand({
          Bucket: bucket,
          Key: this.key(rel),
          CopySource: `${bucket}/${encodeURIComponent(temp).replace(/%2F/g, "/")}`,
        }),
      );
    } catch (error) {
      throw this.fail(error, `writing ${rel}`);
    } finally {
      await this.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: temp })).catch(() => {});
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
