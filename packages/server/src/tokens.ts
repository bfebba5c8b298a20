// API tokens: a random secret shown once, kept in the store only as its sha256 (a secret of 256
// random bits needs no salt or slow hash: nothing guessable is there to brute-force).
import { createHash, randomBytes } from "node:crypto";
import type { ApiToken, MetadataStore, TokenRole } from "@canal/store";

/** How a token reads: a prefix that secret scanners and people recognise, then 43 base64url characters. */
const TOKEN = /^canal_[A-Za-z0-9_-]{43}$/;

export const TOKEN_ROLES: readonly TokenRole[] = ["viewer", "launcher", "admin"];

export function hashToken(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

/** Whether `text` has a token's shape (checked before anything is looked up). */
export function looksLikeToken(text: string): boolean {
  return TOKEN.test(text);
}

/**
 * Makes a token and records its hash; returns the secret, which is nowhere else. `endpoint` scopes
 * a launcher token to starting runs of that endpoint.
 */
export async function createToken(
  metadata: MetadataStore,
  options: { role: TokenRole; endpoint?: string; name?: string; createdBy?: string },
): Promise<{ token: ApiToken; secret: string }> {
  const secret = `canal_${randomBytes(32).toString("base64url")}`;
  const token = await metadata.createToken({
    id: `tok-${randomBytes(6).toString("hex")}`,
    hash: hashToken(secret),
    role: options.role,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.name ? { name: options.name } : {}),
    ...(options.createdBy ? { createdBy: options.createdBy } : {}),
  });
  return { token, secret };
}

/** What a role may do, each including the one before: read; start, cancel and rerun runs; manage. */
export function allows(role: TokenRole, needed: TokenRole): boolean {
  return TOKEN_ROLES.indexOf(role) >= TOKEN_ROLES.indexOf(needed);
}
