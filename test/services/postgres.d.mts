/** A PostgreSQL 15 server started for tests and benchmarks: Debian's package, a scratch cluster on loopback. */
export interface PostgresServer {
  port: number;
  /** `postgres://postgres@127.0.0.1:PORT` + `/database`. */
  url(database?: string): string;
  /** Runs SQL as the superuser on `database` (default postgres), through psql. */
  psql(sql: string, database?: string): string;
  /** Stops the server (fast shutdown) and waits until its PID is gone; the data stays. */
  stopServer(): Promise<void>;
  /** Starts it again on the same port and data. */
  startServer(): void;
  /** Stops it and removes its folder. */
  stop(): Promise<void>;
}

/**
 * Installs Debian's postgresql if missing and starts a fresh cluster in a scratch folder, on a free
 * loopback port (fsync and synchronous commit off: a test server), stopped by its PID. With a
 * `password`, TCP connections need it (scram-sha-256).
 */
export function startPostgres(options?: { password?: string }): Promise<PostgresServer>;
