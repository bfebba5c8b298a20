// Several processes on one workspace at once: two `canal run` sharing the cache, a crash mid-write.
// The children run the store's own code, bundled from src/ by esbuild (Node 20 cannot load .ts).
import { execFile, execFileSync, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import Database from "better-sqlite3";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalBlobStore } from "./local-blobs.js";
import { SqliteMetadataStore } from "./sqlite.js";
import { MIGRATIONS } from "./sqlite-migrations.js";

const here = fileURLToPath(new URL(".", import.meta.url));
const run = promisify(execFile);
let dir: string;
let bundle: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "canal-processes-"));
  bundle = join(dir, "store.mjs");
  const require = createRequire(import.meta.url);
  await build({
    entryPoints: [join(here, "index.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outfile: bundle,
    logLevel: "silent",
    plugins: [
      {
        // The native addon cannot be bundled: import it from where it is installed.
        name: "installed-better-sqlite3",
        setup(b) {
          b.onResolve({ filter: /^better-sqlite3$/ }, () => ({
            path: require.resolve("better-sqlite3"),
            external: true,
          }));
        },
      },
    ],
  });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function files(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

describe("several processes on one store", () => {
  it("record runs and fill the cache at once without SQLITE_BUSY or lost rows", async () => {
    const db = join(dir, "shared.db");
    const count = 120;
    const startAt = Date.now() + 1500;
    const writer = join(here, "fixtures", "store-writer.mjs");
    // Both children and this process open the fresh database together: the schema migration races too.
    const children = ["a", "b"].map((name) =>
      run(process.execPath, [writer, bundle, db, name, String(startAt), String(count)], {
        maxBuffer: 1 << 24,
      }),
    );
    const store = SqliteMetadataStore.open(db, { workspace: "shared" });
    const version = await store.registerPipelineVersion({ pipeline: "iris", hash: "v1", ir: "{}" });
    await new Promise((resolve) => setTimeout(resolve, startAt - Date.now()));
    const components = { stepHash: "s", codeHash: "c", codeFiles: [], environment: "e", inputs: {} };
    const mine = { runs: [] as string[], wins: [] as number[] };
    for (let i = 0; i < count; i++) {
      const r = await store.createRun({ pipelineVersionId: version.id, runtime: "parent" });
      const step = await store.createStepRun({ runId: r.id, stepId: "train" });
      await store.startAttempt(step.id, 1);
      await store.appendLog(step.id, 1, "stdout", `parent ${i}\n`);
      const outputs = { model: { digest: i.toString(16).padStart(64, "0"), directory: false } };
      await store.finishStepRun(step.id, {
        status: "succeeded",
        attempt: { number: 1, status: "succeeded" },
        outputs,
      });
      if (await store.putCacheEntry({ key: `key-${i}`, outputs, components, stepRunId: step.id }))
        mine.wins.push(i);
      mine.runs.push(r.id);
      if (i % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    const results = await Promise.all(children);
    for (const result of results) expect(result.stderr).toBe("");
    const all = [mine, ...results.map((r) => JSON.parse(r.stdout) as typeof mine)];

    const runs = await store.listRuns({ limit: 10_000 });
    expect(runs).toHaveLength(3 * count);
    expect(new Set(runs.map((r) => r.id))).toEqual(new Set(all.flatMap((w) => w.runs)));
    expect(runs.filter((r) => r.runtime !== "parent").every((r) => r.status === "succeeded")).toBe(true);
    for (let i = 0; i < count; i++) {
      const winners = all.filter((w) => w.wins.includes(i));
      expect(winners).toHaveLength(1);
      const entry = await store.getCacheEntry(`key-${i}`);
      expect(winners[0]?.runs).toContain(entry?.producedBy.runId);
    }
    const childRun = all[1]?.runs[count - 1] as string;
    const step = await store.getStepRun(childRun, "train");
    expect((await store.readLog(step.id, 1)).chunks.map((c) => c.text)).toEqual([
      `a ${count - 1} 0\n`,
      `a ${count - 1} 1\n`,
      `a ${count - 1} 2\n`,
    ]);
    expect(await store.getMetrics({ runId: childRun })).toMatchObject([{ name: "loss", value: count - 1 }]);
    await store.close();
  });

  it("open one new store from 8 processes at once, 50 times over: no failure, each migration once", async () => {
    const root = join(dir, "opened");
    mkdirSync(root);
    const rounds = 50;
    const opener = join(here, "fixtures", "store-opener.mjs");
    // Each round's database is new: every process runs the whole first open (journal mode,
    // migrations, workspace row) against it at the same moment.
    const startAt = String(Date.now() + 1500);
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        run(process.execPath, [opener, bundle, root, startAt, String(rounds), "120"]),
      ),
    );
    expect(results.map((r) => r.stdout + r.stderr).join("")).toBe("");
    for (let round = 0; round < rounds; round++) {
      const db = new Database(join(root, `${round}.db`), { readonly: true });
      const versions = db.prepare("SELECT version FROM schema_version ORDER BY version").all() as {
        version: number;
      }[];
      expect(versions.map((v) => v.version)).toEqual(MIGRATIONS.map((m) => m.version));
      expect(db.prepare("SELECT count(*) AS n FROM workspaces").get()).toEqual({ n: 1 });
      expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
      db.close();
    }
  });

  it("store the same file and directory at once, each intact", async () => {
    const root = join(dir, "shared-blobs");
    const source = join(dir, "weights.bin");
    const content = randomBytes(8 * 1024 * 1024);
    writeFileSync(source, content);
    const tree = join(dir, "tree");
    mkdirSync(join(tree, "sub"), { recursive: true });
    for (let i = 0; i < 20; i++) writeFileSync(join(tree, "sub", `f${i}.txt`), `file ${i}`);
    const writer = join(here, "fixtures", "blob-writer.mjs");
    const startAt = String(Date.now() + 1000);
    const outputs = await Promise.all(
      ["file", "file", "file", "directory", "directory", "directory"].map((mode) =>
        run(process.execPath, [writer, bundle, root, mode, mode === "file" ? source : tree, startAt]),
      ),
    );
    const digests = outputs.map((o) => o.stdout);
    expect(new Set(digests.slice(0, 3))).toEqual(
      new Set([createHash("sha256").update(content).digest("hex")]),
    );
    expect(new Set(digests.slice(3)).size).toBe(1);
    const blobs = new LocalBlobStore(root);
    expect(await blobs.verify(digests[0] as string)).toBe("ok");
    expect(await blobs.verify(digests[3] as string)).toBe("ok");
    expect(files(join(root, "tmp"))).toEqual([]);
  });

  it("a writer killed mid-copy leaves no blob under its final name", async () => {
    const root = join(dir, "crash-blobs");
    const fifo = join(dir, "slow-source");
    // A named pipe lets the test hold the copy half-way, then kill the writer there.
    execFileSync("mkfifo", [fifo]);
    const child = spawn(
      process.execPath,
      [join(here, "fixtures", "blob-writer.mjs"), bundle, root, "file", fifo],
      {
        stdio: "ignore",
      },
    );
    const exited = new Promise((resolve) => child.on("exit", resolve));
    const pipe = await open(fifo, "w");
    await pipe.write(randomBytes(2 * 1024 * 1024));
    const deadline = Date.now() + 20_000;
    const partial = () => files(join(root, "tmp")).some((f) => statSync(f).size >= 2 * 1024 * 1024);
    while (!partial() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(partial()).toBe(true);
    child.kill("SIGKILL");
    await exited;
    await pipe.close().catch(() => {});

    expect(files(join(root, "sha256"))).toEqual([]);
    const blobs = new LocalBlobStore(root);
    const digest = await blobs.put("after the crash");
    expect(await blobs.verify(digest)).toBe("ok");
    expect(files(join(root, "sha256"))).toHaveLength(1);
  });
});
