// The S3 client a blob store talks through, and S3's failures in Canal's words. Credentials are read
// here, from the variables the config names or the standard AWS sources, and go nowhere else: not
// into the settings, not into a message (every message is scrubbed of them).
import { type PutObjectCommand, S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
import type { BlobPlace } from "@canal/ir/run-types";
import type { StoreContext } from "../backends.js";
import { StoreError } from "../errors.js";
import type { S3Settings } from "./backend.js";
import { type LeanRequests, leanRequests } from "./lean-request.js";

/** Where the store is and what messages need to name it: the bucket, the endpoint, the config. */
export interface S3Place {
  bucket: string;
  prefix: string;
  endpoint: string;
  configFile: string;
  /** Where the credentials came from, in words: for the fix in an access-denied message. */
  credentialSource: string;
  /** Values that must never appear in a message. */
  secrets: string[];
  /** The config object its settings are under (`artifacts`, `datastores.lake`): messages name its keys. */
  field: string;
  /** What it is, in words ("the artifact store", "datastore lake"). */
  what: string;
}

/** Which config object a connection's settings come from, for the messages: default the blob store's. */
export interface S3Naming {
  field: string;
  what: string;
}

const BLOB_STORE: S3Naming = { field: "artifacts", what: "the artifact store" };

export interface S3Connection {
  client: S3Client;
  place: S3Place;
  /** Where the bucket is, as a step reaches it with credentials of its own (no secret in it). */
  shared: BlobPlace;
  /** A small object's put and a HEAD without the SDK's command stack, where the endpoint allows it. */
  lean: LeanRequests | undefined;
}

/** The client for `settings`: path-style and on-demand checksums for S3-compatible servers. */
export function connect(
  settings: S3Settings,
  context: StoreContext,
  naming: S3Naming = BLOB_STORE,
): S3Connection {
  const { field: f, what } = naming;
  const secrets: string[] = [];
  let credentials: S3ClientConfig["credentials"];
  let credentialSource: string;
  if (settings.accessKeyIdEnv !== undefined && settings.secretAccessKeyEnv !== undefined) {
    const read = (field: string, name: string) => {
      const value = process.env[name];
      if (!value) {
        throw new StoreError(
          "CANAL_STORE_CREDENTIALS_MISSING",
          `${context.configFile}: \`${f}.${field}\` names the environment variable ${name}, which is not set; ` +
            `export ${name} before running canal, or remove \`${f}.${field}\` to use the standard AWS sources`,
        );
      }
      secrets.push(value);
      return value;
    };
    const accessKeyId = read("accessKeyIdEnv", settings.accessKeyIdEnv);
    const secretAccessKey = read("secretAccessKeyEnv", settings.secretAccessKeyEnv);
    const sessionToken =
      settings.sessionTokenEnv === undefined ? undefined : read("sessionTokenEnv", settings.sessionTokenEnv);
    credentials = { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
    credentialSource =
      `the variables ${settings.accessKeyIdEnv} and ${settings.secretAccessKeyEnv} ` +
      `(named by \`${f}.accessKeyIdEnv\` and \`${f}.secretAccessKeyEnv\`)`;
  } else if (settings.profile !== undefined) {
    credentialSource = `the AWS profile ${JSON.stringify(settings.profile)} (\`${f}.profile\`)`;
  } else {
    for (const name of ["AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"]) {
      const value = process.env[name];
      if (value) secrets.push(value);
    }
    credentialSource =
      "the standard AWS sources (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, ~/.aws); " +
      `or name the variables with \`${f}.accessKeyIdEnv\` and \`${f}.secretAccessKeyEnv\``;
  }
  const region =
    settings.region ??
    process.env.AWS_REGION ??
    process.env.AWS_DEFAULT_REGION ??
    (settings.endpoint !== undefined ? "us-east-1" : undefined);
  const forcePathStyle = settings.forcePathStyle ?? settings.endpoint !== undefined;
  const config: S3ClientConfig = {
    ...(region !== undefined ? { region } : {}),
    ...(settings.endpoint !== undefined ? { endpoint: settings.endpoint } : {}),
    ...(settings.profile !== undefined ? { profile: settings.profile } : {}),
    ...(credentials !== undefined ? { credentials } : {}),
    forcePathStyle,
    // A server that stops answering fails the request (which is retried) instead of hanging the
    // run: 10 s to connect, 2 min without a byte either way.
    requestHandler: { connectionTimeout: 10_000, socketTimeout: 120_000 },
    // Canal checks every byte by its sha256; the SDK's own CRC32 trailers are what S3-compatible
    // servers (Ceph RGW, older MinIO) refuse or store as data, so they are sent only where S3
    // requires one.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  };
  const client = quietly(() => new S3Client(config));
  return {
    client,
    lean: leanRequests(client, settings.bucket, settings.endpoint, forcePathStyle),
    place: {
      bucket: settings.bucket,
      prefix: settings.prefix,
      endpoint: settings.endpoint ?? `AWS S3${region ? ` (${region})` : ""}`,
      configFile: context.configFile,
      credentialSource,
      secrets,
      field: f,
      what,
    },
    shared: {
      kind: "s3",
      bucket: settings.bucket,
      prefix: settings.prefix,
      ...(settings.endpoint !== undefined ? { endpoint: settings.endpoint } : {}),
      ...(region !== undefined ? { region } : {}),
      forcePathStyle,
    },
  };
}

/**
 * `command` (a put of a blob's bytes) signed with `sha256Hex`, the digest Canal computed of its body,
 * as the payload's `x-amz-content-sha256`: the SDK's signer takes a hash given in that header
 * instead of hashing the body a second time (a whole pass over up to 8 MiB). The server still
 * hashes what it receives and refuses a body that does not match (`XAmzContentSHA256Mismatch`),
 * as it does for the hash the SDK would have computed: the digest must be of exactly the bytes sent.
 */
export function signedWithDigest(command: PutObjectCommand, sha256Hex: string): PutObjectCommand {
  command.middlewareStack.add(
    (next) => (args) => {
      const request = args.request as { headers?: Record<string, string> };
      if (request.headers) request.headers["x-amz-content-sha256"] = sha256Hex;
      return next(args);
    },
    { step: "build", name: "canalPayloadDigest" },
  );
  return command;
}

// The SDK warns on Node 20 that its later releases will need Node 22: Canal pins a release that
// runs on 20, so the warning says nothing a user can act on.
function quietly<T>(make: () => T): T {
  const name = "AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED";
  if (process.env[name] !== undefined) return make();
  process.env[name] = "true";
  try {
    return make();
  } finally {
    delete process.env[name];
  }
}

/** The HTTP status and S3 error code of a failed request, when it got an answer. */
export function s3Status(error: unknown): { status?: number; code?: string } {
  const e = error as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
  return { status: e?.$metadata?.httpStatusCode, code: e?.Code ?? e?.name };
}

export function isNotFound(error: unknown): boolean {
  const { status, code } = s3Status(error);
  return (status === 404 && code !== "NoSuchBucket") || code === "NoSuchKey";
}

export function isPreconditionFailed(error: unknown): boolean {
  const { status, code } = s3Status(error);
  return status === 412 || code === "PreconditionFailed";
}

const UNREACHABLE = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ECONNRESET",
  "EPIPE",
  "TimeoutError",
]);

/** A secret at least this long is masked wherever it occurs; a shorter one only as a whole word. */
const MASK_ANYWHERE = 8;

/**
 * `text` with every secret masked, the longest first (so no shorter secret inside a longer one
 * leaves part of it showing). A secret of a few letters is masked only where it stands as a word of
 * its own: masking every "a" in a message would garble it, and hides no more of so short a value.
 */
export function scrub(text: string, secrets: string[]): string {
  let out = text;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret.length === 0) continue;
    if (secret.length >= MASK_ANYWHERE) out = out.split(secret).join("***");
    else {
      const escaped = secret.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      out = out.replace(new RegExp(`(?<![\\p{L}\\p{N}])${escaped}(?![\\p{L}\\p{N}])`, "gu"), "***");
    }
  }
  return out;
}

/**
 * `error` (from S3 or the network, on `doing` e.g. "reading sha256:ab…") as a StoreError naming the
 * setting to fix: the endpoint when it cannot be reached, the bucket when it does not exist, the
 * credentials when access is denied. Never holds a secret.
 */
export function s3Failure(error: unknown, doing: string, place: S3Place): StoreError {
  if (error instanceof StoreError) return error;
  const { status, code } = s3Status(error);
  const cause = error as { code?: string; name?: string; message?: string; errors?: { code?: string }[] };
  const network = cause?.code ?? cause?.errors?.[0]?.code ?? cause?.name;
  const where = `bucket ${place.bucket} at ${place.endpoint}`;
  const config = place.configFile;
  const { field: f, what } = place;
  let text: string;
  let storeCode: ConstructorParameters<typeof StoreError>[0];
  if (code === "NoSuchBucket" || (status === 404 && doing.startsWith("opening"))) {
    storeCode = "CANAL_STORE_BUCKET_MISSING";
    text =
      `${what}'s bucket ${place.bucket} does not exist at ${place.endpoint} (${doing}); ` +
      `create it, or set \`${f}.bucket\` in ${config} to a bucket that exists`;
  } else if (code === "CredentialsProviderError") {
    storeCode = "CANAL_STORE_CREDENTIALS_MISSING";
    text =
      `no S3 credentials were found for ${where} while ${doing}; they come from ${place.credentialSource}: ` +
      `set them (\`${f}.accessKeyIdEnv\`/\`${f}.secretAccessKeyEnv\` naming two variables, or \`${f}.profile\` in ${config})`;
  } else if (code === "RequestTimeTooSkewed" || code === "RequestExpired" || code === "RequestInTheFuture") {
    // Not the credentials: the request was signed at a time the server does not take for now.
    storeCode = "CANAL_STORE_ACCESS_DENIED";
    text =
      `${where} refused a request while ${doing} (${code}): this machine's clock is too far from the server's ` +
      "for a signed request, even after correcting by the server's time; set the clock right (e.g. with NTP)";
  } else if (
    status === 403 ||
    code === "AccessDenied" ||
    code === "InvalidAccessKeyId" ||
    code === "SignatureDoesNotMatch"
  ) {
    storeCode = "CANAL_STORE_ACCESS_DENIED";
    text =
      `access to ${where} was denied (${code ?? `HTTP ${status}`}) while ${doing}; the credentials come from ${place.credentialSource}: ` +
      `set credentials that may read and write the bucket (\`${f}.accessKeyIdEnv\`/\`${f}.secretAccessKeyEnv\` or \`${f}.profile\` in ${config})`;
  } else if (network !== undefined && UNREACHABLE.has(network) && status === undefined) {
    storeCode = "CANAL_STORE_UNREACHABLE";
    text =
      `cannot reach ${what} at ${place.endpoint} while ${doing} (${network}); ` +
      `check that the server is running and that \`${f}.endpoint\` in ${config} is its address`;
  } else if (/region is missing/i.test(cause?.message ?? "")) {
    storeCode = "CANAL_STORE_CONFIG_INVALID";
    text = `${config}: ${what}'s region is not known; set \`${f}.region\` (or AWS_REGION)`;
  } else {
    storeCode = "CANAL_STORE_REMOTE_FAILED";
    const detail = code ?? network ?? "error";
    text =
      `${what} (${where}) failed while ${doing}: ${detail}${status ? ` (HTTP ${status})` : ""}` +
      `${cause?.message && cause.message !== detail ? `: ${cause.message}` : ""}`;
  }
  return new StoreError(storeCode, scrub(text, place.secrets));
}
