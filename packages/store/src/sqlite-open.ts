import type Database from "better-sqlite3";
import { StoreError } from "./errors.js";

/** How long opening (and every write) waits for another process's lock before failing. */
export const DEFAULT_BUSY_TIMEOUT_MS = 10_000;

// SQLITE_BUSY and SQLITE_LOCKED with their extended codes (SQLITE_BUSY_RECOVERY, _SNAPSHOT, …).
function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" && (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED"));
}

function isDamaged(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === "SQLITE_NOTADB" || (typeof code === "string" && code.startsWith("SQLITE_CORRUPT"));
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Runs `fn` until it gets past the other processes' locks or `deadline` passes. Opening a new
 * database races in ways that busy_timeout does not cover: SQLite answers SQLITE_BUSY at once,
 * without calling the busy handler, when a connection switches the file to WAL while another has
 * it open, or reads a WAL file that another connection is recovering. Every step it guards is safe
 * to repeat (the journal mode is idempotent; a migration re-reads the applied versions inside its
 * own write transaction), so trying again is correct. The pause is random so openers that collided
 * spread out; the store's API is synchronous here, so it waits with Atomics.wait.
 */
export function untilUnlocked<T>(deadline: number, fn: () => T): T {
  for (;;) {
    try {
      return fn();
    } catch (error) {
      if (!isBusy(error) || Date.now() >= deadline) throw error;
      Atomics.wait(pause, 0, 0, 2 + Math.random() * 18);
    }
  }
}

/** Switches `db` to WAL; a mode change that did not take (another connection held the file) is busy. */
export function useWal(db: Database.Database): void {
  const mode = db.pragma("journal_mode = WAL", { simple: true });
  // An in-memory database keeps "memory": WAL does not apply to it.
  if (mode !== "wal" && mode !== "memory") {
    throw Object.assign(new Error(`journal mode stayed ${String(mode)}`), { code: "SQLITE_BUSY" });
  }
}

/** The error for a store that cannot be opened: why (locked, damaged, other) and what to do. */
export function openFailure(error: unknown, path: string, location: string, timeoutMs: number): StoreError {
  const why = (error as Error).message;
  const where = `the metadata store ${path} of workspace ${location}`;
  if (isBusy(error)) {
    return new StoreError(
      "CANAL_STORE_LOCKED",
      `cannot open ${where}: it stayed locked by another process for ${timeoutMs / 1000} s (${why}); ` +
        "another `canal` command (or a program holding the file open, e.g. a SQLite browser) is " +
        "writing to it: wait for it to end and try again, or raise `store.busyTimeoutMs` in canal.config.json",
    );
  }
  if (isDamaged(error)) {
    return new StoreError(
      "CANAL_STORE_DAMAGED",
      `cannot open ${where}: the file is not a SQLite database or is damaged (${why}); restore it from a ` +
        "backup, or point `store.path` in canal.config.json at another file (a new path starts an empty " +
        "run history; the artifact bytes stay where they are)",
    );
  }
  return new StoreError(
    "CANAL_STORE_OPEN_FAILED",
    `cannot open ${where}: ${why}; check that \`store.path\` in canal.config.json names a file in a ` +
      "directory this user can write",
  );
}
