import { StoreError } from "./errors.js";
import { entryMakers } from "./sqlite-entry-makers.js";
import { CACHE_ENTRY_SELECT, type CacheEntryRow, toCacheEntry } from "./sqlite-rows.js";
import { SqliteRunReads } from "./sqlite-run-reads.js";
import type { CacheEntry, CacheEntryFilter, StoredValue } from "./types.js";

// Keys bound in one read of cache entries (SQLite binds at most 32,766 parameters a statement).
const KEYS_PER_READ = 500;

/** The SQLite store's reads of cache entries: a step's outputs by key, and the entries themselves. */
export class SqliteCacheReads extends SqliteRunReads {
  async getCachedOutputs(key: string): Promise<Record<string, StoredValue> | undefined> {
    return this.read(() => {
      const row = this.stmt("SELECT outputs FROM cache_entries WHERE workspace_id = ? AND key = ?").get(
        this.workspaceId,
        key,
      ) as { outputs: string } | undefined;
      return row ? (JSON.parse(row.outputs) as Record<string, StoredValue>) : undefined;
    });
  }

  async getCachedOutputsMany(keys: string[]): Promise<Map<string, Record<string, StoredValue>>> {
    return this.read(() => {
      const found = new Map<string, Record<string, StoredValue>>();
      const unique = [...new Set(keys)];
      for (let i = 0; i < unique.length; i += KEYS_PER_READ) {
        const some = unique.slice(i, i + KEYS_PER_READ);
        // Kept prepared, one statement for each number of keys: a run's probes read a few keys
        // at a time, and preparing the statement cost more than running it.
        const rows = this.stmt(
          `SELECT key, outputs, step_run_id FROM cache_entries WHERE workspace_id = ? AND key IN (${some.map(() => "?").join(", ")})`,
        ).all(this.workspaceId, ...some) as { key: string; outputs: string; step_run_id: number }[];
        for (const row of rows) found.set(row.key, JSON.parse(row.outputs) as Record<string, StoredValue>);
        // A cached step run recorded from these names the entry's maker without reading it again.
        entryMakers(this.db).remember(rows);
      }
      return found;
    });
  }

  async getCachedOutputsOfLastRun(runId: string): Promise<Map<string, Record<string, StoredValue>>> {
    // The newest ended run of each version of the pipeline, the first row of `runs_ended_by_version`
    // for it, then the newest of those: not every run of the pipeline read and sorted, nor the
    // runs of other pipelines walked newest first.
    return this.read(() => {
      const rows = this.stmt(
        `SELECT ce.key, ce.outputs, ce.step_run_id FROM cache_entries ce
         WHERE ce.workspace_id = @workspace AND ce.key IN (
           SELECT s.cache_key FROM step_runs s WHERE s.cache_key IS NOT NULL AND s.run_id = (
             SELECT r.id FROM runs r WHERE r.id IN (
               SELECT (SELECT r.id FROM runs r WHERE r.pipeline_version_id = pv.id AND r.id <> @runId
                   AND r.status IN ('succeeded', 'failed', 'canceled')
                 ORDER BY r.created_at DESC, r.id DESC LIMIT 1)
               FROM pipeline_versions pv WHERE pv.pipeline_id = (
                 SELECT pv.pipeline_id FROM runs r JOIN pipeline_versions pv ON pv.id = r.pipeline_version_id
                 JOIN pipelines p ON p.id = pv.pipeline_id WHERE r.id = @runId AND p.workspace_id = @workspace))
             ORDER BY r.created_at DESC, r.id DESC LIMIT 1))`,
      ).all({ workspace: this.workspaceId, runId }) as {
        key: string;
        outputs: string;
        step_run_id: number;
      }[];
      entryMakers(this.db).remember(rows);
      return new Map(rows.map((row) => [row.key, JSON.parse(row.outputs) as Record<string, StoredValue>]));
    });
  }

  async getCacheEntry(key: string): Promise<CacheEntry | undefined> {
    return this.read(() => {
      const row = this.stmt(`${CACHE_ENTRY_SELECT} AND ce.key = @key`).get({
        workspace: this.workspaceId,
        key,
      }) as CacheEntryRow | undefined;
      return row ? toCacheEntry(row) : undefined;
    });
  }

  async workspacesWithCacheEntry(key: string, options: { before?: number } = {}): Promise<string[]> {
    return this.read(() => {
      // Across workspaces: the key is the first column of the table's primary key (migration 16),
      // so this reads the few entries under the key (`canal why` asks it once per step that missed).
      const rows = this.stmt(
        `SELECT w.name FROM cache_entries ce JOIN workspaces w ON w.id = ce.workspace_id
         WHERE ce.key = @key AND ce.workspace_id <> @workspace AND (@before IS NULL OR ce.created_at < @before)
         ORDER BY w.name`,
      ).all({ workspace: this.workspaceId, key, before: options.before ?? null }) as { name: string }[];
      return rows.map((row) => row.name);
    });
  }

  async lastCacheEntryForStep(
    pipeline: string,
    stepId: string,
    options: { instance?: number; before?: number } = {},
  ): Promise<CacheEntry | undefined> {
    return this.read(() => {
      const row = this.stmt(
        `${CACHE_ENTRY_SELECT} AND s.step_id = @stepId AND s.status <> 'cached' AND (@instance IS NULL OR s.instance = @instance)
           AND (@before IS NULL OR ce.created_at < @before)
           AND EXISTS (SELECT 1 FROM runs r JOIN pipeline_versions pv ON pv.id = r.pipeline_version_id
             JOIN pipelines p ON p.id = pv.pipeline_id WHERE r.id = s.run_id AND p.name = @pipeline)
         ORDER BY ce.created_at DESC, ce.rowid DESC LIMIT 1`,
      ).get({
        workspace: this.workspaceId,
        pipeline,
        stepId,
        instance: options.instance ?? null,
        before: options.before ?? null,
      }) as CacheEntryRow | undefined;
      return row ? toCacheEntry(row) : undefined;
    });
  }

  async listCacheEntries(filter: CacheEntryFilter = {}): Promise<CacheEntry[]> {
    return this.read(() => {
      const prefix = filter.keyPrefix?.toLowerCase();
      if (prefix !== undefined && !/^[0-9a-f]{6,64}$/.test(prefix)) {
        throw new StoreError(
          "CANAL_STORE_INVALID_RECORD",
          `\`${filter.keyPrefix}\` is not a cache key: give a key or its first 6 or more hex characters, as \`canal cache ls\` shows them`,
        );
      }
      if (filter.runId !== undefined) this.requireRun(filter.runId);
      // Only the filters given are in the statement, so that each is what SQLite finds the entries
      // by: the cache key leads the primary key (migration 16), not the workspace, so a statement
      // that may drop every filter reads every workspace's entries. A step's entries come from
      // `step_runs_by_step`; a run's by key; a key prefix is a range of keys: those that start with
      // "ab12" run from it up to "ab13", by bytes (the prefix is ASCII).
      const params: Record<string, string | number> = { workspace: this.workspaceId };
      const where: string[] = [];
      if (filter.stepId !== undefined) {
        where.push("s.step_id = @stepId");
        params.stepId = filter.stepId;
      }
      if (filter.instance !== undefined) {
        where.push("s.instance = @instance");
        params.instance = filter.instance;
      }
      if (prefix !== undefined) {
        where.push("ce.key >= @prefix AND ce.key < @prefixEnd");
        params.prefix = prefix;
        params.prefixEnd =
          prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
      }
      if (filter.runId !== undefined) {
        where.push("ce.key IN (SELECT cache_key FROM step_runs WHERE run_id = @runId)");
        params.runId = filter.runId;
      }
      const rows = this.stmt(
        `${CACHE_ENTRY_SELECT} AND s.status <> 'cached' ${where.map((condition) => `AND ${condition}`).join(" ")}
         ORDER BY ce.created_at DESC, ce.key`,
      ).all(params) as CacheEntryRow[];
      return rows.map(toCacheEntry);
    });
  }
}
