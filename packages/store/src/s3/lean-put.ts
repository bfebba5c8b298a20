// A small blob's PutObject and an object's HEAD as one signed request each (`lean-request.ts`):
// one put per step output and a HEAD per check are most of the S3 requests a run sends. Large or
// multipart uploads stay on the SDK.
import type { S3Client } from "@aws-sdk/client-s3";
import { leanRequest } from "./lean-request.js";

export type LeanPut = (
  key: string,
  body: Uint8Array,
  sha256Hex: string,
  conditional: boolean,
) => Promise<string | undefined>;

/** The object's size and ETag; a 404 is thrown as the SDK's HEAD throws it (`isNotFound`). */
export type LeanHead = (key: string) => Promise<{ size: number; etag?: string }>;

export interface LeanRequests {
  /**
   * A put of `body` under `key` signed with `sha256Hex` (its digest, as `x-amz-content-sha256`),
   * with `If-None-Match: *` when `conditional`; resolves to the ETag.
   */
  put: LeanPut;
  head: LeanHead;
}

/** A bucket's small puts and HEADs; undefined where they cannot be made without the SDK. */
export function leanRequests(
  client: S3Client,
  bucket: string,
  endpoint: string | undefined,
  forcePathStyle: boolean,
): LeanRequests | undefined {
  const send = leanRequest(client, bucket, endpoint, forcePathStyle);
  if (!send) return undefined;
  return {
    async put(key, body, sha256Hex, conditional) {
      const { headers } = await send(
        "PUT",
        key,
        {
          "content-length": String(body.byteLength),
          "x-amz-content-sha256": sha256Hex,
          ...(conditional ? { "if-none-match": "*" } : {}),
        },
        body,
      );
      return headers.etag ?? headers.ETag ?? undefined;
    },
    async head(key) {
      const { headers } = await send("HEAD", key, { "x-amz-content-sha256": EMPTY_SHA256 });
      const etag = headers.etag ?? headers.ETag;
      return { size: Number(headers["content-length"] ?? 0), ...(etag ? { etag } : {}) };
    },
  };
}

/** The sha256 of an empty body, a HEAD's payload hash. */
const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
