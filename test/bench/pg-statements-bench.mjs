// A cold step's statements through the PostgreSQL store on one connection (`poolSize: 1`): the
// cache lookup, the claim, the attempt's start, the end with its cache entry and the release, with
// `store.preparedStatements` on and off alternating; the backend's CPU (from /proc) and the wall
// time per step, three rounds each way. Part of `npm run bench`; alone: `node
// test/bench/pg-statements-bench.mjs` (on a shared machine, under `flock`).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const repo = fileURLToPath(new URL("../..", import.meta.url));
const N = Number(process.env.CANAL_BENCH_PG_STATEMENT_STEPS ?? 1000);
// utime + stime of a process, in ms (clock ticks of 10 ms, as Linux reports them).
const cpuMs = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(f[11]) + Number(f[12])) * 10;
};
const components = { stepHash: "s", codeHash: "c", codeFiles: [], environment: "e", inputs: {} };
const round = (value, digits = 3) => Number(value.toFixed(digits));
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

export async function main() {
  const { startPostgres } = await import(join(repo, "test/services/postgres.mjs"));
  const { openWorkspace } = await import(join(repo, "packages/store/dist/index.js"));
  console.log(
    `\nPostgreSQL store: a cold step's five statements on one connection, ${N} steps, named prepared statements against unnamed, alternating`,
  );
  const pg = await startPostgres();
  const dirs = [];
  const rows = [];
  try {
    for (const pass of [0, 1, 2]) {
      for (const prepared of pass % 2 ? [false, true] : [true, false]) {
        const db = `s_${pass}_${prepared}`;
        pg.psql(`CREATE DATABASE ${db}`);
        const dir = mkdtempSync(join(tmpdir(), "canal-pg-statements-"));
        dirs.push(dir);
        writeFileSync(
          join(dir, "canal.config.json"),
          JSON.stringify({
            workspace: "b",
            store: { kind: "postgres", url: pg.url(db), poolSize: 1, preparedStatements: prepared },
          }),
        );
        const { metadata } = await openWorkspace(dir);
        const v = await metadata.registerPipelineVersion({ pipeline: "p", hash: "h", ir: "{}" });
        const run = await metadata.createRun({ pipelineVersionId: v.id, runtime: "local" });
        const steps = await metadata.createStepRuns(
          Array.from({ length: N + 50 }, (_, i) => ({ runId: run.id, stepId: `s${i}` })),
        );
        const [{ pid }] = await metadata.transaction((tx) => tx.sql("SELECT pg_backend_pid() AS pid"));
        const step = async (i) => {
          const key = `k${i}`;
          await metadata.getCachedOutputs(key);
          await metadata.claimStep(key, { runId: run.id, host: "h", pid: 1, ttlMs: 60000 });
          await metadata.startAttempt(steps[i], 1);
          await metadata.finishStepRun(steps[i], {
            status: "succeeded",
            attempt: { number: 1, status: "succeeded", exitCode: 0 },
            cacheKey: key,
            components,
            reusable: true,
            outputs: { o: { json: String(i) } },
          });
          await metadata.releaseSteps([key], run.id);
        };
        for (let i = N; i < N + 50; i++) await step(i);
        const c0 = cpuMs(pid);
        const t0 = performance.now();
        for (let i = 0; i < N; i++) await step(i);
        const row = {
          bench: "pg-statements",
          round: pass,
          prepared,
          steps: N,
          wallMsPerStep: round((performance.now() - t0) / N),
          serverCpuMsPerStep: round((cpuMs(pid) - c0) / N),
          load: round(loadavg()[0], 2),
        };
        rows.push(row);
        console.log(`BENCH ${JSON.stringify(row)}`);
        await metadata.close();
      }
    }
  } finally {
    await pg.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
  for (const prepared of [true, false]) {
    const mine = rows.filter((r) => r.prepared === prepared);
    console.log(
      `  ${prepared ? "named  " : "unnamed"}  server CPU ${median(mine.map((r) => r.serverCpuMsPerStep)).toFixed(2)} ms/step, wall ${median(mine.map((r) => r.wallMsPerStep)).toFixed(2)} ms/step (medians of ${mine.length})`,
    );
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
