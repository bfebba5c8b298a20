import { execFileSync, spawnSync } from "node:child_process";
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { makeProject, repoRoot } from "../helpers.js";

// `canal` runs the CLI's bundle (scripts/bundle-cli.mjs, packages/cli/dist/bundle/canal.cjs)
// instead of loading ~300 modules, with V8's code cache of each command, and only a bundle built
// from what dist/ holds now: a project built again since makes it load the modules themselves, so
// a stale bundle never runs older code.
const cliDir = join(repoRoot, "packages/cli");
const tracer = join(import.meta.dirname, "module-trace.mjs");
const temps: string[] = [];
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

/** Runs `node MAIN ARGS` in `cwd` with a preload that lists every module it loads. */
function traced(main: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  const dir = mkdtempSync(join(tmpdir(), "canal-bundle-trace-"));
  temps.push(dir);
  const trace = join(dir, "modules");
  const result = spawnSync(process.execPath, ["--import", tracer, main, ...args], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, ...env, CANAL_MODULE_TRACE: trace },
  });
  const modules = readFileSync(trace, "utf8").split("\n").filter(Boolean);
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, modules };
}

/** A module of a Canal package's dist/ itself, not of the bundle. */
const ours = /\/(ir|compiler|packages\/\w+|runtimes\/\w+|cli)\/dist\/(?!bundle\/)/;

describe("the CLI's bundle", () => {
  it("runs the commands from one bundle, and keeps each command's code cache", () => {
    // Built as `npm run build` builds it, into a copy of the CLI package beside the repository's
    // node_modules: the bundle every other test's `canal` runs (or, stale, does not) stays as it was.
    const root = mkdtempSync(join(tmpdir(), "canal-bundle-built-"));
    temps.push(root);
    const pkg = join(root, "cli");
    cpSync(join(cliDir, "dist"), join(pkg, "dist"), {
      recursive: true,
      filter: (src) => !/\/dist\/bundle(\/|$)/.test(src),
    });
    for (const file of ["package.json", "tsconfig.tsbuildinfo"]) cpSync(join(cliDir, file), join(pkg, file));
    symlinkSync(join(repoRoot, "node_modules"), join(root, "node_modules"));
    execFileSync(process.execPath, [join(repoRoot, "scripts/bundle-cli.mjs"), pkg], { encoding: "utf8" });
    // ASCII only: V8 holds the bundle's source while it runs, at two bytes a character once one
    // character is beyond Latin-1.
    const bundled = readFileSync(join(pkg, "dist/bundle/canal.cjs"), "latin1");
    expect(bundled.search(/[^\0-\x7f]/)).toBe(-1);
    // Wrapped already, as dist/main.js compiles it: text put around it at start made a second,
    // flat copy of it on the heap.
    expect(
      bundled.startsWith("(function (exports, require, module, __filename, __dirname, __canalImport) {"),
    ).toBe(true);
    // Without long.js, which compiles a WebAssembly module as it loads: the IR has no 64-bit field.
    expect(bundled).not.toContain("node_modules/long/");
    const main = join(pkg, "dist/main.js");
    const dir = makeProject({ files: { "src/README": "the script's folder\n" } });
    writeFileSync(
      join(dir, "pipeline.ts"),
      [
        'import { File, pipeline, step } from "@canal/sdk";',
        "export class Hello {",
        '  @step.script({ source: "./src", run: "echo hello > {out}" })',
        "  greet(): { out: File } {",
        "    return step.declared();",
        "  }",
        '  @pipeline({ name: "hello" })',
        "  run() {",
        "    return this.greet().out;",
        "  }",
        "}",
        "",
      ].join("\n"),
    );
    expect(traced(main, ["init"], dir).status).toBe(0);
    const compiled = traced(main, ["compile", "pipeline.ts", "--out", "build"], dir);
    expect(compiled.stderr).toBe("");
    expect(compiled.stdout).toMatch(/^compiled hello/);

    const first = traced(main, ["run", "build/hello"], dir);
    expect(first.stderr).toBe("");
    expect(first.stdout).toMatch(/succeeded in [\d.]+s \(1 succeeded\)/);
    const again = traced(main, ["run", "build/hello"], dir);
    expect(again.stdout).toMatch(/succeeded in [\d.]+s \(1 cached\)/);
    // The first run of a command leaves its code cache, named by the bundle's id.
    const { id, externals } = JSON.parse(readFileSync(join(pkg, "dist/bundle/stamp.json"), "utf8")) as {
      id: string;
      externals: Array<{ name: string; from: string }>;
    };
    // What it requires by name at run time is listed with the package that requires it.
    expect(externals).toContainEqual({ name: "pg", from: "@canal/store" });
    expect(externals).toContainEqual({ name: "hono", from: "@canal/server" });
    expect(statSync(join(pkg, `dist/bundle/${id}.run.cache`)).size).toBeGreaterThan(100_000);
    // The IR, the store, the runner and the local runtime all come from the bundle; of the CLI's
    // own dist/, only main.js and its check of the bundle's dependencies load.
    expect(again.modules.filter((m) => ours.test(m))).toEqual([main, join(pkg, "dist/bundle-deps.js")]);
    // Far fewer modules than the modules themselves: the control.
    const modules = traced(main, ["run", "build/hello"], dir, { CANAL_BUNDLE: "0" });
    expect(modules.stdout).toMatch(/\(1 cached\)/);
    expect(modules.modules.filter((m) => ours.test(m)).length).toBeGreaterThan(50);
    expect(again.modules.length).toBeLessThan(modules.modules.length / 3);
  });

  it("is used only while it was built from what dist/ holds, unless the package is installed", () => {
    // A copy of the CLI package with a stand-in bundle, beside the repository's node_modules.
    const root = mkdtempSync(join(tmpdir(), "canal-bundle-stale-"));
    temps.push(root);
    const pkg = join(root, "cli");
    cpSync(join(cliDir, "dist"), join(pkg, "dist"), {
      recursive: true,
      filter: (src) => !/\/dist\/bundle(\/|$)/.test(src),
    });
    cpSync(join(cliDir, "package.json"), join(pkg, "package.json"));
    symlinkSync(join(repoRoot, "node_modules"), join(root, "node_modules"));
    mkdirSync(join(pkg, "src"));
    writeFileSync(join(pkg, "tsconfig.tsbuildinfo"), "{}");
    mkdirSync(join(pkg, "dist/bundle"));
    writeFileSync(join(pkg, "dist/bundle/canal.cjs"), 'process.stdout.write("the bundle\\n");\n');
    const stamp = (info: { mtimeMs: number; size: number }, externals: object[] = []) =>
      writeFileSync(
        join(pkg, "dist/bundle/stamp.json"),
        JSON.stringify({
          entry: "canal.cjs",
          id: "0123456789abcdef",
          builds: [{ path: "tsconfig.tsbuildinfo", ...info }],
          externals,
        }),
      );
    const built = statSync(join(pkg, "tsconfig.tsbuildinfo"));
    stamp(built);
    const main = join(pkg, "dist/main.js");
    const run = (env: NodeJS.ProcessEnv = {}) =>
      spawnSync(process.execPath, [main, "--help"], { encoding: "utf8", env: { ...process.env, ...env } })
        .stdout;

    expect(run()).toBe("the bundle\n");
    expect(run({ CANAL_BUNDLE: "0" })).toMatch(/^Usage: canal/);
    // The project was built again: the modules themselves run.
    writeFileSync(join(pkg, "tsconfig.tsbuildinfo"), '{"again":1}');
    expect(run()).toMatch(/^Usage: canal/);
    // An installed package (no src/) trusts the bundle it was packed with.
    rmSync(join(pkg, "src"), { recursive: true });
    expect(run()).toBe("the bundle\n");
    // A package the bundle requires is found from beside the Canal package that needs it: one
    // found there as from the bundle lets the bundle run, one that is not makes the modules run.
    stamp(built, [{ name: "croner", from: "@canal/server" }]);
    expect(run()).toBe("the bundle\n");
    stamp(built, [{ name: "croner", from: "@canal/not-installed" }]);
    expect(run()).toMatch(/^Usage: canal/);
    // Where the code cache cannot be left beside the bundle (here a folder is in its way, as a
    // read-only install would refuse it), it goes to the user's cache folder, and is read there.
    stamp(built);
    const beside = join(pkg, "dist/bundle/0123456789abcdef.other.cache");
    rmSync(beside, { force: true });
    mkdirSync(join(beside, "taken"), { recursive: true });
    const cacheHome = join(root, "cache-home");
    expect(run({ XDG_CACHE_HOME: cacheHome })).toBe("the bundle\n");
    const elsewhere = join(cacheHome, "canal/bundle/0123456789abcdef.other.cache");
    const made = statSync(elsewhere);
    expect(run({ XDG_CACHE_HOME: cacheHome })).toBe("the bundle\n");
    // Accepted, so not written again.
    expect(statSync(elsewhere).mtimeMs).toBe(made.mtimeMs);
    // No stamp, no bundle.
    rmSync(join(pkg, "dist/bundle/stamp.json"));
    expect(run()).toMatch(/^Usage: canal/);
  });
});
