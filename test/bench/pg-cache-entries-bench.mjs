// The cache entries' reads and writes on PostgreSQL, two trees side by side on one server: a store
// of 50 workspaces × 1,000 entries (half the keys in every workspace), then per round `canal cache
// ls` with no filter and by a key prefix, the last entry of a step (`canal why`), and 5,000 entries
// inserted in one statement. The trees alternate round by round, each in a database of its own.
// `node test/bench/pg-cache-entries-bench.mjs BASE_TREE` (a built checkout to compare with), under `flock`
// on a shared machine; CANAL_BENCH_EXPLAIN=1 prints the plans of this tree's statements.
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("../..", import.meta.url));
if (!process.argv[2]) {
  console.error(
    "usage: node test/bench/pg-cache-entries-bench.mjs BASE_TREE (a built checkout of Canal to compare this tree with)",
  );
  process.exit(2);
}
const trees = { base: process.argv[2], this: repo };
const WORKSPACES = 50;
const PER_WORKSPACE = 1000;
const ROUNDS = Number(process.env.CANAL_BENCH_ROUNDS ?? 3);
const { startPostgres } = await import(join(repo, "test/services/postgres.mjs"));
const pg = await startPostgres();
const dirs = [];
const hex = (text) => createHash("sha256").update(text).digest("hex");
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const min = (xs) => Math.min(...xs);
const timed = async (times, fn) => {
  const ms = [];
  for (let i = 0; i < times; i++) {
    const t0 = performance.now();
    await fn(i);
    ms.push(performance.now() - t0);
  }
  return { min: Number(min(ms).toFixed(3)), median: Number(median(ms).toFixed(3)) };
};

async function openAs(openWorkspace, db, workspace) {
  const dir = mkdtempSync(join(tmpdir(), "canal-pg-cache-"));
  dirs.push(dir);
  writeFileSync(
    join(dir, "canal.config.json"),
    JSON.stringify({ workspace, store: { kind: "postgres", url: pg.url(db), poolSize: 2 } }),
  );
  return (await openWorkspace(dir)).metadata;
}

const sql = (store, text, params) => store.transaction((tx) => tx.sql(text, params));

/** An entry under each of `keys`, each of a new step run of pipeline `p`, in one statement; returns the statement's time. */
async function fill(store, keys, at) {
  const v = await store.registerPipelineVersion({ pipeline: "p", hash: "h", ir: "{}" });
  const run = await store.createRun({ pipelineVersionId: v.id, runtime: "local" });
  const ids = await store.createStepRuns(
    keys.map((_, i) => ({ runId: run.id, stepId: `s${i % 1000}`, instance: i })),
  );
  const [{ id }] = await sql(store, "SELECT id FROM workspaces WHERE name = ?", [store.workspace]);
  const t0 = performance.now();
  await sql(
    store,
    `INSERT INTO cache_entries (workspace_id, key, outputs, components, step_run_id, created_at)
     SELECT ?, k, '{}', '{}', s, t FROM unnest(?::text[], ?::bigint[], ?::bigint[]) AS e(k, s, t)`,
    [id, keys, ids, keys.map((_, i) => at + i)],
  );
  return performance.now() - t0;
}

try {
  const results = { base: [], this: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const tree of round % 2 ? ["this", "base"] : ["base", "this"]) {
      const { openWorkspace } = await import(join(trees[tree], "packages/store/dist/index.js"));
      const db = `c_${tree}_${round}`;
      pg.psql(`CREATE DATABASE ${db}`);
      const stores = [];
      for (let w = 0; w < WORKSPACES; w++) {
        const store = await openAs(openWorkspace, db, `w${w}`);
        stores.push(store);
        const keys = Array.from({ length: PER_WORKSPACE }, (_, i) =>
          i % 2 ? hex(`shared-${i}`) : hex(`w${w}-${i}`),
        );
        // The workspaces' entries interleaved in time, as workspaces writing at once make them.
        await fill(store, keys, 1_000_000 + w);
      }
      pg.psql("ANALYZE", db);
      const store = stores[7];
      const own = (i) => hex(`w7-${(2 * i) % PER_WORKSPACE}`);
      for (let i = 0; i < 5; i++) await store.listCacheEntries({});
      const ls = await timed(10, () => store.listCacheEntries({}));
      const prefix = await timed(50, (i) => store.listCacheEntries({ keyPrefix: own(i).slice(0, 8) }));
      const last = await timed(20, (i) => store.lastCacheEntryForStep("p", `s${(i * 37) % 1000}`));
      const inserts = [];
      for (let b = 0; b < 3; b++)
        inserts.push(
          await fill(
            stores[0],
            Array.from({ length: 5000 }, (_, i) => hex(`new-${round}-${b}-${i}`)),
            9e9 + b * 5000,
          ),
        );
      const row = {
        tree,
        round,
        load: Number(loadavg()[0].toFixed(2)),
        lsAll: ls,
        lsPrefix: prefix,
        lastOfStep: last,
        insert5000: { min: Number(min(inserts).toFixed(1)), median: Number(median(inserts).toFixed(1)) },
      };
      results[tree].push(row);
      console.log(JSON.stringify(row));
      if (tree === "this" && process.env.CANAL_BENCH_EXPLAIN && round === 0) {
        const [{ id }] = await sql(store, "SELECT id FROM workspaces WHERE name = 'w7'");
        const key = own(3);
        const select = `SELECT ce.key FROM cache_entries ce JOIN step_runs s ON s.id = ce.step_run_id WHERE ce.workspace_id = ${id} AND s.status <> 'cached'`;
        for (const q of [
          `${select} AND ce.key >= '${key.slice(0, 8)}' AND ce.key < '${key.slice(0, 7)}g' AND starts_with(ce.key, '${key.slice(0, 8)}') ORDER BY ce.created_at DESC, ce.key`,
          `${select} AND substr(ce.key, 1, 8) = '${key.slice(0, 8)}' ORDER BY ce.created_at DESC, ce.key`,
          `${select} ORDER BY ce.created_at DESC, ce.key`,
        ])
          console.log(pg.psql(`EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) ${q}`, db).toString());
      }
      for (const s of stores) await s.close();
      pg.psql(`DROP DATABASE ${db}`);
    }
  }
} finally {
  await pg.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}
