import { describe, expect, it } from "vitest";
import { datastorePath, globBase, globRegExp, matcher } from "./paths.js";

describe("datastore paths", () => {
  it("are relative, /-separated and inside the root", () => {
    expect(datastorePath("raw", "a//b/./c.csv")).toBe("a/b/c.csv");
    expect(datastorePath("raw", "")).toBe("");
    expect(datastorePath("raw", "dir/")).toBe("dir");
    for (const [path, why] of [
      ["../x", "`..` part"],
      ["a/../../x", "`..` part"],
      ["/etc/passwd", "absolute"],
      ["C:/x", "absolute"],
      ["a\\b", "backslash"],
    ] as const) {
      expect(() => datastorePath("raw", path)).toThrow(
        expect.objectContaining({
          code: "CANAL_STORE_DATASTORE_PATH_ESCAPE",
          message: expect.stringMatching(
            new RegExp(`^the path .* leaves datastore raw \\(.*${why.replace(/[.*`]/g, "\\$&")}`),
          ),
        }),
      );
    }
  });

  it("match globs part by part", () => {
    const matches = (glob: string, path: string) => globRegExp(glob).test(path);
    expect(matches("*.csv", "a.csv")).toBe(true);
    expect(matches("*.csv", "d/a.csv")).toBe(false);
    expect(matches("**/*.csv", "a.csv")).toBe(true);
    expect(matches("**/*.csv", "d/e/a.csv")).toBe(true);
    expect(matches("d/**", "d/e/a.csv")).toBe(true);
    expect(matches("d/**", "dd/a.csv")).toBe(false);
    expect(matches("a?c", "abc")).toBe(true);
    expect(matches("a?c", "a/c")).toBe(false);
    expect(matches("{x,y}/*.txt", "y/1.txt")).toBe(true);
    expect(matches("[0-9].txt", "7.txt")).toBe(true);
    expect(matches("[!0-9].txt", "7.txt")).toBe(false);
    expect(matches("a.b+c(1).txt", "a.b+c(1).txt")).toBe(true);
    expect(matches("a.b", "axb")).toBe(false);
  });

  it("start listing below the wildcards", () => {
    expect(globBase("raw/2024/*.csv")).toBe("raw/2024");
    expect(globBase("**/*.csv")).toBe("");
    expect(globBase("raw/file.csv")).toBe("raw/file.csv");
    expect(matcher("raw")("raw/x")).toBe(true);
    expect(matcher("raw")("rawx")).toBe(false);
  });
});
