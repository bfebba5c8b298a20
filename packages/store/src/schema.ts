/**
 * The dataset tables, in the SQL both backends speak: `id` is each one's key column type, `ref`
 * the type of a reference to it, `big` of sizes and times.
 */
/** Which runs read a dataset version (a parameter) and which registered one (an output): its lineage. */
export function DATASET_USES_SQL(ref: string, big: string): string {
  return `
CREATE TABLE dataset_uses (
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  version_id ${ref} NOT NULL REFERENCES dataset_versions(id) ON DELETE CASCADE,
  direction TEXT NOT NULL CHECK (direction IN ('input', 'output')),
  name TEXT NOT NULL,
  created_at ${big} NOT NULL,
  PRIMARY KEY (run_id, direction, name)
);
CREATE INDEX dataset_uses_by_version ON dataset_uses (version_id);
`;
}

export function DATASETS_SQL(id: string, ref: string, big: string): string {
  return `
CREATE TABLE datasets (
  id ${id},
  workspace_id ${ref} NOT NULL REFERENCES workspaces(id),
  name TEXT NOT NULL,
  created_at ${big} NOT NULL,
  UNIQUE (workspace_id, name)
);

CREATE TABLE dataset_versions (
  id ${id},
  dataset_id ${ref} NOT NULL REFERENCES datasets(id),
  version INTEGER NOT NULL,
  digest TEXT NOT NULL CHECK (length(digest) = 64),
  kind TEXT NOT NULL CHECK (kind IN ('file', 'table')),
  datastore TEXT NOT NULL,
  pattern TEXT NOT NULL,
  file_count INTEGER NOT NULL,
  size ${big} NOT NULL,
  table_format TEXT CHECK (table_format IN ('csv', 'tsv', 'parquet')),
  table_schema TEXT,
  schema_source TEXT CHECK (schema_source IN ('inferred', 'declared')),
  description TEXT,
  registered_by TEXT,
  host TEXT,
  created_at ${big} NOT NULL,
  UNIQUE (dataset_id, digest),
  UNIQUE (dataset_id, version)
);

CREATE TABLE dataset_files (
  version_id ${ref} NOT NULL REFERENCES dataset_versions(id) ON DELETE CASCADE,
  path TEXT NOT NULL,
  digest TEXT NOT NULL CHECK (length(digest) = 64),
  size ${big} NOT NULL,
  PRIMARY KEY (version_id, path)
);
`;
}

/**
 * Schedules and data triggers of published endpoints (docs/server.md), and their ticks: one row
 * per slot, unique per (schedule, slot), so that of several schedulers racing on a slot exactly
 * one inserts it and fires it. `paused` is 0 or 1 in both backends.
 */
export function SCHEDULES_SQL(id: string, ref: string, big: string): string {
  return `
CREATE TABLE schedules (
  id ${id},
  workspace_id ${ref} NOT NULL REFERENCES workspaces(id),
  name TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('cron', 'data')),
  cron TEXT,
  timezone TEXT,
  catch_up TEXT NOT NULL CHECK (catch_up IN ('none', 'latest', 'all')),
  datastore TEXT,
  path TEXT,
  debounce_ms ${big},
  paths_param TEXT,
  parameters TEXT NOT NULL,
  experiment TEXT,
  paused INTEGER NOT NULL CHECK (paused IN (0, 1)),
  anchor_at ${big} NOT NULL,
  cursor_at ${big} NOT NULL,
  state TEXT,
  revision INTEGER NOT NULL,
  created_by TEXT,
  created_at ${big} NOT NULL,
  updated_at ${big} NOT NULL,
  UNIQUE (workspace_id, name)
);

CREATE TABLE schedule_ticks (
  id ${id},
  schedule_id ${ref} NOT NULL REFERENCES schedules(id) ON DELETE CASCADE,
  scheduled_at ${big} NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('claimed', 'fired', 'skipped', 'missed', 'failed')),
  run_id TEXT,
  reason TEXT,
  error TEXT,
  paths TEXT,
  host TEXT,
  pid INTEGER,
  claimed_at ${big} NOT NULL,
  ended_at ${big},
  UNIQUE (schedule_id, scheduled_at)
);
`;
}
