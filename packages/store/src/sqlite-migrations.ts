// The SQLite store's schema: its migrations, and applying them at open. The tables both backends
// create alike are in schema.ts.
import type Database from "better-sqlite3";
import { StoreError } from "./errors.js";
import { DATASET_USES_SQL, DATASETS_SQL, SCHEDULES_SQL } from "./schema.js";

/**
 * Forward-only migrations, applied in order inside one immediate transaction at open. A released
 * migration is never edited: a schema change is a new entry, so every existing database reaches
 * the same schema by the same steps.
 */
export const MIGRATIONS: ReadonlyArray<{ version: number; sql: string }> = [
  {
    version: 1,
    sql: `
CREATE TABLE workspaces (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL
);

CREATE TABLE pipelines (
  id INTEGER PRIMARY KEY,
  workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
  name TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  UNIQUE (workspace_id, name)
);

CREATE TABLE pipeline_versions (
  id INTEGER PRIMARY KEY,
  pipeline_id INTEGER NOT NULL REFERENCES pipelines(id),
  version INTEGER NOT NULL,
  hash TEXT NOT NULL,
  ir TEXT NOT NULL,
  artifact_location TEXT,
  created_at INTEGER NOT NULL,
  UNIQUE (pipeline_id, hash),
  UNIQUE (pipeline_id, version)
);

CREATE TABLE runs (
  id TEXT PRIMARY KEY,
  pipeline_version_id INTEGER NOT NULL REFERENCES pipeline_versions(id),
  status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'canceled')),
  parameters TEXT NOT NULL,
  git_commit TEXT,
  git_branch TEXT,
  git_dirty INTEGER,
  runtime TEXT NOT NULL,
  regenerate INTEGER NOT NULL DEFAULT 0,
  pid INTEGER,
  error TEXT,
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  ended_at INTEGER
);
CREATE INDEX runs_by_created ON runs (created_at DESC, id DESC);
CREATE INDEX runs_by_version ON runs (pipeline_version_id, created_at DESC);

CREATE TABLE step_runs (
  id INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  step_id TEXT NOT NULL,
  instance INTEGER NOT NULL,
  status TEXT NOT NULL
    CHECK (status IN ('queued', 'running', 'cached', 'succeeded', 'failed', 'skipped', 'canceled')),
  cache_key TEXT,
  cache_components TEXT,
  reused_from INTEGER REFERENCES step_runs(id) ON DELETE SET NULL,
  error TEXT,
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  ended_at INTEGER,
  UNIQUE (run_id, step_id, instance)
);
CREATE INDEX step_runs_by_step ON step_runs (step_id, instance);

CREATE TABLE attempts (
  step_run_id INTEGER NOT NULL REFERENCES step_runs(id) ON DELETE CASCADE,
  number INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'canceled')),
  exit_code INTEGER,
  error TEXT,
  started_at INTEGER NOT NULL,
  ended_at INTEGER,
  stdout_digest TEXT,
  stderr_digest TEXT,
  PRIMARY KEY (step_run_id, number)
);

CREATE TABLE log_chunks (
  step_run_id INTEGER NOT NULL,
  attempt INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  stream TEXT NOT NULL CHECK (stream IN ('stdout', 'stderr')),
  text TEXT NOT NULL,
  at INTEGER NOT NULL,
  PRIMARY KEY (step_run_id, attempt, seq),
  FOREIGN KEY (step_run_id, attempt) REFERENCES attempts(step_run_id, number) ON DELETE CASCADE
);

-- Kind and size stay NULL while an artifact is known only by reference (a fan-in list).
CREATE TABLE artifacts (
  digest TEXT PRIMARY KEY CHECK (length(digest) = 64),
  kind TEXT CHECK (kind IN ('file', 'directory')),
  size INTEGER,
  media_type TEXT,
  created_at INTEGER NOT NULL
);

-- value: the StoredValue as JSON, so a fan-in list or a JSON value reads back exactly.
CREATE TABLE step_inputs (
  step_run_id INTEGER NOT NULL REFERENCES step_runs(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (step_run_id, name)
);
CREATE TABLE step_outputs (
  step_run_id INTEGER NOT NULL REFERENCES step_runs(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (step_run_id, name)
);

-- The lineage edges: one row per artifact digest inside a step input or output.
CREATE TABLE artifact_uses (
  digest TEXT NOT NULL REFERENCES artifacts(digest),
  step_run_id INTEGER NOT NULL REFERENCES step_runs(id) ON DELETE CASCADE,
  direction TEXT NOT NULL CHECK (direction IN ('input', 'output')),
  name TEXT NOT NULL,
  PRIMARY KEY (digest, direction, step_run_id, name)
);
CREATE INDEX artifact_uses_by_step_run ON artifact_uses (step_run_id);

-- Non-finite numbers (NaN, Infinity) cannot live in a REAL column: they are kept as text.
CREATE TABLE metrics (
  step_run_id INTEGER NOT NULL REFERENCES step_runs(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  sequence INTEGER NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('number', 'string')),
  number REAL,
  text TEXT,
  at INTEGER NOT NULL,
  PRIMARY KEY (step_run_id, name, sequence)
);

CREATE TABLE cache_entries (
  workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
  key TEXT NOT NULL,
  outputs TEXT NOT NULL,
  components TEXT NOT NULL,
  step_run_id INTEGER NOT NULL REFERENCES step_runs(id),
  created_at INTEGER NOT NULL,
  PRIMARY KEY (workspace_id, key)
);
CREATE INDEX cache_entries_by_step_run ON cache_entries (step_run_id);
`,
  },
  {
    // Experiments (AzureML's Experiment): a run belongs to one, named by `canal run --experiment`;
    // runs recorded before it have none and count as their pipeline's (see RUN_SELECT). And the
    // output of the process that drives a run (a detached `canal run`), kept with the run.
    version: 2,
    sql: `
ALTER TABLE runs ADD COLUMN experiment TEXT;
CREATE INDEX runs_by_experiment ON runs (experiment, created_at DESC);

CREATE TABLE run_logs (
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  stream TEXT NOT NULL CHECK (stream IN ('stdout', 'stderr')),
  text TEXT NOT NULL,
  at INTEGER NOT NULL,
  PRIMARY KEY (run_id, seq)
);
`,
  },
  {
    // Run control as data (see sqlite-control.ts): the heartbeat of the process driving a run, by
    // host and pid, and a cancel request any process or machine sharing the store can record.
    version: 3,
    sql: `
CREATE TABLE run_control (
  run_id TEXT PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
  driver_host TEXT,
  driver_pid INTEGER,
  heartbeat_at INTEGER,
  heartbeat_interval_ms INTEGER,
  cancel_requested_at INTEGER,
  cancel_requested_by TEXT,
  cancel_reason TEXT
);
`,
  },
  {
    // A compiled artifact is kept in the blob store, as a directory blob: its digest is recorded
    // with the version, so a rerun needs no local copy. artifact_location stays for older records.
    version: 4,
    sql: "ALTER TABLE pipeline_versions ADD COLUMN artifact_digest TEXT;",
  },
  {
    // Who started a run and from which host, so that a team sharing one store can tell its runs
    // apart (`canal runs --user`, `--host`). Older runs have neither.
    version: 5,
    sql: `
ALTER TABLE runs ADD COLUMN started_by TEXT;
ALTER TABLE runs ADD COLUMN host TEXT;
CREATE INDEX runs_by_started_by ON runs (started_by, created_at DESC);
`,
  },
  {
    // Single-flight (docs/run-control.md): the claim of the run whose driver executes the step
    // instance under a cache key, so that another run needing the key waits for its result. A
    // claim expires at expires_at unless its driver's heartbeat extends it by ttl_ms again.
    version: 6,
    sql: `
CREATE TABLE step_claims (
  workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
  key TEXT NOT NULL,
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  host TEXT NOT NULL,
  pid INTEGER NOT NULL,
  ttl_ms INTEGER NOT NULL,
  claimed_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (workspace_id, key)
);
CREATE INDEX step_claims_by_run ON step_claims (run_id);
`,
  },
  {
    // Registered datasets (docs/data.md): a name per workspace, numbered versions each identified
    // by its content's digest, and each version's files.
    version: 7,
    sql: DATASETS_SQL("INTEGER PRIMARY KEY", "INTEGER", "INTEGER"),
  },
  {
    // Dataset lineage (docs/data.md): the runs that read each version and the runs that registered one.
    version: 8,
    sql: DATASET_USES_SQL("INTEGER", "INTEGER"),
  },
  {
    // Published pipelines (docs/server.md): an endpoint is a name with numbered versions, each a
    // pipeline version; and the tokens of `canal serve`, kept as the sha256 of their secret only.
    version: 9,
    sql: `
CREATE TABLE endpoints (
  id INTEGER PRIMARY KEY,
  workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
  name TEXT NOT NULL,
  default_version INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  UNIQUE (workspace_id, name)
);
CREATE TABLE endpoint_versions (
  endpoint_id INTEGER NOT NULL REFERENCES endpoints(id) ON DELETE CASCADE,
  version INTEGER NOT NULL,
  pipeline_version_id INTEGER NOT NULL REFERENCES pipeline_versions(id),
  published_by TEXT,
  published_at INTEGER NOT NULL,
  PRIMARY KEY (endpoint_id, version)
);
CREATE INDEX endpoint_versions_by_pipeline_version ON endpoint_versions (pipeline_version_id);
CREATE TABLE api_tokens (
  id TEXT PRIMARY KEY,
  workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
  hash TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL CHECK (role IN ('viewer', 'launcher', 'admin')),
  endpoint TEXT,
  name TEXT,
  created_by TEXT,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
);
`,
  },
  {
    // Schedules and data triggers of endpoints (docs/server.md), with one tick row per slot.
    version: 10,
    sql: SCHEDULES_SQL("INTEGER PRIMARY KEY", "INTEGER", "INTEGER"),
  },
  {
    // Runs of one status newest first (`GET /runs?status=running`, `canal runs --status`): a page
    // of a status few runs have is read from here, not by walking every run (docs/performance.md).
    version: 12,
    sql: `
CREATE INDEX runs_by_status ON runs (status, created_at DESC, id DESC);
`,
  },
  {
    // The lineage edges kept in step-run order, with a small index by digest prefix: an index keyed
    // by the whole digest put every new edge on a page of its own, so a run of 1,000 cached steps
    // rewrote about 2,200 pages of it (docs/performance.md); the prefix index is a quarter of the
    // size. The lineage of a digest reads the prefix index, then compares the whole digest.
    version: 13,
    sql: `
CREATE TABLE artifact_uses_by_step (
  digest TEXT NOT NULL REFERENCES artifacts(digest),
  step_run_id INTEGER NOT NULL REFERENCES step_runs(id) ON DELETE CASCADE,
  direction TEXT NOT NULL CHECK (direction IN ('input', 'output')),
  name TEXT NOT NULL,
  PRIMARY KEY (step_run_id, direction, name, digest)
);
INSERT INTO artifact_uses_by_step (digest, step_run_id, direction, name)
  SELECT digest, step_run_id, direction, name FROM artifact_uses ORDER BY step_run_id, direction, name, digest;
DROP TABLE artifact_uses;
ALTER TABLE artifact_uses_by_step RENAME TO artifact_uses;
CREATE INDEX artifact_uses_by_digest ON artifact_uses (substr(digest, 1, 8));
`,
  },
  {
    // The ended runs of each version newest first: a run's look-ahead reads the entries its
    // pipeline's newest ended run used (getCachedOutputsOfLastRun), found from here in a few rows
    // however many runs the pipeline or the workspace's other pipelines have (docs/performance.md).
    version: 14,
    sql: `
CREATE INDEX runs_ended_by_version ON runs (pipeline_version_id, created_at DESC, id DESC)
  WHERE status IN ('succeeded', 'failed', 'canceled');
`,
  },
  {
    // The step runs of a step, for the cache entries of a step (which step runs that ran made):
    // without the cached ones, a no-op adds nothing to an index keyed at random with respect to
    // time, which dirtied pages all over it in a long-used workspace (docs/performance.md).
    version: 15,
    sql: `
DROP INDEX step_runs_by_step;
CREATE INDEX step_runs_by_step ON step_runs (step_id, instance) WHERE status <> 'cached';
`,
  },
  {
    // The cache entries keyed by cache key first: the workspaces that hold a key (`canal why`'s
    // "workspace ci has an entry") are an index lookup instead of a read of every entry of every
    // workspace, and a workspace's own entry is still one lookup of both columns. The primary key
    // is reordered rather than another index added, so a cache write enters no more indexes than
    // before (docs/performance.md); rowids are kept, as ties on created_at are ordered by them.
    version: 16,
    sql: `
CREATE TABLE cache_entries_by_key (
  workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
  key TEXT NOT NULL,
  outputs TEXT NOT NULL,
  components TEXT NOT NULL,
  step_run_id INTEGER NOT NULL REFERENCES step_runs(id),
  created_at INTEGER NOT NULL,
  PRIMARY KEY (key, workspace_id)
);
INSERT INTO cache_entries_by_key (rowid, workspace_id, key, outputs, components, step_run_id, created_at)
  SELECT rowid, workspace_id, key, outputs, components, step_run_id, created_at FROM cache_entries
  ORDER BY key, workspace_id;
DROP TABLE cache_entries;
ALTER TABLE cache_entries_by_key RENAME TO cache_entries;
CREATE INDEX cache_entries_by_step_run ON cache_entries (step_run_id);
`,
  },
  {
    // Each run's runtime key (a Slurm run's job comment and folder, see RunKeyRecords), kept where
    // every checkout sharing the store reads it: `canal cancel` from another machine ends a killed
    // driver's jobs. Removed with the run's jobs.
    version: 17,
    sql: `
CREATE TABLE run_keys (
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  runtime TEXT NOT NULL,
  key TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (run_id, runtime)
);
`,
  },
  {
    // The lineage edges by digest prefix within blocks of 1,024 step runs: a
    // no-op's edges go to the newest block instead of next to every earlier run's edge for the same
    // digest all over the index, so the pages it dirties stay few however long the history. The
    // lineage of a digest looks it up in each block, one seek a block (docs/performance.md).
    version: 18,
    sql: `
DROP INDEX artifact_uses_by_digest;
CREATE INDEX artifact_uses_by_digest ON artifact_uses (step_run_id >> 10, substr(digest, 1, 8));
`,
  },
];

export const SCHEMA_VERSION = Math.max(...MIGRATIONS.map((m) => m.version));

/** Brings the database to SCHEMA_VERSION; returns the versions it applied (none when up to date). */
export function migrate(db: Database.Database, location: string): number[] {
  return db
    .transaction(() => {
      db.exec(
        "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
      );
      // Every migration not recorded yet is applied, not only those above the newest recorded: they
      // are numbered as they are written and may be released in another order (18 before 17).
      const rows = db.prepare("SELECT version FROM schema_version").all() as { version: number }[];
      const recorded = new Set(rows.map((row) => row.version));
      const current = Math.max(0, ...recorded);
      if (current > SCHEMA_VERSION) {
        throw new StoreError(
          "CANAL_STORE_SCHEMA_TOO_NEW",
          `the store ${location} has schema version ${current}, newer than this Canal understands ` +
            `(${SCHEMA_VERSION}); upgrade Canal to use this workspace`,
        );
      }
      const applied: number[] = [];
      const record = db.prepare("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)");
      for (const migration of MIGRATIONS) {
        if (recorded.has(migration.version)) continue;
        db.exec(migration.sql);
        record.run(migration.version, Date.now());
        applied.push(migration.version);
      }
      return applied;
    })
    .immediate();
}
