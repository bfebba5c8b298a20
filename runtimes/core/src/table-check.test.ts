import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Step, TableSchemaType } from "@canal/ir";
import { parquetWriteFile } from "hyparquet-writer";
import { afterAll, describe, expect, test } from "vitest";
import { tableInputProblem, tableProblem } from "./table-check.js";

const dir = mkdtempSync(join(tmpdir(), "canal-table-check-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, text);
  return path;
}

const wine: TableSchemaType = {
  schemaName: "WineRow",
  columns: [
    { name: "ph", type: "number" },
    { name: "quality", type: "integer" },
    { name: "grape", type: "string", nullable: true },
    { name: "organic", type: "boolean" },
    { name: "harvested", type: "datetime" },
  ],
};

const header = "ph,quality,grape,organic,harvested,extra\n";

describe("a delimited table against its declared schema", () => {
  test("fits with every column, extra columns and empty cells in nullable columns", async () => {
    const path = file(
      "fits.csv",
      `${header}3.5,6,merlot,true,2024-09-01,x\n3.1e0,5,,no,2024-09-02T10:00:00Z,y\n`,
    );
    expect(await tableProblem(path, wine)).toBeUndefined();
  });

  test("names the missing column and the columns the file has", async () => {
    const path = file("missing.csv", "ph,grape,organic,harvested\n3.5,merlot,true,2024-09-01\n");
    expect(await tableProblem(path, wine)).toBe(
      "missing.csv has no column `quality` (integer); its columns are `ph`, `grape`, `organic`, `harvested`",
    );
  });

  test("names the row and column of a cell that does not read as its type", async () => {
    const path = file(
      "cells.csv",
      `${header}3.5,6,merlot,true,2024-09-01,x\n3.2,six,syrah,false,2024-09-03,y\n`,
    );
    expect(await tableProblem(path, wine)).toBe('cells.csv row 3, column `quality`: "six" is not an integer');
    const empty = file("empty-cell.csv", `${header}3.5,,merlot,true,2024-09-01,x\n`);
    expect(await tableProblem(empty, wine)).toContain(
      'row 2, column `quality`: the cell is empty (""), but the column is declared never empty',
    );
    const date = file("date.csv", `${header}3.5,6,merlot,true,yesterday,x\n`);
    expect(await tableProblem(date, wine)).toContain('"yesterday" is not a datetime');
  });

  test("reads TSV by its extension and by its header, a BOM and CRLF lines", async () => {
    const tsv = file("wine.tsv", "ph\tquality\tgrape\torganic\tharvested\n3.5\t6\t\t1\t2024-09-01\n");
    expect(await tableProblem(tsv, wine)).toBeUndefined();
    const bom = file("bom.csv", `\ufeff${header.replace("\n", "\r\n")}3.5,6,merlot,true,2024-09-01,x\r\n`);
    expect(await tableProblem(bom, wine)).toBeUndefined();
  });

  test("an empty file, a directory with no table files, and each file of a partitioned table", async () => {
    expect(await tableProblem(file("blank.csv", ""), wine)).toContain("blank.csv is empty");
    mkdirSync(join(dir, "nothing"));
    file("nothing/README.md", "no tables here");
    expect(await tableProblem(join(dir, "nothing"), wine)).toBe(
      "nothing holds no .csv, .tsv or .parquet file",
    );
    file("parts/part-0.csv", `${header}3.5,6,merlot,true,2024-09-01,x\n`);
    file("parts/part-1.csv", "ph,quality\n3.5,6\n");
    file("parts/_SUCCESS", "");
    expect(await tableProblem(join(dir, "parts"), wine)).toBe(
      "part-1.csv has no column `grape` (string); its columns are `ph`, `quality`",
    );
  });
});

describe("a Parquet table against its declared schema", () => {
  const write = (name: string, columns: Parameters<typeof parquetWriteFile>[0]["columnData"]) => {
    const filename = join(dir, name);
    parquetWriteFile({ filename, columnData: columns });
    return filename;
  };

  test("reads the columns and types from the file's own schema, by extension or magic bytes", async () => {
    const columns = [
      { name: "ph", data: [3.5, 3.1], type: "DOUBLE" as const },
      { name: "quality", data: [6, 5], type: "INT32" as const },
      { name: "grape", data: ["merlot", null], type: "STRING" as const },
      { name: "organic", data: [true, false], type: "BOOLEAN" as const },
      { name: "harvested", data: [new Date(0), new Date(1)], type: "TIMESTAMP" as const },
    ];
    expect(await tableProblem(write("wine.parquet", columns), wine)).toBeUndefined();
    expect(await tableProblem(write("wine-no-extension", columns), wine)).toBeUndefined();
  });

  test("names a missing column, a column of another type, and empty cells in a column declared never empty", async () => {
    const base = [
      { name: "ph", data: [3.5], type: "DOUBLE" as const },
      { name: "grape", data: ["merlot"], type: "STRING" as const },
      { name: "organic", data: [true], type: "BOOLEAN" as const },
      { name: "harvested", data: [new Date(0)], type: "TIMESTAMP" as const },
    ];
    expect(await tableProblem(write("no-quality.parquet", base), wine)).toContain(
      "no-quality.parquet has no column `quality` (integer)",
    );
    expect(
      await tableProblem(
        write("quality-string.parquet", [
          ...base,
          { name: "quality", data: ["six"], type: "STRING" as const },
        ]),
        wine,
      ),
    ).toBe("quality-string.parquet has column `quality` as string, but the schema declares it integer");
    expect(
      await tableProblem(
        write("quality-null.parquet", [
          ...base.map((c) => ({ ...c, data: [...c.data, c.data[0]] })),
          { name: "quality", data: [6, null], type: "INT32" as const },
        ]),
        wine,
      ),
    ).toContain("has empty cells in column `quality`, which is declared never empty");
    expect(await tableProblem(file("fake.parquet", "PAR1 not really"), wine)).toContain(
      "fake.parquet cannot be read as Parquet",
    );
  });
});

test("a step's Table inputs, fan-ins included, are checked against their own schemas and named", async () => {
  const table = { artifact: { lineage: ["Table", "Artifact"], table: wine } };
  const step = {
    id: "train",
    name: "train",
    inputs: [
      { name: "raw", type: { artifact: { lineage: ["Table", "Artifact"] } }, binding: { parameter: "raw" } },
      { name: "parts", type: { list: { element: table } }, binding: { parameter: "parts" } },
    ],
    outputs: [],
  } as unknown as Step;
  const good = file("in/good.csv", `${header}3.5,6,merlot,true,2024-09-01,x\n`);
  const bad = file("in/bad.csv", "ph\n3.5\n");
  const untyped = file("in/untyped.csv", "anything\n1\n");
  expect(
    await tableInputProblem("train", step, {
      raw: { kind: "artifact", path: untyped, directory: false },
      parts: { kind: "artifacts", paths: [good] },
    }),
  ).toBeUndefined();
  expect(
    await tableInputProblem("train", step, {
      raw: { kind: "artifact", path: untyped, directory: false },
      parts: { kind: "artifacts", paths: [good, bad] },
    }),
  ).toBe(
    "step train: input `parts` does not fit schema `WineRow`: bad.csv has no column `quality` (integer); its columns are `ph`; fix the data, or change the schema the step declares",
  );
});
