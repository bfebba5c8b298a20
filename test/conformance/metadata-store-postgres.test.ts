// The metadata store conformance suite on PostgreSQL 15: a real server of the test's own (Debian's
// package, loopback, a scratch folder, stopped by PID), a fresh database per test, each workspace
// opened as `canal` opens it: by the config's `store.kind`, from the store registry.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openWorkspace } from "@canal/store";
import { afterAll, beforeAll } from "vitest";
import { type PostgresServer, startPostgres } from "../postgres/server.js";
import { metadataStoreConformance } from "./metadata-store.js";

let server: PostgresServer;
let databases = 0;

beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.stop();
});

metadataStoreConformance("postgres", () => {
  const dir = mkdtempSync(join(tmpdir(), "canal-pg-store-"));
  const database = `conformance_${process.pid}_${++databases}`;
  server.psql(`CREATE DATABASE ${database}`);
  return {
    // One workspace folder per workspace name, all pointing at one database.
    async open(workspace) {
      const root = join(dir, workspace);
      mkdirSync(root, { recursive: true });
      const config = { workspace, store: { kind: "postgres", url: server.url(database) } };
      writeFileSync(join(root, "canal.config.json"), JSON.stringify(config));
      return (await openWorkspace(root)).metadata;
    },
    location: join(dir, "team"),
    close: () => {
      server.psql(`DROP DATABASE ${database} WITH (FORCE)`);
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
