// Each run's runtime key on PostgreSQL (see RunKeyRecords), in `run_keys` (migration 14): read by
// every checkout sharing the store, so a cancel from any machine finds a killed driver's jobs.
import { RunNotFoundError } from "../errors.js";

/** One statement and its rows: a unit's (`PostgresUnit.rows`), or the pool's outside one. */
export type Rows = <T>(sql: string, params: unknown[]) => Promise<T[]>;

const IN_WORKSPACE = `SELECT 1 FROM runs r JOIN pipeline_versions pv ON pv.id = r.pipeline_version_id
  JOIN pipelines p ON p.id = pv.pipeline_id WHERE r.id = $1 AND p.workspace_id = $2`;

export class PgRunKeys {
  constructor(
    private readonly workspaceId: number,
    private readonly location: string,
  ) {}

  /** One statement: the key is inserted only for a run of this workspace, and the first one stays. */
  async keep(rows: Rows, runId: string, runtime: string, key: string): Promise<string> {
    const kept = await rows<{ key: string }>(
      `WITH kept AS (
         INSERT INTO run_keys (run_id, runtime, key, created_at)
         SELECT $1::text, $3::text, $4::text, $5::bigint WHERE EXISTS (${IN_WORKSPACE})
         ON CONFLICT (run_id, runtime) DO NOTHING RETURNING key)
       SELECT key FROM kept UNION ALL SELECT key FROM run_keys WHERE run_id = $1 AND runtime = $3
         AND EXISTS (${IN_WORKSPACE})`,
      [runId, this.workspaceId, runtime, key, Date.now()],
    );
    if (kept[0] === undefined) throw new RunNotFoundError(runId, this.location);
    return kept[0].key;
  }

  async read(rows: Rows, runId: string, runtime: string): Promise<string | undefined> {
    const found = await rows<{ key: string }>(
      `SELECT key FROM run_keys WHERE run_id = $1 AND runtime = $3 AND EXISTS (${IN_WORKSPACE})`,
      [runId, this.workspaceId, runtime],
    );
    return found[0]?.key;
  }

  async drop(rows: Rows, runId: string, runtime: string): Promise<void> {
    await rows(`DELETE FROM run_keys WHERE run_id = $1 AND runtime = $3 AND EXISTS (${IN_WORKSPACE})`, [
      runId,
      this.workspaceId,
      runtime,
    ]);
  }
}
