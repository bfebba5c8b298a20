// A large file's upload in parts through the SDK's `Upload`, refused when the file changes while
// it is sent.
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { DeleteObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { StoreError } from "../errors.js";

// A file larger than this is sent in parts of this size, a few at a time: memory stays under
// PART_SIZE * (QUEUE + 1) per file whatever its size.
export const PART_SIZE = 8 * 1024 * 1024;
const QUEUE = 4;

/** What a file is, for knowing it unchanged: any write changes its times. */
export type Identity = string;

function identity(info: { ino: bigint; size: bigint; mtimeNs: bigint; ctimeNs: bigint }): Identity {
  return `${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`;
}

/** The file at `path` as it is now. */
export async function identityOf(path: string): Promise<Identity> {
  return identity(await stat(path, { bigint: true }));
}

/**
 * Sends a large file in parts as `key`. It was hashed to `digest` just before; if it changed since
 * (its size, times or inode differ once it is sent), the object may not match its name, so it is
 * removed again and the put fails. (Hashing what is sent as well would cost a second sha256 pass
 * over the file, a third of the time of a put on a fast network.) Resolves to the ETag, if the
 * server gave one.
 */
export async function uploadInParts(
  client: S3Client,
  bucket: string,
  key: string,
  path: string,
  digest: string,
  before: Identity,
): Promise<string | undefined> {
  const file = createReadStream(path, { highWaterMark: 1 << 20 });
  const upload = new Upload({
    client,
    params: { Bucket: bucket, Key: key, Body: file },
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
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    throw refused;
  }
  // Some servers (Ceph RGW) answer a multipart upload with an empty ETag: then it is not remembered.
  return result.ETag || undefined;
}
