// Each run's runtime key on PostgreSQL (see RunKeyRecords), in `run_keys` (migration 14): read by
// every checkout sharing the store, so a cancel from any machine finds a killed driver's jobs.
import { RunNotFoundError } from "../errors.js";
import type { Queryable } from "./query.js";

const IN_WORKSPACE = `SELECT 1 FROM runs r JOIN pipeline_versions pv ON pv.id = r.pipeline_version_id
  JOIN pipelines p ON p.id = pv.pipeline_id WHERE r.id = $1 AND p.workspace_id = $2`;

export class PgRunKeys {
  constructor(
    private readonly workspaceId: number,
    private readonly location: string,
  ) {}

  /** One statement: the key is inserted only for a run of this workspace, and the first one stays. */
  async keep(db: Queryable, runId: string, runtime: string, key: string): Promise<string> {
    const { rows } = await db.query(
      `WITH kept AS (
         INSERT INTO run_keys (run_id, runtime, key, created_at)
         SELECT $1::text, $3::text, $4::text, $5::bigint WHERE EXISTS (${IN_WORKSPACE})
         ON CONFLICT (run_id, runtime) DO NOTHING RETURNING key)
       SELECT key FROM kept UNION ALL SELECT key FROM run_keys WHERE run_id = $1 AND runtime = $3
         AND EXISTS (${IN_WORKSPACE})`,
      [runId, this.workspaceId, runtime, key, Date.now()],
    );
    const kept = (rows[0] as { key: string } | undefined)?.key;
    if (kept === undefined) throw new RunNotFoundError(runId, this.location);
    return kept;
  }

  async read(db: Queryable, runId: string, runtime: string): Promise<string | undefined> {
    const { rows } = await db.query(
      `SELECT key FROM run_keys WHERE run_id = $1 AND runtime = $3 AND EXISTS (${IN_WORKSPACE})`,
      [runId, this.workspaceId, runtime],
    );
    return (rows[0] as { key: string } | undefined)?.key;
  }

  async drop(db: Queryable, runId: string, runtime: string): Promise<void> {
    await db.query(`DELETE FROM run_keys WHERE run_id = $1 AND runtime = $3 AND EXISTS (${IN_WORKSPACE})`, [
      runId,
      this.workspaceId,
      runtime,
    ]);
  }
}
