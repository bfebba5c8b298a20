// `store: { kind: "postgres", url, passwordEnv? }`: the metadata store a team shares. `pg` is
// loaded only when such a store is opened, so a workspace on SQLite never loads it.
import { z } from "zod";
import type { MetadataStoreBackend, StoreContext, StoreSettings } from "../backend-types.js";
import { StoreError } from "../errors.js";
import { maskUrl, urlHasPassword } from "./query.js";
import { migratePostgres } from "./schema.js";
import { PostgresMetadataStore } from "./store.js";

export interface PostgresSettings extends StoreSettings {
  kind: "postgres";
  /** `postgres://user@host:port/database`, without a password. */
  url: string;
  /** The environment variable holding the password; otherwise PGPASSWORD or ~/.pgpass. */
  passwordEnv?: string;
  /** How long opening waits for the server to answer. Default 10 s. */
  connectTimeoutMs?: number;
  /** The most connections this process keeps to the server. Default 10. */
  poolSize?: number;
  /**
   * How long a write or read keeps trying while the server is away (a restart, a failover) before
   * it fails, naming the store. Default 60 s.
   */
  reconnectWindowMs?: number;
  /**
   * Send the statements a step makes as named prepared statements, parsed and planned once per
   * connection. Default true; false behind a pooler in transaction mode (PgBouncer without
   * `max_prepared_statements`), where the next statement may reach a server connection that never prepared it.
   */
  preparedStatements?: boolean;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

let schema: z.ZodType<PostgresSettings> | undefined;

/**
 * The settings' schema, built at first use: a run on SQLite never parses PostgreSQL settings, and
 * building these refinements cost ~2.5 ms of every `canal` process's start.
 */
function postgresSchema(): z.ZodType<PostgresSettings> {
  schema ??= z.strictObject({
    kind: z.literal("postgres"),
    url: z
      .string()
      .min(1)
      .refine((url) => /^postgres(ql)?:\/\//.test(url), {
        message: "must be a URL of the form postgres://user@host:port/database",
      })
      .refine(
        (url) => {
          try {
            new URL(url);
            return true;
          } catch {
            return false;
          }
        },
        {
          // Not repeated: what cannot be read may hold a password.
          message:
            "cannot be read as a URL (a port that is not a number, or a character such as `/`, `@`, `#`, `?` or a " +
            "space where it must be percent-encoded); write it as postgres://user@host:port/database",
        },
      )
      .refine((url) => !urlHasPassword(url), {
        message:
          "holds a password, which must never be written in the config; remove it from the URL and put it in " +
          "the environment variable that `store.passwordEnv` names (or PGPASSWORD, or ~/.pgpass)",
      }),
    passwordEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be the name of an environment variable")
      .optional(),
    connectTimeoutMs: z.int().min(1).optional(),
    poolSize: z.int().min(1).max(1000).optional(),
    reconnectWindowMs: z.int().min(0).optional(),
    preparedStatements: z.boolean().optional(),
  });
  return schema;
}

export const postgresBackend: MetadataStoreBackend<PostgresSettings> = {
  kind: "postgres",
  get schema() {
    return postgresSchema();
  },
  defaults: {
    passwordEnv: "PGPASSWORD or ~/.pgpass",
    connectTimeoutMs: "10000",
    poolSize: "10",
    reconnectWindowMs: "60000",
    preparedStatements: "true",
  },
  resolve: (settings) => settings,
  place: (settings) => `the PostgreSQL database ${maskUrl(settings.url)}`,
  open: openPostgresStore,
};

/** The store as messages name it: the URL (password masked) and the config file it comes from. */
function describe(settings: PostgresSettings, context: StoreContext): string {
  return `${maskUrl(settings.url)} (\`store.url\` in ${context.configFile})`;
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** Why opening failed, in words that name the setting to fix; never the password. */
export function postgresOpenFailure(
  error: unknown,
  settings: PostgresSettings,
  context: StoreContext,
): StoreError {
  if (error instanceof StoreError) return error;
  const where = `the metadata store ${describe(settings, context)}`;
  const code = errorCode(error);
  const why = (error as Error).message;
  const database = (() => {
    try {
      return decodeURIComponent(new URL(settings.url).pathname.slice(1)) || "(the user's name)";
    } catch {
      return "(unknown)";
    }
  })();
  const passwordSource = settings.passwordEnv
    ? `the environment variable ${settings.passwordEnv} (\`store.passwordEnv\`)`
    : "PGPASSWORD or ~/.pgpass (or name a variable in `store.passwordEnv`)";
  if (code === "3D000") {
    return new StoreError(
      "CANAL_STORE_OPEN_FAILED",
      `cannot open ${where}: the server has no database ${JSON.stringify(database)}; create it ` +
        `(\`createdb ${database}\`) or fix the database name in \`store.url\``,
    );
  }
  if (code === "28P01" || code === "28000") {
    return new StoreError(
      "CANAL_STORE_OPEN_FAILED",
      `cannot open ${where}: the server refused the login (${why}); check the user in \`store.url\` and the password in ${passwordSource}`,
    );
  }
  if (
    code === "ECONNREFUSED" ||
    code === "ENOTFOUND" ||
    code === "EAI_AGAIN" ||
    code === "ETIMEDOUT" ||
    /timeout/i.test(why)
  ) {
    return new StoreError(
      "CANAL_STORE_OPEN_FAILED",
      `cannot open ${where}: no PostgreSQL server answered (${why}); start the server, or fix the host and port in \`store.url\``,
    );
  }
  return new StoreError(
    "CANAL_STORE_OPEN_FAILED",
    `cannot open ${where}: ${why}; check \`store.url\` and that the server accepts this user`,
  );
}

/**
 * The URL as `pg` settings. Not as `connectionString`: `pg` lets what that parses to override a
 * password given beside it. `?host=/path` names a unix socket folder; `?sslmode=` is libpq's.
 */
export function connectionFromUrl(url: string): Record<string, unknown> {
  const parsed = new URL(url);
  const settings: Record<string, unknown> = {};
  const host =
    parsed.searchParams.get("host") ?? decodeURIComponent(parsed.hostname).replace(/^\[(.*)\]$/, "$1");
  if (host) settings.host = host;
  if (parsed.port) settings.port = Number(parsed.port);
  if (parsed.username) settings.user = decodeURIComponent(parsed.username);
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ""));
  if (database) settings.database = database;
  const sslmode = parsed.searchParams.get("sslmode");
  if (sslmode === "require" || sslmode === "prefer") settings.ssl = { rejectUnauthorized: false };
  else if (sslmode === "verify-ca" || sslmode === "verify-full") settings.ssl = true;
  return settings;
}

/** Connects, migrates the schema, and records the workspace: the store is ready when this resolves. */
async function openPostgresStore(
  settings: PostgresSettings,
  context: StoreContext,
): Promise<PostgresMetadataStore> {
  let password: string | undefined;
  if (settings.passwordEnv !== undefined) {
    password = process.env[settings.passwordEnv];
    if (password === undefined) {
      throw new StoreError(
        "CANAL_STORE_CONFIG_INVALID",
        `${context.configFile} names the environment variable ${settings.passwordEnv} for the metadata store's ` +
          `password (\`store.passwordEnv\`), and it is not set; export ${settings.passwordEnv} before running canal`,
      );
    }
  }
  const pg = (await import("pg")).default;
  // BIGINT columns (ids, times in ms, counts) are read as numbers: every one fits in 2^53.
  const types = {
    getTypeParser: ((oid: number, format?: string) =>
      oid === 20 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as "text")) as never,
  };
  const connection = {
    ...connectionFromUrl(settings.url),
    ...(password !== undefined ? { password } : {}),
    connectionTimeoutMillis: settings.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    application_name: "canal",
    types,
  };
  const pool = new pg.Pool({ ...connection, max: settings.poolSize ?? 10 });
  // An idle pooled client whose server went away emits here; the next query gets a new one.
  pool.on("error", () => {});
  // A client in use whose server goes away (a restart while a unit is open) emits on itself, which
  // with no listener would end the process: its next query fails instead, and the unit is retried.
  pool.on("connect", (client) => {
    client.on("error", () => {});
  });
  const where = describe(settings, context);
  try {
    const client = await pool.connect();
    let workspaceId: number;
    try {
      await migratePostgres(client, where);
      await client.query(
        "INSERT INTO workspaces (name, created_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        [context.workspace, Date.now()],
      );
      const { rows } = await client.query("SELECT id FROM workspaces WHERE name = $1", [context.workspace]);
      workspaceId = Number((rows[0] as { id: number }).id);
    } finally {
      client.release();
    }
    return new PostgresMetadataStore({
      pool,
      listener: () => new pg.Client(connection),
      workspace: context.workspace,
      workspaceId,
      location: context.root,
      where,
      ...(settings.reconnectWindowMs !== undefined ? { reconnectWindowMs: settings.reconnectWindowMs } : {}),
      ...(settings.preparedStatements !== undefined
        ? { preparedStatements: settings.preparedStatements }
        : {}),
    });
  } catch (error) {
    await pool.end().catch(() => {});
    throw postgresOpenFailure(error, settings, context);
  }
}
