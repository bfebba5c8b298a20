// A cold step's statements through the PostgreSQL store on one connection (`poolSize: 1`): the
// cache lookup, the claim, the attempt's start, the end with its cache entry and the release, with
// `store.preparedStatements` on and off alternating; the backend's CPU (from /proc) and the wall
// time per step. `node test/bench/pg-statements-bench.mjs`, under `flock` on a shared machine.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("../..", import.meta.url));
const N = 1000;
const { startPostgres } = await import(join(repo, "test/services/postgres.mjs"));
const { openWorkspace } = await import(join(repo, "packages/store/dist/index.js"));
const pg = await startPostgres();
const dirs = [];
// utime + stime of a process, in ms (clock ticks of 10 ms, as Linux reports them).
const cpuMs = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(f[11]) + Number(f[12])) * 10;
};
const components = { stepHash: "s", codeHash: "c", codeFiles: [], environment: "e", inputs: {} };
try {
  for (const round of [0, 1, 2]) {
    for (const prepared of round % 2 ? [false, true] : [true, false]) {
      const db = `s_${round}_${prepared}`;
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
      console.log(
        JSON.stringify({
          prepared,
          load: Number(loadavg()[0].toFixed(2)),
          wallMsPerStep: Number(((performance.now() - t0) / N).toFixed(3)),
          serverCpuMsPerStep: Number(((cpuMs(pid) - c0) / N).toFixed(3)),
        }),
      );
      await metadata.close();
    }
  }
} finally {
  await pg.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}
