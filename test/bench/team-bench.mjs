// Team-store benchmark: the same generated 1,000-step pipelines (a chain and a fan-out of trivial
// script steps) run by Canal's local runtime on the embedded workspace (SQLite + a local folder)
// and on a team workspace (PostgreSQL + S3: a PostgreSQL 15 cluster and Ceph's RADOS Gateway, both
// started here on loopback), side by side in this run; then store writes per second through the
// PostgreSQL metadata store against bare `pg` inserts of the same rows on the same server.
//
// Bars (issue #11): per-step overhead on PostgreSQL + S3 within 1.5x of SQLite + local's; a no-op
// re-run of 1,000 steps from a fresh `canal run` process under 1 s. The store-writes figure has no
// bar; it says what the store costs over the database. The PostgreSQL server runs with fsync and
// synchronous commit off (as the tests' server does), for both the store and the bare inserts.
import { execFileSync, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { startPostgres } from "../services/postgres.mjs";
import { startRgw } from "../services/rgw.mjs";
import { generateCommandScripts, generateScripts, repo } from "./generate.mjs";

const STEPS = Number(process.env.CANAL_BENCH_TEAM_STEPS ?? 1000);
const WRITES = Number(process.env.CANAL_BENCH_TEAM_WRITES ?? 2000);
const shapes = ["chain", "fan-out"];
const LANES = 2;
const REPEATS = 3;
const BUCKET = "canal-team-bench";
const KEY_ENV = "CANAL_BENCH_TEAM_S3_KEY";
const SECRET_ENV = "CANAL_BENCH_TEAM_S3_SECRET";

const temps = [];
function temp(name) {
  const dir = mkdtempSync(join(tmpdir(), `canal-team-bench-${name}-`));
  temps.push(dir);
  return dir;
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const round = (value, digits = 2) => Number(value.toFixed(digits));
const rows = [];
function emit(row) {
  row.load = round(loadavg()[0]);
  rows.push(row);
  console.log(`BENCH ${JSON.stringify(row)}`);
}

function spawnMs(command, args, cwd) {
  const t0 = performance.now();
  const result = spawnSync(command, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  const ms = performance.now() - t0;
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(" ")} failed: ${result.stdout}${result.stderr}`);
  return { ms, stdout: result.stdout };
}

/** The commands' own time, one shell per lane, as run-bench.mjs measures it. */
function commandsMs(shape, n) {
  return median(
    Array.from({ length: REPEATS }, () => {
      const dir = temp("commands");
      const lanes = generateCommandScripts(dir, shape, n, LANES);
      return spawnMs("sh", ["-c", `${lanes.map((lane) => `sh ${lane} &`).join(" ")} wait`], dir).ms;
    }),
  );
}

function runChild(options) {
  const out = execFileSync(
    process.execPath,
    [join(repo, "test/bench/run-child.mjs"), JSON.stringify(options)],
    {
      encoding: "utf8",
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  return JSON.parse(out.trim().split("\n").pop());
}

async function compileOne(dir) {
  const { compile } = await import(join(repo, "compiler/dist/index.js"));
  const result = await compile({ entries: ["pipeline.ts"], cwd: dir, outDir: "out" });
  if (result.diagnostics.length) throw new Error(JSON.stringify(result.diagnostics.slice(0, 3)));
  return result.pipelines[0].dir;
}

/** A fresh `canal run <artifact>` that the cache answers for every step: its whole process. */
function cliNoopMs(artifactDir, cwd, n) {
  return Math.min(
    ...Array.from({ length: REPEATS }, () => {
      const { ms, stdout } = spawnMs(
        process.execPath,
        [join(repo, "packages/cli/dist/main.js"), "run", artifactDir],
        cwd,
      );
      if (!stdout.includes(`(${n} cached)`))
        throw new Error(`canal run (cached) did not hit every step: ${stdout}`);
      return ms;
    }),
  );
}

function check(run, state, label) {
  if (run.status !== "succeeded" || run.states[state] !== STEPS)
    throw new Error(
      `${label}: expected ${STEPS} ${state}, got ${run.status} ${JSON.stringify(run.states)} ${run.error ?? ""}`,
    );
}

/** Store writes per second: `createStepRun` through the store against the same INSERTs through bare `pg`. */
async function storeWrites(pg, database) {
  const { openWorkspace } = await import(join(repo, "packages/store/dist/index.js"));
  const dir = temp("writes");
  writeFileSync(
    join(dir, "canal.config.json"),
    JSON.stringify({ store: { kind: "postgres", url: pg.url(database) } }),
  );
  const workspace = await openWorkspace(dir);
  const { default: pgModule } = await import("pg");
  const Client = pgModule.Client;
  const bare = new Client({ connectionString: pg.url(database) });
  await bare.connect();
  try {
    const version = await workspace.metadata.registerPipelineVersion({
      pipeline: "writes",
      hash: "w",
      ir: "{}",
    });
    const storeSide = async () => {
      const run = await workspace.metadata.createRun({ pipelineVersionId: version.id, runtime: "local" });
      const t0 = performance.now();
      for (let i = 0; i < WRITES; i++)
        await workspace.metadata.createStepRun({ runId: run.id, stepId: `s${i}` });
      return performance.now() - t0;
    };
    const bareSide = async () => {
      const run = await workspace.metadata.createRun({ pipelineVersionId: version.id, runtime: "local" });
      const t0 = performance.now();
      for (let i = 0; i < WRITES; i++)
        await bare.query(
          `INSERT INTO step_runs (run_id, step_id, instance, status, error, created_at, ended_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (run_id, step_id, instance) DO NOTHING RETURNING *`,
          [run.id, `s${i}`, -1, "queued", null, Date.now(), null],
        );
      return performance.now() - t0;
    };
    const storeMs = [];
    const bareMs = [];
    // Alternating, so a busy moment of the machine falls on both sides alike.
    for (let round = 0; round < REPEATS; round++) {
      storeMs.push(await storeSide());
      bareMs.push(await bareSide());
    }
    const perSecond = (ms) => (WRITES / ms) * 1000;
    emit({
      bench: "team-store-writes",
      rows: WRITES,
      storePerSecond: round(perSecond(median(storeMs)), 0),
      barePgPerSecond: round(perSecond(median(bareMs)), 0),
      ratio: round(median(storeMs) / median(bareMs)),
    });
  } finally {
    await bare.end();
    await workspace.close();
  }
}

export async function main() {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
  const pg = await startPostgres();
  let rgw;
  try {
    rgw = await startRgw();
    const { S3Client, CreateBucketCommand } = await import("@aws-sdk/client-s3");
    const admin = new S3Client({
      endpoint: rgw.endpoint,
      region: rgw.region,
      forcePathStyle: true,
      credentials: rgw.credentials,
    });
    await admin.send(new CreateBucketCommand({ Bucket: BUCKET }));
    admin.destroy();
    process.env[KEY_ENV] = rgw.credentials.accessKeyId;
    process.env[SECRET_ENV] = rgw.credentials.secretAccessKey;

    for (const shape of shapes) {
      const commands = commandsMs(shape, STEPS);
      const dir = temp(shape);
      generateScripts(dir, shape, STEPS);
      const artifactDir = await compileOne(dir);
      for (const store of ["sqlite+local", "postgres+s3"]) {
        const workspace = join(dir, store);
        mkdirSync(workspace);
        if (store === "postgres+s3") {
          const database = `bench_${shape.replace("-", "_")}`;
          pg.psql(`CREATE DATABASE ${database}`);
          writeFileSync(
            join(workspace, "canal.config.json"),
            JSON.stringify({
              workspace: "team",
              store: { kind: "postgres", url: pg.url(database) },
              artifacts: {
                kind: "s3",
                bucket: BUCKET,
                prefix: `${shape}/${randomUUID()}`,
                endpoint: rgw.endpoint,
                region: rgw.region,
                accessKeyIdEnv: KEY_ENV,
                secretAccessKeyEnv: SECRET_ENV,
              },
            }),
          );
        }
        const { cold, cached } = runChild({ mode: "cold", artifactDir, workspace, reruns: 1 });
        check(cold, "succeeded", `${store} ${shape}`);
        check(cached, "cached", `${store} ${shape} re-run`);
        emit({
          bench: "team-run",
          shape,
          steps: STEPS,
          store,
          commandsMs: round(commands, 1),
          wallMs: round(cold.ms, 1),
          overheadMsPerStep: round((cold.ms - commands) / STEPS),
          noopRerunCliMs: round(cliNoopMs(artifactDir, workspace, STEPS), 1),
        });
      }
    }
    pg.psql("CREATE DATABASE bench_writes");
    await storeWrites(pg, "bench_writes");
  } finally {
    delete process.env[KEY_ENV];
    delete process.env[SECRET_ENV];
    await rgw?.stop();
    await pg.stop();
    for (const dir of temps) rmSync(dir, { recursive: true, force: true });
  }

  // For people.
  console.log(`\nteam store: ${STEPS} trivial script steps, 2 at a time, SQLite + local vs PostgreSQL + S3`);
  console.log("  shape    store          wall s  overhead ms/step  canal run (all cached) ms");
  for (const r of rows.filter((row) => row.bench === "team-run"))
    console.log(
      `  ${r.shape.padEnd(7)}  ${r.store.padEnd(12)} ${(r.wallMs / 1000).toFixed(2).padStart(7)}  ${r.overheadMsPerStep.toFixed(2).padStart(16)}  ${r.noopRerunCliMs.toFixed(1).padStart(25)}`,
    );
  const writes = rows.find((row) => row.bench === "team-store-writes");
  console.log(
    `store writes (createStepRun, one at a time): ${writes.storePerSecond}/s through the store, ${writes.barePgPerSecond}/s as bare pg INSERTs (${writes.ratio}x the time)`,
  );
  const at = (shape, store) =>
    rows.find((row) => row.bench === "team-run" && row.shape === shape && row.store === store);
  const bars = [];
  for (const shape of shapes) {
    const local = at(shape, "sqlite+local");
    const team = at(shape, "postgres+s3");
    bars.push({
      bar: `per-step overhead of the ${STEPS}-step ${shape} on PostgreSQL + S3 within 1.5x of SQLite + local's`,
      value: team.overheadMsPerStep,
      limit: 1.5 * local.overheadMsPerStep,
      unit: "ms",
    });
    bars.push({
      bar: `no-op re-run of the ${STEPS}-step ${shape} on PostgreSQL + S3 under 1 s, the \`canal\` process's start included`,
      value: team.noopRerunCliMs / 1000,
      limit: 1,
      unit: "s",
    });
  }
  console.log("\nbars:");
  for (const bar of bars) {
    const met = bar.value < bar.limit;
    console.log(
      `  ${met ? "PASS" : "MISS"}  ${bar.bar}: ${round(bar.value, 3)} ${bar.unit} (limit ${round(bar.limit, 3)} ${bar.unit})`,
    );
    console.log(
      `BENCH ${JSON.stringify({ bench: "team-bar", ...bar, value: round(bar.value, 3), limit: round(bar.limit, 3), met })}`,
    );
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
