// `canal workspace push --to CONFIG` from a workspace of one (SQLite + a local directory) into a
// team's (PostgreSQL + S3, real servers started here): afterwards `canal runs` there lists the
// pushed runs under their ids and a `canal run` there reuses every step; pushing again copies
// nothing; a wrong password for the team store is one clear error without the secret. Datasets go
// too: their files onto the team's S3 datastore, their versions and lineage into PostgreSQL.
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canal } from "../canal.js";
import { makeProject, repoRoot } from "../helpers.js";
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

function writeTeamConfig(
  dir: string,
  passwordEnv = PG_ENV,
  prefix = `push/${randomUUID()}`,
  datastores?: Record<string, unknown>,
): string {
  const path = join(dir, "canal.config.json");
  writeFileSync(
    path,
    JSON.stringify({
      workspace: "team",
      store: { kind: "postgres", url: pg.url("canal"), passwordEnv },
      artifacts: bucket.config({ prefix }),
      ...(datastores ? { datastores } : {}),
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

  it("copies datasets: files onto the team's S3 datastore, versions numbered after the team's, lineage by them", async () => {
    const datasets = join(import.meta.dirname, "fixtures/datasets");
    const alone = makeProject({ from: datasets });
    const team = makeProject({ from: datasets });
    for (const dir of [alone, team])
      symlinkSync(join(repoRoot, "node_modules/zod"), join(dir, "node_modules/zod"));
    const marker = join(mkdtempSync(join(tmpdir(), "canal-push-marker-")), "ran.log");
    writeFileSync(marker, "");
    // The team's own database, so that its numbering is this test's alone.
    const database = `push_${randomUUID().replaceAll("-", "")}`;
    pg.psql(`CREATE DATABASE ${database}`);
    const prefix = `push/${randomUUID()}`;
    const raw = { raw: { ...bucket.config({ prefix: `${prefix}/lake/` }) } };
    const config = (datastores?: Record<string, unknown>) => {
      const path = writeTeamConfig(team, PG_ENV, prefix, datastores);
      const written = JSON.parse(readFileSync(path, "utf8"));
      written.store.url = pg.url(database);
      writeFileSync(path, JSON.stringify(written));
      return path;
    };
    const ok = async (args: string[], dir: string) => {
      const result = await canal(args, dir);
      expect(result.status, `canal ${args.join(" ")}: ${result.stdout}${result.stderr}`).toBe(0);
      return result.stdout;
    };

    await ok(["datasets", "register", "wine", "--from", "raw:wine/*.csv", "--table"], alone);
    await ok(["compile", "pipeline.ts", "--out", "build"], alone);
    const read = runIdOf(await ok(["run", "build/latest", "-p", `marker=${marker}`], alone));
    const published = runIdOf(await ok(["run", "build/publish"], alone));

    // A team without the datastore: the versions wait, the fix named; the runs go.
    const bare = config();
    const skipped = await ok(["workspace", "push", "--to", bare], alone);
    expect(skipped).toContain(
      `skipped dataset wine version 1: the team workspace has no datastore raw; define raw under "datastores" in ${bare}`,
    );
    expect(skipped).toContain("dataset versions:  copied 0, already there 0, skipped 2");
    expect(skipped).toContain("left for a later push 3");

    // The team has a version of wine of its own: ours becomes its version 2.
    const teamConfig = config(raw);
    await bucket.admin.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: `${prefix}/lake/theirs/wine.csv`,
        Body: "ph,quality\n3.0,7\n",
      }),
    );
    await ok(["datasets", "register", "wine", "--from", "raw:theirs/wine.csv", "--table"], team);
    const pushed = await ok(["workspace", "push", "--to", teamConfig], alone);
    expect(pushed).toContain("pushed dataset wine version 1 as version 2:");
    const report = JSON.parse(await ok(["workspace", "push", "--to", teamConfig, "--json"], alone));
    expect(report.datasets.versions).toEqual({ copied: 0, present: 2, skipped: [] });
    expect(report.datasets.uses).toEqual({ copied: 0, present: 3, left: 0 });

    const here = JSON.parse(await ok(["datasets", "show", "wine:1", "--json"], alone));
    const there = JSON.parse(await ok(["datasets", "show", "wine:2", "--json"], team));
    expect(there.digest).toBe(here.digest);
    expect(there.files).toEqual(here.files);
    expect(there.table).toEqual(here.table);
    expect(there.lineage.readBy.map((r: { runId: string }) => r.runId).sort()).toEqual(
      [read, published].sort(),
    );
    expect(there.lineage.readBy.find((r: { runId: string }) => r.runId === published).registered).toEqual([
      "wine-scored:1",
    ]);
    const scored = JSON.parse(await ok(["datasets", "show", "wine-scored", "--json"], team));
    expect(scored.lineage.registeredBy).toEqual([
      expect.objectContaining({ runId: published, output: "scored" }),
    ]);
    const byDataset = JSON.parse(await ok(["runs", "--dataset", "wine:2", "--json"], team)) as Array<{
      id: string;
    }>;
    expect(byDataset.map((r) => r.id).sort()).toEqual([read, published].sort());

    // The files are on the team's bucket with their registered bytes (a download checks each sha256).
    const into = mkdtempSync(join(tmpdir(), "canal-push-download-"));
    await ok(["datasets", "download", "wine:2", "--to", into], team);
    expect(readFileSync(join(into, "part-1.csv"), "utf8")).toBe(
      readFileSync(join(alone, "lake/wine/part-1.csv"), "utf8"),
    );
    // A run there reads the pushed version as the latest (and reuses the step that ran here).
    await ok(["compile", "pipeline.ts", "--out", "build"], team);
    const again = runIdOf(await ok(["run", "build/latest", "-p", `marker=${marker}`], team));
    const shown = JSON.parse(await ok(["runs", "show", again, "--json"], team));
    expect(shown.run.parameters.wine.dataset).toMatchObject({ name: "wine", version: 2 });
    expect(pushed).not.toContain(rgw.credentials.secretAccessKey);
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
