// What the PostgreSQL store needs of a connection, and of its URL: a query method (a pooled
// client's or the pool's), the statements it sends by name, the URL with any password masked, and
// which failures are worth a retry.
import { createHash } from "node:crypto";

type QueryResult = { rows: unknown[]; rowCount: number | null; command?: string };

/** A pooled client or the pool: `pg`'s query, reduced to what the store uses. */
export interface Queryable {
  query(sql: string, params?: unknown[]): Promise<QueryResult>;
  query(config: { name: string; text: string; values: unknown[] }): Promise<QueryResult>;
}

/**
 * A statement whose text never changes, sent as a named prepared statement: the server parses and
 * plans it once per connection instead of on every call (about a third of the server's CPU for
 * the step claim). `pg` keeps the names per connection; the name is derived from the text, so one
 * text has one name on every connection and two texts never share one.
 */
export interface NamedStatement {
  readonly name: string;
  readonly text: string;
}

/**
 * The most texts one process names. Each connection prepares at most these; a text past the cap is
 * sent unnamed, so a statement built from its values by mistake cannot grow the server's memory
 * per connection without end.
 */
export const MAX_NAMED_STATEMENTS = 200;
const namedTexts = new Map<string, NamedStatement>();

/**
 * `text` as a named statement: only for texts that do not vary with the values (a constant, or
 * one of a small fixed family such as a step end's parts). Unnamed past MAX_NAMED_STATEMENTS.
 */
export function named(text: string): NamedStatement | string {
  const known = namedTexts.get(text);
  if (known) return known;
  if (namedTexts.size >= MAX_NAMED_STATEMENTS) return text;
  const statement = { name: `canal_${createHash("sha256").update(text).digest("hex").slice(0, 20)}`, text };
  namedTexts.set(text, statement);
  return statement;
}

/** Errors of a named statement whose cached plan the server refused (tagged by `send`). */
const stalePlans = new WeakSet<object>();

/**
 * Whether a unit failed because a named statement's cached plan no longer matches the schema
 * (another process migrated it: `cached plan must not change result type`). Such a unit is run
 * again on a new connection with its statements unnamed.
 */
export function isStalePlan(error: unknown): boolean {
  return typeof error === "object" && error !== null && stalePlans.has(error);
}

/**
 * Whether the server refused a cached plan (`cached plan must not change result type`, raised by
 * plancache.c's RevalidateCachedQuery), told from any other error of its SQLSTATE (0A000, feature
 * not supported, e.g. `FOR UPDATE` with an aggregate), which another try would only repeat. The
 * routine is matched as well as the text: a server whose messages are in another language still
 * names the routine.
 */
function refusedCachedPlan(error: unknown): boolean {
  if (code(error) !== "0A000") return false;
  const e = error as { routine?: string; message?: string };
  return e.routine === "RevalidateCachedQuery" || e.message === "cached plan must not change result type";
}

/**
 * Sends one statement: by name when it is a NamedStatement and `prepared` is on. When the server
 * refuses a named statement's cached plan (SQLSTATE 0A000: its result type changed under a
 * migration), outside a transaction the statement is sent again unnamed (the pool has already
 * dropped the connection that held the stale plan, as it drops any that failed a query); inside
 * one the transaction is aborted, so the error is tagged and thrown for the unit to run again.
 */
export async function send(
  db: Queryable,
  sql: NamedStatement | string,
  params: unknown[],
  options: { prepared: boolean; inTransaction: boolean },
): Promise<QueryResult> {
  if (typeof sql === "string") return db.query(sql, params);
  if (!options.prepared) return db.query(sql.text, params);
  try {
    return await db.query({ name: sql.name, text: sql.text, values: params });
  } catch (error) {
    if (!refusedCachedPlan(error)) throw error;
    if (options.inTransaction) {
      stalePlans.add(error as object);
      throw error;
    }
    return db.query(sql.text, params);
  }
}

/**
 * A parameter of the URL that holds a password: libpq reads `?password=` as the password, as it
 * does the one after the user name (matched without case, to refuse any spelling of it).
 */
const isPasswordParameter = (name: string) => name.toLowerCase() === "password";

/** The URL as messages and `canal` output show it: a password in it (refused anyway) becomes `***`. */
export function maskUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    // Only the parameters that hold one are changed: the rest read as they were written.
    if (parsed.search) {
      const pairs = parsed.search.slice(1).split("&");
      parsed.search = pairs
        .map((pair) => {
          const name = pair.split("=")[0] ?? "";
          return isPasswordParameter(decodeParameter(name)) ? `${name}=***` : pair;
        })
        .join("&");
    }
    return parsed.toString();
  } catch {
    // Not a URL: show only what cannot be a secret.
    return url.replace(/\/\/([^/@:]*):[^/@]*@/, "//$1:***@").replace(/([?&]password=)[^&#]*/gi, "$1***");
  }
}

/** Whether a URL carries a password (`postgres://user:secret@host/db`, `postgres://host/db?password=secret`). */
export function urlHasPassword(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.password !== "" || [...parsed.searchParams.keys()].some(isPasswordParameter);
  } catch {
    return /\/\/[^/@:]*:[^/@]*@/.test(url) || /[?&]password=/i.test(url);
  }
}

function decodeParameter(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, " "));
  } catch {
    return name;
  }
}

function code(error: unknown): string | undefined {
  const value = (error as { code?: unknown } | null)?.code;
  return typeof value === "string" ? value : undefined;
}

/** A unit that lost a race with another writer: undone by the server, safe to run again. */
export function isSerializationFailure(error: unknown): boolean {
  const c = code(error);
  return c === "40001" || c === "40P01";
}

/**
 * The connection was lost or the server is going away (a restart): a unit that never reached
 * COMMIT may run again on a new connection once the server is back.
 */
export function isConnectionLoss(error: unknown): boolean {
  const c = code(error);
  if (c === undefined) {
    const message = (error as Error | null)?.message ?? "";
    return /Connection terminated|connection timeout|Client has encountered a connection error/i.test(
      message,
    );
  }
  return (
    c === "ECONNREFUSED" ||
    c === "ECONNRESET" ||
    c === "EPIPE" ||
    c === "ETIMEDOUT" ||
    c === "57P01" || // admin_shutdown
    c === "57P02" || // crash_shutdown
    c === "57P03" || // cannot_connect_now (starting up)
    c.startsWith("08") // connection exceptions
  );
}
