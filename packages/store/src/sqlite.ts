import Database from "better-sqlite3";
import { StoreError } from "./errors.js";
import { ScheduleStore } from "./schedule-records.js";
import { type ServiceBackend, ServiceStore, type Sql } from "./service-records.js";
import { SqliteDatasets } from "./sqlite-datasets.js";
import { migrate } from "./sqlite-migrations.js";
import { DEFAULT_BUSY_TIMEOUT_MS, openFailure, untilUnlocked, useWal } from "./sqlite-open.js";
import { dropGate, gateFor, SqliteUnit, type UnitGate, type UnitState } from "./sqlite-unit.js";
import { SqliteWrites } from "./sqlite-writes.js";
import type {
  ApiToken,
  CachedOrClaim,
  CancelRequest,
  DatasetFile,
  DatasetFilesPage,
  DatasetSummary,
  DatasetUse,
  DatasetVersion,
  Endpoint,
  MetadataStore,
  MetadataTransaction,
  NewApiToken,
  NewCancelRequest,
  NewDatasetUse,
  NewDatasetVersion,
  NewEndpointVersion,
  NewHeartbeat,
  NewSchedule,
  NewStepClaim,
  NewTick,
  RegisteredDatasetVersion,
  Schedule,
  ScheduleTick,
  ScheduleUpdate,
  StepClaimResult,
  StoredValue,
  TickEnd,
} from "./types.js";

export interface SqliteStoreOptions {
  /** The workspace every read and write is scoped to; created on first open. */
  workspace: string;
  /** How errors name the workspace (its root directory); default the database path. */
  location?: string;
  /** How long opening or a write waits for another process's lock before failing. Default 10 s. */
  busyTimeoutMs?: number;
}

/**
 * The embedded metadata store. Safe for several processes on one database file (two runs sharing
 * the cache): WAL lets readers go on while one process writes, every write transaction takes the
 * write lock up front (BEGIN IMMEDIATE) so that waiting goes through busy_timeout instead of failing
 * with SQLITE_BUSY when a read-then-write transaction loses a race, and the shared rows (cache
 * entries, artifacts) are inserted with ON CONFLICT so the first writer wins.
 */
export class SqliteMetadataStore extends SqliteWrites implements MetadataStore {
  private constructor(
    db: Database.Database,
    workspace: string,
    workspaceId: number,
    location: string,
    private readonly gate: UnitGate,
  ) {
    super(db, workspace, workspaceId, location, new Map());
    this.datasets = new SqliteDatasets((sql) => this.stmt(sql), workspaceId, location);
    // Statements that are not inside a unit read committed rows; a unit is `transaction`'s.
    const statement: Sql = async <T>(sql: string, params: unknown[] = []) => {
      const prepared = this.stmt(sql);
      if (prepared.reader) return prepared.all(...params) as T[];
      prepared.run(...params);
      return [];
    };
    const records: ServiceBackend = {
      workspaceId,
      location,
      read: (sql, params) => this.read(() => statement(sql, params)) as never,
      unit: (work) => this.transaction(() => work(statement)),
    };
    this.service = new ServiceStore(records);
    this.schedules = new ScheduleStore(records);
  }

  private readonly service: ServiceStore;
  publishEndpoint = (version: NewEndpointVersion): Promise<Endpoint> => this.service.publishEndpoint(version);
  listEndpoints = (): Promise<Endpoint[]> => this.service.listEndpoints();
  getEndpoint = (name: string): Promise<Endpoint | undefined> => this.service.getEndpoint(name);
  setDefaultVersion = (name: string, version: number): Promise<Endpoint | undefined> =>
    this.service.setDefaultVersion(name, version);
  createToken = (token: NewApiToken): Promise<ApiToken> => this.service.createToken(token);
  listTokens = (): Promise<ApiToken[]> => this.service.listTokens();
  findToken = (hash: string): Promise<ApiToken | undefined> => this.service.findToken(hash);
  revokeToken = (id: string): Promise<ApiToken | undefined> => this.service.revokeToken(id);
  private readonly schedules: ScheduleStore;
  createSchedule = (schedule: NewSchedule): Promise<Schedule> => this.schedules.createSchedule(schedule);
  listSchedules = (): Promise<Schedule[]> => this.schedules.listSchedules();
  getSchedule = (name: string): Promise<Schedule | undefined> => this.schedules.getSchedule(name);
  updateSchedule = (name: string, update: ScheduleUpdate): Promise<Schedule | undefined> =>
    this.schedules.updateSchedule(name, update);
  advanceSchedule = (id: number, revision: number, changes: { cursorAt?: number; state?: string }) =>
    this.schedules.advanceSchedule(id, revision, changes);
  deleteSchedule = (name: string): Promise<boolean> => this.schedules.deleteSchedule(name);
  claimTick = (tick: NewTick): Promise<ScheduleTick | undefined> => this.schedules.claimTick(tick);
  finishTick = (id: number, end: TickEnd): Promise<ScheduleTick> => this.schedules.finishTick(id, end);
  listTicks = (scheduleId: number, options?: { limit?: number }): Promise<ScheduleTick[]> =>
    this.schedules.listTicks(scheduleId, options);

  private readonly datasets: SqliteDatasets;

  static open(path: string, options: SqliteStoreOptions): SqliteMetadataStore {
    const location = options.location ?? path;
    const timeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
    // One deadline for the whole open: however many openers race, none waits longer than this.
    const deadline = Date.now() + timeoutMs;
    let db: Database.Database | undefined;
    try {
      db = new Database(path, { timeout: timeoutMs });
      const handle = db;
      untilUnlocked(deadline, () => useWal(handle));
      // NORMAL in WAL mode: a commit survives a crash of the process; only a power loss may drop the
      // last commits, never corrupt the file. Blob bytes are fsynced before any row names them.
      db.pragma("synchronous = NORMAL");
      // A run's events are written in units of many writes; SQLite keeps a statement's undo pages
      // (its statement journal) in a temporary file unless told to keep them in memory.
      db.pragma("temp_store = MEMORY");
      // A run touches every cache entry and step run it records, at random (keys are hashes): with
      // SQLite's default 2 MiB of page cache the pages of a 1,000-step run no longer fit, and every
      // lookup goes back to the file. The cache grows only as pages are used.
      db.pragma("cache_size = -32768");
      db.pragma("foreign_keys = ON");
      untilUnlocked(deadline, () => migrate(handle, location));
      const workspaceId = untilUnlocked(deadline, () =>
        handle
          .transaction(() => {
            handle
              .prepare(
                "INSERT INTO workspaces (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
              )
              .run(options.workspace, Date.now());
            return (
              handle.prepare("SELECT id FROM workspaces WHERE name = ?").get(options.workspace) as {
                id: number;
              }
            ).id;
          })
          .immediate(),
      );
      return new SqliteMetadataStore(handle, options.workspace, workspaceId, location, gateFor(path));
    } catch (error) {
      db?.close();
      if (error instanceof StoreError) throw error;
      throw openFailure(error, path, location, timeoutMs);
    }
  }

  /**
   * Runs `fn` as one write transaction holding the write lock from its first statement. While a
   * unit of this process is open on the file, it waits for the unit to end first. By prepared
   * statements: better-sqlite3's transaction() builds a new wrapper function on every call.
   */
  protected write<T>(fn: () => T): T | Promise<T> {
    if (this.gate.held) return this.gate.idle().then(() => this.write(fn));
    this.stmt("BEGIN IMMEDIATE").run();
    try {
      const result = fn();
      this.stmt("COMMIT").run();
      return result;
    } catch (error) {
      // A failed statement may have ended the transaction itself.
      if (this.db.inTransaction) this.stmt("ROLLBACK").run();
      throw error;
    }
  }

  /** What this handle reads is committed: while its own unit is open, it waits for the unit. */
  protected override read<T>(fn: () => T): T | Promise<T> {
    if (this.db.inTransaction) return this.gate.idle().then(() => this.read(fn));
    return fn();
  }

  async recordHeartbeat(runId: string, beat: NewHeartbeat): Promise<void> {
    await this.write(() => this.saveHeartbeat(runId, beat));
  }

  async claimStep(key: string, claim: NewStepClaim): Promise<StepClaimResult> {
    return this.write(() => this.saveStepClaim(key, claim));
  }

  /** In one write transaction: no writer comes between the lookup and the claim. */
  async lookupOrClaimStep(key: string, claim: NewStepClaim): Promise<CachedOrClaim> {
    return this.write(() => {
      const row = this.stmt("SELECT outputs FROM cache_entries WHERE workspace_id = ? AND key = ?").get(
        this.workspaceId,
        key,
      ) as { outputs: string } | undefined;
      if (row) return { cached: JSON.parse(row.outputs) as Record<string, StoredValue> };
      return { claim: this.saveStepClaim(key, claim) };
    });
  }

  async registerDatasetVersion(version: NewDatasetVersion): Promise<RegisteredDatasetVersion> {
    return this.write(() => this.datasets.register(version));
  }

  async getDatasetVersion(name: string, version?: number): Promise<DatasetVersion> {
    return this.read(() => this.datasets.get(name, version));
  }

  async listDatasetVersions(name: string): Promise<DatasetVersion[]> {
    return this.read(() => this.datasets.versions(name));
  }

  async listDatasets(): Promise<DatasetSummary[]> {
    return this.read(() => this.datasets.list());
  }

  async recordDatasetUse(use: NewDatasetUse): Promise<void> {
    await this.write(() => this.datasets.recordUse(use));
  }

  async listDatasetUses(filter: { versionId: number } | { runId: string }): Promise<DatasetUse[]> {
    return this.read(() => this.datasets.uses(filter));
  }

  async getDatasetFiles(versionId: number, page: DatasetFilesPage = {}): Promise<DatasetFile[]> {
    return this.read(() => this.datasets.files(versionId, page));
  }

  async requestCancel(runId: string, request: NewCancelRequest = {}): Promise<CancelRequest> {
    return this.write(() => this.saveCancelRequest(runId, request));
  }

  /**
   * One BEGIN IMMEDIATE … COMMIT around `work`, which writes through its own handle on this
   * connection. The writes finish synchronously (better-sqlite3) and join the transaction without a
   * savepoint each (that would double the statements of a small write): a failing one undoes the
   * whole unit, even when `work` catches it.
   */
  async transaction<T>(work: (tx: MetadataTransaction) => Promise<T>): Promise<T> {
    const release = await this.gate.acquire();
    const state: UnitState = { open: true };
    try {
      this.stmt("BEGIN IMMEDIATE").run();
      const tx = new SqliteUnit(
        this.db,
        this.workspace,
        this.workspaceId,
        this.location,
        this.statements,
        state,
      );
      try {
        const result = await work(tx);
        if (state.failure !== undefined) throw state.failure;
        this.stmt("COMMIT").run();
        return result;
      } catch (error) {
        if (this.db.inTransaction) this.stmt("ROLLBACK").run();
        throw error;
      }
    } finally {
      state.open = false;
      release();
    }
  }

  private closing: Promise<void> | undefined;

  /** Once this handle's open unit (if any) has ended; closing twice is closing once. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      while (this.db.inTransaction) await this.gate.idle();
      if (this.db.open) this.db.close();
      dropGate(this.gate);
    })();
    return this.closing;
  }
}
