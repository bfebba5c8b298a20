// The metadata stores and blob stores a workspace can be configured with, by their `kind`: the
// embedded ones (`sqlite`, `local`) and the team ones (`s3`) are registered here; another backend plugs in
// by registering itself, and canal.config.json accepts its kind and its settings from then on.
import { dirname, join, resolve } from "node:path";
import { z } from "zod";
import type { BlobStoreBackend, MetadataStoreBackend, StoreField, StoreSettings } from "./backend-types.js";
import { StoreError } from "./errors.js";
import { ensureFolder } from "./folders.js";
import { LocalBlobStore } from "./local-blobs.js";
import { postgresBackend } from "./postgres/backend.js";
import { s3Backend } from "./s3/backend.js";
import { SqliteMetadataStore } from "./sqlite.js";

export type {
  BlobStoreBackend,
  MetadataStoreBackend,
  StoreContext,
  StoreField,
  StoreSettings,
} from "./backend-types.js";

/**
 * Metadata and blob store backends by kind, as runtimes are picked by target kind. `openWorkspace`
 * and the config parser look kinds up here; a kind that is not registered is a config error that
 * names the file, the field and the kinds there are.
 *
 * @example
 * ```ts
 * storeRegistry.registerMetadataStore({
 *   kind: "postgres",
 *   schema: z.strictObject({ kind: z.literal("postgres"), url: z.string() }),
 *   resolve: (settings) => settings,
 *   open: (settings, context) => PostgresMetadataStore.open(settings.url, context),
 * });
 * ```
 */
export class StoreRegistry {
  private readonly backends = {
    store: new Map<string, MetadataStoreBackend>(),
    artifacts: new Map<string, BlobStoreBackend>(),
  };

  registerMetadataStore<S extends StoreSettings>(backend: MetadataStoreBackend<S>): void {
    this.backends.store.set(backend.kind, backend as unknown as MetadataStoreBackend);
  }

  registerBlobStore<S extends StoreSettings>(backend: BlobStoreBackend<S>): void {
    this.backends.artifacts.set(backend.kind, backend as unknown as BlobStoreBackend);
  }

  /** The registered kinds of `field`, sorted. */
  kinds(field: StoreField): string[] {
    return [...this.backends[field].keys()].sort();
  }

  /** The backend of `kind`, or undefined when none is registered. */
  find(field: "store", kind: string): MetadataStoreBackend | undefined;
  find(field: "artifacts", kind: string): BlobStoreBackend | undefined;
  find(field: StoreField, kind: string): MetadataStoreBackend | BlobStoreBackend | undefined;
  find(field: StoreField, kind: string): MetadataStoreBackend | BlobStoreBackend | undefined {
    return this.backends[field].get(kind);
  }

  /** The backend of `kind`; throws the config error for a kind that is not registered. */
  get(field: "store", kind: string, configFile: string): MetadataStoreBackend;
  get(field: "artifacts", kind: string, configFile: string): BlobStoreBackend;
  get(field: StoreField, kind: string, configFile: string): MetadataStoreBackend | BlobStoreBackend;
  get(field: StoreField, kind: string, configFile: string): MetadataStoreBackend | BlobStoreBackend {
    const backend = this.backends[field].get(kind);
    if (!backend) {
      throw new StoreError(
        "CANAL_STORE_CONFIG_INVALID",
        `${configFile} is invalid:\n  - ${this.unknownKind(field, kind)}`,
      );
    }
    return backend;
  }

  /** The problem line for a kind that is not registered: the field, the kinds there are, the fix. */
  unknownKind(field: StoreField, kind: string): string {
    const what = field === "store" ? "metadata store" : "blob store";
    const known = this.kinds(field).map((k) => JSON.stringify(k));
    return (
      `\`${field}.kind\`: ${JSON.stringify(kind)} is not a ${what} kind this installation knows ` +
      `(the kinds are ${known.join(", ")}); set \`${field}.kind\` to one of them, or install and register the ` +
      `package that provides ${JSON.stringify(kind)}`
    );
  }
}

export const DEFAULT_STORE_PATHS = { store: ".canal/canal.db", artifacts: ".canal/blobs" } as const;

interface SqliteSettings extends StoreSettings {
  kind: "sqlite";
  path: string;
  busyTimeoutMs?: number;
}

/** The embedded metadata store: one SQLite file, which several processes may share. */
export const sqliteBackend: MetadataStoreBackend<SqliteSettings> = {
  kind: "sqlite",
  schema: z.strictObject({
    kind: z.literal("sqlite"),
    path: z.string().min(1).default(DEFAULT_STORE_PATHS.store),
    busyTimeoutMs: z.int().min(0).optional(),
  }),
  defaults: { path: `"${DEFAULT_STORE_PATHS.store}"`, busyTimeoutMs: "10000" },
  resolve: (settings, root) => ({ ...settings, path: resolve(root, settings.path) }),
  place: (settings) => `the SQLite file ${settings.path}`,
  async open(settings, context) {
    ensureFolder(dirname(settings.path), "store.path", context.configFile);
    return SqliteMetadataStore.open(settings.path, {
      workspace: context.workspace,
      location: context.root,
      ...(settings.busyTimeoutMs !== undefined ? { busyTimeoutMs: settings.busyTimeoutMs } : {}),
    });
  },
};

interface LocalSettings extends StoreSettings {
  kind: "local";
  path: string;
}

/** The embedded blob store: a content-addressed folder. */
export const localBackend: BlobStoreBackend<LocalSettings> = {
  kind: "local",
  schema: z.strictObject({
    kind: z.literal("local"),
    path: z.string().min(1).default(DEFAULT_STORE_PATHS.artifacts),
  }),
  defaults: { path: `"${DEFAULT_STORE_PATHS.artifacts}"` },
  resolve: (settings, root) => ({ ...settings, path: resolve(root, settings.path) }),
  // The `workspace` datastore: a folder of the blob store's own, made on first use.
  datastore: (settings) => ({ kind: "local", path: join(settings.path, "datastore"), create: true }),
  async open(settings, context) {
    ensureFolder(settings.path, "artifacts.path", context.configFile);
    return new LocalBlobStore(settings.path);
  },
};

/** The registry `openWorkspace` and the config parser use unless given another: sqlite, postgres, local and s3. */
export const storeRegistry = new StoreRegistry();
storeRegistry.registerMetadataStore(sqliteBackend);
storeRegistry.registerMetadataStore(postgresBackend);
storeRegistry.registerBlobStore(localBackend);
storeRegistry.registerBlobStore(s3Backend);
