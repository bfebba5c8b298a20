// What the PostgreSQL store needs of a connection, and of its URL: a query method (a pooled
// client's or the pool's), the URL with any password masked, and which failures are worth a retry.

/** A pooled client or the pool: `pg`'s query, reduced to what the store uses. */
export interface Queryable {
  query(
    sql: string,
    params?: unknown[],
  ): Promise<{ rows: unknown[]; rowCount: number | null; command?: string }>;
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
