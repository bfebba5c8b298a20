/**
 * Canal's store: run metadata (pipelines, runs, step runs, attempts, logs, metrics, lineage, the
 * cache index) behind `MetadataStore`, and content-addressed artifact bytes behind `BlobStore`.
 * The embedded default is SQLite plus a local directory, configured by canal.config.json.
 *
 * @example
 * ```ts
 * import { openWorkspace } from "@canal/store";
 *
 * const ws = await openWorkspace(process.cwd());
 * const version = await ws.metadata.registerPipelineVersion({ pipeline: "iris", hash, ir: irJson });
 * const run = await ws.metadata.createRun({ pipelineVersionId: version.id, runtime: "local" });
 * const train = await ws.metadata.createStepRun({ runId: run.id, stepId: "train" });
 * await ws.metadata.startAttempt(train.id, 1);
 * const model = await ws.blobs.putFile("out/model.pkl");
 * await ws.metadata.finishStepRun(train.id, {
 *   status: "succeeded",
 *   attempt: { number: 1, status: "succeeded", exitCode: 0 },
 *   cacheKey, components, reusable: true,
 *   outputs: { model: { digest: model, directory: false } },
 * });
 * for (const r of await ws.metadata.listRuns({ pipeline: "iris", limit: 10 })) console.log(r.id, r.status);
 * await ws.close();
 * ```
 */

export type {
  BlobStoreBackend,
  MetadataStoreBackend,
  StoreContext,
  StoreField,
  StoreSettings,
} from "./backends.js";
export { localBackend, StoreRegistry, sqliteBackend, storeRegistry } from "./backends.js";
export { mapLimit } from "./blob-io.js";
export type { CacheKeyChange } from "./cache-diff.js";
export { describeCacheKeyChange, explainCacheMiss } from "./cache-diff.js";
export type { WorkspaceConfig, WorkspaceConfigFile, WorkspaceFolders } from "./config.js";
export { CONFIG_FILE, issueProblems } from "./config.js";
export type { DownloadDatasetResult } from "./datasets/download.js";
export { downloadBase, downloadDataset } from "./datasets/download.js";
export { HASH_CONCURRENCY, hashFiles } from "./datasets/hash.js";
export { datasetDigest } from "./datasets/manifest.js";
export type { RegisterDatasetOptions, RegisterDatasetResult } from "./datasets/register.js";
export { parseDatastoreRef, registerDataset } from "./datasets/register.js";
export { checkSchema, inferSchema, readSchemaFile, tableFormat } from "./datasets/table.js";
export type { DatastoreConfig } from "./datastores/config.js";
export { WORKSPACE_DATASTORE } from "./datastores/config.js";
export { copyHashed } from "./datastores/copy.js";
export type { DatastoreKind } from "./datastores/kinds.js";
export { datastoreKinds } from "./datastores/kinds.js";
export { LocalDatastore } from "./datastores/local.js";
export type { DatastoreHost } from "./datastores/open.js";
export { datastoreNames, openDatastore } from "./datastores/open.js";
export { datastorePath, globRegExp } from "./datastores/paths.js";
export type {
  Datastore,
  DatastoreEntry,
  DatastoreSettings,
  FileDigest,
  VersionedEntry,
} from "./datastores/types.js";
export type { StoreErrorCode } from "./errors.js";
export {
  BlobCorruptError,
  BlobMissingError,
  ConfigError,
  RunNotFoundError,
  StepRunNotFoundError,
  StoreError,
} from "./errors.js";
export { newRunId } from "./ids.js";
export { LocalBlobStore } from "./local-blobs.js";
export { encodeManifest } from "./manifest.js";
export type { PostgresSettings } from "./postgres/backend.js";
export { postgresBackend } from "./postgres/backend.js";
export { maskUrl } from "./postgres/query.js";
export { MAX_METRIC_RUNS } from "./run-metrics.js";
export type { S3Settings } from "./s3/backend.js";
export { s3Backend } from "./s3/backend.js";
export type { SqliteStoreOptions } from "./sqlite.js";
export { SqliteMetadataStore } from "./sqlite.js";
export { collectDigests } from "./sqlite-rows.js";
export type { ProfileConfig, TargetConfig, TargetKind } from "./targets-config.js";
export { BUILTIN_TARGET, DEFAULT_PROFILE, memoryBytes, TARGET_KEYS } from "./targets-config.js";
export type * from "./types.js";
export type { FoundWorkspace, OpenOptions, Workspace } from "./workspace.js";
export { findWorkspace, initWorkspace, metadataStorePlace, openWorkspace } from "./workspace.js";
