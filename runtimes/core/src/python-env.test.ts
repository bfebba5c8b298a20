import { execFileSync } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Environment } from "@canal/ir";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pythonEnvironment } from "./python-env.js";

// A built environment is checked against what it was built with before each use: a step that
// installed into it, or an edited module, must not run the next step in a changed environment.
describe("kept Python environments", () => {
  const cache = mkdtempSync(join(tmpdir(), "canal-envs-"));
  const environment = { id: "e".repeat(64), kind: "PYTHON" } as Environment;
  let bin = "";
  let sitePackages = "";
  // When the environment was last built: its manifest is written then, and only then.
  const built = () =>
    statSync(join(cache, "envs", environment.id, ".canal-env-manifest.json"), { bigint: true }).mtimeNs;
  const python = (code: string) =>
    execFileSync(join(bin, "python"), ["-c", code], { encoding: "utf8", stdio: "pipe" }).trim();

  beforeAll(async () => {
    bin = await pythonEnvironment(environment, cache);
    const lib = join(cache, "envs", environment.id, "lib");
    sitePackages = join(lib, readdirSync(lib)[0] as string, "site-packages");
  }, 120_000);
  afterAll(() => rmSync(cache, { recursive: true, force: true }));

  it("is used again as it was built, byte-code caches aside", async () => {
    const first = built();
    mkdirSync(join(sitePackages, "__pycache__"), { recursive: true });
    writeFileSync(join(sitePackages, "__pycache__", "x.cpython-311.pyc"), "written by the interpreter");
    expect(await pythonEnvironment(environment, cache)).toBe(bin);
    expect(built()).toBe(first);
  });

  it("is built again when a module was added to it", async () => {
    const first = built();
    writeFileSync(join(sitePackages, "canal_added.py"), "VALUE = 'added'\n");
    expect(python("import canal_added; print(canal_added.VALUE)")).toBe("added");
    expect(await pythonEnvironment(environment, cache)).toBe(bin);
    expect(built()).not.toBe(first);
    expect(() => python("import canal_added")).toThrow(/ModuleNotFoundError/);
  }, 120_000);

  it("is built again when a file it was built with changed, or is gone", async () => {
    const config = join(cache, "envs", environment.id, "pyvenv.cfg");
    const first = built();
    writeFileSync(config, "home = /nowhere\n");
    await pythonEnvironment(environment, cache);
    const second = built();
    expect(second).not.toBe(first);
    expect(python("print(1)")).toBe("1");
    rmSync(config);
    await pythonEnvironment(environment, cache);
    expect(built()).not.toBe(second);
    expect(statSync(config).isFile()).toBe(true);
  }, 120_000);

  // A check whose folders and manifest have not changed since the last one reads no folder and no
  // link: what it must still see is each kind of change made after its listing was kept.
  describe("once its listing is kept", () => {
    const root = () => join(cache, "envs", environment.id);
    /** The environment as one a while old, so its listing is kept at the next check (see settledIdentity). */
    const settle = async () => {
      const old = new Date(Date.now() - 60_000);
      const walk = (dir: string) => {
        for (const entry of readdirSync(dir, { withFileTypes: true }))
          if (entry.isDirectory()) walk(join(dir, entry.name));
        utimesSync(dir, old, old);
      };
      walk(root());
      utimesSync(join(root(), ".canal-env-manifest.json"), old, old);
      const first = built();
      expect(await pythonEnvironment(environment, cache)).toBe(bin);
      expect(await pythonEnvironment(environment, cache)).toBe(bin);
      expect(built()).toBe(first);
      return first;
    };

    it("is built again when a module was added to one of its folders", async () => {
      const first = await settle();
      writeFileSync(join(sitePackages, "canal_added_later.py"), "VALUE = 1\n");
      await pythonEnvironment(environment, cache);
      expect(built()).not.toBe(first);
      expect(() => python("import canal_added_later")).toThrow(/ModuleNotFoundError/);
    }, 120_000);

    it("is built again when a file's bytes changed", async () => {
      const first = await settle();
      writeFileSync(join(root(), "pyvenv.cfg"), "home = /nowhere\n");
      await pythonEnvironment(environment, cache);
      expect(built()).not.toBe(first);
      expect(python("print(1)")).toBe("1");
    }, 120_000);

    it("is built again when a link was replaced by one to elsewhere", async () => {
      const link = join(root(), "bin", "python3");
      const target = readlinkSync(link);
      const first = await settle();
      rmSync(link);
      symlinkSync("/bin/true", link);
      await pythonEnvironment(environment, cache);
      expect(built()).not.toBe(first);
      expect(readlinkSync(link)).toBe(target);
    }, 120_000);
  });
});
