// The dataset records on PostgreSQL. Registering runs in one unit that first locks the dataset's
// row, so that two registrations of one dataset from any machines number their versions in turn
// and the second of two with the same content finds the first's version.
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
} from "../dataset-rows.js";
import type {
  DatasetFile,
  DatasetFilesPage,
  DatasetSummary,
  DatasetUse,
  DatasetVersion,
  NewDatasetUse,
  NewDatasetVersion,
  RegisteredDatasetVersion,
} from "../types.js";
import { named } from "./query.js";
import type { PgUnitBase } from "./unit-base.js";

const VERSION_SELECT = `SELECT ${DATASET_VERSION_COLUMNS}
FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id
WHERE d.workspace_id = $1`;

/** Files are inserted this many per statement: one round trip for a typical dataset. */
const FILES_PER_INSERT = 5000;

// Every statement's text is fixed (a listing of uses has one text per filter kind), so each is sent
// as a named prepared statement (postgres/query.ts).
const INSERT_DATASET = named(
  "INSERT INTO datasets (workspace_id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT (workspace_id, name) DO NOTHING",
);
const DATASET_LOCKED = named("SELECT id FROM datasets WHERE workspace_id = $1 AND name = $2 FOR UPDATE");
const VERSION_BY_DIGEST = named(`${VERSION_SELECT} AND v.dataset_id = $2 AND v.digest = $3`);
const INSERT_VERSION = named(
  `INSERT INTO dataset_versions (dataset_id, version, digest, kind, datastore, pattern, file_count, size,
     table_format, table_schema, schema_source, description, registered_by, host, created_at)
   SELECT $1, coalesce(max(version), 0) + 1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14
   FROM dataset_versions WHERE dataset_id = $1
   RETURNING id`,
);
const INSERT_FILES = named(
  `INSERT INTO dataset_files (version_id, path, digest, size)
   SELECT $1, * FROM unnest($2::text[], $3::text[], $4::bigint[])`,
);
const VERSION_BY_ID = named(`${VERSION_SELECT} AND v.id = $2`);
const VERSIONS_BY_NAME = named(`${VERSION_SELECT} AND d.name = $2 ORDER BY v.version DESC`);
const DATASET_NAMES = named(`SELECT name FROM datasets WHERE workspace_id = $1 ORDER BY name COLLATE "C"`);
const LATEST_VERSIONS = named(
  `SELECT ${DATASET_VERSION_COLUMNS}, counts.versions
   FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id
   JOIN (SELECT dataset_id, max(version) AS latest, count(*) AS versions FROM dataset_versions GROUP BY dataset_id) counts
     ON counts.dataset_id = v.dataset_id AND counts.latest = v.version
   WHERE d.workspace_id = $1 ORDER BY d.name COLLATE "C"`,
);
const INSERT_USE = named(
  `INSERT INTO dataset_uses (run_id, version_id, direction, name, created_at) VALUES ($1, $2, $3, $4, $5)
   ON CONFLICT (run_id, direction, name) DO NOTHING`,
);
const usesWhere = (where: string) =>
  named(`SELECT u.run_id, u.direction, u.name, d.name AS dataset, v.version, u.version_id, p.name AS pipeline,
  r.status AS run_status, u.created_at
FROM dataset_uses u
JOIN dataset_versions v ON v.id = u.version_id JOIN datasets d ON d.id = v.dataset_id
JOIN runs r ON r.id = u.run_id JOIN pipeline_versions pv ON pv.id = r.pipeline_version_id
JOIN pipelines p ON p.id = pv.pipeline_id
WHERE d.workspace_id = $1 AND ${where} ORDER BY u.created_at, u.run_id, u.direction, u.name`);
const USES_OF_VERSION = usesWhere("u.version_id = $2");
const USES_OF_RUN = usesWhere("u.run_id = $2");
const FILES_PAGE = named(
  `SELECT f.path, f.digest, f.size FROM dataset_files f
   JOIN dataset_versions v ON v.id = f.version_id JOIN datasets d ON d.id = v.dataset_id
   WHERE f.version_id = $1 AND d.workspace_id = $2 AND ($3::text IS NULL OR f.path COLLATE "C" > $3)
   ORDER BY f.path COLLATE "C" LIMIT $4`,
);

/**
 * Where the statements go: a unit (inside its transaction, a failure failing the unit, a stale
 * plan running it again) or the store's reads on the pool.
 */
type Statements = Pick<PgUnitBase, "rows">;

export class PgDatasets {
  constructor(
    private readonly workspaceId: number,
    private readonly location: string,
  ) {}

  /** On a unit's connection, inside its transaction. */
  async register(db: Statements, version: NewDatasetVersion): Promise<RegisteredDatasetVersion> {
    const values = datasetVersionValues(version);
    await db.rows(INSERT_DATASET, [this.workspaceId, version.name, values.createdAt]);
    const [dataset] = await db.rows<{ id: string }>(DATASET_LOCKED, [this.workspaceId, version.name]);
    const datasetId = (dataset as { id: string }).id;
    const [existing] = await db.rows<DatasetVersionRow>(VERSION_BY_DIGEST, [
      this.workspaceId,
      datasetId,
      values.digest,
    ]);
    if (existing) return { version: toDatasetVersion(existing), created: false };
    const [inserted] = await db.rows<{ id: string }>(INSERT_VERSION, [
      datasetId,
      values.digest,
      values.kind,
      values.datastore,
      values.pattern,
      values.fileCount,
      values.size,
      values.tableFormat,
      values.tableSchema,
      values.schemaSource,
      values.description,
      values.registeredBy,
      values.host,
      values.createdAt,
    ]);
    const versionId = (inserted as { id: string }).id;
    for (let start = 0; start < version.files.length; start += FILES_PER_INSERT) {
      const files = version.files.slice(start, start + FILES_PER_INSERT);
      await db.rows(INSERT_FILES, [
        versionId,
        files.map((f) => f.path),
        files.map((f) => f.digest),
        files.map((f) => f.size),
      ]);
    }
    const [row] = await db.rows<DatasetVersionRow>(VERSION_BY_ID, [this.workspaceId, versionId]);
    return { version: toDatasetVersion(row as DatasetVersionRow), created: true };
  }

  async versions(db: Statements, name: string): Promise<DatasetVersion[]> {
    const rows = await db.rows<DatasetVersionRow>(VERSIONS_BY_NAME, [this.workspaceId, name]);
    if (rows.length === 0) {
      const names = await db.rows<{ name: string }>(DATASET_NAMES, [this.workspaceId]);
      throw datasetNotFound(
        name,
        names.map((r) => r.name),
        this.location,
      );
    }
    return rows.map(toDatasetVersion);
  }

  async get(db: Statements, name: string, version?: number): Promise<DatasetVersion> {
    const all = await this.versions(db, name);
    if (version === undefined) return all[0] as DatasetVersion;
    const found = all.find((v) => v.version === version);
    if (!found) throw datasetVersionNotFound(name, version, all.map((v) => v.version).reverse());
    return found;
  }

  async list(db: Statements): Promise<DatasetSummary[]> {
    const rows = await db.rows<DatasetVersionRow & { versions: string }>(LATEST_VERSIONS, [this.workspaceId]);
    return rows.map((row) => ({
      name: row.name,
      versions: Number(row.versions),
      latest: toDatasetVersion(row),
    }));
  }

  async recordUse(db: Statements, use: NewDatasetUse): Promise<void> {
    await db.rows(INSERT_USE, [
      use.runId,
      use.versionId,
      use.direction,
      use.name,
      use.createdAt ?? Date.now(),
    ]);
  }

  async uses(db: Statements, filter: { versionId: number } | { runId: string }): Promise<DatasetUse[]> {
    const rows = await db.rows<DatasetUseRow>("versionId" in filter ? USES_OF_VERSION : USES_OF_RUN, [
      this.workspaceId,
      "versionId" in filter ? filter.versionId : filter.runId,
    ]);
    return rows.map(toDatasetUse);
  }

  /** By bytes (`COLLATE "C"`, the order of index dataset_files_by_path), whatever the database's collation. */
  async files(db: Statements, versionId: number, page: DatasetFilesPage): Promise<DatasetFile[]> {
    const { after, limit } = checkFilesPage(page);
    const rows = await db.rows<{ path: string; digest: string; size: string }>(FILES_PAGE, [
      versionId,
      this.workspaceId,
      after ?? null,
      limit ?? null,
    ]);
    return rows.map(toDatasetFile);
  }
}
