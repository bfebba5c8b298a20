// `canal serve` benchmark, on a SQLite workspace of CANAL_BENCH_SERVER_RUNS (100,000) stored runs.
//
// 1. The runs list (`GET /api/v1/runs`): the first page and a deep page reached through the cursor
//    (page 500 of all runs; deep pages of a pipeline, a status and an experiment too), timed as
//    server time (the app's own `app.request`, in this process: authentication, validation, the
//    store's query and the JSON) and as a whole HTTP request from a client (fetch to a server in a
//    child process). Side by side in the same run: a bare SQL query of the same page (same columns,
//    same joins, the keyset as a row value) on its own better-sqlite3 connection to the same file,
//    with the join order the store fixes and with plain JOINs (SQLite's own plan). Bar: under 50 ms
//    each (median of CANAL_BENCH_SERVER_REPEATS, 30).
// 2. A run followed by 1 and then 50 event-stream clients (`GET /runs/ID/events`, each its own HTTP
//    connection, parsing the stream as EventSource does): this process writes step state changes
//    into the store one at a time (a synthetic run whose driver heartbeat it records, at random
//    offsets from the server's 250 ms reads; the run has 100 finished steps already), and times
//    each from its write to each client receiving it (p50/p99), with the server process's CPU
//    while the clients follow.
//
// The store is filled through its own API: `createRun` for every run inside one
// `metadata.transaction` (one SQLite transaction; about 100,000 runs in 10–20 s here).
// Prints a table for people and one `BENCH {json}` line per measurement for scripts.
import { fork } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { hostname, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { repo } from "./generate.mjs";

const RUNS = Number(process.env.CANAL_BENCH_SERVER_RUNS ?? 100_000);
const REPEATS = Number(process.env.CANAL_BENCH_SERVER_REPEATS ?? 30);
const CLIENTS = Number(process.env.CANAL_BENCH_SERVER_CLIENTS ?? 50);
const CHANGES = Number(process.env.CANAL_BENCH_SERVER_CHANGES ?? 60);
/** Steps the followed run has finished before its clients connect: what each read of it returns. */
const DONE_STEPS = Number(process.env.CANAL_BENCH_SERVER_DONE_STEPS ?? 100);
const PAGE = 50;
const LIST_BAR_MS = 50;
const PIPELINES = 4;
const EXPERIMENTS = 10;

const store = () => import(join(repo, "packages/store/dist/index.js"));
const server = () => import(join(repo, "packages/server/dist/index.js"));
const runner = () => import(join(repo, "packages/runner/dist/index.js"));
const sorted = (values) => [...values].sort((a, b) => a - b);
const median = (values) => sorted(values)[Math.floor(values.length / 2)];
const quantile = (values, q) => sorted(values)[Math.min(values.length - 1, Math.floor(values.length * q))];
const round = (value, digits = 2) => Number(value.toFixed(digits));
const load = () => round(loadavg()[0]);
const launcher = {
  start: () => Promise.reject(new Error("the benchmark starts no run")),
  rerun: () => Promise.reject(new Error("the benchmark starts no run")),
};

/** The child process: `canal serve`'s server on the workspace, reporting its CPU when asked. */
async function serveChild(root) {
  const { openWorkspace } = await store();
  const { startServer } = await server();
  const { RuntimeRegistry } = await runner();
  const workspace = await openWorkspace(root);
  const running = await startServer({ workspace, launcher, runtimes: new RuntimeRegistry(), port: 0 });
  process.on("message", async (message) => {
    if (message === "cpu") process.send?.({ cpu: process.cpuUsage() });
    if (message === "stop") {
      await running.close();
      await workspace.close();
      process.exit(0);
    }
  });
  process.send?.({ url: running.url });
}

function startChild(root) {
  const child = fork(fileURLToPath(import.meta.url), ["--serve", root], { stdio: "inherit" });
  const ask = (message, key) =>
    new Promise((resolve, reject) => {
      const onMessage = (answer) => {
        if (answer[key] === undefined) return;
        child.off("message", onMessage);
        resolve(answer[key]);
      };
      child.on("message", onMessage);
      child.once("exit", (code) => reject(new Error(`the server process ended (${code})`)));
      if (message) child.send(message);
    });
  return {
    url: ask(undefined, "url"),
    cpu: () => ask("cpu", "cpu"),
    stop: () => new Promise((resolve) => child.once("exit", resolve).send("stop")),
  };
}

/**
 * 100,000 runs over 4 pipelines (2 versions each), 10 experiments, mostly succeeded; 10 running,
 * and 10 of a fifth pipeline.
 */
async function fill(metadata) {
  const versions = [];
  for (let p = 0; p < PIPELINES; p++)
    for (let v = 0; v < 2; v++)
      versions.push(
        await metadata.registerPipelineVersion({
          pipeline: `pipe-${p}`,
          hash: `${p}-${v}`.padEnd(64, "0"),
          ir: JSON.stringify({ name: `pipe-${p}`, steps: [] }),
        }),
      );
  const rare = await metadata.registerPipelineVersion({
    pipeline: "rare",
    hash: "r".repeat(64),
    ir: JSON.stringify({ name: "rare", steps: [] }),
  });
  // A run a minute, two to a minute every tenth (ties on the time order by id).
  const start = Date.now() - RUNS * 60_000;
  const t0 = performance.now();
  await metadata.transaction(async (tx) => {
    for (let i = 0; i < RUNS; i++) {
      const at = start + (i - (i % 10 === 1 ? 1 : 0)) * 60_000;
      const status =
        i % 10_007 === 5 ? "running" : i % 19 === 0 ? "failed" : i % 47 === 0 ? "canceled" : "succeeded";
      await tx.createRun({
        pipelineVersionId: i % 10_007 === 9 ? rare.id : versions[(i % PIPELINES) * 2 + ((i >> 3) % 2)].id,
        experiment: `exp-${i % EXPERIMENTS}`,
        parameters: { lr: 0.01 * (i % 7), epochs: 10, data: "datasets/iris:3" },
        runtime: "local",
        status,
        startedBy: i % 3 ? "ana" : "bo",
        host: "bench",
        createdAt: at,
        startedAt: at + 100,
      });
    }
  });
  return { fillMs: performance.now() - t0 };
}

/**
 * The bare query of a page on its own connection: the same rows, the keyset as a row value. With
 * `cross`, the joins fix the order the store's query fixes (runs walked along their time index);
 * without, SQLite's own plan of the plain joins (the store's query before it fixed the order).
 */
function barePage(db, workspaceId, filter, before, cross) {
  const join = cross ? "CROSS JOIN" : "JOIN";
  const where = [
    "p.workspace_id = @workspace",
    filter.pipeline ? "p.name = @pipeline" : "",
    filter.status ? "r.status = @status" : "",
    filter.experiment ? "r.experiment = @experiment" : "",
    before ? "(r.created_at, r.id) < (@beforeAt, @beforeId)" : "",
  ].filter(Boolean);
  const sql = `SELECT r.id, r.pipeline_version_id, r.status, r.parameters, r.git_commit, r.git_branch, r.git_dirty,
      r.runtime, r.regenerate, r.error, r.created_at, r.started_at, r.ended_at, r.experiment, r.started_by, r.host,
      p.name AS pipeline, pv.version AS pipeline_version, pv.hash AS pipeline_hash
    FROM runs r ${join} pipeline_versions pv ON pv.id = r.pipeline_version_id ${join} pipelines p ON p.id = pv.pipeline_id
    WHERE ${where.join(" AND ")} ORDER BY r.created_at DESC, r.id DESC LIMIT ${PAGE + 1}`;
  const statement = db.prepare(sql);
  const params = { workspace: workspaceId, ...filter };
  if (before) Object.assign(params, { beforeAt: before.createdAt, beforeId: before.id });
  return () => statement.all(params);
}

function query(filter, cursor) {
  const search = new URLSearchParams({ ...filter, limit: String(PAGE) });
  if (cursor) search.set("cursor", cursor);
  return `/api/v1/runs?${search}`;
}

/**
 * GET as a client does. The server closes a kept-alive connection idle for 5 s, and a request sent
 * on it as it closes fails; such a request is sent again, on a new connection.
 */
async function fetchJson(url, headers, again = true) {
  try {
    const answer = await fetch(url, { headers });
    if (answer.status !== 200) throw new Error(`${url}: ${answer.status}`);
    return await answer.json();
  } catch (error) {
    if (!again || error?.cause?.code !== "UND_ERR_SOCKET") throw error;
    return fetchJson(url, headers, false);
  }
}

/** Times `fn` REPEATS times (after two warm-ups): median and p95 in ms. */
async function time(fn) {
  const times = [];
  for (let i = 0; i < REPEATS + 2; i++) {
    const t0 = performance.now();
    await fn();
    if (i >= 2) times.push(performance.now() - t0);
  }
  return { median: median(times), p95: quantile(times, 0.95) };
}

async function listBench(root, workspace, child, secret) {
  const { createApp } = await server();
  const { RuntimeRegistry } = await runner();
  const { default: Database } = await import(join(repo, "node_modules/better-sqlite3/lib/index.js"));
  const app = createApp({ workspace, launcher, runtimes: new RuntimeRegistry() });
  const headers = { authorization: `Bearer ${secret}` };
  const url = await child.url;
  const db = new Database(join(root, ".canal/canal.db"), { readonly: true });
  const workspaceId = db.prepare("SELECT id FROM workspaces").get().id;
  const get = async (path) => {
    const answer = await app.request(path, { headers });
    if (answer.status !== 200) throw new Error(`${path}: ${answer.status} ${await answer.text()}`);
    return answer.json();
  };
  const cases = [
    { name: "all runs", filter: {}, deep: 500 },
    { name: "pipeline", filter: { pipeline: "pipe-1" }, deep: 400 },
    { name: "status", filter: { status: "failed" }, deep: 90 },
    { name: "experiment", filter: { experiment: "exp-3" }, deep: 180 },
    { name: "pipeline + status", filter: { pipeline: "pipe-2", status: "succeeded" }, deep: 400 },
    // A value few runs have (10 of 100,000): the page is the whole walk of the time index.
    { name: "status (10 running)", filter: { status: "running" } },
    { name: "pipeline (10 runs)", filter: { pipeline: "rare" } },
  ];
  const rows = [];
  for (const { name, filter, deep: deepest } of cases) {
    // With fewer runs stored (CANAL_BENCH_SERVER_RUNS), the same depth in proportion.
    const deep = deepest && Math.max(2, Math.round((deepest * RUNS) / 100_000));
    // Page N through the cursor, as a client pages: the cursor of page N - 1's `next`.
    let cursor;
    let last;
    for (let page = 1; page < (deep ?? 1); page++) {
      const body = await get(query(filter, cursor));
      if (!body.next) throw new Error(`${name}: no page ${page + 1}`);
      cursor = body.next;
      last = body.runs[body.runs.length - 1];
    }
    const pages = deep ? [[1], [deep, cursor]] : [[1]];
    for (const [page, at] of pages) {
      const path = query(filter, at);
      const expected = (await get(path)).runs.map((r) => r.id);
      const before = page === 1 ? undefined : last;
      const bare = barePage(db, workspaceId, filter, before, true);
      const plain = barePage(db, workspaceId, filter, before, false);
      for (const query of [bare, plain]) {
        const bareIds = query()
          .slice(0, PAGE)
          .map((r) => r.id);
        if (JSON.stringify(bareIds) !== JSON.stringify(expected))
          throw new Error(`${name} page ${page}: the bare query answers other runs than the API`);
      }
      const server = await time(() => get(path));
      const http = await time(() => fetchJson(`${url}${path}`, headers));
      const sql = await time(() => bare());
      const plainSql = await time(() => plain());
      const row = {
        bench: "server-runs-page",
        runs: RUNS,
        filter: name,
        page,
        serverMs: round(server.median),
        serverP95Ms: round(server.p95),
        httpMs: round(http.median),
        httpP95Ms: round(http.p95),
        bareSqlMs: round(sql.median),
        plainJoinSqlMs: round(plainSql.median),
        bar: LIST_BAR_MS,
        met: server.median < LIST_BAR_MS && http.median < LIST_BAR_MS,
        load: load(),
      };
      rows.push(row);
    }
  }
  db.close();
  console.log(`\nGET /api/v1/runs, ${PAGE} a page, over ${RUNS} runs (median of ${REPEATS}, ms):`);
  console.log(
    "  filter               page   server (p95)     http (p95)       bare SQL   plain JOIN   bar 50 ms",
  );
  for (const r of rows)
    console.log(
      `  ${r.filter.padEnd(20)} ${String(r.page).padStart(4)}   ${`${r.serverMs} (${r.serverP95Ms})`.padEnd(16)} ${`${r.httpMs} (${r.httpP95Ms})`.padEnd(16)} ${String(r.bareSqlMs).padEnd(10)} ${String(r.plainJoinSqlMs).padEnd(12)} ${r.met ? "met" : "NOT MET"}`,
    );
  for (const r of rows) console.log(`BENCH ${JSON.stringify(r)}`);
}

/** An EventSource-style client of `url`: each event as it arrives, with the time it did. */
function follow(url, secret, onEvent) {
  const req = request(url, { headers: { authorization: `Bearer ${secret}`, accept: "text/event-stream" } });
  req.on("response", (answer) => {
    if (answer.statusCode !== 200) throw new Error(`events: ${answer.statusCode}`);
    answer.setEncoding("utf8");
    let buffer = "";
    answer.on("data", (text) => {
      const now = performance.now();
      buffer += text;
      for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let event = "message";
        let data = "";
        for (const line of block.split("\n")) {
          if (line.startsWith("event:")) event = line.slice(6).trim();
          else if (line.startsWith("data:")) data += line.slice(5).trim();
        }
        if (data) onEvent(event, JSON.parse(data), now);
      }
    });
  });
  req.on("error", () => {});
  req.end();
  return () => req.destroy();
}

/** Resolves once `check()` holds, polling every 2 ms; rejects after `ms`. */
async function until(check, ms, what) {
  const deadline = performance.now() + ms;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

async function eventsBench(workspace, child, secret) {
  const { metadata } = workspace;
  const url = await child.url;
  const version = await metadata.registerPipelineVersion({
    pipeline: "live",
    hash: "l".repeat(64),
    ir: "{}",
  });
  const rows = [];
  for (const clients of [1, CLIENTS]) {
    const run = await metadata.createRun({
      pipelineVersionId: version.id,
      runtime: "local",
      status: "running",
      startedAt: Date.now(),
    });
    const beat = () =>
      metadata.recordHeartbeat(run.id, { host: hostname(), pid: process.pid, intervalMs: 1000 });
    await beat();
    await metadata.transaction(async (tx) => {
      for (let i = 0; i < DONE_STEPS; i++) {
        const step = await tx.createStepRun({ runId: run.id, stepId: `done${i}` });
        await tx.startAttempt(step.id, 1);
        await tx.finishStepRun(step.id, {
          status: "succeeded",
          attempt: { number: 1, status: "succeeded", exitCode: 0 },
        });
      }
    });
    const heart = setInterval(beat, 1000);
    const seen = Array.from({ length: clients }, () => new Map());
    const stops = seen.map((map) =>
      follow(`${url}/api/v1/runs/${run.id}/events`, secret, (event, data, now) => {
        if (event === "step") map.set(`${data.stepRunId}:${data.status}`, now);
        if (event === "run") map.set("run", now);
      }),
    );
    await until(() => seen.every((map) => map.has("run")), 30_000, "every client's first event");
    const delays = [];
    const cpu0 = await child.cpu();
    const t0 = performance.now();
    let stepRun;
    for (let change = 0; change < CHANGES; change++) {
      // A random offset from the server's reads, so the delays sample every phase of them.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 250));
      let key;
      let written;
      if (change % 3 === 0) {
        stepRun = await metadata.createStepRun({ runId: run.id, stepId: `s${change}` });
        written = performance.now();
        key = `${stepRun.id}:queued`;
      } else if (change % 3 === 1) {
        await metadata.startAttempt(stepRun.id, 1);
        written = performance.now();
        key = `${stepRun.id}:running`;
      } else {
        await metadata.finishStepRun(stepRun.id, {
          status: "succeeded",
          attempt: { number: 1, status: "succeeded", exitCode: 0 },
        });
        written = performance.now();
        key = `${stepRun.id}:succeeded`;
      }
      await until(() => seen.every((map) => map.has(key)), 30_000, `every client seeing ${key}`);
      for (const map of seen) delays.push(map.get(key) - written);
    }
    const wall = performance.now() - t0;
    const cpu1 = await child.cpu();
    clearInterval(heart);
    for (const stop of stops) stop();
    await metadata.updateRun(run.id, { status: "succeeded", endedAt: Date.now() });
    const cpuMs = (cpu1.user - cpu0.user + cpu1.system - cpu0.system) / 1000;
    rows.push({
      bench: "server-run-events",
      clients,
      changes: CHANGES,
      p50Ms: round(quantile(delays, 0.5), 1),
      p99Ms: round(quantile(delays, 0.99), 1),
      maxMs: round(Math.max(...delays), 1),
      serverCpuPercent: round((100 * cpuMs) / wall, 1),
      serverCpuMsPerSecond: round(cpuMs / (wall / 1000), 1),
      load: load(),
    });
  }
  console.log(
    `\none run followed by N event-stream clients: a step state change written to the store until each client has it (${CHANGES} changes):`,
  );
  console.log("  clients   p50 ms   p99 ms   max ms   server CPU (of one core)");
  for (const r of rows)
    console.log(
      `  ${String(r.clients).padStart(7)}   ${String(r.p50Ms).padEnd(8)} ${String(r.p99Ms).padEnd(8)} ${String(r.maxMs).padEnd(8)} ${r.serverCpuPercent}%`,
    );
  for (const r of rows) console.log(`BENCH ${JSON.stringify(r)}`);
}

export async function main() {
  const root = mkdtempSync(join(tmpdir(), "canal-server-bench-"));
  const { initWorkspace, openWorkspace } = await store();
  const { createToken } = await server();
  initWorkspace(root, "bench");
  const workspace = await openWorkspace(root);
  let child;
  try {
    const { fillMs } = await fill(workspace.metadata);
    console.log(`\nstored ${RUNS} runs through createRun in one transaction: ${round(fillMs / 1000, 1)} s`);
    const { secret } = await createToken(workspace.metadata, { role: "viewer" });
    child = startChild(root);
    await listBench(root, workspace, child, secret);
    await eventsBench(workspace, child, secret);
  } finally {
    await child?.stop();
    await workspace.close();
    rmSync(root, { recursive: true, force: true });
  }
}

if (process.argv[2] === "--serve") await serveChild(process.argv[3]);
else if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
