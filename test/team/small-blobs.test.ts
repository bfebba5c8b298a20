// A team workspace's small outputs as rows of its PostgreSQL database instead of objects of its S3
// bucket (`artifacts.inlineBytes`; real servers started here, each `canal` a fresh workspace): a
// cold run puts none of them in the bucket, another machine's workspace on the same database and
// bucket reuses them and reads them, a damaged row is a cache miss whose re-run repairs it, and
// `canal gc` deletes the rows no record names once they are old enough.
import { randomUUID } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { openWorkspace } from "@canal/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canal } from "../canal.js";
import { makeProject } from "../helpers.js";
import { type PostgresServer, startPostgres } from "../postgres/server.js";
import { type Rgw, startRgw } from "../services/rgw.mjs";
import { type TestBucket, testBucket } from "../services/s3-bucket.mjs";

const BUCKET = "canal-team-small";
const KEY_ENV = "CANAL_TEST_TEAM_SMALL_S3_KEY";
const SECRET_ENV = "CANAL_TEST_TEAM_SMALL_S3_SECRET";
const fixture = join(import.meta.dirname, "../run/fixtures/slow");

let pg: PostgresServer;
let rgw: Rgw;
let bucket: TestBucket;

beforeAll(async () => {
  [pg, rgw] = await Promise.all([startPostgres(), startRgw()]);
  pg.psql("CREATE DATABASE canal");
  bucket = await testBucket(rgw, { bucket: BUCKET, keyEnv: KEY_ENV, secretEnv: SECRET_ENV });
}, 900_000);

afterAll(async () => {
  bucket?.release();
  await Promise.all([rgw?.stop(), pg?.stop()]);
});

const runIdOf = (output: string) => /^run (run-\S+): /m.exec(output)?.[1] ?? "";

/** A workspace folder of the team `workspace` on the shared database, its artifacts under `prefix`. */
function teamDir(workspace: string, prefix: string, database = "canal"): string {
  const dir = makeProject({ from: fixture });
  writeFileSync(
    join(dir, "canal.config.json"),
    JSON.stringify({
      workspace,
      store: { kind: "postgres", url: pg.url(database) },
      artifacts: bucket.config({ prefix }),
    }),
  );
  return dir;
}

interface Shown {
  steps: Array<{ stepId: string; status: string; outputs?: Record<string, { digest?: string }> }>;
}

async function shown(dir: string, runId: string): Promise<Shown> {
  const result = await canal(["runs", "show", runId, "--json"], dir);
  expect(result.status, result.stdout + result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Shown;
}

const statuses = (run: Shown) => Object.fromEntries(run.steps.map((s) => [s.stepId, s.status]));
const digests = (run: Shown) =>
  run.steps.flatMap((s) => Object.values(s.outputs ?? {}).flatMap((o) => (o.digest ? [o.digest] : [])));

/** The keys of the objects under `prefix`'s blobs. */
async function objects(prefix: string): Promise<string[]> {
  const listed = await bucket.admin.send(
    new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${prefix}/sha256/` }),
  );
  return (listed.Contents ?? []).map((object) => object.Key ?? "");
}

const rowDigests = (database = "canal") =>
  new Set(
    pg
      .psql("SELECT digest FROM small_blobs", database)
      .split("\n")
      .map((line) => line.trim()),
  );

describe("a team workspace's small outputs in PostgreSQL", () => {
  it("puts a cold run's small outputs in no object; another machine reuses them and reads them", async () => {
    const prefix = `team/${randomUUID()}`;
    const a = teamDir("small", prefix);
    const first = await canal(["run", "pipeline.ts"], a);
    expect(first.status, first.stdout + first.stderr).toBe(0);
    const run = await shown(a, runIdOf(first.stdout));
    const outputs = digests(run);
    expect(outputs).toHaveLength(4);
    const keys = await objects(prefix);
    const rowsNow = rowDigests();
    for (const digest of outputs) {
      expect(keys).not.toContain(`${prefix}/sha256/${digest.slice(0, 2)}/${digest.slice(2)}`);
      expect(rowsNow.has(digest)).toBe(true);
    }

    // Another user's folder, as on another machine: same database, same bucket, a store opened
    // afresh with nothing of the first run's in memory.
    const b = teamDir("small", prefix);
    const again = await canal(["run", "pipeline.ts"], b);
    expect(again.status, again.stdout + again.stderr).toBe(0);
    expect(statuses(await shown(b, runIdOf(again.stdout)))).toEqual({
      first: "cached",
      quick: "cached",
      slow: "cached",
      last: "cached",
    });
    const to = join(b, "fetched");
    const fetched = await canal(["download", runIdOf(first.stdout), "--to", to], b);
    expect(fetched.status, fetched.stdout + fetched.stderr).toBe(0);
    expect(readFileSync(join(to, "out"), "utf8")).toBe("first\nslow\nquick\n");
  }, 300_000);

  it("runs a step again whose row was damaged, and its put replaces the row", async () => {
    const prefix = `team/${randomUUID()}`;
    const dir = teamDir("damaged", prefix);
    const first = await canal(["run", "pipeline.ts"], dir);
    expect(first.status, first.stdout + first.stderr).toBe(0);
    const quick = (await shown(dir, runIdOf(first.stdout))).steps.find((s) => s.stepId === "quick");
    const digest = Object.values(quick?.outputs ?? {})[0]?.digest ?? "";
    expect(rowDigests().has(digest)).toBe(true);
    pg.psql(`UPDATE small_blobs SET bytes = 'quack' WHERE digest = '${digest}'`, "canal");

    const repaired = await canal(["run", "pipeline.ts"], dir);
    expect(repaired.status, repaired.stdout + repaired.stderr).toBe(0);
    expect(statuses(await shown(dir, runIdOf(repaired.stdout)))).toEqual({
      first: "cached",
      quick: "succeeded",
      slow: "cached",
      last: "cached",
    });
    expect(
      pg.psql(`SELECT encode(bytes, 'escape') FROM small_blobs WHERE digest = '${digest}'`, "canal"),
    ).toContain("quick");
    expect(
      pg.psql(
        `SELECT encode(sha256(bytes), 'hex') = digest FROM small_blobs WHERE digest = '${digest}'`,
        "canal",
      ),
    ).toContain("t");
    const after = await canal(["run", "pipeline.ts"], dir);
    expect(Object.values(statuses(await shown(dir, runIdOf(after.stdout))))).toEqual([
      "cached",
      "cached",
      "cached",
      "cached",
    ]);
  }, 300_000);

  it("deletes with gc the rows no record names, once stored an hour ago, and keeps those records name", async () => {
    // A database of its own: the other cases' rows hold the same outputs.
    pg.psql("CREATE DATABASE gc");
    const db = "gc";
    const dir = teamDir("gc", `team/${randomUUID()}`, db);
    const first = await canal(["run", "pipeline.ts"], dir);
    expect(first.status, first.stdout + first.stderr).toBe(0);
    const outputs = digests(await shown(dir, runIdOf(first.stdout)));
    const workspace = await openWorkspace(dir);
    const unneeded = await workspace.blobs.put("no record names this");
    await workspace.close();
    expect(rowDigests(db).has(unneeded)).toBe(true);
    const gc = async (...args: string[]) => {
      const result = await canal(["gc", "--json", ...args], dir);
      expect(result.status, result.stdout + result.stderr).toBe(0);
      return JSON.parse(result.stdout) as { items: Array<{ kind: string; path: string; bytes: number }> };
    };
    // Just stored: another machine's run may be about to name it.
    expect((await gc()).items.filter((item) => item.path.includes(unneeded))).toEqual([]);
    expect(rowDigests(db).has(unneeded)).toBe(true);

    const age = () => pg.psql("UPDATE small_blobs SET created_at = created_at - 2 * 3600 * 1000", db);
    age();
    const dry = await gc("--dry-run");
    expect(dry.items.filter((item) => item.path.includes(unneeded))).toEqual([
      expect.objectContaining({ kind: "blob", bytes: "no record names this".length }),
    ]);
    expect(rowDigests(db).has(unneeded)).toBe(true);
    await gc();
    const left = rowDigests(db);
    expect(left.has(unneeded)).toBe(false);
    for (const digest of outputs) expect(left.has(digest)).toBe(true);
    const again = await canal(["run", "pipeline.ts"], dir);
    expect(Object.values(statuses(await shown(dir, runIdOf(again.stdout))))).toEqual([
      "cached",
      "cached",
      "cached",
      "cached",
    ]);

    // Runs dropped by a gc: what they named goes at the next gc, not in the one that dropped them.
    await gc("--keep-last", "0");
    for (const digest of outputs) expect(rowDigests(db).has(digest)).toBe(true);
    age();
    await gc();
    const after = rowDigests(db);
    for (const digest of outputs) expect(after.has(digest)).toBe(false);
    const rerun = await canal(["run", "pipeline.ts"], dir);
    expect(rerun.status, rerun.stdout + rerun.stderr).toBe(0);
    expect(Object.values(statuses(await shown(dir, runIdOf(rerun.stdout))))).toEqual([
      "succeeded",
      "succeeded",
      "succeeded",
      "succeeded",
    ]);
  }, 300_000);
});
