import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ranStep } from "./fixtures/cached-step.js";
import { newRunId } from "./ids.js";
import { SqliteMetadataStore } from "./sqlite.js";
import { MIGRATIONS, migrate, SCHEMA_VERSION } from "./sqlite-migrations.js";

let dir: string;
let store: SqliteMetadataStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "canal-store-"));
  store = SqliteMetadataStore.open(join(dir, "canal.db"), { workspace: "team", location: dir });
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function newRun(pipeline = "iris", createdAt?: number) {
  const version = await store.registerPipelineVersion({ pipeline, hash: `${pipeline}-hash`, ir: "{}" });
  return store.createRun({
    pipelineVersionId: version.id,
    runtime: "local",
    ...(createdAt ? { createdAt } : {}),
  });
}

// What every metadata store does is in test/conformance/metadata-store.ts; here, what is SQLite's own.
describe("SqliteMetadataStore", () => {
  it("generates sortable run ids", () => {
    const early = newRunId(Date.UTC(2026, 10, 25, 14, 15, 23));
    expect(early).toMatch(/^run-20261125-141523-[0-9a-f]{8}$/);
    expect(newRunId(Date.UTC(2026, 10, 25, 14, 15, 24)) > early).toBe(true);
  });
});

describe("schema migrations", () => {
  it("applies each migration once: opening an existing database again changes nothing", async () => {
    const run = await newRun();
    await store.close();
    const db = new Database(join(dir, "canal.db"));
    expect(migrate(db, dir)).toEqual([]);
    const versions = db.prepare("SELECT version FROM schema_version").all();
    expect(versions).toEqual(MIGRATIONS.map((m) => ({ version: m.version })));
    db.close();
    store = SqliteMetadataStore.open(join(dir, "canal.db"), { workspace: "team" });
    expect((await store.getRun(run.id)).id).toBe(run.id);

    const fresh = new Database(":memory:");
    expect(migrate(fresh, "memory")).toEqual(MIGRATIONS.map((m) => m.version));
    fresh.close();
  });

  it("applies every migration the database has not recorded, not only those above its newest", async () => {
    // Migrations are numbered as they are written, and merged in any order: a database that went
    // to 17 before 16 was merged still needs 16. Here 14 plays that part.
    await store.close();
    const db = new Database(join(dir, "canal.db"));
    const index = () =>
      db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'runs_ended_by_version'").get();
    expect(index()).toEqual({ n: 1 });
    db.exec("DROP INDEX runs_ended_by_version; DELETE FROM schema_version WHERE version = 14");
    expect(migrate(db, dir)).toEqual([14]);
    expect(index()).toEqual({ n: 1 });
    expect(migrate(db, dir)).toEqual([]);
    db.close();
    store = SqliteMetadataStore.open(join(dir, "canal.db"), { workspace: "team" });
  });

  it("brings a database of schema 1 to experiments: its runs belong to their pipeline's experiment", async () => {
    await store.close();
    const path = join(dir, "old.db");
    const old = new Database(path);
    old.exec("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)");
    old.exec((MIGRATIONS[0] as { sql: string }).sql);
    old.prepare("INSERT INTO schema_version (version, applied_at) VALUES (1, 0)").run();
    old.exec(`INSERT INTO workspaces (id, name, created_at) VALUES (1, 'team', 0);
      INSERT INTO pipelines (id, workspace_id, name, created_at) VALUES (1, 1, 'iris', 0);
      INSERT INTO pipeline_versions (id, pipeline_id, version, hash, ir, created_at) VALUES (1, 1, 1, 'h', '{}', 0);
      INSERT INTO runs (id, pipeline_version_id, status, parameters, runtime, created_at)
        VALUES ('run-old', 1, 'succeeded', '{}', 'local', 5);`);
    old.close();
    store = SqliteMetadataStore.open(path, { workspace: "team" });
    expect(await store.getRun("run-old")).toMatchObject({ experiment: "iris", pipeline: "iris" });
    const tuned = await store.createRun({ pipelineVersionId: 1, runtime: "local", experiment: "tuning" });
    expect(tuned.experiment).toBe("tuning");
    expect((await store.listRuns({ experiment: "iris" })).map((r) => r.id)).toEqual(["run-old"]);
    expect((await store.listRuns({ experiment: "tuning" })).map((r) => r.id)).toEqual([tuned.id]);
    expect(await store.listExperiments()).toEqual([
      { name: "tuning", runs: 1, lastRunAt: tuned.createdAt },
      { name: "iris", runs: 1, lastRunAt: 5 },
    ]);
  });

  it("keeps the output of a run's driving process, in order, and forgets it with the run", async () => {
    const run = await newRun();
    expect(await store.appendRunLog(run.id, "stdout", "run started\n", 10)).toBe(0);
    expect(await store.appendRunLog(run.id, "stderr", "warning\n", 11)).toBe(1);
    expect((await store.readRunLog(run.id)).chunks).toEqual([
      { seq: 0, stream: "stdout", text: "run started\n", at: 10 },
      { seq: 1, stream: "stderr", text: "warning\n", at: 11 },
    ]);
    expect(await store.readRunLog(run.id, 1, 1)).toMatchObject({ next: 2, chunks: [{ seq: 1 }] });
    await expect(store.appendRunLog("run-none", "stdout", "x")).rejects.toMatchObject({
      code: "CANAL_STORE_RUN_NOT_FOUND",
    });
    await store.updateRun(run.id, { status: "succeeded", endedAt: 12 });
    expect(await store.deleteRuns([run.id])).toEqual([run.id]);
    const db = new Database(join(dir, "canal.db"));
    expect(db.prepare("SELECT count(*) AS n FROM run_logs").get()).toEqual({ n: 0 });
    db.close();
  });

  it("refuses a database written by a newer Canal", async () => {
    await store.close();
    const db = new Database(join(dir, "canal.db"));
    db.prepare("INSERT INTO schema_version (version, applied_at) VALUES (?, 0)").run(SCHEMA_VERSION + 1);
    db.close();
    expect(() =>
      SqliteMetadataStore.open(join(dir, "canal.db"), { workspace: "team", location: dir }),
    ).toThrow(
      expect.objectContaining({
        code: "CANAL_STORE_SCHEMA_TOO_NEW",
        message: expect.stringContaining("upgrade Canal"),
      }),
    );
    store = SqliteMetadataStore.open(":memory:", { workspace: "team" });
  });

  it("reports a file that is not a database with the way out", async () => {
    const path = join(dir, "not.db");
    const { writeFileSync } = await import("node:fs");
    writeFileSync(path, "this is not sqlite ".repeat(100));
    expect(() => SqliteMetadataStore.open(path, { workspace: "w", location: dir })).toThrow(
      expect.objectContaining({
        code: "CANAL_STORE_DAMAGED",
        message: expect.stringMatching(
          /not a SQLite database or is damaged.*restore it from a backup.*store\.path/,
        ),
      }),
    );
  });

  it("waits for a lock held by another connection, then names the timeout and its setting", () => {
    const path = join(dir, "held.db");
    SqliteMetadataStore.open(path, { workspace: "w" }).close();
    const holder = new Database(path);
    holder.prepare("BEGIN IMMEDIATE").run();
    const started = Date.now();
    expect(() =>
      SqliteMetadataStore.open(path, { workspace: "w", location: dir, busyTimeoutMs: 300 }),
    ).toThrow(
      expect.objectContaining({
        code: "CANAL_STORE_LOCKED",
        message: expect.stringMatching(/stayed locked by another process for 0\.3 s.*`store\.busyTimeoutMs`/),
      }),
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    holder.prepare("COMMIT").run();
    // Once the lock is released, the same open goes through.
    SqliteMetadataStore.open(path, { workspace: "w", busyTimeoutMs: 300 }).close();
    holder.close();
  });

  it("leaves the database in WAL mode, so readers go on while another process writes", () => {
    const db = new Database(join(dir, "canal.db"));
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    db.close();
  });
});

describe("reading ahead the entries of the last run", () => {
  it("finds the pipeline's newest ended run from its versions' ended runs, not by walking or sorting runs", async () => {
    for (const [pipeline, at] of [
      ["iris", 1000],
      ["other", 2000],
      ["iris", 3000],
    ] as const) {
      const run = await newRun(pipeline, at);
      await store.updateRun(run.id, { status: "succeeded", endedAt: at + 1 });
    }
    const now = await newRun("iris", 4000);
    const { prepared, restore } = spyStatements(store);
    await store.getCachedOutputsOfLastRun(now.id);
    restore();
    expect(prepared).toHaveLength(1);
    const db = new Database(join(dir, "canal.db"), { readonly: true });
    const workspace = (db.prepare("SELECT id FROM workspaces WHERE name = 'team'").get() as { id: number })
      .id;
    const plan = (
      db.prepare(`EXPLAIN QUERY PLAN ${prepared[0]}`).all({ workspace, runId: now.id }) as {
        detail: string;
      }[]
    ).map((row) => row.detail);
    db.close();
    const ofRuns = plan.filter((line) => / r USING| r\b/.test(line) && /^(SEARCH|SCAN)/.test(line));
    expect(ofRuns.some((line) => line.includes("runs_ended_by_version"))).toBe(true);
    expect(ofRuns.filter((line) => /^SCAN|runs_by_created|runs_by_version/.test(line))).toEqual([]);
    expect(plan.filter((line) => line.includes("LAST TERM"))).toEqual([]);
  });
});

describe("the step runs of a step", () => {
  it("keeps step runs the cache answered out of the index a step's cache entries are found by", async () => {
    const first = await newRun();
    const made = await store.createStepRun({ runId: first.id, stepId: "train" });
    await store.finishStepRun(made.id, {
      status: "succeeded",
      cacheKey: "k",
      components: { stepHash: "s", codeHash: "c", codeFiles: [], environment: "e", inputs: {} },
      reusable: true,
      outputs: { model: { json: "1" } },
    });
    const second = await newRun();
    await store.createStepRuns([{ runId: second.id, stepId: "train", status: "cached", cacheKey: "k" }]);
    expect((await store.lastCacheEntryForStep("iris", "train"))?.producedBy.stepRunId).toBe(made.id);
    const db = new Database(join(dir, "canal.db"), { readonly: true });
    // Partial: a no-op's cached step runs add nothing to it (its keys are at random with respect
    // to time, so each entry would dirty a page of its own in a long-used workspace).
    const indexes = db.pragma("index_list(step_runs)") as Array<{ name: string; partial: number }>;
    expect(indexes.find((i) => i.name === "step_runs_by_step")?.partial).toBe(1);
    db.close();
  });
});

describe("the lineage of a digest", () => {
  it("finds its uses in every block of step runs, looked up by the digest's prefix in each", async () => {
    const run = await newRun();
    // Three blocks of 1,024 step runs: the uses of one digest in the first, second and third.
    const ids = (await store.createStepRuns(
      Array.from({ length: 2100 }, (_, i) => ({ runId: run.id, stepId: `s${i}` })),
    )) as number[];
    const digest = "ab".repeat(32);
    const other = `${"ab".repeat(4)}${"cd".repeat(28)}`; // the same prefix, another digest
    const value = (d: string) => ({ out: { digest: d, directory: false } });
    await store.finishStepRuns([
      { stepRunId: ids[3] as number, status: "succeeded", outputs: value(digest), endedAt: 10 },
      { stepRunId: ids[4] as number, status: "succeeded", outputs: value(other), endedAt: 11 },
      { stepRunId: ids[1500] as number, status: "succeeded", inputs: value(digest), endedAt: 20 },
      { stepRunId: ids[2099] as number, status: "succeeded", inputs: value(digest), endedAt: 30 },
    ]);
    expect(Math.max(...ids) >> 10).toBe(2);
    const { prepared, restore } = spyStatements(store);
    const lineage = await store.lineage(digest);
    restore();
    expect(lineage.producedBy.map((e) => e.stepRunId)).toEqual([ids[3]]);
    expect(lineage.consumedBy.map((e) => e.stepRunId)).toEqual([ids[1500], ids[2099]]);
    // A no-op's edges go to the newest block of the index, not next to every earlier run's edge
    // for the same digest; the lookup is by block and prefix, never a scan of the uses.
    const sql = prepared.find((text) => text.includes("FROM artifact_uses"));
    const db = new Database(join(dir, "canal.db"), { readonly: true });
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(digest, digest, 1) as { detail: string }[]).map(
      (row) => row.detail,
    );
    db.close();
    const ofUses = plan.filter((line) => /^(SEARCH|SCAN) u\b/.test(line));
    expect(ofUses).toEqual(["SEARCH u USING INDEX artifact_uses_by_digest (<expr>=? AND <expr>=?)"]);
  });
});

describe("the cache entries of a key across workspaces", () => {
  /** The plan of each statement `use` prepares on `on`, as EXPLAIN QUERY PLAN details. */
  async function plans(on: SqliteMetadataStore, use: () => Promise<unknown>, params: object) {
    const prepared: string[] = [];
    const spied = on as unknown as { stmt(sql: string): Database.Statement };
    const stmt = spied.stmt.bind(on);
    spied.stmt = (sql) => {
      prepared.push(sql);
      return stmt(sql);
    };
    await use();
    spied.stmt = stmt;
    const ofEntries = prepared.filter((sql) => sql.includes("FROM cache_entries"));
    const db = new Database(join(dir, "canal.db"), { readonly: true });
    const details = ofEntries.map((sql) =>
      (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params) as { detail: string }[]).map((row) => row.detail),
    );
    db.close();
    return details;
  }

  async function entry(on: SqliteMetadataStore, key: string) {
    return (await ranStep(on, key)).id;
  }

  it("finds the workspaces that hold a key by the key, not by reading every entry", async () => {
    const ci = SqliteMetadataStore.open(join(dir, "canal.db"), { workspace: "ci", location: dir });
    const key = "a".repeat(64);
    await entry(ci, key);
    await entry(ci, "b".repeat(64));
    await entry(store, key);
    await ci.close();
    expect(await store.workspacesWithCacheEntry(key)).toEqual(["ci"]);
    expect(await store.workspacesWithCacheEntry(key, { before: 1 })).toEqual([]);
    const [plan] = await plans(store, () => store.workspacesWithCacheEntry(key), {
      workspace: 1,
      key,
      before: null,
    });
    const ofEntries = (plan ?? []).filter((line) => / ce\b/.test(line));
    expect(ofEntries).toEqual([expect.stringMatching(/^SEARCH ce USING INDEX \S+ \(key=\?\)$/)]);
  });

  it("lists a workspace's entries by step, run or key prefix without reading every entry", async () => {
    await entry(store, `ab12${"0".repeat(60)}`);
    const run = await entry(store, `ab13${"0".repeat(60)}`);
    const cases = [
      [
        { keyPrefix: "ab1200" },
        { prefix: "ab1200", prefixEnd: "ab1201" },
        [`ab12${"0".repeat(60)}`],
        /\(key>\? AND key<\?\)$/,
      ],
      [
        { stepId: "train", instance: -1 },
        { stepId: "train", instance: -1 },
        [`ab13${"0".repeat(60)}`, `ab12${"0".repeat(60)}`],
        /cache_entries_by_step_run \(step_run_id=\?\)$/,
      ],
      [{ runId: run }, { runId: run }, [`ab13${"0".repeat(60)}`], /\(key=\? AND workspace_id=\?\)$/],
    ] as const;
    for (const [filter, params, keys, by] of cases) {
      const listed: string[] = [];
      const [plan] = await plans(
        store,
        async () => listed.push(...(await store.listCacheEntries(filter)).map((e) => e.key)),
        { workspace: 1, ...params },
      );
      expect(listed.sort()).toEqual([...keys].sort());
      const ofEntries = (plan ?? []).filter((line) => / ce\b/.test(line));
      expect(ofEntries, JSON.stringify(filter)).toHaveLength(1);
      expect(ofEntries[0], JSON.stringify(filter)).toMatch(/^SEARCH ce /);
      expect(ofEntries[0], JSON.stringify(filter)).toMatch(by);
    }
  });

  it("keeps every entry, its workspace and its order when a store of schema 15 is migrated", async () => {
    await store.close();
    const path = join(dir, "old.db");
    const old = new Database(path);
    old.exec("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)");
    for (const migration of MIGRATIONS.filter((m) => m.version <= 15)) {
      old.exec(migration.sql);
      old.prepare("INSERT INTO schema_version (version, applied_at) VALUES (?, 0)").run(migration.version);
    }
    old.close();
    const db = new Database(path);
    db.exec(`INSERT INTO workspaces (id, name, created_at) VALUES (1, 'team', 0), (2, 'ci', 0);
      INSERT INTO pipelines (id, workspace_id, name, created_at) VALUES (1, 1, 'iris', 0);
      INSERT INTO pipeline_versions (id, pipeline_id, version, hash, ir, created_at) VALUES (1, 1, 1, 'h', '{}', 0);
      INSERT INTO runs (id, pipeline_version_id, status, parameters, runtime, created_at)
        VALUES ('run-old', 1, 'succeeded', '{}', 'local', 5);
      INSERT INTO step_runs (id, run_id, step_id, instance, status, created_at)
        VALUES (1, 'run-old', 'train', -1, 'succeeded', 5), (2, 'run-old', 'train', 0, 'succeeded', 5);
      INSERT INTO cache_entries (workspace_id, key, outputs, components, step_run_id, created_at) VALUES
        (1, '${"b".repeat(64)}', '{}', '{}', 1, 5), (2, '${"b".repeat(64)}', '{}', '{}', 1, 5),
        (1, '${"a".repeat(64)}', '{}', '{}', 2, 5);`);
    const before = db.prepare("SELECT rowid, workspace_id, key FROM cache_entries ORDER BY rowid").all();
    db.close();
    store = SqliteMetadataStore.open(path, { workspace: "team" });
    const after = new Database(path, { readonly: true });
    expect(after.prepare("SELECT rowid, workspace_id, key FROM cache_entries ORDER BY rowid").all()).toEqual(
      before,
    );
    expect(after.prepare("SELECT max(version) AS v FROM schema_version").get()).toEqual({
      v: SCHEMA_VERSION,
    });
    // The primary key the entries are found by now starts with the cache key.
    const primary = after.pragma("index_info(sqlite_autoindex_cache_entries_1)") as { name: string }[];
    expect(primary.map((column) => column.name)).toEqual(["key", "workspace_id"]);
    after.close();
    expect(await store.workspacesWithCacheEntry("b".repeat(64))).toEqual(["ci"]);
    expect((await store.getCacheEntry("a".repeat(64)))?.producedBy.stepRunId).toBe(2);
  });
});

describe("a cached step run's maker, read with its entry", () => {
  /** The SQL of every statement `use` runs through the store's prepared statements. */
  async function statements(on: SqliteMetadataStore, use: () => Promise<unknown>): Promise<string[]> {
    const used: string[] = [];
    const spied = on as unknown as { stmt(sql: string): Database.Statement };
    const stmt = spied.stmt.bind(on);
    spied.stmt = (sql) => {
      used.push(sql);
      return stmt(sql);
    };
    try {
      await use();
    } finally {
      spied.stmt = stmt;
    }
    return used;
  }

  const makerOf = async (runId: string) => (await store.getStepRun(runId, "train")).reusedFrom;

  it("records the maker the probe's read found, without reading the entries again", async () => {
    const maker = await ranStep(store, "k");
    const makerStep = await store.getStepRun(maker.id, "train");
    const run = await newRun();
    await store.getCachedOutputsMany(["k"]);
    const used = await statements(store, () =>
      store.createStepRuns([{ runId: run.id, stepId: "train", status: "cached", cacheKey: "k" }]),
    );
    expect(used.filter((sql) => sql.includes("FROM cache_entries"))).toEqual([]);
    expect(await makerOf(run.id)).toEqual({ runId: maker.id, stepRunId: makerStep.id });
  });

  it("reads the maker again when another connection replaced the entry after the read", async () => {
    await ranStep(store, "k");
    await store.getCachedOutputsMany(["k"]);
    const other = SqliteMetadataStore.open(join(dir, "canal.db"), { workspace: "team", location: dir });
    const replaced = await ranStep(other, "k", { replaceCacheEntry: true });
    const replacedStep = await other.getStepRun(replaced.id, "train");
    await other.close();
    const run = await newRun();
    await store.createStepRuns([{ runId: run.id, stepId: "train", status: "cached", cacheKey: "k" }]);
    expect(await makerOf(run.id)).toEqual({ runId: replaced.id, stepRunId: replacedStep.id });
  });

  it("reads the maker again when this connection replaced or deleted the entry after the read", async () => {
    await ranStep(store, "k");
    await store.getCachedOutputsMany(["k"]);
    const replaced = await ranStep(store, "k", { replaceCacheEntry: true });
    const replacedStep = await store.getStepRun(replaced.id, "train");
    const run = await newRun();
    await store.createStepRuns([{ runId: run.id, stepId: "train", status: "cached", cacheKey: "k" }]);
    expect(await makerOf(run.id)).toEqual({ runId: replaced.id, stepRunId: replacedStep.id });

    await store.getCachedOutputsMany(["k"]);
    await store.deleteCacheEntry("k");
    const after = await newRun("other");
    await store.createStepRuns([{ runId: after.id, stepId: "train", status: "cached", cacheKey: "k" }]);
    expect(await makerOf(after.id)).toBeUndefined();
  });
});

/** The SQL texts `store` prepares from now on, until `restore()`. */
function spyStatements(store: SqliteMetadataStore): { prepared: string[]; restore(): void } {
  const prepared: string[] = [];
  const spied = store as unknown as { stmt(sql: string): Database.Statement };
  const stmt = spied.stmt.bind(store);
  spied.stmt = (sql) => {
    prepared.push(sql);
    return stmt(sql);
  };
  return {
    prepared,
    restore: () => {
      spied.stmt = stmt;
    },
  };
}
