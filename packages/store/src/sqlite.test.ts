import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { newRunId } from "./ids.js";
import { MIGRATIONS, migrate, SCHEMA_VERSION } from "./schema.js";
import { SqliteMetadataStore } from "./sqlite.js";

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
    const prepared: string[] = [];
    const spied = store as unknown as { stmt(sql: string): Database.Statement };
    const stmt = spied.stmt.bind(store);
    spied.stmt = (sql) => {
      prepared.push(sql);
      return stmt(sql);
    };
    await store.getCachedOutputsOfLastRun(now.id);
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
