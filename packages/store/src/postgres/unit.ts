// The records of one workspace on PostgreSQL: every MetadataTransaction method as SQL on one
// connection. Inside a unit that connection is the unit's pooled client (BEGIN … COMMIT); for the
// store's own reads it is the pool. Writes that number things (versions, log chunks, metric
// sequences) first lock the row they number under, so concurrent writers from any process queue
// there instead of colliding; shared rows (cache entries, artifacts) are first-writer-wins upserts.
// Each concern is a module of its own, one class deriving from the next: unit-base.ts (the
// connection and lookups), runs.ts, step-records.ts, cache-entries.ts, step-runs.ts,
// run-control.ts, and here what forgetting runs and gc need.
import { collectDigests } from "../sqlite-rows.js";
import type { MetadataTransaction, StoreReferences } from "../types.js";
import { PgRunControl } from "./run-control.js";
import { RUN_SELECT } from "./unit-base.js";

/** The `tx` of a unit, and the store's reads outside one: every MetadataTransaction method. */
export class PostgresUnit extends PgRunControl implements MetadataTransaction {
  // ---- forgetting, and what gc must keep -----------------------------------------------------

  deleteRuns(ids: string[]): Promise<string[]> {
    return this.write(async () => {
      const deleted: string[] = [];
      for (const id of ids) {
        const found = await this.one<{ status: string }>(`${RUN_SELECT} AND r.id = $2 FOR UPDATE OF r`, [
          this.workspaceId,
          id,
        ]);
        if (!found || found.status === "running" || found.status === "queued") continue;
        await this.q(
          "DELETE FROM cache_entries WHERE step_run_id IN (SELECT id FROM step_runs WHERE run_id = $1)",
          [id],
        );
        await this.q(
          "DELETE FROM log_chunks WHERE step_run_id IN (SELECT id FROM step_runs WHERE run_id = $1)",
          [id],
        );
        await this.q("DELETE FROM runs WHERE id = $1", [id]);
        deleted.push(id);
      }
      // Artifact rows that nothing names any more: their sizes and kinds describe nothing kept.
      if (deleted.length > 0) {
        const named = await this.referencedDigests();
        const rows = await this.q<{ digest: string }>("SELECT digest FROM artifacts");
        const gone = rows.map((r) => r.digest).filter((digest) => !named.has(digest));
        if (gone.length > 0) {
          await this.q(
            `DELETE FROM artifacts a WHERE a.digest = ANY($1::text[])
               AND NOT EXISTS (SELECT 1 FROM artifact_uses u WHERE u.digest = a.digest)`,
            [gone],
          );
        }
      }
      return deleted;
    });
  }

  async references(): Promise<StoreReferences> {
    const digests = await this.referencedDigests();
    const versions = await this.q<{
      hash: string;
      artifact_location: string | null;
      artifact_digest: string | null;
      ir: string;
      has_runs: boolean;
    }>(
      `SELECT hash, artifact_location, artifact_digest, ir,
         (EXISTS (SELECT 1 FROM runs r WHERE r.pipeline_version_id = pv.id)
           OR EXISTS (SELECT 1 FROM endpoint_versions ev WHERE ev.pipeline_version_id = pv.id)) AS has_runs
       FROM pipeline_versions pv`,
    );
    for (const v of versions) if (v.has_runs && v.artifact_digest) digests.add(v.artifact_digest);
    return {
      digests: [...digests].sort(),
      pipelineVersions: versions.map((v) => ({
        hash: v.hash,
        ir: v.ir,
        hasRuns: v.has_runs,
        ...(v.artifact_location ? { artifactLocation: v.artifact_location } : {}),
        ...(v.artifact_digest ? { artifactDigest: v.artifact_digest } : {}),
      })),
    };
  }

  /** Every digest a record names: step inputs and outputs, cache entries, run parameters, logs. */
  private async referencedDigests(): Promise<Set<string>> {
    const digests = new Set<string>();
    const rows = await this.q<{ value: string }>(
      `SELECT value FROM step_inputs UNION ALL SELECT value FROM step_outputs
       UNION ALL SELECT outputs FROM cache_entries UNION ALL SELECT parameters FROM runs`,
    );
    for (const row of rows) collectDigests(JSON.parse(row.value) as unknown, digests);
    const logs = await this.q<{ digest: string }>(
      `SELECT stdout_digest AS digest FROM attempts WHERE stdout_digest IS NOT NULL
       UNION SELECT stderr_digest FROM attempts WHERE stderr_digest IS NOT NULL`,
    );
    for (const row of logs) digests.add(row.digest);
    return digests;
  }
}
