// The `s3` blob store kind: its settings in canal.config.json and how it is opened. The AWS SDK is
// loaded only when a workspace opens an s3 blob store, so a local workspace never loads it.
import { z } from "zod";
import type { BlobStoreBackend, StoreSettings } from "../backend-types.js";

/** `artifacts: { kind: "s3", … }`: where the blobs live and whose credentials reach them. */
export interface S3Settings extends StoreSettings {
  kind: "s3";
  bucket: string;
  /** Keys start with this ("team/canal/"); "" for the bucket's root. Always ends in "/" once resolved. */
  prefix: string;
  /** An S3-compatible server's URL (Ceph RGW, MinIO…); absent for AWS itself. */
  endpoint?: string;
  region?: string;
  /** A profile of ~/.aws/config and ~/.aws/credentials. */
  profile?: string;
  /** The names of the environment variables that hold the keys (never the keys themselves). */
  accessKeyIdEnv?: string;
  secretAccessKeyEnv?: string;
  sessionTokenEnv?: string;
  /** Path-style addressing (`endpoint/bucket/key`): default true with an endpoint, false without. */
  forcePathStyle?: boolean;
  /**
   * A file blob up to this many bytes is kept in the metadata store's database (PostgreSQL's)
   * instead of an object of its own; 0: every blob is an object. Default INLINE_BYTES. Ignored
   * with a metadata store that has no such table (SQLite).
   */
  inlineBytes?: number;
}

/** `artifacts.inlineBytes` when left out: a small output costs a row of a batch, not a PutObject. */
export const INLINE_BYTES = 16 * 1024;
/** The most `artifacts.inlineBytes` may be: beyond it, an object costs less than a row. */
export const INLINE_BYTES_MAX = 1024 * 1024;

const envName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be the name of an environment variable (letters, digits, _)");

// A bucket name as S3 allows it (3-63 lowercase letters, digits, dots, hyphens).
const bucket = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
    "must be an S3 bucket name (3-63 lowercase letters, digits, . and -)",
  );

// Keys are built from the prefix: no empty, "." or ".." segment, no leading "/".
const prefix = z.string().refine(
  (p) =>
    p === "" ||
    p
      .replace(/\/$/, "")
      .split("/")
      .every((s) => s !== "" && s !== "." && s !== ".."),
  'must be a key prefix like "team/canal" (no leading /, no empty, . or .. parts)',
);

const shape = {
  kind: z.literal("s3"),
  bucket,
  prefix: prefix.default(""),
  endpoint: z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" }).optional(),
  region: z.string().min(1).optional(),
  profile: z.string().min(1).optional(),
  accessKeyIdEnv: envName.optional(),
  secretAccessKeyEnv: envName.optional(),
  sessionTokenEnv: envName.optional(),
  forcePathStyle: z.boolean().optional(),
};

/** The keys' variables come in pairs, and a session token with them. */
function checkKeys(
  settings: {
    accessKeyIdEnv?: string | undefined;
    secretAccessKeyEnv?: string | undefined;
    sessionTokenEnv?: string | undefined;
  },
  context: z.RefinementCtx,
): void {
  const pair = [settings.accessKeyIdEnv, settings.secretAccessKeyEnv];
  if (pair.filter((name) => name !== undefined).length === 1) {
    const missing = settings.accessKeyIdEnv === undefined ? "accessKeyIdEnv" : "secretAccessKeyEnv";
    context.addIssue({
      code: "custom",
      path: [missing],
      message:
        "is required with its pair: `accessKeyIdEnv` and `secretAccessKeyEnv` name the two variables together; set both, or neither to use the standard AWS sources",
    });
  }
  if (settings.sessionTokenEnv !== undefined && settings.accessKeyIdEnv === undefined) {
    context.addIssue({
      code: "custom",
      path: ["sessionTokenEnv"],
      message: "goes with `accessKeyIdEnv` and `secretAccessKeyEnv`; set them too, or remove it",
    });
  }
}

/** A bucket's settings, as a datastore of kind `s3` takes them. */
export const s3SettingsSchema = z.strictObject(shape).superRefine(checkKeys);

const inlineBytes = z
  .int({
    error: `must be a whole number of bytes from 0 (every blob an object of its own) to ${INLINE_BYTES_MAX} (1 MiB)`,
  })
  .min(0, `must be 0 (every blob an object of its own) or more, up to ${INLINE_BYTES_MAX} (1 MiB)`)
  .max(
    INLINE_BYTES_MAX,
    `must be at most ${INLINE_BYTES_MAX} (1 MiB): a larger file costs less as an object of its own`,
  );

/** The artifacts' bucket: a datastore's settings, and which files the metadata store may keep. */
export const s3ArtifactsSchema = z
  .strictObject({ ...shape, inlineBytes: inlineBytes.optional() })
  .superRefine(checkKeys);

/** An S3 (or S3-compatible) bucket: blobs under `prefix`, credentials from the environment. */
export const s3Backend: BlobStoreBackend<S3Settings> = {
  kind: "s3",
  schema: s3ArtifactsSchema as z.ZodType<S3Settings>,
  defaults: {
    inlineBytes: `${INLINE_BYTES} (16 KiB) with a PostgreSQL metadata store`,
    prefix: '"" (the bucket\'s root)',
    region: "AWS_REGION, the profile's region, or us-east-1 with an endpoint",
    forcePathStyle: "true with an endpoint",
  },
  resolve: (settings) => ({
    ...settings,
    prefix: settings.prefix === "" || settings.prefix.endsWith("/") ? settings.prefix : `${settings.prefix}/`,
  }),
  // The `workspace` datastore: the keys under "datastore/" of the blob store's prefix.
  datastore: (settings) => {
    const { inlineBytes: _inline, ...bucket } = settings;
    return { ...bucket, prefix: `${settings.prefix}datastore/` };
  },
  async open(settings, context) {
    const { openS3BlobStore } = await import("./open.js");
    return openS3BlobStore(settings, context);
  },
};
