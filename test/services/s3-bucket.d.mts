import type { S3Client } from "@aws-sdk/client-s3";
import type { Rgw } from "./rgw.mjs";

/** An S3 client with the gateway's keys: path-style, checksums only where S3 requires them (RGW). */
export function adminClient(rgw: Rgw): S3Client;

export interface TestBucket {
  /** A client with the gateway's keys, to seed, read and delete objects out of band. */
  admin: S3Client;
  bucket: string;
  /** The S3 config of a workspace's `artifacts` or a datastore in this bucket, keys read from the variables. */
  config(extra?: Record<string, unknown>): {
    kind: "s3";
    bucket: string;
    endpoint: string;
    accessKeyIdEnv: string;
    secretAccessKeyEnv: string;
    [key: string]: unknown;
  };
  /** Damages the object `key` out of band, as the blob store conformance suite asks: its first byte flipped, cut to 2 bytes, or deleted. */
  damage(key: string, how: "flip" | "truncate" | "delete"): Promise<void>;
  /** The key variables with their values, for a process that does not inherit this one's environment. */
  env(): Record<string, string>;
  /** Destroys the client and takes the keys out of the environment. */
  release(): void;
}

/**
 * Creates `bucket` on the gateway and sets the gateway's keys in `process.env[keyEnv]` and
 * `process.env[secretEnv]`, the names the returned `config()` tells a workspace to read.
 */
export function testBucket(
  rgw: Rgw,
  names: { bucket: string; keyEnv: string; secretEnv: string },
): Promise<TestBucket>;
