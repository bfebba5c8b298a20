// `canal workspace push --to CONFIG` from a workspace of one (SQLite + a local directory) into a
// team's (PostgreSQL + S3, real servers started here): afterwards `canal runs` there lists the
// pushed runs under their ids and a `canal run` there reuses every step; pushing again copies
// nothing; a wrong password for the team store is one clear error without the secret.
import { randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canal } from "../canal.js";
import { makeProject } from "../helpers.js";
import { type PostgresServer, startPostgres } from "../postgres/server.js";
import { type Rgw, startRgw } from "../services/rgw.mjs";
import { type TestBucket, testBucket } from "../services/s3-bucket.mjs";

const BUCKET = "canal-push";
const PASSWORD = "pg-push-Pass";
const PG_ENV = "CANAL_TEST_PUSH_PG_PASSWORD";
const KEY_ENV = "CANAL_TEST_PUSH_S3_KEY";
const SECRET_ENV = "CANAL_TEST_PUSH_S3_SECRET";
const fixture = join(import.meta.dirname, "fixtures/slow");

let pg: PostgresServer;
let rgw: Rgw;
let bucket: TestBucket;

beforeAll(async () => {
  pg = await startPostgres({ password: PASSWORD });
  pg.psql("CREATE DATABASE canal");
  rgw = await startRgw();
  process.env[PG_ENV] = PASSWORD;
  delete process.env.PGPASSWORD;
  bucket = await testBucket(rgw, { bucket: BUCKET, keyEnv: KEY_ENV, secretEnv: SECRET_ENV });
}, 900_000);

afterAll(async () => {
  bucket?.release();
  delete process.env[PG_ENV];
  await rgw?.stop();
  await pg?.stop();
});

const runIdOf = (output: string) => /^run (run-\S+): /m.exec(output)?.[1] ?? "";

function writeTeamConfig(dir: string, passwordEnv = PG_ENV): string {
  const path = join(dir, "canal.config.json");
  writeFileSync(
    path,
    JSON.stringify({
      workspace: "team",
      store: { kind: "postgres", url: pg.url("canal"), passwordEnv },
      artifacts: {
        kind: "s3",
        bucket: BUCKET,
        prefix: `push/${randomUUID()}`,
        endpoint: rgw.endpoint,
        accessKeyIdEnv: KEY_ENV,
        secretAccessKeyEnv: SECRET_ENV,
      },
    }),
  );
  return path;
}

describe("canal workspace push", () => {
  it("moves a workspace of one into the team's: its runs listed there, its cache used there", async () => {
    const alone = makeProject({ from: fixture });
    const team = makeProject({ from: fixture });
    const teamConfig = writeTeamConfig(team);
    const first = await canal(["run", "pipeline.ts"], alone);
    expect(first.status, first.stdout + first.stderr).toBe(0);
    const second = await canal(["run", "pipeline.ts"], alone);
    const ids = [runIdOf(first.stdout), runIdOf(second.stdout)];

    const dry = await canal(["workspace", "push", "--to", teamConfig, "--dry-run"], alone);
    expect(dry.status, dry.stdout + dry.stderr).toBe(0);
    expect(dry.stdout).toContain("runs:              would copy 2, already there 0, skipped 0");
    expect((await canal(["runs", "--json"], team)).stdout).not.toContain(ids[0]);

    const pushed = await canal(["workspace", "push", "--to", teamConfig], alone);
    expect(pushed.status, pushed.stdout + pushed.stderr).toBe(0);
    expect(pushed.stdout).toContain(`pushed run ${ids[0]} (4 steps, 4 cache entries)`);
    expect(pushed.stdout).toContain("runs:              copied 2, already there 0, skipped 0");
    expect(pushed.stdout).toContain("cache entries:     copied 4, already there 0");
    expect(pushed.stdout).not.toContain(PASSWORD);
    expect(pushed.stdout).not.toContain(rgw.credentials.secretAccessKey);

    const listed = JSON.parse((await canal(["runs", "--json"], team)).stdout) as Array<{ id: string }>;
    expect(listed.map((r) => r.id).sort()).toEqual([...ids].sort());
    const logs = await canal(["logs", ids[0] ?? "", "first"], team);
    expect(logs.status, logs.stderr).toBe(0);

    const there = await canal(["run", "pipeline.ts"], team);
    expect(there.status, there.stdout + there.stderr).toBe(0);
    const shown = JSON.parse((await canal(["runs", "show", runIdOf(there.stdout), "--json"], team)).stdout);
    expect((shown.steps as Array<{ status: string }>).map((s) => s.status)).toEqual([
      "cached",
      "cached",
      "cached",
      "cached",
    ]);

    const again = await canal(["workspace", "push", "--to", team], alone);
    expect(again.status, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toContain("runs:              copied 0, already there 2, skipped 0");
    expect(again.stdout).toContain("nothing to copy");

    // A new run here: only it goes.
    const third = await canal(["run", "pipeline.ts", "--regenerate"], alone);
    const later = await canal(["workspace", "push", "--to", teamConfig, "--json"], alone);
    expect(later.status, later.stdout + later.stderr).toBe(0);
    expect(JSON.parse(later.stdout).runs).toEqual({ copied: 1, present: 2, skipped: [] });
    const all = JSON.parse((await canal(["runs", "--json"], team)).stdout) as Array<{ id: string }>;
    expect(all.map((r) => r.id)).toContain(runIdOf(third.stdout));
  }, 300_000);

  it("fails clearly when the S3 server is away, and a push once it is back copies everything", async () => {
    const alone = makeProject({ from: fixture });
    const team = makeProject({ from: fixture });
    const teamConfig = writeTeamConfig(team);
    const run = await canal(["run", "pipeline.ts"], alone);
    expect(run.status, run.stdout + run.stderr).toBe(0);
    await rgw.stopGateway();
    let failed: Awaited<ReturnType<typeof canal>>;
    try {
      failed = await canal(["workspace", "push", "--to", teamConfig], alone);
    } finally {
      await rgw.startGateway();
    }
    expect(failed.status).not.toBe(0);
    expect(failed.stderr).toContain(`cannot reach the artifact store at ${rgw.endpoint}`);
    expect(failed.stdout + failed.stderr).not.toContain(rgw.credentials.secretAccessKey);
    const pushed = await canal(["workspace", "push", "--to", teamConfig, "--json"], alone);
    expect(pushed.status, pushed.stdout + pushed.stderr).toBe(0);
    expect(JSON.parse(pushed.stdout).runs).toEqual({ copied: 1, present: 0, skipped: [] });
    const there = await canal(["run", "pipeline.ts"], team);
    const shown = JSON.parse((await canal(["runs", "show", runIdOf(there.stdout), "--json"], team)).stdout);
    expect((shown.steps as Array<{ status: string }>).every((s) => s.status === "cached")).toBe(true);
  }, 300_000);

  it("says which setting holds a wrong password for the team store, without the password", async () => {
    const alone = makeProject({ from: fixture });
    const team = makeProject({ from: fixture });
    const wrong = `wrong-${randomUUID()}`;
    process.env.CANAL_TEST_PUSH_PG_WRONG = wrong;
    try {
      const config = writeTeamConfig(team, "CANAL_TEST_PUSH_PG_WRONG");
      const result = await canal(["workspace", "push", "--to", config], alone);
      expect(result.status).not.toBe(0);
      expect(result.stderr).toContain("CANAL_TEST_PUSH_PG_WRONG (`store.passwordEnv`)");
      expect(result.stderr.match(/store\.passwordEnv/g)).toHaveLength(1);
      expect(result.stdout + result.stderr).not.toContain(wrong);
    } finally {
      delete process.env.CANAL_TEST_PUSH_PG_WRONG;
    }
    const missing = await canal(["workspace", "push", "--to", join(team, "nowhere")], alone);
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toContain("canal.config.json");
  }, 120_000);
});
