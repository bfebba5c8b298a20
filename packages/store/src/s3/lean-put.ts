// A small blob's PutObject as one signed request, without the SDK's command stack. Per request the
// stack re-resolves its middleware, endpoint and auth scheme and runs a dozen steps around the
// request (serialize, retry, sign, deserialize): most of a small put's CPU in Canal's run process,
// one put per step output. Here the request is built and signed (`@smithy/signature-v4`, the SDK's
// own signer) and sent through the client's own HTTP handler (its keep-alive agent and timeouts),
// with the client's own credentials and region. Only path-style requests to a configured endpoint
// go this way; anything else (AWS's virtual-hosted buckets, large or multipart uploads) stays on
// the SDK.
import { setTimeout as sleep } from "node:timers/promises";
import type { S3Client } from "@aws-sdk/client-s3";
import { SignatureV4 } from "@smithy/signature-v4";

/** A put's failure as the SDK reports one: what `s3Status` and `s3Failure` read. */
export class LeanPutError extends Error {
  readonly Code: string | undefined;
  readonly $metadata: { httpStatusCode: number };
  constructor(status: number, code: string | undefined) {
    super(code ?? `HTTP ${status}`);
    this.name = code ?? `HTTP ${status}`;
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

export type LeanPut = (
  key: string,
  body: Uint8Array,
  sha256Hex: string,
  conditional: boolean,
) => Promise<string | undefined>;

/**
 * A put of `body` under `key` signed with `sha256Hex` (its digest, as `x-amz-content-sha256`), with
 * `If-None-Match: *` when `conditional`; resolves to the ETag. Undefined where the request cannot be
 * made without the SDK (no endpoint or virtual-hosted style).
 */
export function leanPut(
  client: S3Client,
  bucket: string,
  endpoint: string | undefined,
  forcePathStyle: boolean,
): LeanPut | undefined {
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
  return async (key, body, sha256Hex, conditional) => {
    const path = `${base}/${escapeSegment(bucket)}/${key.split("/").map(escapeSegment).join("/")}`;
    for (let attempt = 1; ; attempt++) {
      const request = {
        method: "PUT",
        protocol: url.protocol,
        hostname: url.hostname,
        ...(url.port ? { port: Number(url.port) } : {}),
        path,
        query: {},
        headers: {
          host,
          "content-length": String(body.byteLength),
          "x-amz-content-sha256": sha256Hex,
          ...(conditional ? { "if-none-match": "*" } : {}),
        } as Record<string, string>,
        body,
      };
      try {
        // Signed by this machine's clock corrected as the client's is (its systemClockOffset, which
        // the SDK's own requests keep too): a machine whose clock is off still signs the server's time.
        const signingDate = new Date(Date.now() + (config.systemClockOffset ?? 0));
        const signed = await (await sign()).sign(request as never, { signingDate });
        const { response } = await config.requestHandler.handle(signed as never);
        const status = response.statusCode;
        const text = await readBody(response.body);
        if (status >= 200 && status < 300) {
          const etag = response.headers.etag ?? response.headers.ETag;
          return etag || undefined;
        }
        const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1];
        if (
          code !== undefined &&
          CLOCK_SKEWED.has(code) &&
          attempt < ATTEMPTS &&
          correctClock(response.headers)
        )
          continue;
        if (status >= 500 && attempt < ATTEMPTS) {
          await backoff(attempt);
          continue;
        }
        throw new LeanPutError(status, code);
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (
          !(error instanceof LeanPutError) &&
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

async function readBody(body: unknown): Promise<string> {
  if (body === undefined || body === null) return "";
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}
