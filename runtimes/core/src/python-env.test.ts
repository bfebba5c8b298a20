import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
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
});
