// `canal datastores` and `canal datasets` in a project of their own: datastores listed and
// checked, their files listed, datasets registered (files and tables), versioned by content,
// listed, shown and downloaded, and each mistake a clear error with its code, in text and --json.
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canal } from "../canal.js";
import { makeProject } from "../helpers.js";

let dir: string;
const put = (path: string, text: string) => {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), text);
};

beforeAll(() => {
  dir = makeProject({
    files: {
      "data/iris/part-1.csv": "sepal,species,measured\n5.1,setosa,2024-05-01\n4.9,,2024-05-02\n",
      "data/iris/part-2.csv": "sepal,species,measured\n7,virginica,2024-05-03\n",
      "data/images/a.png": "png-a",
      "data/images/b/c.png": "png-bc",
      "schema.json": JSON.stringify({
        columns: [
          { name: "sepal", type: "number" },
          { name: "species", type: "string", nullable: true },
        ],
      }),
      "bad-schema.json": '{"columns": [\n  {"name": "sepal", "type": "number"},\n]}\n',
      "missing-column.json": JSON.stringify({ columns: [{ name: "petal", type: "number" }] }),
    },
  });
  writeFileSync(
    join(dir, "canal.config.json"),
    JSON.stringify({
      workspace: "data-test",
      datastores: {
        raw: { kind: "local", path: "data" },
        gone: { kind: "local", path: "no-such-folder" },
      },
    }),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("canal datastores", () => {
  it("lists the datastores, workspace first, and checks each: a missing folder is an error and exit 1", async () => {
    const listed = await canal(["datastores"], dir);
    expect(listed.status).toBe(1);
    expect(listed.stdout).toMatch(/^workspace +local +\S+\/\.canal\/blobs\/datastore\n {2}ok\n/);
    expect(listed.stdout).toMatch(
      /gone +local +\S+no-such-folder\n {2}error: CANAL_STORE_UNREACHABLE: datastore gone's folder/,
    );
    expect(listed.stdout).toMatch(/raw +local +\S+\/data\n {2}ok\n/);
    expect(listed.stderr).toContain("1 datastore cannot be reached");
    const json = JSON.parse((await canal(["datastores", "--json"], dir)).stdout);
    expect(json.map((d: { name: string; ok: boolean }) => [d.name, d.ok])).toEqual([
      ["workspace", true],
      ["gone", false],
      ["raw", true],
    ]);
    expect(json[1].error.code).toBe("CANAL_STORE_UNREACHABLE");
  });

  it("lists the files of a datastore, a folder or a glob, with sizes", async () => {
    const listed = await canal(["datastores", "ls", "raw:images"], dir);
    expect(listed.stdout).toBe(
      "       5 B  images/a.png\n       6 B  images/b/c.png\n2 files, 11 B in raw:images\n",
    );
    const json = JSON.parse((await canal(["datastores", "ls", "raw:**/*.csv", "--json"], dir)).stdout);
    expect(json.files).toEqual([
      { path: "iris/part-1.csv", size: 61 },
      { path: "iris/part-2.csv", size: 46 },
    ]);
    const unknown = await canal(["datastores", "ls", "lake"], dir);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain(
      'CANAL_STORE_DATASTORE_UNKNOWN: no datastore "lake" in this workspace; the datastores are workspace, gone, raw',
    );
    const leaving = await canal(["datastores", "ls", "raw:../..", "--json"], dir);
    expect(JSON.parse(leaving.stdout).error.code).toBe("CANAL_STORE_DATASTORE_PATH_ESCAPE");
  });
});

describe("canal datasets", () => {
  it("registers a file dataset, gives back the version for the same content, and makes the next for a change", async () => {
    const first = await canal(
      ["datasets", "register", "images", "--from", "raw:images/**/*.png", "--description", "logos"],
      dir,
    );
    expect(first.stderr).toBe("");
    expect(first.stdout).toMatch(/^registered images version 1: 2 files, 11 B \(sha256:[0-9a-f]{12}\)\n$/);
    const again = await canal(["datasets", "register", "images", "--from", "raw:images", "--json"], dir);
    expect(JSON.parse(again.stdout)).toMatchObject({
      created: false,
      version: { version: 1, description: "logos" },
    });
    const said = await canal(["datasets", "register", "images", "--from", "raw:images"], dir);
    expect(said.stdout).toContain("images version 1 already has this content");
    put("data/images/b/c.png", "png-changed");
    const changed = await canal(["datasets", "register", "images", "--from", "raw:images"], dir);
    expect(changed.stdout).toMatch(/^registered images version 2: 2 files, 16 B/);
  });

  it("registers a table with its schema inferred, or declared and checked", async () => {
    const inferred = await canal(
      ["datasets", "register", "iris", "--from", "raw:iris/*.csv", "--table", "--json"],
      dir,
    );
    expect(JSON.parse(inferred.stdout).version).toMatchObject({
      kind: "table",
      fileCount: 2,
      table: {
        format: "csv",
        schemaSource: "inferred",
        schema: {
          columns: [
            { name: "sepal", type: "number", nullable: false },
            { name: "species", type: "string", nullable: true },
            { name: "measured", type: "datetime", nullable: false },
          ],
        },
      },
    });
    const declared = await canal(
      [
        "datasets",
        "register",
        "iris-declared",
        "--from",
        "raw:iris/*.csv",
        "--table",
        "--schema",
        "schema.json",
      ],
      dir,
    );
    expect(declared.stdout).toMatch(
      /^registered iris-declared version 1: 2 files, 107 B, a csv table of 2 columns/,
    );
    const shown = await canal(["datasets", "show", "iris"], dir);
    expect(shown.stdout).toContain("iris version 1 (table)\n");
    expect(shown.stdout).toContain("  from: raw:iris/*.csv\n  files: 2 files, 107 B\n");
    expect(shown.stdout).toMatch(/ {2}registered: \d{4}-\d\d-\d\dT\S+ by \S+@\S+\n/);
    expect(shown.stdout).toContain(
      "  table: csv, schema inferred\n    sepal: number\n    species: string (nullable)\n    measured: datetime\n",
    );
    expect(shown.stdout).toMatch(/ {4} +61 B {2}iris\/part-1.csv {2}[0-9a-f]{12}\n/);
    const json = JSON.parse((await canal(["datasets", "show", "iris:1", "--json"], dir)).stdout);
    expect(json).toMatchObject({ name: "iris", version: 1, datastore: "raw", pattern: "iris/*.csv" });
    expect(json.files).toEqual([
      { path: "iris/part-1.csv", digest: expect.stringMatching(/^[0-9a-f]{64}$/), size: 61 },
      { path: "iris/part-2.csv", digest: expect.stringMatching(/^[0-9a-f]{64}$/), size: 46 },
    ]);
    const explicit = await canal(
      ["datasets", "register", "iris", "--from", "raw:iris", "--table", "--infer"],
      dir,
    );
    expect(explicit.stdout).toContain("iris version 1 already has this content");
  });

  it("lists each dataset with its latest version, kind, files and size", async () => {
    const listed = await canal(["datasets"], dir);
    expect(listed.stdout).toMatch(/^NAME +LATEST +KIND +FILES +SIZE +FROM\n/);
    expect(listed.stdout).toMatch(/\nimages +v2 +file +2 +16 B +raw:images\n/);
    expect(listed.stdout).toMatch(/\niris +v1 +table +2 +107 B +raw:iris\/\*\.csv\n/);
    const json = JSON.parse((await canal(["datasets", "--json"], dir)).stdout);
    expect(json.map((s: { name: string; versions: number }) => [s.name, s.versions])).toEqual([
      ["images", 2],
      ["iris", 1],
      ["iris-declared", 1],
    ]);
  });

  it("downloads a version, checking digests; refuses to overwrite a differing file unless --force", async () => {
    const to = join(dir, "out");
    const got = await canal(["datasets", "download", "images", "--to", "out"], dir);
    expect(got.stdout).toBe(
      `images version 2 in ${to}: 2 files written (16 B), 0 already there; every digest checked\n`,
    );
    expect(readFileSync(join(to, "b/c.png"), "utf8")).toBe("png-changed");
    const again = await canal(["datasets", "download", "images:2", "--to", "out"], dir);
    expect(again.stdout).toContain("0 files written (0 B), 2 already there");
    writeFileSync(join(to, "b/c.png"), "edited here");
    const refused = await canal(["datasets", "download", "images", "--to", "out"], dir);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain(
      `CANAL_STORE_DESTINATION_EXISTS: 1 file in ${to} differs from images version 2: ${join(to, "b/c.png")}; pass --force`,
    );
    expect(readFileSync(join(to, "b/c.png"), "utf8")).toBe("edited here");
    const forced = await canal(["datasets", "download", "images", "--to", "out", "--force", "--json"], dir);
    expect(JSON.parse(forced.stdout)).toMatchObject({ written: 1, unchanged: 1, version: { version: 2 } });
    expect(readFileSync(join(to, "b/c.png"), "utf8")).toBe("png-changed");
    // Version 1's c.png is no longer in the datastore: its download says so instead of writing other bytes.
    const stale = await canal(["datasets", "download", "images:1", "--to", "out-old"], dir);
    expect(stale.stderr).toContain(
      "CANAL_STORE_DATASET_FILE_CHANGED: raw:images/b/c.png changed since images version 1 was registered",
    );
  });

  it("says what is wrong, with a stable code, for each bad input", async () => {
    const cases: Array<[string[], string, string]> = [
      [["datasets", "show", "irs"], "CANAL_STORE_DATASET_NOT_FOUND", 'no dataset "irs" in workspace'],
      [
        ["datasets", "show", "iris:9"],
        "CANAL_STORE_DATASET_VERSION_NOT_FOUND",
        "dataset iris has no version 9; its versions are 1",
      ],
      [
        ["datasets", "register", "x", "--from", "lake:*.csv"],
        "CANAL_STORE_DATASTORE_UNKNOWN",
        'no datastore "lake"',
      ],
      [
        ["datasets", "register", "x", "--from", "raw:*.parquet"],
        "CANAL_STORE_DATASTORE_NO_MATCH",
        '"*.parquet" matches no file in datastore raw',
      ],
      [
        ["datasets", "register", "x", "--from", "gone:*"],
        "CANAL_STORE_UNREACHABLE",
        "datastore gone's folder",
      ],
      [
        ["datasets", "register", "x", "--from", "raw:/etc/*"],
        "CANAL_STORE_DATASTORE_PATH_ESCAPE",
        'the path "/etc/*" leaves datastore raw',
      ],
      [
        ["datasets", "register", "x", "--from", "raw:iris/*.csv", "--table", "--schema", "bad-schema.json"],
        "CANAL_STORE_TABLE_SCHEMA_INVALID",
        "bad-schema.json is not valid JSON at line 3, column 1",
      ],
      [
        [
          "datasets",
          "register",
          "x",
          "--from",
          "raw:iris/*.csv",
          "--table",
          "--schema",
          "missing-column.json",
        ],
        "CANAL_STORE_TABLE_SCHEMA_MISMATCH",
        'raw:iris/part-1.csv has no column "petal"',
      ],
      [
        ["datasets", "register", "x", "--from", "raw:images", "--table"],
        "CANAL_STORE_TABLE_FORMAT_UNKNOWN",
        "raw:images/a.png is not a table file",
      ],
    ];
    for (const [args, code, text] of cases) {
      const result = await canal(args, dir);
      expect(result.status, args.join(" ")).toBe(1);
      expect(result.stderr).toContain(`${code}: `);
      expect(result.stderr).toContain(text);
      const json = await canal([...args, "--json"], dir);
      expect(JSON.parse(json.stdout).error.code).toBe(code);
    }
    expect((await canal(["datasets", "list"], dir)).status).toBe(2);
    expect((await canal(["datasets", "register", "x"], dir)).stderr).toContain("needs --from DATASTORE:GLOB");
    expect(
      (await canal(["datasets", "register", "x", "--from", "raw:iris", "--infer"], dir)).stderr,
    ).toContain("add --table");
    expect((await canal(["datasets", "show", "iris:v1"], dir)).stderr).toContain(
      "a version is a whole number",
    );
    expect((await canal(["datasets", "download", "iris"], dir)).stderr).toContain("needs --to DIR");
  });

  it("refuses a symbolic link out of a local datastore, naming it", async () => {
    symlinkSync(join(dir, "schema.json"), join(dir, "data/iris/link.csv"));
    try {
      const result = await canal(["datasets", "register", "x", "--from", "raw:iris"], dir);
      expect(result.stderr).toMatch(
        /CANAL_STORE_DATASTORE_PATH_ESCAPE: the path "iris\/link.csv" leaves datastore raw \(it is a symbolic link to \S+schema.json\)/,
      );
    } finally {
      rmSync(join(dir, "data/iris/link.csv"));
    }
  });
});
