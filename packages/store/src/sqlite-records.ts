// The row-level writes that several events share. They run inside the caller's write transaction.
import { checkDigest, StoreError } from "./errors.js";
import { SqliteCacheReads } from "./sqlite-cache-reads.js";
import { entryMakers } from "./sqlite-entry-makers.js";
import { type AttemptRow, artifactRefs, metricColumns, stepLabel, toAttempt } from "./sqlite-rows.js";
import type { ArtifactInfo, Attempt, AttemptEnd, MetricPoint, NewCacheEntry, StoredValue } from "./types.js";

/** Rows of one multi-row statement: 7 columns of 100 rows stay far below SQLite's 32,766 parameters. */
const ROWS_PER_STATEMENT = 100;

export class SqliteRecords extends SqliteCacheReads {
  protected endAttempt(stepRunId: number, end: AttemptEnd): Attempt {
    const changes = this.stmt(
      `UPDATE attempts SET status = @status, exit_code = @exitCode, error = @error, ended_at = @endedAt,
         stdout_digest = @stdout, stderr_digest = @stderr
       WHERE step_run_id = @stepRunId AND number = @number`,
    ).run({
      stepRunId,
      number: end.number,
      status: end.status,
      exitCode: end.exitCode ?? null,
      error: end.error ?? null,
      endedAt: end.endedAt ?? Date.now(),
      stdout: end.stdoutDigest ?? null,
      stderr: end.stderrDigest ?? null,
    }).changes;
    if (changes === 0) throw this.attemptNotStarted(stepRunId, end.number);
    return this.attempt(stepRunId, end.number);
  }

  /**
   * First writer wins, unless `replace`: then the entry becomes this one whatever was there (one
   * statement, so a concurrent reader sees the old entry or the new one, never a mix).
   */
  protected insertCacheEntry(entry: NewCacheEntry, replace = false): boolean {
    for (const value of Object.values(entry.outputs)) this.saveArtifactRefs(value);
    entryMakers(this.db).forget();
    const conflict = replace
      ? `DO UPDATE SET outputs = excluded.outputs, components = excluded.components,
           step_run_id = excluded.step_run_id, created_at = excluded.created_at`
      : "DO NOTHING";
    return (
      this.stmt(
        `INSERT INTO cache_entries (workspace_id, key, outputs, components, step_run_id, created_at)
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (workspace_id, key) ${conflict}`,
      ).run(
        this.workspaceId,
        entry.key,
        JSON.stringify(entry.outputs),
        JSON.stringify(entry.components),
        entry.stepRunId,
        entry.createdAt ?? Date.now(),
      ).changes === 1
    );
  }

  /**
   * `head VALUES (…), (…) tail` for `rows`, many rows a statement (a statement and the crossing
   * into SQLite per row are most of what a small row costs); what RETURNING gives, of all.
   */
  protected manyRows<T = unknown>(head: string, tail: string, rows: unknown[][]): T[] {
    const returned: T[] = [];
    const width = rows[0]?.length ?? 0;
    for (let at = 0; at < rows.length; at += ROWS_PER_STATEMENT) {
      const chunk = rows.slice(at, at + ROWS_PER_STATEMENT);
      const row = `(${Array(width).fill("?").join(", ")})`;
      const statement = this.stmt(`${head} ${Array(chunk.length).fill(row).join(", ")} ${tail}`);
      const params = chunk.flat();
      if (statement.reader) returned.push(...(statement.all(...params) as T[]));
      else statement.run(...params);
    }
    return returned;
  }

  protected saveArtifacts(artifacts: ArtifactInfo[]): void {
    // Identical digests mean identical bytes, so a conflicting writer can only add what an earlier
    // one did not know (the size of an artifact first seen inside a fan-in list). When it adds
    // nothing the row is left alone: rewriting it unchanged would still cost a page in the log.
    const upsert = this.stmt(
      `INSERT INTO artifacts (digest, kind, size, media_type, created_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (digest) DO UPDATE SET kind = coalesce(artifacts.kind, excluded.kind),
         size = coalesce(artifacts.size, excluded.size), media_type = coalesce(artifacts.media_type, excluded.media_type)
       WHERE (artifacts.kind IS NULL AND excluded.kind IS NOT NULL)
         OR (artifacts.size IS NULL AND excluded.size IS NOT NULL)
         OR (artifacts.media_type IS NULL AND excluded.media_type IS NOT NULL)`,
    );
    // A digest named again in one list (an output, then the input of the step after it) adds to
    // its first row as the upsert would: each field keeps the first value given.
    const rows = new Map<string, ArtifactInfo>();
    for (const a of artifacts) {
      const seen = rows.get(a.digest);
      if (!seen) rows.set(a.digest, a);
      else if (
        (seen.kind == null && a.kind != null) ||
        (seen.size == null && a.size != null) ||
        (seen.mediaType == null && a.mediaType != null)
      )
        rows.set(a.digest, { ...seen, ...firstOf(seen, a) });
    }
    for (const a of rows.values()) {
      upsert.run(
        checkDigest(a.digest),
        a.kind ?? null,
        a.size ?? null,
        a.mediaType ?? null,
        a.createdAt ?? Date.now(),
      );
    }
  }

  protected saveArtifactRefs(value: StoredValue): string[] {
    const refs = artifactRefs(value);
    this.saveArtifacts(refs);
    return refs.map((r) => r.digest);
  }

  protected saveValues(
    stepRunId: number,
    direction: "input" | "output",
    values: Record<string, StoredValue>,
  ): void {
    const table = direction === "input" ? "step_inputs" : "step_outputs";
    const save = this.stmt(
      `INSERT INTO ${table} (step_run_id, name, value) VALUES (?, ?, ?)
       ON CONFLICT (step_run_id, name) DO UPDATE SET value = excluded.value`,
    );
    const use = this.stmt(
      `INSERT INTO artifact_uses (digest, step_run_id, direction, name) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    );
    for (const [name, value] of Object.entries(values)) {
      save.run(stepRunId, name, JSON.stringify(value));
      for (const digest of this.saveArtifactRefs(value)) use.run(digest, stepRunId, direction, name);
    }
  }

  protected saveMetrics(stepRunId: number, points: MetricPoint[], at: number): void {
    const next = this.stmt(
      "SELECT coalesce(max(sequence), -1) + 1 AS next FROM metrics WHERE step_run_id = ? AND name = ?",
    );
    const save = this.stmt(
      `INSERT INTO metrics (step_run_id, name, sequence, kind, number, text, at)
       VALUES (@stepRunId, @name, @sequence, @kind, @number, @text, @at)
       ON CONFLICT (step_run_id, name, sequence) DO UPDATE SET kind = excluded.kind, number = excluded.number,
         text = excluded.text, at = excluded.at`,
    );
    for (const point of points) {
      const sequence = point.sequence ?? (next.get(stepRunId, point.name) as { next: number }).next;
      save.run({ stepRunId, name: point.name, sequence, at: point.at ?? at, ...metricColumns(point.value) });
    }
  }

  protected attempt(stepRunId: number, number: number): Attempt {
    return toAttempt(
      this.stmt("SELECT * FROM attempts WHERE step_run_id = ? AND number = ?").get(
        stepRunId,
        number,
      ) as AttemptRow,
    );
  }

  protected attemptNotStarted(stepRunId: number, number: number): StoreError {
    const stepRun = this.stepRunById(stepRunId);
    return new StoreError(
      "CANAL_STORE_INVALID_RECORD",
      `attempt ${number} of step \`${stepLabel(stepRun.stepId, stepRun.instance)}\` in run \`${stepRun.runId}\` ` +
        "was never started; record it with startAttempt first",
    );
  }
}

/** The fields of an artifact's row that `first` leaves empty and `then` gives. */
function firstOf(first: ArtifactInfo, then: ArtifactInfo): Partial<ArtifactInfo> {
  const filled: Partial<ArtifactInfo> = {};
  if (first.kind == null && then.kind != null) filled.kind = then.kind;
  if (first.size == null && then.size != null) filled.size = then.size;
  if (first.mediaType == null && then.mediaType != null) filled.mediaType = then.mediaType;
  return filled;
}
