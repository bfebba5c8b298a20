// Registered datasets: their versions, files or table, and which runs used them.

import type { RunStatus } from "@canal/ir/run-types";
import type { TableFormat, TableSchema } from "@canal/ir/table-schema";

/** A page of a dataset version's files: those after path `after` (by its UTF-8 bytes), at most `limit`. */
export interface DatasetFilesPage {
  after?: string;
  limit?: number;
}

/** A dataset is files (a FileDataset) or one table spread over files of one format (a TabularDataset). */
export type DatasetKind = "file" | "table";

/** One file of a dataset version: its path from the pattern's datastore root, its sha256, its size. */
export interface DatasetFile {
  path: string;
  digest: string;
  size: number;
}

/** A table dataset's format and columns, and whether the columns were inferred or declared. */
export interface DatasetTable {
  format: TableFormat;
  schema: TableSchema;
  schemaSource: "inferred" | "declared";
}

export interface NewDatasetVersion {
  name: string;
  kind: DatasetKind;
  /** The content's identity (see datasets/manifest.ts): the same digest is the same version. */
  digest: string;
  /** Where the files were found: the datastore's name and the pattern given. */
  datastore: string;
  pattern: string;
  /** Sorted by path, each path once. */
  files: DatasetFile[];
  table?: DatasetTable;
  description?: string;
  /** Who registered it and from which machine, as runs record it. */
  registeredBy?: string;
  host?: string;
  createdAt?: number;
}

export interface DatasetVersion {
  id: number;
  name: string;
  version: number;
  kind: DatasetKind;
  digest: string;
  datastore: string;
  pattern: string;
  fileCount: number;
  /** Bytes of all its files. */
  size: number;
  table?: DatasetTable;
  description?: string;
  registeredBy?: string;
  host?: string;
  createdAt: number;
}

export interface NewDatasetUse {
  runId: string;
  versionId: number;
  direction: "input" | "output";
  /** The parameter that read it, or the output registered as it. */
  name: string;
  createdAt?: number;
}

/** A run's use of a dataset version, with what a lineage view shows of both. */
export interface DatasetUse {
  runId: string;
  direction: "input" | "output";
  name: string;
  dataset: string;
  version: number;
  versionId: number;
  pipeline: string;
  runStatus: RunStatus;
  createdAt: number;
}

export interface RegisteredDatasetVersion {
  version: DatasetVersion;
  /** False when the content was registered before: `version` is the version that has it. */
  created: boolean;
}

export interface DatasetSummary {
  name: string;
  /** How many versions it has. */
  versions: number;
  latest: DatasetVersion;
}
