// The step run that made each cache entry a connection read, kept so that recording a cached step
// run (its `reused_from`) does not read the entry a second time. Kept only while no other
// connection has committed (SQLite's `data_version`) and this one has written no cache entry: what
// it holds is then what the table holds.
import type Database from "better-sqlite3";

export class EntryMakers {
  private version: number | undefined;
  private readonly made = new Map<string, number>();

  constructor(private readonly db: Database.Database) {}

  private dataVersion(): number {
    return this.db.pragma("data_version", { simple: true }) as number;
  }

  /**
   * Keeps the makers of entries just read. Not inside a transaction: what it reads there may be its
   * own writes, which a rollback takes back.
   */
  remember(rows: ReadonlyArray<{ key: string; step_run_id: number }>): void {
    if (this.db.inTransaction || rows.length === 0) return;
    const version = this.dataVersion();
    if (version !== this.version) {
      this.made.clear();
      this.version = version;
    }
    for (const row of rows) this.made.set(row.key, row.step_run_id);
  }

  /** This connection changed the cache entries: what is kept may be wrong. */
  forget(): void {
    this.made.clear();
    this.version = undefined;
  }

  /**
   * The makers kept of `keys` (those known), and the keys not known, which the caller reads. Empty
   * when another connection committed since they were read.
   */
  known(keys: readonly string[]): { found: Map<string, number>; unknown: string[] } {
    const found = new Map<string, number>();
    if (this.made.size === 0 || this.dataVersion() !== this.version) {
      this.forget();
      return { found, unknown: [...keys] };
    }
    const unknown: string[] = [];
    for (const key of keys) {
      const id = this.made.get(key);
      if (id === undefined) unknown.push(key);
      else found.set(key, id);
    }
    return { found, unknown };
  }
}

const byConnection = new WeakMap<Database.Database, EntryMakers>();

/** The makers kept for `db`: one per connection, shared by the store handle and its units. */
export function entryMakers(db: Database.Database): EntryMakers {
  let makers = byConnection.get(db);
  if (!makers) {
    makers = new EntryMakers(db);
    byConnection.set(db, makers);
  }
  return makers;
}
