#!/usr/bin/env node
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Script } from "node:vm";
import { type BundleExternal, strayExternal } from "./bundle-deps.js";

// The `canal` command. It runs the CLI's bundle (dist/bundle/canal.cjs, made by
// scripts/bundle-cli.mjs) when there is one built from what dist/ holds now: one script instead of
// ~300 modules, which is most of what a command that has little to do costs. Otherwise it loads
// the modules themselves.

/** What scripts/bundle-cli.mjs writes beside the bundle: its file, its id, what it was built from. */
interface Stamp {
  entry: string;
  id: string;
  builds: Array<{ path: string; mtimeMs: number; size: number }>;
  /** What the bundle requires by name at run time, and which Canal package requires it. */
  externals?: BundleExternal[];
}

/**
 * The bundle's stamp, or undefined when the modules themselves are to be loaded: there is no
 * bundle, `CANAL_BUNDLE=0` asks for the modules, or, in a checkout of the repository (the
 * package's src/ is there), a project the bundle was built from was built again since (its
 * tsbuildinfo is not the one the stamp names), or a package the bundle requires by name is not the
 * copy its Canal package would load (npm nested another version of it under that package). An
 * installed package has no src/: its bundle was built when it was packed, from the dist/ it ships.
 */
function bundleStamp(bundle: URL): Stamp | undefined {
  if (process.env.CANAL_BUNDLE === "0") return undefined;
  let stamp: Stamp;
  try {
    stamp = JSON.parse(readFileSync(new URL("stamp.json", bundle), "utf8")) as Stamp;
  } catch {
    return undefined;
  }
  const pkg = new URL("../", import.meta.url);
  if (existsSync(new URL("src/", pkg))) {
    for (const build of stamp.builds) {
      const stat = statSync(new URL(build.path, pkg), { throwIfNoEntry: false });
      if (stat?.mtimeMs !== build.mtimeMs || stat.size !== build.size) return undefined;
    }
  }
  if (strayExternal(stamp.externals ?? [], fileURLToPath(bundle), fileURLToPath(pkg))) return undefined;
  return stamp;
}

/**
 * Runs the bundle as Node runs a CommonJS file, with V8's code cache of the command: what an
 * earlier run of the same command compiled is neither parsed nor compiled again. A run that found
 * no cache for its command (or one V8 refused: another Node) leaves its own when it exits, beside
 * the bundle or, where the package's folder cannot be written, in the user's cache folder.
 */
function runBundle(bundle: URL, stamp: Stamp): void {
  const file = fileURLToPath(new URL(stamp.entry, bundle));
  const command = /^[a-z]+$/.test(process.argv[2] ?? "") ? process.argv[2] : "other";
  const name = `${stamp.id}.${command}.cache`;
  // Beside the bundle, or, where the package's folder cannot be written (a system-wide install),
  // in the user's cache folder.
  const places = [join(dirname(file), name), join(userCacheDir(), "canal", "bundle", name)];
  let cachedData: Buffer | undefined;
  for (const place of places) {
    try {
      cachedData = readFileSync(place);
      break;
    } catch {}
  }
  // As Node wraps a CommonJS module, and with the import the bundle's own `import()`s were
  // turned into (bare package names: resolved from here as from the bundle's folder). The bundle
  // is ASCII (scripts/bundle-cli.mjs keeps it so), which Latin-1 reads byte for byte, without the
  // checks of UTF-8, into a string held outside V8's heap. scripts/bundle-cli.mjs writes it
  // wrapped already: text put around it here would be copied whole onto the heap when compiled.
  const source = readFileSync(file, "latin1");
  const wrapped = source.startsWith(WRAPPER) ? source : `${WRAPPER}${source}\n})`;
  const script = new Script(wrapped, { filename: file, cachedData });
  if (!cachedData || script.cachedDataRejected) {
    process.once("exit", () => {
      const data = script.createCachedData();
      for (const place of places) {
        const written = `${place}.${process.pid}`;
        try {
          mkdirSync(dirname(place), { recursive: true });
          writeFileSync(written, data);
          renameSync(written, place);
          return;
        } catch {
          rmSync(written, { force: true });
        }
      }
    });
  }
  const module = { exports: {} };
  const load = (specifier: string) => import(specifier);
  script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file), load);
}

/** How the bundle's text begins (scripts/bundle-cli.mjs writes it so), as Node wraps a CommonJS module. */
const WRAPPER = "(function (exports, require, module, __filename, __dirname, __canalImport) {";

/** Where a user's caches go: $XDG_CACHE_HOME, else ~/.cache. */
function userCacheDir(): string {
  const xdg = process.env.XDG_CACHE_HOME;
  return xdg?.startsWith("/") ? xdg : join(homedir(), ".cache");
}

const bundle = new URL("bundle/", import.meta.url);
const stamp = bundleStamp(bundle);
if (stamp) {
  runBundle(bundle, stamp);
} else {
  const [{ runCli }, { processIo }] = await Promise.all([import("./cli.js"), import("./io.js")]);
  process.exitCode = await runCli(process.argv.slice(2), processIo());
}
