import { describe, expect, test } from "vitest";
import {
  cellIsEmpty,
  cellMisfit,
  cellReadsAs,
  cellType,
  columnFits,
  columnMisfit,
  schemaMismatch,
  typeFits,
} from "./table-schema.js";

describe("the column-fit rule", () => {
  test("a type fits itself, and integers fit where numbers are declared, not the other way", () => {
    expect(typeFits("number", "integer")).toBe(true);
    expect(typeFits("integer", "number")).toBe(false);
    expect(typeFits("string", "string")).toBe(true);
    expect(typeFits("string", "integer")).toBe(false);
    expect(typeFits("datetime", "boolean")).toBe(false);
  });

  test("a nullable column does not fit where a never-empty one is declared; the reverse fits", () => {
    expect(columnMisfit({ type: "integer" }, { type: "integer", nullable: true })).toBe("nullable");
    expect(columnMisfit({ type: "integer", nullable: true }, { type: "integer" })).toBeUndefined();
    expect(columnMisfit({ type: "integer" }, { type: "string", nullable: true })).toBe("type");
    expect(columnFits({ type: "number", nullable: true }, { type: "integer", nullable: false })).toBe(true);
    expect(columnFits({ type: "number", nullable: false }, { type: "integer", nullable: true })).toBe(false);
  });

  test("a schema names its first missing or misfit column by name; extra columns are allowed", () => {
    const given = {
      columns: [
        { name: "id", type: "integer" },
        { name: "score", type: "number", nullable: true },
        { name: "extra", type: "string" },
      ],
    };
    expect(
      schemaMismatch({ columns: [{ name: "score", type: "number", nullable: true }] }, given),
    ).toBeUndefined();
    expect(schemaMismatch({ columns: [{ name: "label", type: "string" }] }, given)).toEqual({
      problem: "missing",
      expected: { name: "label", type: "string" },
    });
    expect(schemaMismatch({ columns: [{ name: "id", type: "boolean" }] }, given)).toMatchObject({
      problem: "type",
      actual: { name: "id", type: "integer" },
    });
    expect(schemaMismatch({ columns: [{ name: "score", type: "number" }] }, given)).toMatchObject({
      problem: "nullable",
    });
  });
});

describe("the cell grammar", () => {
  test("types a cell by what it holds", () => {
    expect(
      [
        "12",
        "-3",
        "1.5",
        "1e3",
        ".5",
        "true",
        "FALSE",
        "2024-01-02",
        "2024-01-02T10:00:00Z",
        "2024-13-45",
        "x",
        "1,5",
      ].map(cellType),
    ).toEqual([
      "integer",
      "integer",
      "number",
      "number",
      "number",
      "boolean",
      "boolean",
      "datetime",
      "datetime",
      "string",
      "string",
      "string",
    ]);
  });

  test("reads the words pandas reads: booleans as t/f, yes/no, 0/1; inf and nan as numbers", () => {
    for (const text of ["t", "F", "yes", "No", "y", "N", "0", "1"])
      expect(cellReadsAs(text, "boolean")).toBe(true);
    expect(cellReadsAs("maybe", "boolean")).toBe(false);
    expect(["inf", "-Infinity", "NaN"].map(cellType)).toEqual(["number", "number", "number"]);
    // The narrowest reading wins: 0 and 1 are integers before they are booleans.
    expect(["0", "yes"].map(cellType)).toEqual(["integer", "boolean"]);
    expect(cellReadsAs("2024-09-02 10:00", "datetime")).toBe(true);
    expect(cellReadsAs("yesterday", "datetime")).toBe(false);
    expect(cellReadsAs("1.5", "integer")).toBe(false);
    expect(cellReadsAs("12", "number")).toBe(true);
  });

  test("missing values are the empty text and NA/null/None; nan is missing except in a number column", () => {
    for (const text of ["", "NA", "n/a", "null", "None"]) expect(cellIsEmpty(text)).toBe(true);
    expect(cellIsEmpty("nan")).toBe(false);
    expect(cellIsEmpty("nan", "integer")).toBe(true);
    expect(cellIsEmpty("nan", "number")).toBe(false);
    expect(cellIsEmpty("0")).toBe(false);
  });

  test("a cell misfits a column as empty where it must not be, or as text of another type", () => {
    expect(cellMisfit("", { type: "integer" })).toBe("empty");
    expect(cellMisfit("NA", { type: "integer", nullable: true })).toBeUndefined();
    expect(cellMisfit("", { type: "string" })).toBeUndefined();
    expect(cellMisfit("six", { type: "integer" })).toBe("type");
    expect(cellMisfit("nan", { type: "number" })).toBeUndefined();
    expect(cellMisfit("6", { type: "number" })).toBeUndefined();
  });
});
