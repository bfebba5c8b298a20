import { describe, expect, test } from "vitest";
import { formatMemory, parseDuration, parseMemory } from "./units.js";

describe("durations", () => {
  test.each([
    ["90s", 90_000],
    ["30m", 1_800_000],
    ["1h", 3_600_000],
    ["2d", 172_800_000],
    ["250ms", 250],
    [" 1.5s ", 1500],
    [1500, 1500],
  ])("duration %s", (text, ms) => expect(parseDuration(text)).toBe(ms));

  test.each(["10 minutes", "1w", "-5s", "", "5", -1, Number.NaN, null])("`%s` is no duration", (text) =>
    expect(parseDuration(text)).toBeUndefined(),
  );
});

describe("memory sizes", () => {
  test.each([
    ["8Gi", 8 * 1024 ** 3],
    ["512Mi", 512 * 1024 ** 2],
    ["256Gi", 256 * 1024 ** 3],
    ["1G", 1e9],
    ["1.5G", 1.5e9],
    ["1T", 1e12],
    ["2Ti", 2 * 1024 ** 4],
    ["1.5Ki", 1536],
    ["4096", 4096],
    [2048, 2048],
  ])("memory %s", (text, bytes) => expect(parseMemory(text)).toBe(bytes));

  test.each(["8GB", "lots", "-1Gi", "", "1 Gi", -1, Number.POSITIVE_INFINITY, {}])(
    "`%s` is no memory size",
    (text) => expect(parseMemory(text)).toBeUndefined(),
  );

  test.each([
    [256 * 1024 ** 3, "256Gi"],
    [1.5 * 1024 ** 3, "1.5Gi"],
    [512 * 1024 ** 2, "512Mi"],
    [2 * 1024 ** 4, "2Ti"],
    [100, "100"],
  ])("%d bytes are written %s, and read back", (bytes, text) => {
    expect(formatMemory(bytes)).toBe(text);
    expect(parseMemory(text)).toBe(bytes);
  });
});
