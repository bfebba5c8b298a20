import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { packageFolder, strayExternal } from "./bundle-deps.js";

let root: string;
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** A package folder with a manifest, as npm leaves one. */
function pkg(dir: string, name: string, version = "1.0.0"): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name, version }));
  return dir;
}

/** A user's project with @canal/cli and @canal/store installed flat, and `pg` at the top. */
function project(): { cli: string; bundle: string; store: string } {
  root = mkdtempSync(join(tmpdir(), "canal-bundle-deps-"));
  const modules = join(root, "project/node_modules");
  const cli = pkg(join(modules, "@canal/cli"), "@canal/cli");
  const bundle = join(cli, "dist/bundle");
  mkdirSync(bundle, { recursive: true });
  const store = pkg(join(modules, "@canal/store"), "@canal/store");
  pkg(join(modules, "pg"), "pg", "8.16.0");
  return { cli, bundle, store };
}

const externals = [{ name: "pg", from: "@canal/store" }];

describe("the packages the CLI's bundle requires by name", () => {
  it("are the copies their Canal packages load when npm installed them flat", () => {
    const { cli, bundle } = project();
    expect(strayExternal(externals, bundle, cli)).toBeUndefined();
  });

  it("are not, when npm nested Canal's version under its package beside the user's own", () => {
    const { cli, bundle, store } = project();
    // The project's own pg is another version: Canal's is under @canal/store.
    pkg(join(store, "node_modules/pg"), "pg", "8.11.0");
    expect(packageFolder("pg", bundle)).toBe(join(root, "project/node_modules/pg"));
    expect(strayExternal(externals, bundle, cli)).toEqual({ name: "pg", from: "@canal/store" });
    // A package nested under the CLI itself is found by both lookups.
    rmSync(join(store, "node_modules"), { recursive: true });
    pkg(join(cli, "node_modules/pg"), "pg", "8.11.0");
    expect(strayExternal(externals, bundle, cli)).toEqual({ name: "pg", from: "@canal/store" });
  });

  it("are found through linked packages (workspaces), and a Canal package that is missing is a stray", () => {
    const { cli, bundle } = project();
    // A workspace's link: the linked package's own node_modules comes first for it.
    const real = pkg(join(root, "checkout/packages/store"), "@canal/store");
    rmSync(join(root, "project/node_modules/@canal/store"), { recursive: true });
    symlinkSync(real, join(root, "project/node_modules/@canal/store"));
    pkg(join(real, "node_modules/pg"), "pg", "8.11.0");
    expect(strayExternal(externals, bundle, cli)).toEqual({ name: "pg", from: "@canal/store" });
    rmSync(join(real, "node_modules"), { recursive: true });
    expect(strayExternal(externals, bundle, cli)).toEqual({ name: "pg", from: "@canal/store" });
    expect(strayExternal([{ name: "pg", from: "@canal/absent" }], bundle, cli)).toEqual({
      name: "pg",
      from: "@canal/absent",
    });
  });
});
