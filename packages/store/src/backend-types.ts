// What a store backend is, as the registry (backends.ts) and each backend (sqlite, local, s3, …)
// see it: kept apart from the registry, so that a backend never imports the module that lists it.
import type { z } from "zod";
import type { BlobStore, MetadataStore, SmallBlobTable } from "./types.js";

/** A store's settings in canal.config.json (`store` or `artifacts`): its kind and what it takes. */
export interface StoreSettings {
  kind: string;
  [setting: string]: unknown;
}

/** What a backend is opened with besides its settings. */
export interface StoreContext {
  /** The workspace's name: every record is scoped to it. */
  workspace: string;
  /** The workspace's root directory: relative paths are taken from it, errors name it. */
  root: string;
  /** The config file its settings come from (or would, when there is none): errors name it. */
  configFile: string;
  /**
   * The workspace's cache folder on this machine (`folders.cache`): what a backend learned and
   * can learn again (which remote blobs it found intact) may be kept there.
   */
  cacheFolder?: string;
  /**
   * Where a blob store may keep small blobs instead of its own requests: the metadata store's
   * table of `namespace` (PostgreSQL's), absent where the metadata store has none (SQLite).
   */
  smallBlobs?: (namespace: string) => SmallBlobTable;
}

/** One kind of store, as the registry knows it. */
export interface Backend<S extends StoreSettings, T> {
  readonly kind: string;
  /** Its settings as written (`kind` included): a strict object, so a misspelt key is an error. */
  readonly schema: z.ZodType<S>;
  /** What each setting (by key) falls back to when left out, in words: for the fix in a message. */
  readonly defaults?: Record<string, string>;
  /** Applies the defaults and makes paths absolute (from `root`). */
  resolve(settings: S, root: string): S;
  open(settings: S, context: StoreContext): Promise<T>;
  /**
   * Where the store is, in words that hold no secret, for a reader to tell stores apart
   * (`canal why`): "the SQLite file /p/.canal/canal.db". Its kind alone when absent.
   */
  place?(settings: S): string;
  /**
   * For a blob store: the settings of the `workspace` datastore, a folder (or key prefix) of its own
   * location that registered datasets may live in; absent for a kind that has none.
   */
  datastore?(settings: S): StoreSettings;
}

/** A metadata store kind: `store: { kind, … }` in canal.config.json. */
export type MetadataStoreBackend<S extends StoreSettings = StoreSettings> = Backend<S, MetadataStore>;
/** A blob store kind: `artifacts: { kind, … }` in canal.config.json. */
export type BlobStoreBackend<S extends StoreSettings = StoreSettings> = Backend<S, BlobStore>;

/** Which config object a backend is configured by. */
export type StoreField = "store" | "artifacts";
