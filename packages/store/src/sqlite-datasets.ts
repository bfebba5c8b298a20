// The dataset records on SQLite: plain statements on the store's connection, each write inside the
// caller's BEGIN IMMEDIATE (so numbering a version and the check that its content is new are one
// step for every process sharing the file).
import type Database from "better-sqlite3";
import {
  checkFilesPage,
  DATASET_VERSION_COLUMNS,
  type DatasetUseRow,
  type DatasetVersionRow,
  datasetNotFound,
  datasetVersionNotFound,
  datasetVersionValues,
  toDatasetFile,
  toDatasetUse,
  toDatasetVersion,
} from "./dataset-rows.js";
import type {
  DatasetFile,
  DatasetFilesPage,
  DatasetSummary,
  DatasetUse,
  DatasetVersion,
  NewDatasetUse,
  NewDatasetVersion,
  RegisteredDatasetVersion,
} from "./types.js";

const VERSION_SELECT = `SELECT ${DATASET_VERSION_COLUMNS}
FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id
WHERE d.workspace_id = @workspace`;

export class SqliteDatasets {
  constructor(
    private readonly stmt: (sql: string) => Database.Statement,
    private readonly workspaceId: number,
    private readonly location: string,
  ) {}

  /** Inside a write transaction. */
  register(version: NewDatasetVersion): RegisteredDatasetVersion {
    const values = datasetVersionValues(version);
    this.stmt(
      "INSERT INTO datasets (workspace_id, name, created_at) VALUES (?, ?, ?) ON CONFLICT (workspace_id, name) DO NOTHING",
    ).run(this.workspaceId, version.name, values.createdAt);
    const { id: datasetId } = this.stmt("SELECT id FROM datasets WHERE workspace_id = ? AND name = ?").get(
      this.workspaceId,
      version.name,
    ) as { id: number };
    const existing = this.stmt(`${VERSION_SELECT} AND v.dataset_id = @dataset AND v.digest = @digest`).get({
      workspace: this.workspaceId,
      dataset: datasetId,
      digest: values.digest,
    }) as DatasetVersionRow | undefined;
    if (existing) return { version: toDatasetVersion(existing), created: false };
    const { next } = this.stmt(
      "SELECT coalesce(max(version), 0) + 1 AS next FROM dataset_versions WHERE dataset_id = ?",
    ).get(datasetId) as { next: number };
    const { lastInsertRowid } = this.stmt(
      `INSERT INTO dataset_versions (dataset_id, version, digest, kind, datastore, pattern, file_count, size,
         table_format, table_schema, schema_source, description, registered_by, host, created_at)
       VALUES (@datasetId, @next, @digest, @kind, @datastore, @pattern, @fileCount, @size, @tableFormat,
         @tableSchema, @schemaSource, @description, @registeredBy, @host, @createdAt)`,
    ).run({ ...values, datasetId, next });
    const insert = this.stmt(
      "INSERT INTO dataset_files (version_id, path, digest, size) VALUES (?, ?, ?, ?)",
    );
    for (const file of version.files) insert.run(lastInsertRowid, file.path, file.digest, file.size);
    const row = this.stmt(`${VERSION_SELECT} AND v.id = @id`).get({
      workspace: this.workspaceId,
      id: lastInsertRowid,
    }) as DatasetVersionRow;
    return { version: toDatasetVersion(row), created: true };
  }

  private names(): string[] {
    return (
      this.stmt("SELECT name FROM datasets WHERE workspace_id = ? ORDER BY name").all(
        this.workspaceId,
      ) as Array<{
        name: string;
      }>
    ).map((r) => r.name);
  }

  versions(name: string): DatasetVersion[] {
    const rows = this.stmt(`${VERSION_SELECT} AND d.name = @name ORDER BY v.version DESC`).all({
      workspace: this.workspaceId,
      name,
    }) as DatasetVersionRow[];
    if (rows.length === 0) throw datasetNotFound(name, this.names(), this.location);
    return rows.map(toDatasetVersion);
  }

  get(name: string, version?: number): DatasetVersion {
    const all = this.versions(name);
    if (version === undefined) return all[0] as DatasetVersion;
    const found = all.find((v) => v.version === version);
    if (!found) throw datasetVersionNotFound(name, version, all.map((v) => v.version).reverse());
    return found;
  }

  list(): DatasetSummary[] {
    const rows = this.stmt(
      `SELECT ${DATASET_VERSION_COLUMNS}, counts.versions
       FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id
       JOIN (SELECT dataset_id, max(version) AS latest, count(*) AS versions FROM dataset_versions GROUP BY dataset_id) counts
         ON counts.dataset_id = v.dataset_id AND counts.latest = v.version
       WHERE d.workspace_id = @workspace ORDER BY d.name`,
    ).all({ workspace: this.workspaceId }) as Array<DatasetVersionRow & { versions: number }>;
    return rows.map((row) => ({
      name: row.name,
      versions: Number(row.versions),
      latest: toDatasetVersion(row),
    }));
  }

  /** Inside a write transaction. */
  recordUse(use: NewDatasetUse): void {
    this.stmt(
      `INSERT INTO dataset_uses (run_id, version_id, direction, name, created_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (run_id, direction, name) DO NOTHING`,
    ).run(use.runId, use.versionId, use.direction, use.name, use.createdAt ?? Date.now());
  }

  uses(filter: { versionId: number } | { runId: string }): DatasetUse[] {
    const where = "versionId" in filter ? "u.version_id = ?" : "u.run_id = ?";
    const rows = this.stmt(
      `SELECT u.run_id, u.direction, u.name, d.name AS dataset, v.version, u.version_id, p.name AS pipeline,
  r.status AS run_status, u.created_at
FROM dataset_uses u
JOIN dataset_versions v ON v.id = u.version_id JOIN datasets d ON d.id = v.dataset_id
JOIN runs r ON r.id = u.run_id JOIN pipeline_versions pv ON pv.id = r.pipeline_version_id
JOIN pipelines p ON p.id = pv.pipeline_id
       WHERE d.workspace_id = ? AND ${where} ORDER BY u.created_at, u.run_id, u.direction, u.name`,
    ).all(this.workspaceId, "versionId" in filter ? filter.versionId : filter.runId) as DatasetUseRow[];
    return rows.map(toDatasetUse);
  }

  /** TEXT compares by its bytes here (BINARY), so a page follows the primary key's order. */
  files(versionId: number, page: DatasetFilesPage): DatasetFile[] {
    const { after, limit = -1 } = checkFilesPage(page);
    // Two statements, so that a page after a path is a range of the primary key, not a filter.
    const from = after === undefined ? "" : "AND f.path > ?";
    const rows = this.stmt(
      `SELECT f.path, f.digest, f.size FROM dataset_files f
       JOIN dataset_versions v ON v.id = f.version_id JOIN datasets d ON d.id = v.dataset_id
       WHERE f.version_id = ? AND d.workspace_id = ? ${from} ORDER BY f.path LIMIT ?`,
    ).all(versionId, this.workspaceId, ...(after === undefined ? [] : [after]), limit);
    return (rows as Array<{ path: string; digest: string; size: number }>).map(toDatasetFile);
  }
}
