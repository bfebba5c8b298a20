// Faults of a team workspace (PostgreSQL metadata, S3 artifacts; real servers started here): the
// database restarted while a run waits on a step, the S3 server stopped and started again while an
// output uploads, an object deleted from the bucket, and a wrong password or bucket. Each ends as
// a clear retried or failed step: never a hung run, a lost result or a wrong cache hit.
import { randomUUID } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeleteObjectCommand, HeadObjectCommand, ListMultipartUploadsCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canal } from "../canal.js";
import { isRunning, makeProject, waitFor } from "../helpers.js";
import { type PostgresServer, startPostgres } from "../postgres/server.js";
import { type Rgw, startRgw } from "../services/rgw.mjs";
import { type TestBucket, testBucket } from "../services/s3-bucket.mjs";

const BUCKET = "canal-faults";
const PASSWORD = "pg-fault-Pass";
const PG_ENV = "CANAL_TEST_FAULT_PG_PASSWORD";
const KEY_ENV = "CANAL_TEST_FAULT_S3_KEY";
const SECRET_ENV = "CANAL_TEST_FAULT_S3_SECRET";
const fixture = join(import.meta.dirname, "../run/fixtures/slow");
// One step whose 64 MiB output goes up in a multipart upload.
const BIG_PIPELINE = `import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { context, File, pipeline, step } from "@canal/sdk";

export class Big {
  @step
  async big(): Promise<{ out: File }> {
    const out = context().outputPath("out");
    await writeFile(out, randomBytes(64 * 1024 * 1024));
    return { out: new File(out) };
  }

  @pipeline({ name: "big" })
  async run() {
    const big = await this.big();
    return { out: big.out };
  }
}
`;

let pg: PostgresServer;
let rgw: Rgw;
let bucket: TestBucket;
let admin: TestBucket["admin"];
let workspaces = 0;

beforeAll(async () => {
  pg = await startPostgres({ password: PASSWORD });
  pg.psql("CREATE DATABASE canal");
  rgw = await startRgw();
  process.env[PG_ENV] = PASSWORD;
  process.env[KEY_ENV] = rgw.credentials.accessKeyId;
  process.env[SECRET_ENV] = rgw.credentials.secretAccessKey;
  delete process.env.PGPASSWORD;
  bucket = await testBucket(rgw, { bucket: BUCKET, keyEnv: KEY_ENV, secretEnv: SECRET_ENV });
  admin = bucket.admin;
}, 900_000);

afterAll(async () => {
  bucket?.release();
  delete process.env[PG_ENV];
  await rgw?.stop();
  await pg?.stop();
});

const runIdOf = (output: string) => /^run (run-\S+): /m.exec(output)?.[1] ?? "";

async function states(dir: string, runId: string): Promise<Record<string, string>> {
  const shown = await canal(["runs", "show", runId, "--json"], dir);
  const steps = JSON.parse(shown.stdout).steps as Array<{ stepId: string; status: string }>;
  return Object.fromEntries(steps.map((s) => [s.stepId, s.status]));
}

/** A workspace of its own in the shared database and bucket; returns its bucket prefix. */
function writeTeamConfig(
  dir: string,
  store: Record<string, unknown> = {},
  artifacts: Record<string, unknown> = {},
): string {
  const prefix = `faults/${randomUUID()}`;
  writeFileSync(
    join(dir, "canal.config.json"),
    JSON.stringify({
      workspace: `team-${++workspaces}`,
      store: { kind: "postgres", url: pg.url("canal"), passwordEnv: PG_ENV, ...store },
      artifacts: bucket.config({ prefix, ...artifacts }),
    }),
  );
  return prefix;
}

describe("faults of a PostgreSQL + S3 workspace", () => {
  it("keeps a run going and its results when PostgreSQL restarts while it waits on a step", async () => {
    const dir = makeProject({ from: fixture });
    writeTeamConfig(dir);
    const pids = mkdtempSync(join(tmpdir(), "canal-fault-pids-"));
    process.env.SLOW_TEST_HOLD = "300";
    process.env.SLOW_TEST_PIDS = pids;
    // Heartbeats every 100 ms: some fall while the database is away.
    process.env.CANAL_HEARTBEAT_MS = "100";
    let settled = false;
    let down = false;
    const running = canal(["run", "pipeline.ts"], dir).finally(() => {
      settled = true;
    });
    try {
      const pidOf = (suffix: string) => {
        const name = readdirSync(pids).find((n) => n.endsWith(suffix));
        return name ? Number(readFileSync(join(pids, name), "utf8").trim()) : 0;
      };
      await waitFor("the slow step to start", () => pidOf("-sleep.pid") > 0 || settled, 120_000);
      expect(settled).toBe(false);
      // The database goes away while the step runs, and the step ends while it is away: its end
      // is written once the server is back.
      await pg.stopServer();
      down = true;
      const shell = pidOf("-shell.pid");
      process.kill(pidOf("-sleep.pid"), "SIGTERM");
      await waitFor("the slow step to end", () => !isRunning(shell), 30_000);
      pg.startServer();
      down = false;
      const result = await running;
      expect(result.status, result.stdout + result.stderr).toBe(0);
      const runId = runIdOf(result.stdout);
      expect(await states(dir, runId)).toEqual({
        first: "succeeded",
        quick: "succeeded",
        slow: "succeeded",
        last: "succeeded",
      });
      // Nothing lost: the next run (with the same variables, which its cache keys cover) reuses
      // every step.
      const again = await canal(["run", "pipeline.ts"], dir);
      expect(again.status, again.stdout + again.stderr).toBe(0);
      expect(Object.values(await states(dir, runIdOf(again.stdout)))).toEqual([
        "cached",
        "cached",
        "cached",
        "cached",
      ]);
    } finally {
      delete process.env.SLOW_TEST_HOLD;
      delete process.env.SLOW_TEST_PIDS;
      delete process.env.CANAL_HEARTBEAT_MS;
      if (down) pg.startServer();
      await running.catch(() => undefined);
      rmSync(pids, { recursive: true, force: true });
    }
  }, 300_000);

  it("fails the run within one reconnect window, naming the store, when PostgreSQL stays away", async () => {
    const dir = makeProject({ from: fixture });
    const windowMs = 4000;
    writeTeamConfig(dir, { reconnectWindowMs: windowMs });
    const pids = mkdtempSync(join(tmpdir(), "canal-fault-pids-"));
    process.env.SLOW_TEST_HOLD = "300";
    process.env.SLOW_TEST_PIDS = pids;
    let settled = false;
    let down = false;
    const running = canal(["run", "pipeline.ts"], dir).finally(() => {
      settled = true;
    });
    try {
      const pidOf = (suffix: string) => {
        const name = readdirSync(pids).find((n) => n.endsWith(suffix));
        return name ? Number(readFileSync(join(pids, name), "utf8").trim()) : 0;
      };
      await waitFor("the slow step to start", () => pidOf("-sleep.pid") > 0 || settled, 120_000);
      expect(settled).toBe(false);
      await pg.stopServer();
      down = true;
      const gone = Date.now();
      process.kill(pidOf("-sleep.pid"), "SIGTERM");
      const result = await running;
      // Every write the driver still had to make waits for the one window, not a window each.
      expect(Date.now() - gone).toBeLessThan(3 * windowMs);
      expect(result.status).not.toBe(0);
      expect(result.stderr).toContain("CANAL_STORE_OPEN_FAILED: lost the connection to the metadata store");
      expect(result.stderr).toContain(`did not come back within ${windowMs / 1000} s`);
      expect(result.stderr).not.toContain(PASSWORD);
      pg.startServer();
      down = false;
      // The step whose end could not be written is not served from the cache: it runs again.
      delete process.env.SLOW_TEST_HOLD;
      const again = await canal(["run", "pipeline.ts"], dir);
      expect(again.status, again.stdout + again.stderr).toBe(0);
      expect((await states(dir, runIdOf(again.stdout))).slow).toBe("succeeded");
    } finally {
      delete process.env.SLOW_TEST_HOLD;
      delete process.env.SLOW_TEST_PIDS;
      if (down) pg.startServer();
      await running.catch(() => undefined);
      rmSync(pids, { recursive: true, force: true });
    }
  }, 300_000);

  it("fails the step clearly when the S3 server stops while its output uploads, and runs it once the server is back", async () => {
    const dir = makeProject({
      files: {
        "pipeline.ts": BIG_PIPELINE,
      },
    });
    const prefix = writeTeamConfig(dir);
    let settled = false;
    const running = canal(["run", "pipeline.ts"], dir).finally(() => {
      settled = true;
    });
    for (;;) {
      const uploads = await admin.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: prefix }));
      if ((uploads.Uploads ?? []).length > 0 || settled) break;
    }
    expect(settled).toBe(false);
    await rgw.stopGateway();
    let failed: Awaited<typeof running>;
    try {
      failed = await running;
    } finally {
      await rgw.startGateway();
    }
    expect(failed.status).not.toBe(0);
    expect(failed.stdout + failed.stderr).toContain(`cannot reach the artifact store at ${rgw.endpoint}`);
    expect(await states(dir, runIdOf(failed.stdout))).toEqual({ big: "failed" });
    // No entry was written for the failed step: the next run runs it, not a cache hit on nothing.
    const again = await canal(["run", "pipeline.ts"], dir);
    expect(again.status, again.stdout + again.stderr).toBe(0);
    expect(await states(dir, runIdOf(again.stdout))).toEqual({ big: "succeeded" });
    const third = await canal(["run", "pipeline.ts"], dir);
    expect(await states(dir, runIdOf(third.stdout))).toEqual({ big: "cached" });
  }, 300_000);

  it("ends a run clearly, retried or failed, when the S3 server restarts during an upload, and never serves a half upload", async () => {
    const dir = makeProject({ files: { "pipeline.ts": BIG_PIPELINE } });
    const prefix = writeTeamConfig(dir);
    let settled = false;
    const running = canal(["run", "pipeline.ts"], dir).finally(() => {
      settled = true;
    });
    for (;;) {
      const uploads = await admin.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: prefix }));
      if ((uploads.Uploads ?? []).length > 0 || settled) break;
    }
    expect(settled).toBe(false);
    await rgw.stopGateway();
    await rgw.startGateway();
    const result = await running;
    const printed = result.stdout + result.stderr;
    const state = await states(dir, runIdOf(result.stdout));
    if (result.status === 0) expect(state).toEqual({ big: "succeeded" });
    else {
      expect(state).toEqual({ big: "failed" });
      expect(printed).toMatch(/artifact store at/);
    }
    // Whatever happened, the next run serves only whole, verified bytes: a cache hit on what was
    // stored, or the step run again.
    const again = await canal(["run", "pipeline.ts"], dir);
    expect(again.status, again.stdout + again.stderr).toBe(0);
    expect((await states(dir, runIdOf(again.stdout))).big).toBe(result.status === 0 ? "cached" : "succeeded");
    const entries = JSON.parse((await canal(["cache", "ls", "--json"], dir)).stdout) as unknown[];
    expect(entries).toHaveLength(1);
  }, 300_000);

  it("runs a step again whose output was deleted from the bucket, and stores it again", async () => {
    const dir = makeProject({ from: fixture });
    // Every output an object of its own, however small: the bucket is what is damaged here (the
    // table of small blobs has its own case in test/team/small-blobs.test.ts).
    const prefix = writeTeamConfig(dir, {}, { inlineBytes: 0 });
    const first = await canal(["run", "pipeline.ts"], dir);
    expect(first.status, first.stdout + first.stderr).toBe(0);
    const shown = JSON.parse((await canal(["runs", "show", runIdOf(first.stdout), "--json"], dir)).stdout);
    const quick = (
      shown.steps as Array<{ stepId: string; outputs?: Record<string, { digest: string }> }>
    ).find((s) => s.stepId === "quick");
    const digest = Object.values(quick?.outputs ?? {})[0]?.digest ?? "";
    expect(digest).toMatch(/^[0-9a-f]{64}$/);
    const Key = `${prefix}/sha256/${digest.slice(0, 2)}/${digest.slice(2)}`;
    await admin.send(new DeleteObjectCommand({ Bucket: BUCKET, Key }));

    const repaired = await canal(["run", "pipeline.ts"], dir);
    expect(repaired.status, repaired.stdout + repaired.stderr).toBe(0);
    expect(await states(dir, runIdOf(repaired.stdout))).toEqual({
      first: "cached",
      quick: "succeeded",
      slow: "cached",
      last: "cached",
    });
    expect((await admin.send(new HeadObjectCommand({ Bucket: BUCKET, Key }))).ContentLength).toBeGreaterThan(
      0,
    );
    const after = await canal(["run", "pipeline.ts"], dir);
    expect(Object.values(await states(dir, runIdOf(after.stdout)))).toEqual([
      "cached",
      "cached",
      "cached",
      "cached",
    ]);
  }, 300_000);

  it("says once, naming the setting and without the secret, that the database refused the password", async () => {
    const dir = makeProject({ from: fixture });
    const wrong = `wrong-${randomUUID()}`;
    process.env.CANAL_TEST_FAULT_PG_WRONG = wrong;
    try {
      writeTeamConfig(dir, { passwordEnv: "CANAL_TEST_FAULT_PG_WRONG" });
      for (const args of [["run", "pipeline.ts"], ["runs"]]) {
        const result = await canal(args, dir);
        expect(result.status).not.toBe(0);
        const printed = result.stdout + result.stderr;
        expect(printed).toContain("CANAL_TEST_FAULT_PG_WRONG (`store.passwordEnv`)");
        expect(printed).not.toContain(wrong);
        expect(printed).not.toContain(PASSWORD);
        expect(result.stderr.match(/store\.passwordEnv/g)).toHaveLength(1);
      }
    } finally {
      delete process.env.CANAL_TEST_FAULT_PG_WRONG;
    }
  }, 120_000);

  it("says once, naming the setting, that the bucket is not there", async () => {
    const dir = makeProject({ from: fixture });
    const bucket = `nowhere-${randomUUID().slice(0, 8)}`;
    writeTeamConfig(dir, {}, { bucket });
    for (const args of [["run", "pipeline.ts"], ["runs"]]) {
      const result = await canal(args, dir);
      expect(result.status).not.toBe(0);
      const printed = result.stdout + result.stderr;
      expect(printed).toContain(bucket);
      expect(result.stderr.match(/`artifacts\.bucket`/g)).toHaveLength(1);
      expect(printed).not.toContain(rgw.credentials.secretAccessKey);
      expect(printed).not.toContain(rgw.credentials.accessKeyId);
    }
  }, 120_000);
});
