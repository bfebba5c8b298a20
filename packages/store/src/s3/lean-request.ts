// A small blob's PutObject, an object's HEAD and its GET as one signed request each, without the
// SDK's command stack: one put per step output, a HEAD per check and a GET per blob fetched are
// most of the S3 requests a run sends. Large (multipart) uploads and listings stay on the SDK. Per request
// the stack re-resolves its middleware, endpoint and auth scheme and runs a dozen steps around the
// request (serialize, retry, sign, deserialize): most of a small put's or a HEAD's CPU in Canal's
// run process. Here the request is built and signed (`@smithy/signature-v4`, the SDK's own signer)
// and sent through the client's own HTTP handler (its keep-alive agent and timeouts), with the
// client's own credentials and region, retried and clock-corrected as the SDK does. Only
// path-style requests to a configured endpoint go this way; anything else (AWS's virtual-hosted
// buckets) stays on the SDK.
import type { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import type { S3Client } from "@aws-sdk/client-s3";
import { SignatureV4 } from "@smithy/signature-v4";

/** A request's failure as the SDK reports one: what `s3Status` and `s3Failure` read. */
export class LeanRequestError extends Error {
  readonly Code: string | undefined;
  readonly $metadata: { httpStatusCode: number };
  constructor(status: number, code: string | undefined, name = code ?? `HTTP ${status}`, message = name) {
    super(message);
    this.name = name;
    this.Code = code;
    this.$metadata = { httpStatusCode: status };
  }
}

// S3 keys are signed as sent: each segment escaped as the SDK escapes it (RFC 3986 unreserved kept).
const escapeSegment = (segment: string) =>
  encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** Network failures worth one more try on a fresh connection (a keep-alive socket the server closed). */
const RETRIED = new Set(["ECONNRESET", "EPIPE", "ECONNREFUSED", "ETIMEDOUT"]);
const ATTEMPTS = 3;
/** What a server answers to a request signed with a clock too far from its own. */
const CLOCK_SKEWED = new Set(["RequestTimeTooSkewed", "RequestExpired", "RequestInTheFuture"]);
/** The SDK's threshold: a correction smaller than this is a response's own delay, not a skewed clock. */
const SKEW_MS = 240_000;
/**
 * Before the next try, as the SDK's standard retry waits: a random delay below 100 ms, doubled at
 * each try, so that a server that is restarting gets a moment and many puts do not retry at once.
 */
const backoff = (attempt: number) => sleep(Math.random() * 100 * 2 ** (attempt - 1));

/** A response: its status and headers (a failure is thrown as a `LeanRequestError`). */
export interface LeanResponse {
  status: number;
  headers: Record<string, string | undefined>;
  /** The body as it streams in, for a request that asked for it (`stream`); otherwise read and dropped. */
  body?: Readable;
}

export type LeanRequest = (
  method: "PUT" | "HEAD" | "GET",
  key: string,
  headers: Record<string, string>,
  body?: Uint8Array,
  stream?: boolean,
) => Promise<LeanResponse>;

/**
 * Sends requests on `bucket`'s objects through `client`; undefined where a request cannot be made
 * without the SDK (no endpoint or virtual-hosted style).
 */
export function leanRequest(
  client: S3Client,
  bucket: string,
  endpoint: string | undefined,
  forcePathStyle: boolean,
): LeanRequest | undefined {
  if (endpoint === undefined || !forcePathStyle) return undefined;
  const url = new URL(endpoint);
  if (url.protocol !== "http:" && url.protocol !== "https:") return undefined;
  const base = url.pathname.replace(/\/+$/, "");
  const host = url.host;
  const config = client.config;
  let signer: SignatureV4 | undefined;
  const sign = async () => {
    signer ??= new SignatureV4({
      credentials: config.credentials,
      region: await config.region(),
      service: "s3",
      // The client's own hash (the SDK's Node one), as its signer has.
      sha256: config.sha256,
      uriEscapePath: false,
      applyChecksum: false,
    });
    return signer;
  };
  /**
   * Takes the client's clock offset from a response's `Date`, as the SDK does on a skewed-clock
   * error; whether it moved by more than a response's delay (worth signing again).
   */
  const correctClock = (headers: Record<string, string | undefined>): boolean => {
    const server = Date.parse(headers.date ?? headers.Date ?? "");
    if (Number.isNaN(server)) return false;
    const offset = server - Date.now();
    if (Math.abs(offset - (config.systemClockOffset ?? 0)) < SKEW_MS) return false;
    config.systemClockOffset = offset;
    return true;
  };
  return async (method, key, headers, body, stream = false) => {
    const path = `${base}/${escapeSegment(bucket)}/${key.split("/").map(escapeSegment).join("/")}`;
    for (let attempt = 1; ; attempt++) {
      const request = {
        method,
        protocol: url.protocol,
        hostname: url.hostname,
        ...(url.port ? { port: Number(url.port) } : {}),
        path,
        query: {},
        headers: { host, ...headers },
        ...(body !== undefined ? { body } : {}),
      };
      try {
        // Signed by this machine's clock corrected as the client's is (its systemClockOffset, which
        // the SDK's own requests keep too): a machine whose clock is off still signs the server's time.
        const signingDate = new Date(Date.now() + (config.systemClockOffset ?? 0));
        const signed = await (await sign()).sign(request as never, { signingDate });
        const { response } = await config.requestHandler.handle(signed as never);
        const status = response.statusCode;
        // A GET's bytes are the caller's to read (and verify) as they stream, whatever their size.
        if (stream && status >= 200 && status < 300)
          return { status, headers: response.headers, body: response.body as Readable };
        const text = await readBody(response.body);
        if (status >= 200 && status < 300) return { status, headers: response.headers };
        const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1];
        const detail = /<Message>([^<]*)<\/Message>/.exec(text)?.[1];
        // A HEAD's answer has no body to name a skewed clock: the SDK corrects by any 403's Date.
        const skewed = code !== undefined ? CLOCK_SKEWED.has(code) : status === 403;
        if (skewed && attempt < ATTEMPTS && correctClock(response.headers)) continue;
        if (status >= 500 && attempt < ATTEMPTS) {
          await backoff(attempt);
          continue;
        }
        // Without a body (a HEAD's answer) the SDK names a failure "NotFound" for a 404 and
        // "Unknown" otherwise, with no message: the same words reach Canal's message.
        // With one, its Code names the failure and its Message (else the code) says it, as the SDK's.
        throw code !== undefined || text !== ""
          ? new LeanRequestError(status, code, undefined, detail ? unescapeXml(detail) : undefined)
          : new LeanRequestError(status, undefined, status === 404 ? "NotFound" : "Unknown", "UnknownError");
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (
          !(error instanceof LeanRequestError) &&
          code !== undefined &&
          RETRIED.has(code) &&
          attempt < ATTEMPTS
        ) {
          await backoff(attempt);
          continue;
        }
        throw error;
      }
    }
  };
}

const XML_ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
const unescapeXml = (text: string) =>
  text.replace(/&(amp|lt|gt|quot|apos);/g, (_, name) => XML_ENTITIES[name] ?? "");

async function readBody(body: unknown): Promise<string> {
  if (body === undefined || body === null) return "";
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

export type LeanPut = (
  key: string,
  body: Uint8Array,
  sha256Hex: string,
  conditional: boolean,
) => Promise<string | undefined>;

/** The object's size and ETag; a 404 is thrown as the SDK's HEAD throws it (`isNotFound`). */
export type LeanHead = (key: string) => Promise<{ size: number; etag?: string }>;

/**
 * The object's body as it streams in, with its ETag and size; a missing object is thrown as the
 * SDK's GET throws it (`NoSuchKey`). Nothing here checks the bytes: the caller hashes them.
 */
export type LeanGet = (key: string) => Promise<{ body: Readable; etag?: string; size?: number }>;

export interface LeanRequests {
  /**
   * A put of `body` under `key` signed with `sha256Hex` (its digest, as `x-amz-content-sha256`),
   * with `If-None-Match: *` when `conditional`; resolves to the ETag.
   */
  put: LeanPut;
  head: LeanHead;
  get: LeanGet;
}

/** A bucket's small puts, HEADs and GETs; undefined where they cannot be made without the SDK. */
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
    async get(key) {
      const { headers, body } = await send(
        "GET",
        key,
        { "x-amz-content-sha256": EMPTY_SHA256 },
        undefined,
        true,
      );
      const etag = headers.etag ?? headers.ETag;
      const length = headers["content-length"];
      return {
        body: body as Readable,
        ...(etag ? { etag } : {}),
        ...(length !== undefined ? { size: Number(length) } : {}),
      };
    },
  };
}

/** The sha256 of an empty body, a HEAD's and a GET's payload hash. */
const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
