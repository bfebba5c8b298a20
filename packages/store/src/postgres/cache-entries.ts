// A unit's cache entries: first-writer-wins inserts, lookups by key (named statements), listings.
import { checkEntryMaker, StoreError } from "../errors.js";
import { artifactRefs, type CacheEntryRow, toCacheEntry } from "../sqlite-rows.js";
import type { CacheEntry, CacheEntryFilter, NewCacheEntry, StoredValue } from "../types.js";
import { named } from "./query.js";
import { PgStepRecords } from "./step-records.js";
import { CACHE_ENTRY_SELECT } from "./unit-base.js";

/** A cache lookup: the outputs a key names. */
const CACHED_OUTPUTS = named("SELECT outputs FROM cache_entries WHERE workspace_id = $1 AND key = $2");

/** A cache lookup of many keys at once. */
const CACHED_OUTPUTS_MANY = named(
  "SELECT key, outputs FROM cache_entries WHERE workspace_id = $1 AND key = ANY($2::text[])",
);

/** The digit after each hex digit, and after `f` the letter that bounds every key starting with it. */
const NEXT_HEX_DIGIT: Record<string, string> = Object.fromEntries(
  [..."0123456789abcdef"].map((digit, i) => [digit, "123456789abcdefg"[i] as string]),
);

/** A cache entry by its key. */
const CACHE_ENTRY_BY_KEY = named(`${CACHE_ENTRY_SELECT} AND ce.key = $2`);

/** Cache entries of the workspace. */
export abstract class PgCacheEntries extends PgStepRecords {
  // ---- the cache -----------------------------------------------------------------------------

  /** First writer wins (ON CONFLICT). */
  protected async insertCacheEntry(entry: NewCacheEntry): Promise<boolean> {
    await this.saveArtifacts(Object.values(entry.outputs).flatMap(artifactRefs));
    const inserted = await this.count(
      `INSERT INTO cache_entries (workspace_id, key, outputs, components, step_run_id, created_at)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (workspace_id, key) DO NOTHING`,
      [
        this.workspaceId,
        entry.key,
        JSON.stringify(entry.outputs),
        JSON.stringify(entry.components),
        entry.stepRunId,
        entry.createdAt ?? Date.now(),
      ],
    );
    return inserted === 1;
  }

  putCacheEntry(entry: NewCacheEntry): Promise<boolean> {
    return this.write(async () => {
      checkEntryMaker(await this.stepRunById(entry.stepRunId));
      return this.insertCacheEntry(entry);
    });
  }

  async getCacheEntry(key: string): Promise<CacheEntry | undefined> {
    const row = await this.one<CacheEntryRow>(CACHE_ENTRY_BY_KEY, [this.workspaceId, key]);
    return row ? toCacheEntry(row) : undefined;
  }

  async getCachedOutputs(key: string): Promise<Record<string, StoredValue> | undefined> {
    const row = await this.one<{ outputs: string }>(CACHED_OUTPUTS, [this.workspaceId, key]);
    return row ? (JSON.parse(row.outputs) as Record<string, StoredValue>) : undefined;
  }

  async getCachedOutputsMany(keys: string[]): Promise<Map<string, Record<string, StoredValue>>> {
    const found = new Map<string, Record<string, StoredValue>>();
    if (keys.length === 0) return found;
    const rows = await this.q<{ key: string; outputs: string }>(CACHED_OUTPUTS_MANY, [
      this.workspaceId,
      [...new Set(keys)],
    ]);
    for (const row of rows) found.set(row.key, JSON.parse(row.outputs) as Record<string, StoredValue>);
    return found;
  }

  async getCachedOutputsOfLastRun(runId: string): Promise<Map<string, Record<string, StoredValue>>> {
    // As on SQLite: the newest ended run of each version from `runs_ended_by_version`, then the newest.
    const rows = await this.q<{ key: string; outputs: string }>(
      `SELECT ce.key, ce.outputs FROM cache_entries ce
       WHERE ce.workspace_id = $1 AND ce.key IN (
         SELECT s.cache_key FROM step_runs s WHERE s.cache_key IS NOT NULL AND s.run_id = (
           SELECT r.id FROM runs r WHERE r.id IN (
             SELECT (SELECT r.id FROM runs r WHERE r.pipeline_version_id = pv.id AND r.id <> $2
                 AND r.status IN ('succeeded', 'failed', 'canceled')
               ORDER BY r.created_at DESC, r.id DESC LIMIT 1)
             FROM pipeline_versions pv WHERE pv.pipeline_id = (
               SELECT pv.pipeline_id FROM runs r JOIN pipeline_versions pv ON pv.id = r.pipeline_version_id
               JOIN pipelines p ON p.id = pv.pipeline_id WHERE r.id = $2 AND p.workspace_id = $1))
           ORDER BY r.created_at DESC, r.id DESC LIMIT 1))`,
      [this.workspaceId, runId],
    );
    return new Map(rows.map((row) => [row.key, JSON.parse(row.outputs) as Record<string, StoredValue>]));
  }

  deleteCacheEntry(key: string): Promise<boolean> {
    return this.write(
      async () =>
        (await this.count("DELETE FROM cache_entries WHERE workspace_id = $1 AND key = $2", [
          this.workspaceId,
          key,
        ])) > 0,
    );
  }

  async listCacheEntries(filter: CacheEntryFilter = {}): Promise<CacheEntry[]> {
    const prefix = filter.keyPrefix?.toLowerCase();
    if (prefix !== undefined && !/^[0-9a-f]{6,64}$/.test(prefix)) {
      throw new StoreError(
        "CANAL_STORE_INVALID_RECORD",
        `\`${filter.keyPrefix}\` is not a cache key: give a key or its first 6 or more hex characters, as \`canal cache ls\` shows them`,
      );
    }
    if (filter.runId !== undefined) await this.requireRun(filter.runId);
    // Only the filters given are in the statement (one of 16 texts, so named), so each can use its
    // index: the step's step runs, the run's keys, a range of the primary key for a prefix, and
    // with none the workspace's entries by time (cache_entries_by_time).
    const params: unknown[] = [this.workspaceId];
    const p = (value: unknown) => `$${params.push(value)}`;
    let where = "";
    if (filter.stepId !== undefined) where += ` AND s.step_id = ${p(filter.stepId)}`;
    if (filter.instance !== undefined) where += ` AND s.instance = ${p(filter.instance)}`;
    if (prefix !== undefined) {
      // The keys from the prefix up to the next one: the prefix with its last digit one higher.
      // Exact under the "C" collation; under another, hex digits still sort as they do in "C", and
      // the prefix is checked again on what the range found.
      const lo = p(prefix);
      const hi = p(prefix.slice(0, -1) + NEXT_HEX_DIGIT[prefix.at(-1) as string]);
      where += ` AND ce.key >= ${lo} AND ce.key < ${hi} AND starts_with(ce.key, ${lo})`;
    }
    if (filter.runId !== undefined)
      where += ` AND ce.key IN (SELECT cache_key FROM step_runs WHERE run_id = ${p(filter.runId)})`;
    const rows = await this.q<CacheEntryRow>(
      named(`${CACHE_ENTRY_SELECT} AND s.status <> 'cached'${where} ORDER BY ce.created_at DESC, ce.key`),
      params,
    );
    return rows.map(toCacheEntry);
  }

  async workspacesWithCacheEntry(key: string, options: { before?: number } = {}): Promise<string[]> {
    // Across workspaces: the key leads the table's primary key (migration 12), so this is an index lookup.
    const rows = await this.q<{ name: string }>(
      `SELECT w.name FROM cache_entries ce JOIN workspaces w ON w.id = ce.workspace_id
       WHERE ce.key = $2 AND ce.workspace_id <> $1 AND ($3::bigint IS NULL OR ce.created_at < $3)
       ORDER BY w.name COLLATE "C"`,
      [this.workspaceId, key, options.before ?? null],
    );
    return rows.map((row) => row.name);
  }

  async lastCacheEntryForStep(
    pipeline: string,
    stepId: string,
    options: { instance?: number; before?: number } = {},
  ): Promise<CacheEntry | undefined> {
    const row = await this.one<CacheEntryRow>(
      `${CACHE_ENTRY_SELECT} AND s.step_id = $3 AND s.status <> 'cached' AND ($4::integer IS NULL OR s.instance = $4)
         AND ($5::bigint IS NULL OR ce.created_at < $5)
         AND EXISTS (SELECT 1 FROM runs r JOIN pipeline_versions pv ON pv.id = r.pipeline_version_id
           JOIN pipelines p ON p.id = pv.pipeline_id WHERE r.id = s.run_id AND p.name = $2)
       ORDER BY ce.created_at DESC, ce.seq DESC LIMIT 1`,
      [this.workspaceId, pipeline, stepId, options.instance ?? null, options.before ?? null],
    );
    return row ? toCacheEntry(row) : undefined;
  }
}
