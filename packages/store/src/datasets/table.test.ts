import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LocalDatastore } from "../datastores/local.js";
import { jsonErrorOffset } from "./json-offset.js";
import { checkSchema, inferSchema, readSchemaFile, tableFormat } from "./table.js";

let dir: string;
let store: LocalDatastore;
const write = (files: Record<string, string>) => {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
};
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "canal-table-"));
  store = new LocalDatastore("raw", dir, "datastores.raw.path");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("table inference", () => {
  it("reads the header and sampled rows of every CSV file: widest type, nullable where a cell is empty", async () => {
    write({
      "a.csv": "id,score,label,when,flag,blank\n1,2,x,2024-01-01,true,\n2,,y,2024-01-02,false,\n",
      "more/b.csv": 'id,score,label,when,flag,blank\n3,2.5,"quoted, with comma",2024-01-03T00:00:00Z,true,\n',
    });
    const files = await store.list("**/*.csv");
    expect(tableFormat("raw", files)).toBe("csv");
    expect(await inferSchema(store, files, "csv")).toEqual({
      columns: [
        { name: "id", type: "integer", nullable: false },
        { name: "score", type: "number", nullable: true },
        { name: "label", type: "string", nullable: false },
        { name: "when", type: "datetime", nullable: false },
        { name: "flag", type: "boolean", nullable: false },
        { name: "blank", type: "string", nullable: true },
      ],
    });
  });

  it("reads TSV, and a mixed column is a string", async () => {
    write({ "t.tsv": "n\tv\n1\ta\n2\t3\n" });
    const files = await store.list("*.tsv");
    expect(await inferSchema(store, files, tableFormat("raw", files))).toEqual({
      columns: [
        { name: "n", type: "integer", nullable: false },
        { name: "v", type: "string", nullable: false },
      ],
    });
  });

  it("reads a Parquet file's columns from its footer", async () => {
    copyFileSync(join(import.meta.dirname, "fixtures/simple.parquet"), join(dir, "simple.parquet"));
    const files = await store.list("*.parquet");
    expect(tableFormat("raw", files)).toBe("parquet");
    expect(await inferSchema(store, files, "parquet")).toEqual({
      columns: [
        { name: "A", type: "integer", nullable: true },
        { name: "B", type: "string", nullable: true },
      ],
    });
  });

  it("refuses files whose columns differ, naming the file and the column", async () => {
    write({ "a.csv": "id,name\n1,x\n", "b.csv": "id\n2\n" });
    await expect(inferSchema(store, await store.list("*.csv"), "csv")).rejects.toMatchObject({
      code: "CANAL_STORE_TABLE_SCHEMA_MISMATCH",
      message: expect.stringContaining('raw:b.csv has no column "name"'),
    });
  });

  it("refuses a file that is not a table, or two formats in one table", async () => {
    write({ "a.csv": "id\n1\n", "b.json": "{}", "c.parquet": "" });
    await expect(async () => tableFormat("raw", await store.list())).rejects.toMatchObject({
      code: "CANAL_STORE_TABLE_FORMAT_UNKNOWN",
      message: expect.stringContaining("raw:b.json is not a table file"),
    });
    expect(() =>
      tableFormat("raw", [
        { path: "a.csv", size: 1 },
        { path: "c.parquet", size: 1 },
      ]),
    ).toThrow(/must all have one format, and these are csv \(a.csv\), parquet \(c.parquet\)/);
  });
});

describe("a declared schema", () => {
  beforeEach(() => write({ "a.csv": "id,score\n1,2.5\n2,\n", "b.csv": "id,score,extra\n3,4,z\n" }));
  const check = async (columns: unknown) =>
    checkSchema(store, await store.list("*.csv"), "csv", { columns } as never);

  it("passes files that have its columns, of its types (extra columns allowed)", async () => {
    await check([
      { name: "id", type: "integer", nullable: false },
      { name: "score", type: "number", nullable: true },
    ]);
    await check([{ name: "id", type: "string", nullable: false }]);
  });

  it("names the file and the column a file lacks", async () => {
    await expect(check([{ name: "extra", type: "string", nullable: false }])).rejects.toMatchObject({
      code: "CANAL_STORE_TABLE_SCHEMA_MISMATCH",
      message: expect.stringContaining(
        'raw:a.csv has no column "extra", which the schema declares; its columns are id, score',
      ),
    });
  });

  it("names the row of a cell of another type, or empty where the column is not nullable", async () => {
    await expect(check([{ name: "score", type: "integer", nullable: true }])).rejects.toMatchObject({
      message: expect.stringContaining(
        'raw:a.csv row 2: column "score" holds "2.5", which is not an integer',
      ),
    });
    await expect(check([{ name: "score", type: "number", nullable: false }])).rejects.toMatchObject({
      message: expect.stringContaining('raw:a.csv row 3: column "score" is empty'),
    });
  });

  it("is read from a JSON file; one that does not parse says where", () => {
    const file = join(dir, "schema.json");
    writeFileSync(file, '{"columns": [{"name": "id", "type": "integer"}]}');
    expect(readSchemaFile(file)).toEqual({ columns: [{ name: "id", type: "integer", nullable: false }] });
    writeFileSync(file, '{\n  "columns": [\n    {"name": "id" "type": "integer"}\n  ]\n}\n');
    expect(() => readSchemaFile(file)).toThrow(
      expect.objectContaining({
        code: "CANAL_STORE_TABLE_SCHEMA_INVALID",
        message: expect.stringContaining(`the schema file ${file} is not valid JSON at line 3, column 19`),
      }),
    );
    writeFileSync(file, '{"columns": [{"name": "id", "type": "int"}]}');
    expect(() => readSchemaFile(file)).toThrow(/`columns\[0\].type`: Invalid option/);
    expect(() => readSchemaFile(join(dir, "none.json"))).toThrow(
      /cannot read the schema file .*none.json \(ENOENT\)/,
    );
  });

  it("finds where JSON goes wrong", () => {
    expect(jsonErrorOffset('{"a": 1}')).toBe(8);
    expect(jsonErrorOffset('{"a": 1,}')).toBe(8);
    expect(jsonErrorOffset("[1, 2,, 3]")).toBe(6);
    expect(jsonErrorOffset('{"a": tru}')).toBe(9);
    expect(jsonErrorOffset('{"a": "x\\"y"} extra')).toBe(14);
  });
});
