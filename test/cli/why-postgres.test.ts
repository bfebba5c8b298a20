// `canal why` on a PostgreSQL store: the cache it looked in is named by the store's URL, never with
// the password, and another workspace of the same database that has the step's entry is named.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { postgresBackend } from "@canal/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canal } from "../canal.js";
import { makeProject } from "../helpers.js";
import { type PostgresServer, startPostgres } from "../postgres/server.js";

const PASSWORD = "why-pg-s3cret-Word";
const VARIABLE = "CANAL_TEST_WHY_PG_PASSWORD";
const runIdOf = (stdout: string) => /^run (run-\S+): /m.exec(stdout)?.[1] ?? "";

describe("canal why on a PostgreSQL store", () => {
  let server: PostgresServer;
  let scratch: string;

  beforeAll(async () => {
    server = await startPostgres({ password: PASSWORD });
    server.psql("CREATE DATABASE canal");
    scratch = mkdtempSync(join(tmpdir(), "canal-why-pg-"));
    process.env[VARIABLE] = PASSWORD;
  });
  afterAll(async () => {
    delete process.env[VARIABLE];
    await server?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  /** A project of workspace `name` on the shared database, with the fixture compiled and run once. */
  async function projectRun(name: string): Promise<{ dir: string; runId: string }> {
    const dir = makeProject({ from: join(import.meta.dirname, "fixtures/why") });
    // Its artifacts in a folder both projects use: an entry's outputs are there for either.
    const artifacts = join(scratch, "artifacts");
    mkdirSync(artifacts, { recursive: true });
    const store = { kind: "postgres", url: server.url("canal"), passwordEnv: VARIABLE };
    writeFileSync(
      join(dir, "canal.config.json"),
      JSON.stringify({ workspace: name, store, artifacts: { kind: "local", path: artifacts } }),
    );
    expect((await canal(["compile", "pipeline.ts", "--out", "build"], dir)).stderr).toBe("");
    const ran = await canal(["run", "build/upstream"], dir);
    expect(ran.status, ran.stdout + ran.stderr).toBe(0);
    return { dir, runId: runIdOf(ran.stdout) };
  }

  it("names the database by its URL without the password, and the workspace that has the entry", async () => {
    await projectRun("ci");
    const dev = await projectRun("dev");
    const why = await canal(["why", dev.runId, "prepare"], dev.dir);
    expect(why.stderr).toBe("");
    const url = server.url("canal");
    expect(why.stdout).toBe(
      `prepare: ran because it never ran before in pipeline upstream: no earlier cache entry (the cache of workspace "dev", in the PostgreSQL database ${url}); workspace "ci" has an entry for its cache key in the same store: to reuse that workspace's cache, name it in canal.config.json ("workspace": "ci") and use its artifact store\n`,
    );
    const json = await canal(["why", dev.runId, "prepare", "--json"], dev.dir);
    const [report] = JSON.parse(json.stdout);
    expect(report).toMatchObject({
      reason: "first",
      workspace: { name: "dev", store: `the PostgreSQL database ${url}` },
      elsewhere: ["ci"],
    });
    for (const printed of [why.stdout, why.stderr, json.stdout, json.stderr])
      expect(printed).not.toContain(PASSWORD);
    rmSync(dev.dir, { recursive: true, force: true });
  }, 120_000);

  it("masks a password in the URL wherever it names the store (a config with one is refused anyway)", () => {
    const url = server.url("canal").replace("postgres@", `postgres:${PASSWORD}@`);
    const place = postgresBackend.place?.({ kind: "postgres", url });
    expect(place).toBe(
      `the PostgreSQL database ${server.url("canal").replace("postgres@", "postgres:***@")}`,
    );
    // libpq's other spelling of a password, a parameter of the URL.
    const inQuery = postgresBackend.place?.({
      kind: "postgres",
      url: `${server.url("canal")}?password=${PASSWORD}`,
    });
    expect(inQuery).toBe(`the PostgreSQL database ${server.url("canal")}?password=***`);
  });
});
