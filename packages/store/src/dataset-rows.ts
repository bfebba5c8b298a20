// Dataset records as both backends store them: one row shape, one mapper, one set of errors.
import type { TableFormat, TableSchema } from "@canal/ir/table-schema";
import { comparePaths } from "./datasets/manifest.js";
import { StoreError } from "./errors.js";
import type {
  DatasetFile,
  DatasetFilesPage,
  DatasetKind,
  DatasetUse,
  DatasetVersion,
  NewDatasetVersion,
  RunStatus,
} from "./types.js";

export interface DatasetVersionRow {
  id: number | string;
  name: string;
  version: number;
  kind: DatasetKind;
  digest: string;
  datastore: string;
  pattern: string;
  file_count: number;
  size: number | string;
  table_format: TableFormat | null;
  table_schema: string | null;
  schema_source: "inferred" | "declared" | null;
  description: string | null;
  registered_by: string | null;
  host: string | null;
  created_at: number | string;
}

/** The columns of a version joined to its dataset's name; `$1`/`?` is the workspace. */
export const DATASET_VERSION_COLUMNS = `v.id, d.name, v.version, v.kind, v.digest, v.datastore, v.pattern,
  v.file_count, v.size, v.table_format, v.table_schema, v.schema_source, v.description, v.registered_by,
  v.host, v.created_at`;

export function toDatasetVersion(row: DatasetVersionRow): DatasetVersion {
  return {
    id: Number(row.id),
    name: row.name,
    version: Number(row.version),
    kind: row.kind,
    digest: row.digest,
    datastore: row.datastore,
    pattern: row.pattern,
    fileCount: Number(row.file_count),
    size: Number(row.size),
    ...(row.table_format && row.table_schema
      ? {
          table: {
            format: row.table_format,
            schema: JSON.parse(row.table_schema) as TableSchema,
            schemaSource: row.schema_source ?? "inferred",
          },
        }
      : {}),
    ...(row.description !== null ? { description: row.description } : {}),
    ...(row.registered_by !== null ? { registeredBy: row.registered_by } : {}),
    ...(row.host !== null ? { host: row.host } : {}),
    createdAt: Number(row.created_at),
  };
}

export function toDatasetFile(row: { path: string; digest: string; size: number | string }): DatasetFile {
  return { path: row.path, digest: row.digest, size: Number(row.size) };
}

const DIGEST = /^[0-9a-f]{64}$/;
/** With the u flag a surrogate pair is one character: only a lone surrogate is \p{Cs}. */
const LONE_SURROGATE = /\p{Cs}/u;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** A dataset's name: letters, digits, '.', '_', '-', starting with a letter or digit. */
export function checkDatasetName(name: string): string {
  if (!NAME.test(name)) {
    throw new StoreError(
      "CANAL_STORE_INVALID_RECORD",
      `${JSON.stringify(name)} is not a dataset name: use letters, digits, '.', '_' or '-', starting with a letter or digit (at most 128)`,
    );
  }
  return name;
}

/** `page`, checked: its limit a count (SQLite would read a negative one as no limit, PostgreSQL refuse it). */
export function checkFilesPage(page: DatasetFilesPage): DatasetFilesPage {
  if (page.limit !== undefined && !(Number.isInteger(page.limit) && page.limit >= 0))
    throw new StoreError(
      "CANAL_STORE_INVALID_RECORD",
      `getDatasetFiles: limit ${page.limit} is not a count of files; give a whole number, 0 or more, or none for all`,
    );
  return page;
}

/** What a version's row holds besides its dataset and number, checked. */
export function datasetVersionValues(version: NewDatasetVersion) {
  checkDatasetName(version.name);
  if (!DIGEST.test(version.digest))
    throw invalid(`its digest ${JSON.stringify(version.digest)} is not a sha256`);
  let previous: string | undefined;
  let size = 0;
  for (const file of version.files) {
    if (!DIGEST.test(file.digest))
      throw invalid(`file ${file.path} has digest ${JSON.stringify(file.digest)}`);
    // A path is kept as UTF-8, which has no form for a lone surrogate: the store would keep
    // another path, and two such paths as one.
    if (LONE_SURROGATE.test(file.path))
      throw invalid(
        `file ${JSON.stringify(file.path)} has a lone surrogate (no UTF-8 form); rename the file with a name of whole characters`,
      );
    if (previous !== undefined && comparePaths(file.path, previous) <= 0)
      throw invalid(`its files must be sorted by path, each once (${file.path} after ${previous})`);
    previous = file.path;
    size += file.size;
  }
  return {
    kind: version.kind,
    digest: version.digest,
    datastore: version.datastore,
    pattern: version.pattern,
    fileCount: version.files.length,
    size,
    tableFormat: version.table?.format ?? null,
    tableSchema: version.table ? JSON.stringify(version.table.schema) : null,
    schemaSource: version.table?.schemaSource ?? null,
    description: version.description ?? null,
    registeredBy: version.registeredBy ?? null,
    host: version.host ?? null,
    createdAt: version.createdAt ?? Date.now(),
  };

  function invalid(why: string): StoreError {
    return new StoreError(
      "CANAL_STORE_INVALID_RECORD",
      `dataset ${version.name}'s new version is invalid: ${why}`,
    );
  }
}

export function datasetNotFound(name: string, known: string[], location: string): StoreError {
  return new StoreError(
    "CANAL_STORE_DATASET_NOT_FOUND",
    `no dataset ${JSON.stringify(name)} in workspace ${location}; ` +
      (known.length
        ? `the datasets are ${known.join(", ")} (\`canal datasets\` lists them)`
        : "it has no datasets yet: `canal datasets register NAME --from DATASTORE:GLOB` registers one"),
  );
}

export function datasetVersionNotFound(name: string, version: number, known: number[]): StoreError {
  return new StoreError(
    "CANAL_STORE_DATASET_VERSION_NOT_FOUND",
    `dataset ${name} has no version ${version}; its versions are ${known.join(", ")} ` +
      `(\`canal datasets show ${name}\` shows the latest)`,
  );
}

/** A `dataset_uses` row joined with its version, dataset, run and pipeline, in either store. */
export interface DatasetUseRow {
  run_id: string;
  direction: "input" | "output";
  name: string;
  dataset: string;
  version: number | string;
  version_id: number | string;
  pipeline: string;
  run_status: RunStatus;
  created_at: number | string;
}

export function toDatasetUse(row: DatasetUseRow): DatasetUse {
  return {
    runId: row.run_id,
    direction: row.direction,
    name: row.name,
    dataset: row.dataset,
    version: Number(row.version),
    versionId: Number(row.version_id),
    pipeline: row.pipeline,
    runStatus: row.run_status,
    createdAt: Number(row.created_at),
  };
}
