// Small file blobs an S3 store keeps in the metadata store's table instead of the bucket
// (`artifacts.inlineBytes`): the puts made with `deferSync` wait in memory and go in one statement
// per flush; the lookups asked in one turn of the event loop go in one statement. What a row holds
// is returned as it is: the store hashes it before trusting it.
import { sha256 } from "../blob-io.js";
import { StoreError } from "../errors.js";
import type { SmallBlobTable } from "../types.js";
import type { S3Place } from "./client.js";

// The most digests one lookup or delete statement names, and the most rows one listing returns.
const LOOKUP_BATCH = 1000;

/** A failure of the metadata store's table of small blobs, in words that name the fix. */
export function tableFailure(error: unknown, doing: string, place: S3Place): StoreError {
  if (error instanceof StoreError) return error;
  return new StoreError(
    "CANAL_STORE_REMOTE_FAILED",
    `${doing} for the artifact store s3://${place.bucket}/${place.prefix} failed: ${(error as Error).message}; ` +
      "check that the metadata store (`store`) is reachable and its schema up to date, or set `artifacts.inlineBytes` " +
      "to 0 to keep every blob in the bucket",
  );
}

interface Asked {
  resolve(bytes: Buffer | undefined): void;
  reject(error: unknown): void;
}

export class InlineBlobs {
  /** Put with `deferSync` and not committed yet (waiting for a flush, or in the statement on its way). */
  private readonly unsent = new Map<string, Buffer>();
  /** Those of `unsent` that no flush has taken yet. */
  private waiting: Array<{ digest: string; bytes: Buffer }> = [];
  /** The flushes' statements, one after another. */
  private sending: Promise<void> = Promise.resolve();
  /** The first flush that failed: every later one throws it (a record naming its blobs may be waiting). */
  private failure: unknown;
  private asked = new Map<string, Asked[]>();
  private lookupScheduled = false;

  constructor(
    readonly table: SmallBlobTable,
    /** Files up to this size go here. */
    readonly maxBytes: number,
    /** Wraps a failure of the table in the store's words, naming what was being done. */
    private readonly failed: (error: unknown, doing: string) => unknown,
  ) {}

  fits(size: number): boolean {
    return size <= this.maxBytes;
  }

  /** Keeps `bytes` (hashed to `digest` by the caller) for the next flush. */
  defer(digest: string, bytes: Buffer): void {
    if (this.unsent.has(digest)) return;
    this.unsent.set(digest, bytes);
    this.waiting.push({ digest, bytes });
  }

  /** Whether `digest` was deferred and is not committed yet: a read of it flushes first. */
  isUnsent(digest: string): boolean {
    return this.unsent.has(digest);
  }

  /** Stores one blob now (a put without `deferSync`): one statement, committed when this resolves. */
  async put(digest: string, bytes: Buffer): Promise<void> {
    try {
      await this.table.putMany([{ digest, bytes }]);
    } catch (error) {
      throw this.failed(error, `storing sha256:${digest} in the metadata store`);
    }
  }

  /** Commits every deferred put so far in one statement; throws the first flush that ever failed. */
  async flush(): Promise<void> {
    const batch = this.waiting;
    if (batch.length > 0) {
      this.waiting = [];
      this.sending = this.sending.then(async () => {
        try {
          await this.table.putMany(batch);
        } catch (error) {
          this.failure ??= this.failed(error, `storing ${batch.length} small blob(s) in the metadata store`);
        } finally {
          for (const { digest } of batch) this.unsent.delete(digest);
        }
      });
    }
    await this.sending;
    if (this.failure) throw this.failure;
  }

  /**
   * `digest`'s row, hashed: its bytes when they match, what they hash to when they do not,
   * undefined without a row. A blob deferred and not flushed yet is flushed first, as the bucket's
   * deferred puts are waited for.
   */
  async read(digest: string): Promise<{ bytes: Buffer } | { damaged: string } | undefined> {
    if (this.isUnsent(digest)) await this.flush();
    const bytes = await this.lookup(digest);
    if (!bytes) return undefined;
    const actual = sha256(bytes);
    return actual === digest ? { bytes } : { damaged: actual };
  }

  /**
   * The rows that `keep` does not name, stored or renewed more than `olderThanMs` ago: deleted
   * unless `dryRun`.
   */
  async collect(
    keep: ReadonlySet<string>,
    options: { dryRun: boolean; olderThanMs: number },
  ): Promise<Array<{ digest: string; size: number }>> {
    const unneeded: Array<{ digest: string; size: number }> = [];
    try {
      for (let after = ""; ; ) {
        const page = await this.table.list(after, LOOKUP_BATCH, options.olderThanMs);
        for (const row of page) if (!keep.has(row.digest)) unneeded.push(row);
        const last = page.at(-1);
        if (!last || page.length < LOOKUP_BATCH) break;
        after = last.digest;
      }
      if (!options.dryRun)
        for (let start = 0; start < unneeded.length; start += LOOKUP_BATCH)
          await this.table.deleteMany(unneeded.slice(start, start + LOOKUP_BATCH).map((row) => row.digest));
    } catch (error) {
      throw this.failed(error, "collecting the small blobs no record names");
    }
    return unneeded;
  }

  /** The bytes of `digest`'s row, unverified, or undefined without one; asked with the others of this turn. */
  lookup(digest: string): Promise<Buffer | undefined> {
    return new Promise((resolve, reject) => {
      const waiting = this.asked.get(digest);
      if (waiting) waiting.push({ resolve, reject });
      else this.asked.set(digest, [{ resolve, reject }]);
      if (this.lookupScheduled) return;
      this.lookupScheduled = true;
      setImmediate(() => {
        this.lookupScheduled = false;
        const asked = this.asked;
        this.asked = new Map();
        const digests = [...asked.keys()];
        for (let start = 0; start < digests.length; start += LOOKUP_BATCH) {
          const some = digests.slice(start, start + LOOKUP_BATCH);
          this.table.getMany(some).then(
            (found) => {
              for (const d of some) for (const one of asked.get(d) ?? []) one.resolve(found.get(d));
            },
            (error) => {
              const named = this.failed(
                error,
                `looking up ${some.length} small blob(s) in the metadata store`,
              );
              for (const d of some) for (const one of asked.get(d) ?? []) one.reject(named);
            },
          );
        }
      });
    });
  }
}
