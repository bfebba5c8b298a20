import { describe, expect, it } from "vitest";
import { fileNameProblem, pathInside, printableText, shownName } from "./names.js";

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

describe("shownName and printableText", () => {
  it("escape what a terminal acts on, JSON's C0 escapes and those JSON leaves raw alike", () => {
    const text = "a\u001b[2J\r\n\tb\u007f\u009b1m\u202ec\u2028";
    expect(printableText(text)).toBe("a\\u001b[2J\\r\\n\\tb\\u007f\\u009b1m\\u202ec\\u2028");
    expect(shownName(text)).toBe('"a\\u001b[2J\\r\\n\\tb\\u007f\\u009b1m\\u202ec\\u2028"');
    expect(JSON.parse(shownName(text))).toBe(text);
  });

  it("leave other text as it is", () => {
    expect(printableText("données/2024 wine.csv — ok")).toBe("données/2024 wine.csv — ok");
    expect(shownName("naïve")).toBe('"naïve"');
  });
});
