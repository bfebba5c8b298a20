// Signing in to the web UI: a one-time code (`canal ui` prints it in a link) or an API token is
// exchanged for a session, kept in a cookie the page's scripts cannot read (HttpOnly) and that no
// other site's page sends (SameSite=Strict). Codes and sessions live in the serving process's
// memory, each only as its sha256: a restart of the server signs every browser out.
import { createHash, randomBytes } from "node:crypto";
import type { ApiToken, TokenRole } from "@canal/store";

/** The cookie that carries a session: its value is 256 random bits. */
export const SESSION_COOKIE = "canal_session";
const CODE_TTL_MS = 5 * 60_000;
const SESSION_TTL_MS = 12 * 60 * 60_000;

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** What a session stands for: a role given with a code, or a token (looked up again at each request). */
type Grant = { kind: "code"; role: TokenRole; name: string } | { kind: "token"; tokenHash: string };

interface Session {
  grant: Grant;
  expiresAt: number;
}

/** The one-time codes given out and the sessions they (or tokens) were exchanged for. */
export class SignIns {
  readonly #codes = new Map<string, { role: TokenRole; name: string; expiresAt: number }>();
  readonly #sessions = new Map<string, Session>();
  readonly #now: () => number;

  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
  }

  /**
   * A code that signs one browser in once, as `role`, within five minutes. Its runs record
   * `token:NAME` as who started them, as a token's do.
   */
  issueCode(role: TokenRole, name = "ui"): string {
    this.#sweep();
    const code = randomBytes(32).toString("base64url");
    this.#codes.set(sha256(code), { role, name, expiresAt: this.#now() + CODE_TTL_MS });
    return code;
  }

  /** The session for `code`, which is used up; undefined when it is unknown, used or expired. */
  redeemCode(code: string): string | undefined {
    const key = sha256(code);
    const found = this.#codes.get(key);
    this.#codes.delete(key);
    if (!found || found.expiresAt < this.#now()) return undefined;
    return this.#open({ kind: "code", role: found.role, name: found.name });
  }

  /** A session standing for the token whose hash is given (checked by the caller first). */
  openForToken(tokenHash: string): string {
    return this.#open({ kind: "token", tokenHash });
  }

  /** What the session whose cookie value is `id` stands for; undefined when unknown or expired. */
  grant(id: string): Grant | undefined {
    const key = sha256(id);
    const session = this.#sessions.get(key);
    if (!session) return undefined;
    if (session.expiresAt < this.#now()) {
      this.#sessions.delete(key);
      return undefined;
    }
    return session.grant;
  }

  close(id: string): void {
    this.#sessions.delete(sha256(id));
  }

  #open(grant: Grant): string {
    this.#sweep();
    const id = randomBytes(32).toString("base64url");
    this.#sessions.set(sha256(id), { grant, expiresAt: this.#now() + SESSION_TTL_MS });
    return id;
  }

  #sweep(): void {
    const now = this.#now();
    for (const [key, code] of this.#codes) if (code.expiresAt < now) this.#codes.delete(key);
    for (const [key, session] of this.#sessions) if (session.expiresAt < now) this.#sessions.delete(key);
  }
}

/** The token a code's session acts as (it is in no store: it exists while the session does). */
export function sessionToken(grant: { role: TokenRole; name: string }): ApiToken {
  return { id: "ui-session", role: grant.role, name: grant.name, createdAt: 0 };
}

/** The Set-Cookie value that opens (or, with `undefined`, ends) a session. */
export function sessionCookie(id: string | undefined, secure: boolean): string {
  const attributes = ["Path=/", "HttpOnly", "SameSite=Strict", ...(secure ? ["Secure"] : [])];
  const value = id ?? "";
  const age = id === undefined ? 0 : Math.floor(SESSION_TTL_MS / 1000);
  return [`${SESSION_COOKIE}=${value}`, ...attributes, `Max-Age=${age}`].join("; ");
}

/** The session cookie's value in a Cookie header, if there is one. */
export function sessionIdOf(cookieHeader: string | undefined): string | undefined {
  if (!cookieHeader) return undefined;
  for (const part of cookieHeader.split(";")) {
    const [name, ...rest] = part.trim().split("=");
    if (name === SESSION_COOKIE) return rest.join("=") || undefined;
  }
  return undefined;
}
