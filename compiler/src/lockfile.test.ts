import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CodeHashError } from "./errors.js";
import { type InstalledPackage, packageEntry, packageName, readLockfile } from "./lockfile.js";

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

function tree(files: Record<string, unknown>): string {
  const root = mkdtempSync(join(tmpdir(), "canal-lockfile-"));
  made.push(root);
  for (const [file, content] of Object.entries(files)) put(root, file, content);
  return root;
}

function put(root: string, file: string, content: unknown): void {
  mkdirSync(dirname(join(root, file)), { recursive: true });
  writeFileSync(join(root, file), typeof content === "string" ? content : JSON.stringify(content));
}

const lock = {
  name: "app",
  lockfileVersion: 3,
  packages: {
    "": { name: "app", workspaces: ["packages/*"] },
    "node_modules/a": { version: "1.0.0", integrity: "sha512-a", dependencies: { c: "^2" } },
    "node_modules/b": { version: "1.0.0", integrity: "sha512-b", dependencies: { c: "^1" } },
    "node_modules/b/node_modules/c": { version: "1.9.0", integrity: "sha512-c19" },
    "node_modules/c": { version: "2.1.0", integrity: "sha512-c21" },
    "node_modules/@s/d": { version: "3.0.0", integrity: "sha512-d" },
    "node_modules/alias": { name: "real-name", version: "4.0.0", integrity: "sha512-alias" },
    "node_modules/gitdep": { version: "0.1.0", resolved: "git+ssh://git@host/gitdep.git#abc123" },
    "node_modules/@w/lib": { resolved: "packages/lib", link: true },
    "packages/lib": { name: "@w/lib", version: "0.5.0", dependencies: { a: "^1", c: "^1" } },
    "packages/lib/node_modules/c": { version: "1.0.0", integrity: "sha512-c10" },
  },
};

function summary(pkg: InstalledPackage | undefined): string | undefined {
  return pkg && `${pkg.name}@${pkg.version} ${pkg.location}${pkg.linkTarget ? " link" : ""}`;
}

describe("Lockfile.resolve", () => {
  const root = tree({ "package-lock.json": lock });

  it("resolves a package as the importing file sees it, honouring nested node_modules", () => {
    const fromSrc = join(root, "src/train.ts");
    expect(summary(readLockfile(root).resolve("c", fromSrc))).toBe("c@2.1.0 node_modules/c");
    expect(summary(readLockfile(root).resolve("c", join(root, "node_modules/b/lib/index.js")))).toBe(
      "c@1.9.0 node_modules/b/node_modules/c",
    );
    expect(summary(readLockfile(root).resolve("c", join(root, "packages/lib/src/index.ts")))).toBe(
      "c@1.0.0 packages/lib/node_modules/c",
    );
    expect(summary(readLockfile(root).resolve("@s/d", fromSrc))).toBe("@s/d@3.0.0 node_modules/@s/d");
    expect(summary(readLockfile(root).resolve("alias", fromSrc))).toBe("real-name@4.0.0 node_modules/alias");
    expect(readLockfile(root).resolve("missing", fromSrc)).toBeUndefined();
  });

  it("recognises workspace links, with the version of the linked package", () => {
    const lib = readLockfile(root).resolve("@w/lib", join(root, "src/train.ts"));
    expect(summary(lib)).toBe("@w/lib@0.5.0 node_modules/@w/lib link");
    expect(lib?.linkTarget).toBe(join(root, "packages/lib"));
  });

  it("lists a package's dependencies as installed for it", () => {
    const lockfile = readLockfile(root);
    const from = join(root, "src/train.ts");
    const deps = (name: string) => lockfile.dependenciesOf(lockfile.resolve(name, from)!).map(summary);
    expect(deps("a")).toEqual(["c@2.1.0 node_modules/c"]);
    expect(deps("b")).toEqual(["c@1.9.0 node_modules/b/node_modules/c"]);
    expect(deps("@w/lib")).toEqual(["a@1.0.0 node_modules/a", "c@1.0.0 packages/lib/node_modules/c"]);
  });

  it("is found from a workspace member, and not past the repository root", () => {
    expect(readLockfile(join(root, "packages/lib")).root).toBe(root);
    const repo = tree({ "package-lock.json": lock, "repo/.git/HEAD": "ref: refs/heads/main\n" });
    expect(readLockfile(join(repo, "repo")).path).toBeUndefined();
  });
});

describe("without a lockfile", () => {
  it("reads versions from node_modules, says so, and tells workspace links from store links", () => {
    const root = tree({
      "node_modules/a/package.json": { name: "a", version: "1.2.3", dependencies: { c: "*" } },
      "node_modules/c/package.json": { name: "c", version: "2.0.0" },
      "node_modules/.pnpm/s@1.0.0/node_modules/s/package.json": { name: "s", version: "1.0.0" },
      "packages/w/package.json": { name: "w", version: "0.1.0" },
    });
    symlinkSync("../packages/w", join(root, "node_modules/w"));
    symlinkSync(".pnpm/s@1.0.0/node_modules/s", join(root, "node_modules/s"));
    const lockfile = readLockfile(root);
    const from = join(root, "main.ts");
    const a = lockfile.resolve("a", from);
    expect(a && packageEntry(a).path).toBe("npm:a@1.2.3 (no lockfile)");
    expect(lockfile.dependenciesOf(a!).map(summary)).toEqual(["c@2.0.0 node_modules/c"]);
    expect(lockfile.resolve("w", from)?.linkTarget).toBe(join(root, "packages/w"));
    expect(summary(lockfile.resolve("s", from))).toBe("s@1.0.0 node_modules/s");
  });
});

describe("lockfile errors", () => {
  it("rejects a v1 lockfile and a damaged one, saying how to fix them", () => {
    const v1 = tree({ "package-lock.json": { lockfileVersion: 1, dependencies: {} } });
    expect(() => readLockfile(v1)).toThrow(CodeHashError);
    expect(() => readLockfile(v1)).toThrow(/lockfileVersion 1.*npm install --lockfile-version 3/);
    const bad = tree({ "package-lock.json": "{ not json" });
    expect(() => readLockfile(bad)).toThrow(/package-lock.json is not valid JSON.*npm install/);
  });
});

describe("packageName and packageEntry", () => {
  it("names the package of a bare specifier, and nothing for paths, URLs and Node's modules", () => {
    expect(packageName("lodash")).toBe("lodash");
    expect(packageName("lodash/fp.js")).toBe("lodash");
    expect(packageName("@scope/pkg/sub")).toBe("@scope/pkg");
    for (const spec of ["./a.js", "../a", "/abs/a.js", "#internal", "node:fs", "fs", "https://x.dev/a.js"]) {
      expect(packageName(spec), spec).toBeUndefined();
    }
  });

  it("pins a package by integrity, or by where it came from when it has none", () => {
    const root = tree({ "package-lock.json": lock });
    const lockfile = readLockfile(root);
    const from = join(root, "x.ts");
    const a = lockfile.resolve("a", from)!;
    expect(packageEntry(a).path).toBe("npm:a@1.0.0");
    expect(packageEntry({ ...a, integrity: "sha512-other" }).sha256).not.toBe(packageEntry(a).sha256);
    const git = lockfile.resolve("gitdep", from)!;
    expect(packageEntry({ ...git, resolved: "git+ssh://git@host/gitdep.git#def456" }).sha256).not.toBe(
      packageEntry(git).sha256,
    );
  });
});

describe("an installed package's content", () => {
  it("changes with a file patched at the same locked version, and not with its nested packages", () => {
    const root = tree({
      "package-lock.json": {
        name: "app",
        lockfileVersion: 3,
        packages: {
          "": { name: "app" },
          "node_modules/a": { version: "1.0.0", integrity: "sha512-a" },
          "node_modules/a/node_modules/b": { version: "2.0.0", integrity: "sha512-b" },
        },
      },
      "node_modules/a/package.json": { name: "a", version: "1.0.0" },
      "node_modules/a/lib/index.js": "export const x = 1;\n",
      "node_modules/a/node_modules/b/index.js": "export const y = 1;\n",
    });
    const entryNow = () => {
      const lockfile = readLockfile(root);
      const a = lockfile.resolve("a", join(root, "src/x.ts")) as InstalledPackage;
      return packageEntry(a, lockfile.contentDigest(a));
    };
    const before = entryNow();
    expect(before.path).toBe("npm:a@1.0.0");
    expect(entryNow()).toEqual(before);
    put(root, "node_modules/a/node_modules/b/index.js", "export const y = 2;\n");
    expect(entryNow()).toEqual(before);
    put(root, "node_modules/a/lib/index.js", "export const x = 2;\n");
    expect(entryNow().sha256).not.toBe(before.sha256);
    put(root, "node_modules/a/lib/index.js", "export const x = 1;\n");
    put(root, "node_modules/a/lib/extra.js", "");
    expect(entryNow().sha256).not.toBe(before.sha256);
  });
});
