// The PostgreSQL metadata store: a pool of connections to one database that many processes on
// many machines share. A unit is one pooled client, BEGIN … COMMIT (READ COMMITTED, with the row
// locks the writes take); a unit that loses a race (serialization failure, deadlock) or whose
// connection drops before COMMIT is undone by the server and run again, never surfaced as a crash.
// Cancel requests are announced with NOTIFY and heard with LISTEN.
import type { Client, Pool, PoolClient } from "pg";
import { StoreError } from "../errors.js";
import { ScheduleStore } from "../schedule-records.js";
import { type ServiceBackend, ServiceStore } from "../service-records.js";
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
  RunControl,
  Schedule,
  ScheduleTick,
  ScheduleUpdate,
  SmallBlobTable,
  StepClaimResult,
  TickEnd,
} from "../types.js";
import { CancelWatch } from "./cancel-watch.js";
import { PgDatasets } from "./datasets.js";
import { isConnectionLoss, isSerializationFailure, isStalePlan } from "./query.js";
import { PgSmallBlobs } from "./small-blobs.js";
import { PostgresUnit } from "./unit.js";
import type { PgUnitState } from "./unit-base.js";

/** How long a unit keeps trying while the server is away (a restart) before it fails, by default. */
const RECONNECT_WINDOW_MS = 60_000;
/** How many times a unit that lost a race is run again. */
const MAX_RACE_RETRIES = 50;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface PostgresStoreParts {
  pool: Pool;
  /** Makes a client outside the pool, for LISTEN. */
  listener: () => Client;
  workspace: string;
  workspaceId: number;
  /** How errors name the workspace (its root directory). */
  location: string;
  /** The store as messages name it: the masked URL and the config file. */
  where: string;
  /** `store.reconnectWindowMs`: default RECONNECT_WINDOW_MS. */
  reconnectWindowMs?: number;
  /** `store.preparedStatements`: send the hot statements by name. Default true. */
  preparedStatements?: boolean;
}

type Delegate<K extends keyof MetadataTransaction> = MetadataTransaction[K];

export class PostgresMetadataStore implements MetadataStore {
  readonly workspace: string;
  private readonly reads: PostgresUnit;
  private readonly datasets: PgDatasets;
  private readonly cancels: CancelWatch;
  private closed = false;
  private readonly reconnectWindowMs: number;
  private readonly prepared: boolean;
  /**
   * When the server was first found gone, until a call gets through again. The reconnect window
   * counts from then for every call, not per call: a driver whose store stays away fails within
   * one window, instead of waiting a window for each of the writes it still has to make.
   */
  private lostSince: number | undefined;

  constructor(private readonly parts: PostgresStoreParts) {
    this.workspace = parts.workspace;
    this.reconnectWindowMs = parts.reconnectWindowMs ?? RECONNECT_WINDOW_MS;
    this.prepared = parts.preparedStatements ?? true;
    this.datasets = new PgDatasets(parts.workspaceId, parts.location);
    this.cancels = new CancelWatch(parts.listener, parts.workspaceId, (runIds) =>
      this.reads.readRunControl(runIds),
    );
    // Reads outside a unit: one statement each on any pooled connection, committed data only.
    this.reads = new PostgresUnit(parts.pool, parts.workspace, parts.workspaceId, parts.location, {
      open: true,
      tracked: false,
      prepared: this.prepared,
    });
    const records: ServiceBackend = {
      workspaceId: parts.workspaceId,
      location: parts.location,
      lockRow: " FOR UPDATE",
      read: (sql, params, built) => this.read(() => this.reads.sql(sql, params, built)),
      unit: (work) =>
        this.transaction((tx) => work((sql, params, built) => (tx as PostgresUnit).sql(sql, params, built))),
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

  /**
   * Runs `work` in one transaction on one pooled client. Run again (with a pause that grows) when
   * it lost a race with another writer, or when the connection was lost before COMMIT was sent;
   * at once, with its statements unnamed, when the server refused a named statement's cached plan
   * (another process changed the schema), on a new connection.
   */
  async transaction<T>(work: (tx: MetadataTransaction) => Promise<T>): Promise<T> {
    let prepared = this.prepared;
    for (let round = 1; ; round++) {
      let client: PoolClient | undefined;
      let committing = false;
      const state: PgUnitState = { open: true, tracked: true, prepared };
      try {
        client = await this.parts.pool.connect();
        await client.query("BEGIN");
        const tx = new PostgresUnit(
          client,
          this.workspace,
          this.parts.workspaceId,
          this.parts.location,
          state,
        );
        const result = await work(tx);
        if (state.failure !== undefined) throw state.failure;
        committing = true;
        const done = await client.query("COMMIT");
        // COMMIT of a transaction a failed statement aborted answers ROLLBACK instead of failing.
        if ((done as { command?: string }).command === "ROLLBACK") {
          throw new StoreError(
            "CANAL_STORE_INVALID_RECORD",
            `a unit on ${this.parts.where} was rolled back by the server: one of its statements failed`,
          );
        }
        this.lostSince = undefined;
        return result;
      } catch (caught) {
        const error = state.failure ?? caught;
        state.open = false;
        const stale = isStalePlan(error);
        if (client) {
          const broken = isConnectionLoss(error);
          if (!broken) await client.query("ROLLBACK").catch(() => {});
          // A connection that holds a stale plan is closed: the pool opens a fresh one.
          client.release(broken || stale ? (error as Error) : undefined);
          client = undefined;
        }
        if (this.closed) throw error;
        if (stale && prepared) {
          prepared = false;
          continue;
        }
        // The server answered: it is not away.
        if (!isConnectionLoss(error)) this.lostSince = undefined;
        if (isSerializationFailure(error) && round < MAX_RACE_RETRIES) {
          await pause(Math.random() * Math.min(200, 5 * round));
          continue;
        }
        if (isConnectionLoss(error) && !committing && this.stillWaiting()) {
          await pause(Math.min(1000, 50 * round));
          continue;
        }
        throw this.named(error);
      } finally {
        state.open = false;
        client?.release();
      }
    }
  }

  /** A lost server becomes a message naming the store and the fix; the store's own errors pass. */
  private named(error: unknown): unknown {
    if (error instanceof StoreError || !isConnectionLoss(error)) return error;
    return new StoreError(
      "CANAL_STORE_OPEN_FAILED",
      `lost the connection to the metadata store ${this.parts.where} (${(error as Error).message}) and it did not ` +
        `come back within ${this.reconnectWindowMs / 1000} s (\`store.reconnectWindowMs\`); check that the PostgreSQL server is running and reachable`,
    );
  }

  /** After a lost connection: whether the server has been away for less than the reconnect window. */
  private stillWaiting(): boolean {
    this.lostSince ??= Date.now();
    return Date.now() - this.lostSince < this.reconnectWindowMs;
  }

  /** The small blobs of `namespace` (a team store's bucket and prefix), in this database. */
  smallBlobTable(namespace: string): SmallBlobTable {
    return new PgSmallBlobs(namespace, (sql, params) => this.read(() => this.parts.pool.query(sql, params)));
  }

  /**
   * One statement outside a unit, sent again while the server is away (within the reconnect
   * window) and when it lost a race, as a unit is (two machines putting the same small blobs at once).
   */
  private async read<T>(fn: () => Promise<T>): Promise<T> {
    for (let round = 1; ; round++) {
      try {
        const result = await fn();
        this.lostSince = undefined;
        return result;
      } catch (error) {
        if (!isConnectionLoss(error)) this.lostSince = undefined;
        if (!this.closed && isSerializationFailure(error) && round < MAX_RACE_RETRIES) {
          await pause(Math.random() * Math.min(200, 5 * round));
          continue;
        }
        if (this.closed || !isConnectionLoss(error) || !this.stillWaiting()) throw this.named(error);
        await pause(Math.min(1000, 50 * round));
      }
    }
  }

  // ---- writes: one unit each -----------------------------------------------------------------
  registerPipelineVersion: Delegate<"registerPipelineVersion"> = (v) =>
    this.transaction((tx) => tx.registerPipelineVersion(v));
  createRun: Delegate<"createRun"> = (run) => this.transaction((tx) => tx.createRun(run));
  updateRun: Delegate<"updateRun"> = (id, update) => this.transaction((tx) => tx.updateRun(id, update));
  createStepRun: Delegate<"createStepRun"> = (s) => this.transaction((tx) => tx.createStepRun(s));
  createStepRuns: Delegate<"createStepRuns"> = (s) => this.transaction((tx) => tx.createStepRuns(s));
  startAttempt: Delegate<"startAttempt"> = (id, n, at) =>
    this.transaction((tx) => tx.startAttempt(id, n, at));
  finishAttempt: Delegate<"finishAttempt"> = (id, end) => this.transaction((tx) => tx.finishAttempt(id, end));
  finishStepRun: Delegate<"finishStepRun"> = (id, end) => this.transaction((tx) => tx.finishStepRun(id, end));
  finishStepRuns: Delegate<"finishStepRuns"> = (ends) => this.transaction((tx) => tx.finishStepRuns(ends));
  appendLog: Delegate<"appendLog"> = (id, attempt, stream, text, at) =>
    this.transaction((tx) => tx.appendLog(id, attempt, stream, text, at));
  appendRunLog: Delegate<"appendRunLog"> = (id, stream, text, at) =>
    this.transaction((tx) => tx.appendRunLog(id, stream, text, at));
  logMetrics: Delegate<"logMetrics"> = (id, points) => this.transaction((tx) => tx.logMetrics(id, points));
  recordArtifacts: Delegate<"recordArtifacts"> = (a) => this.transaction((tx) => tx.recordArtifacts(a));
  putCacheEntry: Delegate<"putCacheEntry"> = (e) => this.transaction((tx) => tx.putCacheEntry(e));
  deleteCacheEntry: Delegate<"deleteCacheEntry"> = (k) => this.transaction((tx) => tx.deleteCacheEntry(k));
  // One statement each, committed on its own: no unit around it (a claim is made per executed step).
  releaseStep: Delegate<"releaseStep"> = (k, run) => this.read(() => this.reads.releaseStep(k, run));
  releaseSteps: Delegate<"releaseSteps"> = (keys, run) => this.read(() => this.reads.releaseSteps(keys, run));
  deleteRuns: Delegate<"deleteRuns"> = (ids) => this.transaction((tx) => tx.deleteRuns(ids));

  // ---- reads: committed data, one statement at a time ----------------------------------------
  getPipelineVersion: Delegate<"getPipelineVersion"> = (id) =>
    this.read(() => this.reads.getPipelineVersion(id));
  listPipelines: Delegate<"listPipelines"> = () => this.read(() => this.reads.listPipelines());
  listPipelineVersions: Delegate<"listPipelineVersions"> = (p) =>
    this.read(() => this.reads.listPipelineVersions(p));
  getRun: Delegate<"getRun"> = (id) => this.read(() => this.reads.getRun(id));
  listRuns: Delegate<"listRuns"> = (filter) => this.read(() => this.reads.listRuns(filter));
  listExperiments: Delegate<"listExperiments"> = () => this.read(() => this.reads.listExperiments());
  getStepRun: Delegate<"getStepRun"> = (run, step, i) => this.read(() => this.reads.getStepRun(run, step, i));
  listStepRuns: Delegate<"listStepRuns"> = (run) => this.read(() => this.reads.listStepRuns(run));
  listAttempts: Delegate<"listAttempts"> = (id) => this.read(() => this.reads.listAttempts(id));
  readLog: Delegate<"readLog"> = (id, attempt, from, limit) =>
    this.read(() => this.reads.readLog(id, attempt, from, limit));
  readRunLog: Delegate<"readRunLog"> = (id, from, limit) =>
    this.read(() => this.reads.readRunLog(id, from, limit));
  getMetrics: Delegate<"getMetrics"> = (filter) => this.read(() => this.reads.getMetrics(filter));
  lastMetrics: Delegate<"lastMetrics"> = (filter) => this.read(() => this.reads.lastMetrics(filter));
  getInputs: Delegate<"getInputs"> = (id) => this.read(() => this.reads.getInputs(id));
  getOutputs: Delegate<"getOutputs"> = (id) => this.read(() => this.reads.getOutputs(id));
  getArtifact: Delegate<"getArtifact"> = (d) => this.read(() => this.reads.getArtifact(d));
  lineage: Delegate<"lineage"> = (d) => this.read(() => this.reads.lineage(d));
  getCacheEntry: Delegate<"getCacheEntry"> = (k) => this.read(() => this.reads.getCacheEntry(k));
  getCachedOutputs: Delegate<"getCachedOutputs"> = (k) => this.read(() => this.reads.getCachedOutputs(k));
  getCachedOutputsMany: Delegate<"getCachedOutputsMany"> = (k) =>
    this.read(() => this.reads.getCachedOutputsMany(k));
  getCachedOutputsOfLastRun: Delegate<"getCachedOutputsOfLastRun"> = (r) =>
    this.read(() => this.reads.getCachedOutputsOfLastRun(r));
  listCacheEntries: Delegate<"listCacheEntries"> = (f) => this.read(() => this.reads.listCacheEntries(f));
  references: Delegate<"references"> = () => this.read(() => this.reads.references());
  workspacesWithCacheEntry: Delegate<"workspacesWithCacheEntry"> = (k, o) =>
    this.read(() => this.reads.workspacesWithCacheEntry(k, o));
  lastCacheEntryForStep: Delegate<"lastCacheEntryForStep"> = (p, s, o) =>
    this.read(() => this.reads.lastCacheEntryForStep(p, s, o));

  // ---- datasets -------------------------------------------------------------------------------
  registerDatasetVersion(version: NewDatasetVersion): Promise<RegisteredDatasetVersion> {
    return this.transaction((tx) => this.datasets.register(tx as PostgresUnit, version));
  }

  getDatasetVersion(name: string, version?: number): Promise<DatasetVersion> {
    return this.read(() => this.datasets.get(this.reads, name, version));
  }

  listDatasetVersions(name: string): Promise<DatasetVersion[]> {
    return this.read(() => this.datasets.versions(this.reads, name));
  }

  listDatasets(): Promise<DatasetSummary[]> {
    return this.read(() => this.datasets.list(this.reads));
  }

  recordDatasetUse(use: NewDatasetUse): Promise<void> {
    return this.transaction((tx) => this.datasets.recordUse(tx as PostgresUnit, use));
  }

  listDatasetUses(filter: { versionId: number } | { runId: string }): Promise<DatasetUse[]> {
    return this.read(() => this.datasets.uses(this.reads, filter));
  }

  getDatasetFiles(versionId: number, page: DatasetFilesPage = {}): Promise<DatasetFile[]> {
    return this.read(() => this.datasets.files(this.reads, versionId, page));
  }

  // ---- run control ---------------------------------------------------------------------------
  async recordHeartbeat(runId: string, beat: NewHeartbeat): Promise<void> {
    await this.transaction((tx) => (tx as PostgresUnit).saveHeartbeat(runId, beat));
  }

  requestCancel(runId: string, request: NewCancelRequest = {}): Promise<CancelRequest> {
    return this.transaction((tx) => (tx as PostgresUnit).saveCancelRequest(runId, request));
  }

  /**
   * Outside a unit: the claim's one statement commits by itself. Not made again after a lost
   * connection (the claim may have been taken before the answer was lost): the caller sees the
   * failure and runs the step itself, as without single-flight.
   */
  claimStep(key: string, claim: NewStepClaim): Promise<StepClaimResult> {
    return this.reads.claimStep(key, claim);
  }

  /**
   * Outside a unit, as claimStep, and like it not made again after a lost connection; made again
   * when it lost a race (nothing of it was committed).
   */
  async lookupOrClaimStep(key: string, claim: NewStepClaim): Promise<CachedOrClaim> {
    for (let round = 1; ; round++) {
      try {
        return await this.reads.lookupOrClaimStep(key, claim);
      } catch (error) {
        if (this.closed || !isSerializationFailure(error) || round >= MAX_RACE_RETRIES)
          throw this.named(error);
        await pause(Math.random() * Math.min(200, 5 * round));
      }
    }
  }

  keepRunKey(runId: string, runtime: string, key: string): Promise<string> {
    return this.transaction((tx) => (tx as PostgresUnit).keepRunKey(runId, runtime, key));
  }

  readRunKey(runId: string, runtime: string): Promise<string | undefined> {
    return this.read(() => this.reads.runKeyOf(runId, runtime));
  }

  dropRunKey(runId: string, runtime: string): Promise<void> {
    return this.transaction((tx) => (tx as PostgresUnit).dropRunKey(runId, runtime));
  }

  readRunControl(runIds: string[]): Promise<RunControl[]> {
    return this.read(() => this.reads.readRunControl(runIds));
  }

  /**
   * LISTEN on one connection of this handle's own for every run it watches (CancelWatch): a
   * request recorded before LISTEN took effect, or while the connection was away, is read instead.
   */
  watchCancelRequests(runId: string, listener: (request: CancelRequest) => void): () => void {
    return this.cancels.watch(runId, listener);
  }

  private closing: Promise<void> | undefined;

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      await this.cancels.close();
      await this.parts.pool.end();
    })();
    return this.closing;
  }
}
