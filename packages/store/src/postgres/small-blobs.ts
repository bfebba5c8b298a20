// The small blobs a team store's S3 bucket keeps in PostgreSQL instead of one object each
// (`artifacts.inlineBytes`, docs/store.md): rows of `small_blobs` (migration 16) by namespace (the
// bucket and prefix) and digest. Every call is one statement on any pooled connection, retried by
// the store while the server is away. The blob store hashes what it reads: a row is only bytes.
import type { QueryResult } from "pg";
import type { SmallBlobTable } from "../types.js";

/** Runs one statement outside a unit, as the store's reads do. */
export type PgStatement = (sql: string, params: unknown[]) => Promise<QueryResult>;

// Times are the database's (ms), so that gc's grace does not depend on any machine's clock.
const NOW = "(extract(epoch FROM clock_timestamp()) * 1000)::bigint";
// A put over a row replaces its bytes (a damaged row is repaired) and renews its time.
const PUT = `INSERT INTO small_blobs (namespace, digest, bytes, created_at)
SELECT $1, t.digest, t.bytes, ${NOW} FROM unnest($2::text[], $3::bytea[]) AS t(digest, bytes)
ON CONFLICT (namespace, digest) DO UPDATE SET bytes = EXCLUDED.bytes, created_at = EXCLUDED.created_at`;
const GET = "SELECT digest, bytes FROM small_blobs WHERE namespace = $1 AND digest = ANY($2::text[])";
const LIST = `SELECT digest, octet_length(bytes) AS size FROM small_blobs
WHERE namespace = $1 AND digest > $2 AND created_at < ${NOW} - $4 ORDER BY digest LIMIT $3`;
const DELETE = "DELETE FROM small_blobs WHERE namespace = $1 AND digest = ANY($2::text[])";

export class PgSmallBlobs implements SmallBlobTable {
  constructor(
    private readonly namespace: string,
    private readonly statement: PgStatement,
  ) {}

  async putMany(blobs: ReadonlyArray<{ digest: string; bytes: Uint8Array }>): Promise<void> {
    // One row per digest (a statement may not update the same row twice), in digest order: two
    // machines putting some of the same rows lock them in the same order, so neither deadlocks.
    const unique = new Map(
      [...blobs].sort((a, b) => (a.digest < b.digest ? -1 : 1)).map((blob) => [blob.digest, blob.bytes]),
    );
    if (unique.size === 0) return;
    await this.statement(PUT, [
      this.namespace,
      [...unique.keys()],
      [...unique.values()].map((bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)),
    ]);
  }

  async getMany(digests: readonly string[]): Promise<Map<string, Buffer>> {
    const found = new Map<string, Buffer>();
    if (digests.length === 0) return found;
    const { rows } = await this.statement(GET, [this.namespace, [...new Set(digests)]]);
    for (const row of rows as Array<{ digest: string; bytes: Buffer }>) found.set(row.digest, row.bytes);
    return found;
  }

  async list(
    after: string,
    limit: number,
    olderThanMs: number,
  ): Promise<Array<{ digest: string; size: number }>> {
    const { rows } = await this.statement(LIST, [this.namespace, after, limit, olderThanMs]);
    return (rows as Array<{ digest: string; size: number }>).map((row) => ({
      digest: row.digest,
      size: Number(row.size),
    }));
  }

  async deleteMany(digests: readonly string[]): Promise<number> {
    if (digests.length === 0) return 0;
    const { rowCount } = await this.statement(DELETE, [this.namespace, [...new Set(digests)]]);
    return rowCount ?? 0;
  }
}
