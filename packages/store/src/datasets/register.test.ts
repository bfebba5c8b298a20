import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Workspace } from "../workspace.js";
import { openWorkspace } from "../workspace.js";
import { downloadDataset } from "./download.js";
import { registerDataset } from "./register.js";

let dir: string;
let ws: Workspace;
const put = (path: string, text: string) => {
  mkdirSync(dirname(join(dir, "data", path)), { recursive: true });
  writeFileSync(join(dir, "data", path), text);
};
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "canal-register-"));
  put("a.csv", "id\n1\n");
  put("part/b.csv", "id\n2\n");
  put("notes.txt", "n");
  writeFileSync(
    join(dir, "canal.config.json"),
    JSON.stringify({ workspace: "w", datastores: { raw: { kind: "local", path: "data" } } }),
  );
  ws = await openWorkspace(dir);
});
afterEach(async () => {
  await ws.close();
  rmSync(dir, { recursive: true, force: true });
});

const register = (from = "raw:**/*.csv", extra = {}) =>
  registerDataset(ws, ws.metadata, { name: "ids", from, registeredBy: "ada", host: "lab", ...extra });

describe("registering a dataset", () => {
  it("makes version 1 of the files a pattern names, gives it back for the same content, and 2 for changed content", async () => {
    const first = await register();
    expect(first).toMatchObject({
      created: true,
      version: { version: 1, fileCount: 2, size: 10, registeredBy: "ada", host: "lab" },
    });
    expect((await ws.metadata.getDatasetFiles(first.version.id)).map((f) => f.path)).toEqual([
      "a.csv",
      "part/b.csv",
    ]);
    // The same files, found by another pattern: the same content, the same version.
    expect(await register("raw:{a.csv,part/b.csv}")).toMatchObject({
      created: false,
      version: { version: 1 },
    });
    put("part/b.csv", "id\n3\n");
    expect(await register()).toMatchObject({ created: true, version: { version: 2 } });
    put("part/c.csv", "id\n4\n");
    expect(await register()).toMatchObject({ created: true, version: { version: 3, fileCount: 3 } });
  });

  it("records a table's format and inferred schema, or checks a declared one", async () => {
    const table = await register("raw:**/*.csv", { table: true });
    expect(table.version).toMatchObject({
      kind: "table",
      table: {
        format: "csv",
        schemaSource: "inferred",
        schema: { columns: [{ name: "id", type: "integer", nullable: false }] },
      },
    });
    await expect(
      register("raw:**/*.csv", {
        table: true,
        schema: { columns: [{ name: "name", type: "string", nullable: false }] },
      }),
    ).rejects.toMatchObject({
      code: "CANAL_STORE_TABLE_SCHEMA_MISMATCH",
      message: expect.stringContaining('raw:a.csv has no column "name"'),
    });
  });

  it("says when a pattern matches nothing, or names no datastore there is", async () => {
    await expect(register("raw:*.parquet")).rejects.toMatchObject({
      code: "CANAL_STORE_DATASTORE_NO_MATCH",
      message: expect.stringContaining('"*.parquet" matches no file in datastore raw'),
    });
    await expect(register("lake:*.csv")).rejects.toMatchObject({ code: "CANAL_STORE_DATASTORE_UNKNOWN" });
    await expect(register("raw:../*.csv")).rejects.toMatchObject({
      code: "CANAL_STORE_DATASTORE_PATH_ESCAPE",
    });
    expect(await ws.metadata.listDatasets()).toEqual([]);
  });
});

describe("downloading a dataset", () => {
  it("copies each file, checks its digest, and leaves files that have the registered content", async () => {
    await register();
    const to = join(dir, "out");
    expect(await downloadDataset(ws, ws.metadata, "ids", to)).toMatchObject({
      written: 2,
      unchanged: 0,
      bytes: 10,
    });
    expect(readFileSync(join(to, "part/b.csv"), "utf8")).toBe("id\n2\n");
    expect(await downloadDataset(ws, ws.metadata, "ids", to)).toMatchObject({ written: 0, unchanged: 2 });
  });

  it("refuses to overwrite a file with other content unless forced, before writing anything", async () => {
    await register();
    const to = join(dir, "out");
    mkdirSync(to);
    writeFileSync(join(to, "a.csv"), "mine");
    await expect(downloadDataset(ws, ws.metadata, "ids", to)).rejects.toMatchObject({
      code: "CANAL_STORE_DESTINATION_EXISTS",
      message: expect.stringContaining(
        `1 file in ${to} differs from ids version 1: ${join(to, "a.csv")}; pass --force`,
      ),
    });
    expect(readdirSync(to)).toEqual(["a.csv"]);
    await downloadDataset(ws, ws.metadata, "ids", to, { force: true });
    expect(readFileSync(join(to, "a.csv"), "utf8")).toBe("id\n1\n");
  });

  it("refuses a file that changed in the datastore since it was registered, and leaves no part of it", async () => {
    await register();
    put("a.csv", "id\n100\n");
    const to = join(dir, "old");
    await expect(downloadDataset(ws, ws.metadata, "ids", to, { version: 1 })).rejects.toMatchObject({
      code: "CANAL_STORE_DATASET_FILE_CHANGED",
      message: expect.stringContaining("raw:a.csv changed since ids version 1 was registered"),
    });
    expect(existsSync(join(to, "a.csv"))).toBe(false);
    expect(readdirSync(to).filter((name) => name.startsWith(".canal"))).toEqual([]);
  });

  it("names the versions there are when asked for one that is not", async () => {
    await register();
    await expect(
      downloadDataset(ws, ws.metadata, "ids", join(dir, "x"), { version: 4 }),
    ).rejects.toMatchObject({
      code: "CANAL_STORE_DATASET_VERSION_NOT_FOUND",
      message: expect.stringContaining("its versions are 1"),
    });
  });
});
