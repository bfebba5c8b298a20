// What the PostgreSQL metadata store does beyond the conformance suite: where its password comes
// from (and that it never shows), the errors for a server that is not there, a database that is
// not there and a schema newer than this Canal, many writers at once, a unit that loses a
// deadlock run again, and cancel requests heard by LISTEN, across a server restart.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type MetadataStore, openWorkspace } from "@canal/store";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ranStep, stepComponents } from "../../packages/store/src/fixtures/cached-step.js";
import { isStalePlan, send } from "../../packages/store/src/postgres/query.js";
import { type PostgresServer, startPostgres } from "./server.js";

const PASSWORD = "pg-s3cret-Word";
const VARIABLE = "CANAL_TEST_PG_PASSWORD";
let server: PostgresServer;
let dir: string;
let folders = 0;
const opened: MetadataStore[] = [];

beforeAll(async () => {
  server = await startPostgres({ password: PASSWORD });
  server.psql("CREATE DATABASE canal");
  dir = mkdtempSync(join(tmpdir(), "canal-pg-test-"));
  process.env[VARIABLE] = PASSWORD;
  delete process.env.PGPASSWORD;
});
afterEach(async () => {
  for (const store of opened.splice(0)) await store.close();
});
afterAll(async () => {
  delete process.env[VARIABLE];
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A workspace folder with this `store` config; returns its root and config file. */
function workspaceWith(store: Record<string, unknown>, workspace = "team") {
  const root = join(dir, `ws-${++folders}`);
  mkdirSync(root, { recursive: true });
  const configFile = join(root, "canal.config.json");
  writeFileSync(configFile, JSON.stringify({ workspace, store }));
  return { root, configFile };
}

async function open(store: Record<string, unknown> = {}, workspace = "team"): Promise<MetadataStore> {
  const { root } = workspaceWith(
    { kind: "postgres", url: server.url("canal"), passwordEnv: VARIABLE, ...store },
    workspace,
  );
  const metadata = (await openWorkspace(root)).metadata;
  opened.push(metadata);
  return metadata;
}

async function openFails(store: Record<string, unknown>): Promise<{ code: string; message: string }> {
  const { root } = workspaceWith(store);
  try {
    const workspace = await openWorkspace(root);
    await workspace.close();
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error("opening the workspace should have failed");
}

async function newRun(store: MetadataStore, pipeline = "iris") {
  const version = await store.registerPipelineVersion({ pipeline, hash: `${pipeline}-hash`, ir: "{}" });
  return store.createRun({ pipelineVersionId: version.id, runtime: "local" });
}

describe("PostgreSQL metadata store: credentials", () => {
  it("takes the password from the variable `passwordEnv` names, or from PGPASSWORD", async () => {
    const store = await open();
    const run = await newRun(store);
    expect((await store.getRun(run.id)).pipeline).toBe("iris");
    process.env.PGPASSWORD = PASSWORD;
    try {
      const { root } = workspaceWith({ kind: "postgres", url: server.url("canal") });
      const viaLibpq = (await openWorkspace(root)).metadata;
      opened.push(viaLibpq);
      expect((await viaLibpq.getRun(run.id)).id).toBe(run.id);
    } finally {
      delete process.env.PGPASSWORD;
    }
  });

  it("refuses a password written in the URL, without repeating it", async () => {
    const error = await openFails({
      kind: "postgres",
      url: `postgres://postgres:${PASSWORD}@127.0.0.1:${server.port}/canal`,
    });
    expect(error.code).toBe("CANAL_STORE_CONFIG_INVALID");
    expect(error.message).toContain("`store.url`");
    expect(error.message).toContain("store.passwordEnv");
    expect(error.message).not.toContain(PASSWORD);
  });

  it("refuses a password written as the URL's `password` parameter (libpq's other spelling), without repeating it", async () => {
    for (const query of [`?password=${PASSWORD}`, `?sslmode=disable&PassWord=${PASSWORD}`]) {
      const error = await openFails({ kind: "postgres", url: `${server.url("canal")}${query}` });
      expect(error.code).toBe("CANAL_STORE_CONFIG_INVALID");
      expect(error.message).toContain("`store.url`");
      expect(error.message).not.toContain(PASSWORD);
    }
  });

  it("refuses a URL that cannot be read, naming the setting and the form, without repeating it", async () => {
    for (const url of [
      `postgres://postgres:pass/word@127.0.0.1:${server.port}/canal`,
      "postgres://127.0.0.1:port/canal",
    ]) {
      const error = await openFails({ kind: "postgres", url });
      expect(error.code).toBe("CANAL_STORE_CONFIG_INVALID");
      expect(error.message).toContain("`store.url`");
      expect(error.message).toContain("cannot be read as a URL");
      expect(error.message).not.toContain("pass/word");
    }
  });

  it("says which setting holds a wrong password, without the password", async () => {
    process.env.CANAL_TEST_PG_WRONG = "not-the-Password";
    try {
      const error = await openFails({
        kind: "postgres",
        url: server.url("canal"),
        passwordEnv: "CANAL_TEST_PG_WRONG",
      });
      expect(error.code).toBe("CANAL_STORE_OPEN_FAILED");
      expect(error.message).toContain("refused the login");
      expect(error.message).toContain("CANAL_TEST_PG_WRONG (`store.passwordEnv`)");
      expect(error.message).toContain(server.url("canal"));
      expect(error.message).not.toContain("not-the-Password");
      expect(error.message).not.toContain(PASSWORD);
    } finally {
      delete process.env.CANAL_TEST_PG_WRONG;
    }
  });

  it("says when the variable `passwordEnv` names is not set", async () => {
    const error = await openFails({
      kind: "postgres",
      url: server.url("canal"),
      passwordEnv: "CANAL_TEST_PG_UNSET",
    });
    expect(error.code).toBe("CANAL_STORE_CONFIG_INVALID");
    expect(error.message).toContain("CANAL_TEST_PG_UNSET");
    expect(error.message).toContain("is not set");
  });
});

describe("PostgreSQL metadata store: what cannot be opened", () => {
  it("names the URL and the fix when no server answers", async () => {
    const { createServer } = await import("node:net");
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, "127.0.0.1", () => {
        const address = probe.address();
        probe.close(() => resolve(typeof address === "object" && address ? address.port : 1));
      });
    });
    const url = `postgres://postgres@127.0.0.1:${port}/canal`;
    const { root, configFile } = workspaceWith({ kind: "postgres", url, passwordEnv: VARIABLE });
    const error = await openWorkspace(root).then(
      () => undefined,
      (e: { code: string; message: string }) => e,
    );
    expect(error?.code).toBe("CANAL_STORE_OPEN_FAILED");
    expect(error?.message).toContain(`${url} (\`store.url\` in ${configFile})`);
    expect(error?.message).toContain("no PostgreSQL server answered");
    expect(error?.message).toContain("fix the host and port in `store.url`");
  });

  it("names a database that is not there and how to create it", async () => {
    const error = await openFails({ kind: "postgres", url: server.url("nowhere"), passwordEnv: VARIABLE });
    expect(error.code).toBe("CANAL_STORE_OPEN_FAILED");
    expect(error.message).toContain('no database "nowhere"');
    expect(error.message).toContain("createdb nowhere");
  });

  it("refuses a schema newer than this Canal, and says to upgrade", async () => {
    server.psql("CREATE DATABASE future");
    const url = server.url("future");
    const first = (await openWorkspace(workspaceWith({ kind: "postgres", url, passwordEnv: VARIABLE }).root))
      .metadata;
    await first.close();
    server.psql("INSERT INTO schema_version (version, applied_at) VALUES (999, 0)", "future");
    const error = await openFails({ kind: "postgres", url, passwordEnv: VARIABLE });
    expect(error.code).toBe("CANAL_STORE_SCHEMA_TOO_NEW");
    expect(error.message).toContain("schema version 999");
    expect(error.message).toContain("upgrade Canal");
    expect(error.message).toContain(url);
  });
});

describe("PostgreSQL metadata store: migration 12", () => {
  it("reorders the cache entries' primary key to start with the key, keeping every entry", async () => {
    server.psql("CREATE DATABASE eleven");
    const config = { kind: "postgres", url: server.url("eleven"), passwordEnv: VARIABLE };
    const openAs = async (workspace: string) => {
      const metadata = (await openWorkspace(workspaceWith(config, workspace).root)).metadata;
      opened.push(metadata);
      return metadata;
    };
    const team = await openAs("team");
    const ci = await openAs("ci");
    for (const [on, key] of [
      [team, "a".repeat(64)],
      [ci, "a".repeat(64)],
      [ci, "b".repeat(64)],
    ] as const)
      await ranStep(on, key);
    for (const store of opened.splice(0)) await store.close();
    const primaryKey = () =>
      server
        .psql(
          `SELECT string_agg(a.attname, ',' ORDER BY k.n) FROM pg_index i
             CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
           WHERE i.indrelid = 'cache_entries'::regclass AND i.indisprimary`,
          "eleven",
        )
        .toString()
        .trim();
    const entries = () =>
      server.psql("SELECT workspace_id, key, seq FROM cache_entries ORDER BY seq", "eleven").toString();
    expect(primaryKey()).toBe("key,workspace_id");
    // The database as schema 11 had it: the primary key by workspace first (and no migration after).
    server.psql(
      `ALTER TABLE cache_entries DROP CONSTRAINT cache_entries_pkey, ADD PRIMARY KEY (workspace_id, key);
       DROP INDEX dataset_files_by_path;
       DROP INDEX cache_entries_by_time;
       DROP TABLE run_keys;
       DROP TABLE small_blobs;
       DELETE FROM schema_version WHERE version >= 12;`,
      "eleven",
    );
    expect(primaryKey()).toBe("workspace_id,key");
    const before = entries();
    const reopened = await openAs("team");
    expect(primaryKey()).toBe("key,workspace_id");
    expect(entries()).toBe(before);
    expect(await reopened.workspacesWithCacheEntry("a".repeat(64))).toEqual(["ci"]);
    expect((await reopened.getCacheEntry("a".repeat(64)))?.producedBy.stepId).toBe("train");
  });
});

describe("PostgreSQL metadata store: a migration below the newest applied", () => {
  it("applies every migration the database has not recorded, not only those above its newest", async () => {
    // Migrations are numbered as they are written, and merged in any order: a database that went
    // to 15 before 14 was merged still needs 14. Here 13 plays that part.
    server.psql("CREATE DATABASE gap");
    const config = { kind: "postgres", url: server.url("gap"), passwordEnv: VARIABLE };
    const openGap = async () => {
      const metadata = (await openWorkspace(workspaceWith(config).root)).metadata;
      opened.push(metadata);
      return metadata;
    };
    await (await openGap()).close();
    const state = () =>
      server
        .psql(
          `SELECT (SELECT count(*) FROM pg_indexes WHERE indexname = 'dataset_files_by_path') || ' ' ||
             (SELECT string_agg(version::text, ',' ORDER BY version) FROM schema_version WHERE version >= 12)`,
          "gap",
        )
        .toString()
        .trim();
    // Every migration from 12 on, whatever later ones there are: 13 is taken out below them.
    const whole = state();
    expect(whole).toMatch(/^1 12,13,14,15/);
    server.psql("DROP INDEX dataset_files_by_path; DELETE FROM schema_version WHERE version = 13;", "gap");
    expect(state()).toBe(`0 ${whole.slice(2).replace("13,", "")}`);
    await openGap();
    expect(state()).toBe(whole);
  });
});

describe("PostgreSQL metadata store: many writers", () => {
  it("numbers versions, log chunks and runs once, and keeps the first cache entry, with 8 connections writing at once", async () => {
    const handles = await Promise.all(Array.from({ length: 8 }, () => open({}, "crowd")));
    const [first] = handles as [MetadataStore];
    const run = await newRun(first, "crowd");
    const step = await first.createStepRun({ runId: run.id, stepId: "train" });
    await first.startAttempt(step.id, 1);
    const components = { stepHash: "s", codeHash: "c", codeFiles: [], environment: "e", inputs: {} };
    const results = await Promise.all(
      handles.map(async (handle, h) => {
        const versions: number[] = [];
        const seqs: number[] = [];
        for (let i = 0; i < 5; i++) {
          versions.push(
            (await handle.registerPipelineVersion({ pipeline: "crowd", hash: `h${h}-${i}`, ir: "{}" }))
              .version,
          );
          seqs.push(await handle.appendLog(step.id, 1, "stdout", `${h}.${i}\n`));
        }
        const won = await handle.putCacheEntry({
          key: "shared-key",
          outputs: { who: { json: String(h) } },
          components,
          stepRunId: step.id,
        });
        return { versions, seqs, won };
      }),
    );
    const versions = results.flatMap((r) => r.versions).sort((a, b) => a - b);
    // The run's own version is 1; the 40 others got 2..41, each once.
    expect(versions).toEqual(Array.from({ length: 40 }, (_, i) => i + 2));
    expect(results.flatMap((r) => r.seqs).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 40 }, (_, i) => i),
    );
    expect(results.filter((r) => r.won)).toHaveLength(1);
    const winner = results.findIndex((r) => r.won);
    expect(await first.getCachedOutputs("shared-key")).toEqual({ who: { json: String(winner) } });
    expect((await first.readLog(step.id, 1)).chunks).toHaveLength(40);
  });

  it("keeps numbering and the first cache entry right with 4 processes writing at once", async () => {
    const store = await open({}, "procs");
    const run = await newRun(store, "procs");
    const step = await store.createStepRun({ runId: run.id, stepId: "train" });
    await store.startAttempt(step.id, 1);
    const { root } = workspaceWith(
      { kind: "postgres", url: server.url("canal"), passwordEnv: VARIABLE },
      "procs",
    );
    const writer = join(import.meta.dirname, "writer.mjs");
    const results = await Promise.all(
      ["p0", "p1", "p2", "p3"].map(
        (who) =>
          new Promise<{ versions: number[]; seqs: number[]; won: boolean }>((resolve, reject) => {
            execFile(process.execPath, [writer, root, String(step.id), who], (error, stdout, stderr) =>
              error ? reject(new Error(`${who}: ${stderr || error.message}`)) : resolve(JSON.parse(stdout)),
            );
          }),
      ),
    );
    expect(results.flatMap((r) => r.versions).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 40 }, (_, i) => i + 2),
    );
    expect(results.flatMap((r) => r.seqs).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 40 }, (_, i) => i),
    );
    expect(results.filter((r) => r.won)).toHaveLength(1);
  });

  it("runs a unit that lost a deadlock again, so both units commit", async () => {
    const a = await open();
    const b = await open();
    const r1 = await newRun(a);
    const r2 = await a.createRun({ pipelineVersionId: r1.pipelineVersionId, runtime: "local" });
    let calls = 0;
    let markA = () => {};
    let markB = () => {};
    const both = Promise.all([new Promise<void>((r) => (markA = r)), new Promise<void>((r) => (markB = r))]);
    const unit = (handle: MetadataStore, first: string, second: string, mark: () => void, by: string) =>
      handle.transaction(async (tx) => {
        calls++;
        await tx.updateRun(first, { error: `first ${by}` });
        mark();
        await both;
        await tx.updateRun(second, { error: `second ${by}` });
        return by;
      });
    // Each holds one run's row and wants the other's: the server ends one unit (40P01); it runs again.
    expect(await Promise.all([unit(a, r1.id, r2.id, markA, "a"), unit(b, r2.id, r1.id, markB, "b")])).toEqual(
      ["a", "b"],
    );
    // At least one unit ran again (a retry may lose the next round too).
    expect(calls).toBeGreaterThanOrEqual(3);
    const errors = [(await a.getRun(r1.id)).error, (await a.getRun(r2.id)).error];
    // The unit that ran again wrote last, whole: both runs carry its writes, none of the undone ones'.
    expect([
      ["first a", "second a"],
      ["second b", "first b"],
    ]).toContainEqual(errors);
  });
});

/** The statements `work` sends to the server, BEGIN and COMMIT left out. */
async function statementsOf(work: () => Promise<unknown>): Promise<string[]> {
  const sent: string[] = [];
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const text = typeof args[0] === "string" ? args[0] : (args[0] as { text?: string } | undefined)?.text;
    if (text && !/^(BEGIN|COMMIT)$/.test(text.trim())) sent.push(text);
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query;
  try {
    await work();
  } finally {
    pg.Client.prototype.query = query;
  }
  return sent;
}

describe("PostgreSQL metadata store: round trips of a step that runs", () => {
  it("starts an attempt in one statement and ends it in one, reading back what it wrote", async () => {
    const store = await open({}, "trips");
    const run = await newRun(store, "trips");
    const step = await store.createStepRun({ runId: run.id, stepId: "train" });
    let started: Awaited<ReturnType<MetadataStore["startAttempt"]>> | undefined;
    expect(
      await statementsOf(async () => {
        started = await store.startAttempt(step.id, 1, 1000);
      }),
    ).toHaveLength(1);
    expect(started).toMatchObject({ stepRunId: step.id, number: 1, status: "running", startedAt: 1000 });
    expect((await store.getStepRun(run.id, "train")).status).toBe("running");
    // Started again: the attempt that is there, unchanged.
    expect(await store.startAttempt(step.id, 1, 2000)).toMatchObject({ number: 1, startedAt: 1000 });
    let ended: Awaited<ReturnType<MetadataStore["finishAttempt"]>> | undefined;
    const ending = await statementsOf(async () => {
      ended = await store.finishAttempt(step.id, {
        number: 1,
        status: "failed",
        error: "oom",
        endedAt: 3000,
      });
    });
    // The step run's lookup, then the attempt's update that returns the row.
    expect(ending).toHaveLength(2);
    expect(ended).toMatchObject({ number: 1, status: "failed", error: "oom", endedAt: 3000 });
    const other = await open({}, "elsewhere");
    await expect(other.startAttempt(step.id, 2)).rejects.toMatchObject({
      code: "CANAL_STORE_STEP_RUN_NOT_FOUND",
    });
    expect(await store.listAttempts(step.id)).toHaveLength(1);
  });

  it("records the end of a step that ran, its attempt, values, artifacts, uses and cache entry in one statement", async () => {
    const store = await open({}, "trips");
    const run = await newRun(store, "ends");
    const step = await store.createStepRun({ runId: run.id, stepId: "prepare" });
    await store.startAttempt(step.id, 1, 1000);
    const raw = "b".repeat(64);
    const prepped = "a".repeat(64);
    const components = {
      stepHash: "s",
      codeHash: "c",
      codeFiles: [],
      environment: "e",
      inputs: { raw: `sha256:${raw}` },
    };
    const outputs = { prepped: { digest: prepped, directory: true } };
    const sent = await statementsOf(() =>
      store.finishStepRun(step.id, {
        status: "succeeded",
        endedAt: 2000,
        attempt: { number: 1, status: "succeeded", exitCode: 0 },
        cacheKey: "key-ends",
        components,
        reusable: true,
        inputs: { raw: { digest: raw, directory: false }, lr: { json: "0.1" } },
        outputs,
        artifacts: [{ digest: prepped, kind: "directory", size: 1234 }],
      }),
    );
    // The step run's end (which finds it in this workspace and locks it), the attempt's end, the
    // values with their artifacts and uses and the cache entry: one statement.
    expect(sent).toHaveLength(1);
    expect(await store.listAttempts(step.id)).toEqual([
      expect.objectContaining({ number: 1, status: "succeeded", exitCode: 0, endedAt: 2000 }),
    ]);
    expect(await store.getStepRun(run.id, "prepare")).toMatchObject({
      status: "succeeded",
      endedAt: 2000,
      cacheKey: "key-ends",
      cacheComponents: components,
    });
    expect(await store.getInputs(step.id)).toEqual({
      raw: { digest: raw, directory: false },
      lr: { json: "0.1" },
    });
    expect(await store.getOutputs(step.id)).toEqual(outputs);
    expect(await store.getArtifact(prepped)).toMatchObject({ kind: "directory", size: 1234 });
    expect((await store.lineage(prepped)).producedBy.map((edge) => edge.name)).toEqual(["prepped"]);
    expect((await store.lineage(raw)).consumedBy.map((edge) => edge.name)).toEqual(["raw"]);
    expect(await store.getCachedOutputs("key-ends")).toEqual(outputs);
  });

  it("numbers a step's metrics in a statement of their own, and writes nothing for an end it refuses", async () => {
    const store = await open({}, "trips");
    const run = await newRun(store, "metrics");
    const step = await store.createStepRun({ runId: run.id, stepId: "train" });
    await store.startAttempt(step.id, 1, 1000);
    await store.logMetrics(step.id, [{ name: "loss", value: 0.9 }]);
    const sent = await statementsOf(() =>
      store.finishStepRun(step.id, {
        status: "succeeded",
        endedAt: 2000,
        attempt: { number: 1, status: "succeeded" },
        outputs: { lr: { json: "0.1" } },
        metrics: [{ name: "loss", value: 0.5 }],
      }),
    );
    // The step's end, then the metric, numbered under the step run's lock that the first took.
    expect(sent).toHaveLength(2);
    expect((await store.getMetrics({ stepRunId: step.id })).map((m) => [m.sequence, m.value])).toEqual([
      [0, 0.9],
      [1, 0.5],
    ]);
    // An attempt that was never started: the error names it, and nothing of the end is kept.
    const other = await store.createStepRun({ runId: run.id, stepId: "eval" });
    await expect(
      store.finishStepRun(other.id, {
        status: "succeeded",
        attempt: { number: 3, status: "succeeded" },
        outputs: { score: { json: "1" } },
      }),
    ).rejects.toMatchObject({
      code: "CANAL_STORE_INVALID_RECORD",
      message: expect.stringContaining("attempt 3"),
    });
    expect(await store.getStepRun(run.id, "eval")).toMatchObject({ status: "queued" });
    expect(await store.getOutputs(other.id)).toEqual({});
    // A step run of another workspace is not found, and is left as it was.
    const elsewhere = await open({}, "elsewhere");
    await expect(
      elsewhere.finishStepRun(other.id, { status: "failed", outputs: { score: { json: "2" } } }),
    ).rejects.toMatchObject({ code: "CANAL_STORE_STEP_RUN_NOT_FOUND" });
    // A digest that is not one, for a step run that is not there: named not found first.
    await expect(
      elsewhere.finishStepRun(other.id, {
        status: "failed",
        outputs: { m: { digest: "nope", directory: false } },
      }),
    ).rejects.toMatchObject({ code: "CANAL_STORE_STEP_RUN_NOT_FOUND" });
    await expect(
      store.finishStepRun(other.id, {
        status: "failed",
        outputs: { m: { digest: "nope", directory: false } },
      }),
    ).rejects.toMatchObject({ code: "CANAL_STORE_INVALID_DIGEST" });
    expect(await store.getStepRun(run.id, "eval")).toMatchObject({ status: "queued" });
    expect(await store.getOutputs(other.id)).toEqual({});
  });
});

describe("PostgreSQL metadata store: a database whose collation is a language's", () => {
  // The suite's server sorts by bytes (C.UTF-8); a team's database is often made with en-US, where
  // "a" sorts before "B". Paths and metric names still come back by their bytes, and every one.
  it("reads a version's files and a run's last metrics by their bytes, in pages, none missed", async () => {
    server.psql(
      `CREATE DATABASE icu LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8' TEMPLATE template0`,
    );
    const store = await open({ url: server.url("icu") });
    const byBytes = ["B", "B-c", "Ba", "a", "b", "\uFFFD", "\u{1F600}"];
    const { version } = await store.registerDatasetVersion({
      name: "names",
      kind: "file",
      digest: "e".repeat(64),
      datastore: "workspace",
      pattern: "*",
      files: byBytes.map((path) => ({ path, digest: "f".repeat(64), size: 1 })),
    });
    expect((await store.getDatasetFiles(version.id)).map((f) => f.path)).toEqual(byBytes);
    const paged: string[] = [];
    let after: string | undefined;
    for (let page = await store.getDatasetFiles(version.id, { limit: 2 }); page.length; ) {
      paged.push(...page.map((f) => f.path));
      after = page[page.length - 1]?.path;
      page = await store.getDatasetFiles(version.id, { after, limit: 2 });
    }
    expect(paged).toEqual(byBytes);

    const run = await newRun(store, "names");
    const step = await store.createStepRun({ runId: run.id, stepId: "train" });
    await store.logMetrics(
      step.id,
      [...byBytes].reverse().map((name, i) => ({ name, value: i })),
    );
    const [last] = await store.lastMetrics({ runIds: [run.id] });
    expect(last?.metrics.map((m) => m.name)).toEqual(byBytes);
    const [named] = await store.lastMetrics({ runIds: [run.id], name: "Ba" });
    expect(named?.metrics.map((m) => [m.name, m.value])).toEqual([["Ba", 4]]);
  });

  it("lists a key prefix's cache entries, every one and no other, at the edges of its range", async () => {
    server.psql(
      `CREATE DATABASE icu_keys LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8' TEMPLATE template0`,
    );
    const store = await open({ url: server.url("icu_keys") }, "team");
    const other = await open({ url: server.url("icu_keys") }, "ci");
    await edgeEntries(store, other);
    expect(await listedUnder(store, "abc12f")).toEqual(["abc12f0", "abc12f7", "abc12ff"]);
    expect(await listedUnder(store, "abc129")).toEqual(["abc1290"]);
    expect(await listedUnder(other, "abc12f")).toEqual(["abc12f0"]);
  });
});

/** Keys around the edges of a prefix's range: each 64 hex digits, the prefix's last digit a 9 or an f. */
const edgeKeys = ["abc129", "abc12a", "abc12f", "abc12f7", "abc12ff", "abc130", "abc12e"].map((start) =>
  start.padEnd(64, "0"),
);

/** Each edge key's entry, made by a step run of its own; two also in another workspace. */
async function edgeEntries(store: MetadataStore, other: MetadataStore) {
  for (const key of edgeKeys) await ranStep(store, key);
  for (const key of [edgeKeys[2] as string, edgeKeys[5] as string]) await ranStep(other, key);
}

async function listedUnder(store: MetadataStore, prefix: string): Promise<string[]> {
  return (await store.listCacheEntries({ keyPrefix: prefix })).map((entry) => entry.key.slice(0, 7)).sort();
}

describe("PostgreSQL metadata store: a workspace's cache entries, by prefix and by time", () => {
  /** `count` entries in each of `workspaces` workspaces of database `db`, their keys at random. */
  async function manyEntries(db: string, workspaces: string[], count: number) {
    server.psql(`CREATE DATABASE ${db}`);
    const stores: MetadataStore[] = [];
    for (const [w, workspace] of workspaces.entries()) {
      const store = await open({ url: server.url(db) }, workspace);
      stores.push(store);
      const run = await newRun(store, "many");
      const ids = await store.createStepRuns(
        Array.from({ length: count }, (_, i) => ({ runId: run.id, stepId: "train", instance: i })),
      );
      await store.transaction((tx) =>
        (tx as unknown as { sql: (sql: string, params: unknown[]) => Promise<unknown> }).sql(
          `INSERT INTO cache_entries (workspace_id, key, outputs, components, step_run_id, created_at)
           SELECT (SELECT id FROM workspaces WHERE name = ?), encode(sha256(convert_to(? || n, 'UTF8')), 'hex'),
             '{}', '{}', s, 1000 + n
           FROM unnest(?::bigint[]) WITH ORDINALITY AS e(s, n)`,
          [workspace, `w${w}-`, ids],
        ),
      );
    }
    // As autovacuum would have it for a store of this size.
    server.psql("ANALYZE", db);
    return stores;
  }

  /** What a listing read of the cache entries in its unit: rows by sequential scan, entries of each index. */
  async function readsOf(store: MetadataStore, list: (tx: MetadataStore) => Promise<unknown>) {
    return store.transaction(async (tx) => {
      await list(tx as unknown as MetadataStore);
      const [row] = await (tx as unknown as { sql: (sql: string) => Promise<Record<string, string>[]> }).sql(
        `SELECT pg_stat_get_xact_tuples_returned('cache_entries'::regclass) AS scanned,
           pg_stat_get_xact_tuples_returned('cache_entries_pkey'::regclass) AS by_key,
           coalesce(pg_stat_get_xact_tuples_returned(to_regclass('cache_entries_by_time')), 0) AS by_time`,
      );
      return { scanned: Number(row?.scanned), byKey: Number(row?.by_key), byTime: Number(row?.by_time) };
    });
  }

  it("finds a key prefix's entries in a range of the primary key, and a workspace's by time, reading no other workspace's", async () => {
    const [first, , third] = await manyEntries("by_range", ["a", "b", "c", "d"], 1000);
    const own = (await (third as MetadataStore).listCacheEntries({})).map((entry) => entry.key);
    expect(own).toHaveLength(1000);
    const key = own[500] as string;
    const reads = await readsOf(third as MetadataStore, (tx) =>
      tx.listCacheEntries({ keyPrefix: key.slice(0, 6) }),
    );
    // The range holds the few keys of any workspace that start so: not the 4,000 entries.
    expect(reads.scanned).toBe(0);
    expect(reads.byKey).toBeGreaterThan(0);
    expect(reads.byKey).toBeLessThan(20);
    expect(
      (await (third as MetadataStore).listCacheEntries({ keyPrefix: key.slice(0, 6) })).map((e) => e.key),
    ).toContain(key);

    // With no filter: this workspace's 1,000 entries by the time index, newest first.
    const all = await readsOf(first as MetadataStore, (tx) => tx.listCacheEntries({}));
    expect(all.scanned).toBe(0);
    expect(all.byTime).toBe(1000);
    const listed = await (first as MetadataStore).listCacheEntries({});
    expect(listed.map((entry) => entry.createdAt)).toEqual(
      listed.map((entry) => entry.createdAt).sort((x, y) => y - x),
    );
  });

  it("lists a prefix's keys and no others at the edges of its range, a 9 or an f last, in this workspace only", async () => {
    server.psql("CREATE DATABASE edges");
    const store = await open({ url: server.url("edges") }, "team");
    const other = await open({ url: server.url("edges") }, "ci");
    await edgeEntries(store, other);
    expect(await listedUnder(store, "abc12f")).toEqual(["abc12f0", "abc12f7", "abc12ff"]);
    expect(await listedUnder(store, "abc129")).toEqual(["abc1290"]);
    expect(await listedUnder(store, "abc12f0")).toEqual(["abc12f0"]);
    expect(await listedUnder(store, "ABC130")).toEqual(["abc1300"]);
    expect(await listedUnder(store, "abc131")).toEqual([]);
    expect(await listedUnder(other, "abc12f")).toEqual(["abc12f0"]);
    expect(await listedUnder(other, "abc130")).toEqual(["abc1300"]);
  });
});

describe("PostgreSQL metadata store: cancel requests by LISTEN, and a server restart", () => {
  it("survives the server going away while a unit holds its connection, and runs the unit again", async () => {
    const store = await open();
    const run = await newRun(store);
    let rounds = 0;
    const created = await store.transaction(async (tx) => {
      rounds++;
      const step = await tx.createStepRun({ runId: run.id, stepId: `held-${rounds}` });
      if (rounds === 1) {
        // The server ends every connection while this unit's is checked out and idle: the client
        // hears it between statements, which must neither end the process nor lose the unit.
        await server.stopServer();
        server.startServer();
      }
      await tx.startAttempt(step.id, 1);
      return step;
    });
    expect(rounds).toBe(2);
    expect(created.stepId).toBe("held-2");
    expect((await store.listStepRuns(run.id)).map((s) => s.stepId)).toEqual(["held-2"]);
  });

  it("hears a cancel request from another connection at once, and after the server restarts", async () => {
    const driver = await open();
    const other = await open();
    const run = await newRun(driver);
    const later = await driver.createRun({ pipelineVersionId: run.pipelineVersionId, runtime: "local" });
    const heard: Array<{ runId: string; by?: string }> = [];
    let wake = () => {};
    const next = () => new Promise<void>((resolve) => (wake = resolve));
    const watch = (runId: string) =>
      driver.watchCancelRequests?.(runId, (request) => {
        heard.push({ runId, ...(request.by ? { by: request.by } : {}) });
        wake();
      });
    const stops = [watch(run.id), watch(later.id)];
    expect(stops.every((stop) => typeof stop === "function")).toBe(true);
    // Heard by LISTEN, or (when it comes before LISTEN took effect) read once it did.
    let got = next();
    await other.requestCancel(run.id, { by: "bo@server" });
    await got;
    expect(heard).toEqual([{ runId: run.id, by: "bo@server" }]);
    // Now listening: a notification alone (no record behind it) reaches the watcher of its run.
    const third = await driver.createRun({ pipelineVersionId: run.pipelineVersionId, runtime: "local" });
    stops.push(watch(third.id));
    const workspaceId = server.psql("SELECT id FROM workspaces WHERE name = 'team'", "canal").trim();
    got = next();
    server.psql(
      `SELECT pg_notify('canal_cancel', '{"workspace":${workspaceId},"runId":"${third.id}","request":{"at":1,"by":"notify-only"}}')`,
      "canal",
    );
    await got;
    expect(heard.at(-1)).toEqual({ runId: third.id, by: "notify-only" });

    // The server restarts: a write made while it is down waits and lands, and the watcher
    // listens again (or reads what it missed).
    await server.stopServer();
    const pending = driver.appendRunLog(run.id, "stdout", "written across a restart\n");
    server.startServer();
    expect(await pending).toBe(0);
    got = next();
    await other.requestCancel(later.id, { by: "ana@laptop" });
    await got;
    expect(heard).toEqual([
      { runId: run.id, by: "bo@server" },
      { runId: third.id, by: "notify-only" },
      { runId: later.id, by: "ana@laptop" },
    ]);
    for (const stop of stops) stop?.();
  });
});

/** The prepared statements the server holds for the store's one connection (`poolSize: 1`). */
async function preparedOf(store: MetadataStore): Promise<string[]> {
  const rows = await store.transaction((tx) =>
    (tx as unknown as { sql: (sql: string) => Promise<{ name: string }[]> }).sql(
      "SELECT name FROM pg_prepared_statements ORDER BY name",
    ),
  );
  return rows.map((row) => row.name);
}

/** A step that ran and left a cache entry under `key`; returns its run and outputs. */
async function cachedStep(store: MetadataStore, key: string) {
  const run = await newRun(store, "named");
  const step = await store.createStepRun({ runId: run.id, stepId: "train" });
  await store.startAttempt(step.id, 1, 1000);
  const outputs = { lr: { json: "0.1" } };
  await store.finishStepRun(step.id, {
    status: "succeeded",
    endedAt: 2000,
    attempt: { number: 1, status: "succeeded", exitCode: 0 },
    cacheKey: key,
    components: { stepHash: "s", codeHash: "c", codeFiles: [], environment: "e", inputs: {} },
    reusable: true,
    outputs,
  });
  return { run, outputs };
}

describe("PostgreSQL metadata store: named statements", () => {
  it("prepares a step's statements once per connection, and none with `preparedStatements: false`", async () => {
    server.psql("CREATE DATABASE named_on");
    const store = await open({ url: server.url("named_on"), poolSize: 1 }, "named");
    const { run: storeRun } = await cachedStep(store, "key-named");
    await store.claimStep("key-named", { runId: storeRun.id, host: "h", pid: 1, ttlMs: 60_000 });
    expect(await store.getCachedOutputs("key-named")).toEqual({ lr: { json: "0.1" } });
    const names = await preparedOf(store);
    // The attempt's start, the end, the claim and the cache lookup at least.
    expect(names.filter((name) => name.startsWith("canal_")).length).toBeGreaterThanOrEqual(4);

    server.psql("CREATE DATABASE named_off");
    const unnamed = await open(
      { url: server.url("named_off"), poolSize: 1, preparedStatements: false },
      "named",
    );
    const { run: unnamedRun } = await cachedStep(unnamed, "key-named");
    await unnamed.claimStep("key-named", { runId: unnamedRun.id, host: "h", pid: 1, ttlMs: 60_000 });
    expect(await unnamed.getCachedOutputs("key-named")).toEqual({ lr: { json: "0.1" } });
    expect(await preparedOf(unnamed)).toEqual([]);
  });

  it("sends the dataset, endpoint, schedule and heartbeat statements by name, and a schedule edit's SET list unnamed", async () => {
    server.psql("CREATE DATABASE named_records");
    const store = await open({ url: server.url("named_records"), poolSize: 1 }, "named");
    const run = await newRun(store, "named");
    const registered = await store.registerDatasetVersion({
      name: "iris",
      kind: "file",
      digest: "a".repeat(64),
      datastore: "raw",
      pattern: "**/*.csv",
      files: [{ path: "a.csv", digest: "b".repeat(64), size: 10 }],
    });
    await store.recordDatasetUse({
      runId: run.id,
      versionId: registered.version.id,
      direction: "input",
      name: "raw",
    });
    expect((await store.listDatasets()).map((s) => s.name)).toEqual(["iris"]);
    expect(await store.getDatasetFiles(registered.version.id)).toHaveLength(1);
    expect(await store.listDatasetUses({ runId: run.id })).toHaveLength(1);
    await store.recordHeartbeat(run.id, { host: "h", pid: 1, intervalMs: 1000 });
    expect(await store.readRunControl([run.id])).toHaveLength(1);
    await store.publishEndpoint({ endpoint: "score", pipelineVersionId: run.pipelineVersionId });
    const schedule = await store.createSchedule({
      endpoint: "score",
      kind: "cron",
      cron: "0 3 * * *",
      name: "nightly",
    });
    expect(await store.advanceSchedule(schedule.id, schedule.revision, { cursorAt: 500 })).toBe(true);
    expect((await store.updateSchedule("nightly", { paused: true }))?.paused).toBe(true);

    const rows = await store.transaction((tx) =>
      (tx as unknown as { sql: (sql: string) => Promise<{ name: string; statement: string }[]> }).sql(
        "SELECT name, statement FROM pg_prepared_statements",
      ),
    );
    const prepared = rows.filter((row) => row.name.startsWith("canal_")).map((row) => row.statement);
    for (const part of [
      "INSERT INTO dataset_versions",
      "INSERT INTO dataset_files",
      "INSERT INTO dataset_uses",
      "FROM dataset_uses u",
      "ORDER BY f.path",
      "INSERT INTO run_control",
      "UPDATE step_claims SET expires_at",
      "FROM run_control c",
      "INSERT INTO endpoint_versions",
      "INSERT INTO schedules",
      "cursor_at = CASE WHEN",
    ])
      expect(
        prepared.filter((text) => text.includes(part)),
        part,
      ).toHaveLength(1);
    // Made from which fields an edit gives: one text per subset of a schedule's columns, never named.
    expect(prepared.filter((text) => text.includes("paused = $1"))).toEqual([]);
  });

  it("runs every step and read on, when another process's migration made each pooled connection's plans stale", async () => {
    server.psql("CREATE DATABASE named_migrated");
    const store = await open({ url: server.url("named_migrated"), poolSize: 4 }, "named");
    const components = { stepHash: "s", codeHash: "c", codeFiles: [], environment: "e", inputs: {} };
    let steps = 0;
    // A step's calls as a driver makes them, and the reads `canal` makes of it.
    const step = async () => {
      const n = ++steps;
      const run = await newRun(store, "named");
      const key = `key-migrated-${n}`;
      expect(await store.getCachedOutputs(key)).toBeUndefined();
      expect((await store.claimStep(key, { runId: run.id, host: "h", pid: 1, ttlMs: 60_000 })).won).toBe(
        true,
      );
      const stepRun = await store.createStepRun({ runId: run.id, stepId: "train" });
      await store.startAttempt(stepRun.id, 1);
      await store.recordHeartbeat(run.id, { host: "h", pid: 1, intervalMs: 1000 });
      const { version } = await store.registerDatasetVersion({
        name: `data-${n}`,
        kind: "file",
        digest: "d".repeat(64),
        datastore: "raw",
        pattern: "*",
        files: [{ path: "a.csv", digest: "e".repeat(64), size: 1 }],
      });
      await store.recordDatasetUse({ runId: run.id, versionId: version.id, direction: "input", name: "raw" });
      await store.finishStepRun(stepRun.id, {
        status: "succeeded",
        attempt: { number: 1, status: "succeeded", exitCode: 0 },
        cacheKey: key,
        components,
        reusable: true,
        outputs: { lr: { json: String(n) } },
      });
      await store.releaseSteps([key], run.id);
      expect(await store.getCachedOutputs(key)).toEqual({ lr: { json: String(n) } });
      expect((await store.readRunControl([run.id]))[0]?.heartbeat?.host).toBe("h");
      expect((await store.listStepRuns(run.id))[0]?.status).toBe("succeeded");
      expect(await store.listDatasetUses({ runId: run.id })).toHaveLength(1);
    };
    const wave = () => Promise.all(Array.from({ length: 8 }, step));
    await wave();
    const backends = () =>
      server
        .psql(
          "SELECT pid FROM pg_stat_activity WHERE datname = 'named_migrated' AND pid <> pg_backend_pid() ORDER BY pid",
          "named_migrated",
        )
        .toString()
        .split(/\s+/)
        .filter((word) => /^\d+$/.test(word));
    // Another process's migrations: result types of statements every connection has prepared
    // change. First those that units send (an attempt's start, a step's end), then one of a read
    // outside a unit (the cache lookup), each met first by whichever a connection sends next.
    for (const migration of [
      `ALTER TABLE step_runs ADD COLUMN later_one TEXT; ALTER TABLE attempts ADD COLUMN later_two TEXT;
       ALTER TABLE run_control ADD COLUMN later_three TEXT`,
      "ALTER TABLE cache_entries ALTER COLUMN outputs TYPE varchar",
    ]) {
      const before = backends();
      expect(before).toHaveLength(4);
      server.psql(migration, "named_migrated");
      await wave();
      await wave();
      // The connections that held the stale plans were closed, and new ones opened.
      expect(backends().filter((pid) => before.includes(pid))).toEqual([]);
    }
  });

  it("takes `preparedStatements: false`, and refuses one that is not true or false, naming the setting", async () => {
    const off = await open({ preparedStatements: false });
    expect((await off.getRun((await newRun(off)).id)).pipeline).toBe("iris");
    const refused = await openFails({ kind: "postgres", url: server.url("canal"), preparedStatements: "no" });
    expect(refused.code).toBe("CANAL_STORE_CONFIG_INVALID");
    expect(refused.message).toContain("preparedStatements");
  });

  it("raises any other error of the stale plan's SQLSTATE at once, in a unit and outside one", async () => {
    const client = new pg.Client({
      host: "127.0.0.1",
      port: server.port,
      user: "postgres",
      database: "canal",
      password: PASSWORD,
    });
    await client.connect();
    let sent = 0;
    const counted = {
      query: (...args: unknown[]) => {
        sent++;
        return (client.query as (...a: unknown[]) => unknown).apply(client, args);
      },
    };
    // Not supported (SQLSTATE 0A000, as a refused cached plan is), and no other try can help.
    const unsupported = { name: "canal_test_unsupported", text: "SELECT count(*) FROM pg_class FOR UPDATE" };
    try {
      const outside = await send(counted as never, unsupported, [], {
        prepared: true,
        inTransaction: false,
      }).catch((error: unknown) => error);
      expect(outside).toMatchObject({ code: "0A000" });
      expect(sent).toBe(1);
      await client.query("BEGIN");
      const inside = await send(counted as never, unsupported, [], {
        prepared: true,
        inTransaction: true,
      }).catch((error: unknown) => error);
      expect(inside).toMatchObject({ code: "0A000" });
      // Not taken for a stale plan: the unit is not run again.
      expect(isStalePlan(inside)).toBe(false);
      await client.query("ROLLBACK");
    } finally {
      await client.end();
    }
  });

  it("answers when another process changed a column's type under a live store, in a unit and outside one", async () => {
    server.psql("CREATE DATABASE named_stale");
    const store = await open({ url: server.url("named_stale"), poolSize: 1 }, "named");
    const { outputs } = await cachedStep(store, "key-stale");
    // The lookup is prepared on the store's connection, its result a `text` column.
    expect(await store.getCachedOutputs("key-stale")).toEqual(outputs);
    server.psql("ALTER TABLE cache_entries ALTER COLUMN outputs TYPE varchar", "named_stale");
    // In a unit: the server refuses the cached plan, which aborts the transaction; the unit runs
    // again on a new connection and answers.
    expect(await store.transaction((tx) => tx.getCachedOutputs("key-stale"))).toEqual(outputs);
    // That connection prepares it again; changed once more, a read outside a unit answers too.
    expect(await store.getCachedOutputs("key-stale")).toEqual(outputs);
    server.psql("ALTER TABLE cache_entries ALTER COLUMN outputs TYPE text", "named_stale");
    expect(await store.getCachedOutputs("key-stale")).toEqual(outputs);
    expect(await store.getCachedOutputs("key-stale")).toEqual(outputs);
  });
});

describe("PostgreSQL metadata store: a lookup that waits on a claim's release", () => {
  it("answers from the entry its holder wrote while the lookup waited, and takes no claim", async () => {
    const store = await open({}, "handover");
    const a = await newRun(store, "handover-a");
    const b = await newRun(store, "handover-b");
    const key = "c".repeat(64);
    const outputs = { model: { digest: "a".repeat(64), directory: false } };
    // An entry under another key to copy: the holder's entry, written in the holder's unit below.
    const step = await store.createStepRun({ runId: a.id, stepId: "train" });
    await store.finishStepRun(step.id, {
      status: "succeeded",
      cacheKey: "d".repeat(64),
      components: stepComponents,
      reusable: true,
      outputs,
    });
    const claim = (run: { id: string }) => ({ runId: run.id, host: "gpu-01", pid: 7, ttlMs: 60_000 });
    expect(await store.claimStep(key, claim(a))).toEqual({ won: true });
    const holder = new pg.Client({
      host: "127.0.0.1",
      port: server.port,
      user: "postgres",
      database: "canal",
      password: PASSWORD,
    });
    await holder.connect();
    try {
      // The holder writes its entry and lets go in one unit, not yet committed.
      await holder.query("BEGIN");
      await holder.query(
        `INSERT INTO cache_entries (workspace_id, key, outputs, components, step_run_id, created_at)
         SELECT workspace_id, $1, outputs, components, step_run_id, created_at FROM cache_entries WHERE key = $2`,
        [key, "d".repeat(64)],
      );
      await holder.query("DELETE FROM step_claims WHERE key = $1", [key]);
      // The asker's lookup finds no entry, and its claim waits on the holder's.
      const asked = store.lookupOrClaimStep(key, claim(b));
      for (;;) {
        const waiting = await holder.query(
          "SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = 'canal'",
        );
        if (waiting.rowCount) break;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await holder.query("COMMIT");
      expect(await asked).toEqual({ cached: outputs });
      // And the key is free: the asker holds nothing it would have to let go.
      expect(await store.claimStep(key, claim(a))).toEqual({ won: true });
    } finally {
      await holder.end();
    }
  });
});
