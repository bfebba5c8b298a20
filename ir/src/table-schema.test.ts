import { describe, expect, test } from "vitest";
import { columnFits, columnMisfit, schemaMismatch, typeFits } from "./table-schema.js";

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
