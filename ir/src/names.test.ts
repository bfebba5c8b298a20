import { describe, expect, it } from "vitest";
import { fileNameProblem, pathInside } from "./names.js";

describe("fileNameProblem", () => {
  it("accepts a file's name as a file system has it", () => {
    for (const name of [
      "wine.csv",
      "2024 wine (v2).csv",
      "données.tsv",
      ".hidden",
      "-n",
      "a..b",
      "x".repeat(255),
    ])
      expect(fileNameProblem(name), name).toBeUndefined();
  });

  it("refuses what is not one plain name in one folder", () => {
    for (const name of [
      "",
      ".",
      "..",
      "a/b",
      "../x",
      "a\\b",
      "a\0b",
      "a\nb",
      "a\x1bb",
      "x".repeat(256),
      "é".repeat(128),
    ])
      expect(fileNameProblem(name), JSON.stringify(name)).toBeDefined();
    expect(fileNameProblem(undefined)).toBe("is empty");
  });

  it("lets every name it accepts be one segment below a folder", () => {
    for (const name of ["wine.csv", ".hidden", "a..b"])
      expect(pathInside("/r", "in", name)).toBe(`/r/in/${name}`);
  });
});
