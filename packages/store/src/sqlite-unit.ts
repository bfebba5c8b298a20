// A unit of writes on the SQLite store (`transaction(async (tx) => …)`): the handle `tx` and the
// lock that keeps a process's other handles on the same file out while the unit is open.
import { realpathSync } from "node:fs";
import type Database from "better-sqlite3";
import { StoreError } from "./errors.js";
import { SqliteWrites } from "./sqlite-writes.js";

/**
 * One per database file and process, shared by every handle on the file. better-sqlite3 is
 * synchronous: a handle that began a write while another handle's unit holds the file's write lock
 * would block the whole process in busy_timeout, and the unit it waits for could never go on. So
 * writes of this process wait here, without blocking, while a unit is open; other processes wait
 * in SQLite's busy handler as before.
 */
export class UnitGate {
  private open: Promise<void> | undefined;
  /** Handles using this gate: it is dropped with the last. */
  users = 0;

  constructor(readonly key: string) {}

  get held(): boolean {
    return this.open !== undefined;
  }

  /** Settles when the unit open now has ended (at once when none is). */
  idle(): Promise<void> {
    return this.open ?? Promise.resolve();
  }

  /** Waits for its turn; the returned function ends it. */
  async acquire(): Promise<() => void> {
    while (this.open) await this.open;
    let release = () => {};
    this.open = new Promise<void>((resolve) => {
      release = () => {
        this.open = undefined;
        resolve();
      };
    });
    return release;
  }
}

const gates = new Map<string, UnitGate>();
let memoryDatabases = 0;

/** The gate of the database file `path` (every path that names it gets the same one). */
export function gateFor(path: string): UnitGate {
  let key: string;
  try {
    // Each in-memory database is a database of its own.
    key = path === ":memory:" || path === "" ? `:memory:${++memoryDatabases}` : realpathSync(path);
  } catch {
    key = path;
  }
  let gate = gates.get(key);
  if (!gate) {
    gate = new UnitGate(key);
    gates.set(key, gate);
  }
  gate.users++;
  return gate;
}

export function dropGate(gate: UnitGate): void {
  if (--gate.users <= 0) gates.delete(gate.key);
}

/** What one unit knows about itself: whether it is still open, and the first write that failed. */
export interface UnitState {
  open: boolean;
  failure?: unknown;
}

/** The `tx` of a unit: its calls run inside the unit's transaction, on the store's connection. */
export class SqliteUnit extends SqliteWrites {
  constructor(
    db: Database.Database,
    workspace: string,
    workspaceId: number,
    location: string,
    statements: Map<string, Database.Statement>,
    private readonly state: UnitState,
  ) {
    super(db, workspace, workspaceId, location, statements);
  }

  private check(): void {
    if (!this.state.open) {
      throw new StoreError(
        "CANAL_STORE_INVALID_RECORD",
        `a unit's handle of workspace ${this.location} was used after its transaction ended; ` +
          "make every call of the unit inside its `transaction(async (tx) => …)` and await it there",
      );
    }
  }

  protected override read<T>(fn: () => T): T {
    this.check();
    return fn();
  }

  /** A write that fails fails the unit: what it did before failing is undone with the rest. */
  protected write<T>(fn: () => T): T {
    this.check();
    try {
      return fn();
    } catch (error) {
      this.state.failure ??= error;
      throw error;
    }
  }
}
