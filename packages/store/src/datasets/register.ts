// Registering a dataset version (AzureML's `Dataset.File.from_files(...).register(...)`): the
// files a datastore pattern names, hashed; for a table, its schema inferred or checked; the
// manifest's digest looked up among the dataset's versions, so the same content is the same version.
import type { TableSchema } from "@canal/ir/table-schema";
import { type DatastoreHost, openDatastore } from "../datastores/open.js";
import { datastorePath } from "../datastores/paths.js";
import type { Datastore } from "../datastores/types.js";
import { StoreError } from "../errors.js";
import type { DatasetTable, MetadataStore, RegisteredDatasetVersion } from "../types.js";
import { hashFiles } from "./hash.js";
import { datasetDigest, sortFiles } from "./manifest.js";
import { checkSchema, inferSchema, tableFormat } from "./table.js";

/** `DATASTORE:PATH` (or `DATASTORE` alone, its root) as its two parts. */
export function parseDatastoreRef(text: string): { datastore: string; path: string } {
  const colon = text.indexOf(":");
  return colon < 0
    ? { datastore: text, path: "" }
    : { datastore: text.slice(0, colon), path: text.slice(colon + 1) };
}

export interface RegisterDatasetOptions {
  name: string;
  /** `DATASTORE:GLOB`: where the files are. */
  from: string;
  /** A table: its format from the files' extension, its schema `schema` (checked) or inferred. */
  table?: boolean;
  schema?: TableSchema;
  description?: string;
  registeredBy?: string;
  host?: string;
  /** How many files are hashed at once (default: by datastore kind). */
  concurrency?: number;
}

export interface RegisterDatasetResult extends RegisteredDatasetVersion {
  /** Seconds spent on each part, for `--json` and the bench. */
  timings: { listMs: number; hashMs: number; schemaMs: number; recordMs: number };
}

/** Registers the files of `options.from` as a version of dataset `options.name` in `metadata`. */
export async function registerDataset(
  host: DatastoreHost,
  metadata: MetadataStore,
  options: RegisterDatasetOptions,
): Promise<RegisterDatasetResult> {
  const { datastore: name, path } = parseDatastoreRef(options.from);
  const datastore = await openDatastore(host, name);
  try {
    return await registerFrom(datastore, metadata, path, options);
  } finally {
    await datastore.close();
  }
}

async function registerFrom(
  datastore: Datastore,
  metadata: MetadataStore,
  pattern: string,
  options: RegisterDatasetOptions,
): Promise<RegisterDatasetResult> {
  const clean = datastorePath(datastore.name, pattern);
  let at = performance.now();
  const lap = () => {
    const now = performance.now();
    const ms = Math.round(now - at);
    at = now;
    return ms;
  };
  const entries = await datastore.list(clean);
  const listMs = lap();
  if (entries.length === 0) {
    throw new StoreError(
      "CANAL_STORE_DATASTORE_NO_MATCH",
      `${JSON.stringify(pattern || "(the whole datastore)")} matches no file in datastore ${datastore.name} (${datastore.location}); ` +
        `\`canal datastores ls ${datastore.name}\` lists its files`,
    );
  }
  const hashed = sortFiles(await hashFiles(datastore, entries, options.concurrency));
  const hashMs = lap();
  let table: DatasetTable | undefined;
  if (options.table || options.schema) {
    const format = tableFormat(datastore.name, entries);
    if (options.schema) {
      await checkSchema(datastore, entries, format, options.schema);
      table = { format, schema: options.schema, schemaSource: "declared" };
    } else
      table = { format, schema: await inferSchema(datastore, entries, format), schemaSource: "inferred" };
  }
  const schemaMs = lap();
  const kind = table ? "table" : "file";
  const registered = await metadata.registerDatasetVersion({
    name: options.name,
    kind,
    digest: datasetDigest(kind, hashed, table),
    datastore: datastore.name,
    pattern: clean,
    files: hashed,
    ...(table ? { table } : {}),
    ...(options.description !== undefined ? { description: options.description } : {}),
    ...(options.registeredBy !== undefined ? { registeredBy: options.registeredBy } : {}),
    ...(options.host !== undefined ? { host: options.host } : {}),
  });
  return { ...registered, timings: { listMs, hashMs, schemaMs, recordMs: lap() } };
}
