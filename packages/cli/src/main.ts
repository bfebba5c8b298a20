#!/usr/bin/env node
import { existsSync, readFileSync, statSync } from "node:fs";

// The `canal` command. It loads the CLI's bundle (dist/bundle/, made by scripts/bundle-cli.mjs)
// when there is one built from what dist/ holds now: a few modules instead of ~300, which is most
// of what a command that has little to do costs. Otherwise it loads the modules themselves.

/** What scripts/bundle-cli.mjs writes beside the bundle: its entry, and what it was built from. */
interface Stamp {
  entry: string;
  builds: Array<{ path: string; mtimeMs: number; size: number }>;
}

/**
 * The URL of the bundle's entry, or undefined when the modules themselves are to be loaded: there
 * is no bundle, `CANAL_BUNDLE=0` asks for the modules, or, in a checkout of the repository (the
 * package's src/ is there), a project the bundle was built from was built again since (its
 * tsbuildinfo is not the one the stamp names). An installed package has no src/: its bundle was
 * built when it was packed, from the dist/ it ships.
 */
function bundledEntry(): string | undefined {
  if (process.env.CANAL_BUNDLE === "0") return undefined;
  const bundle = new URL("bundle/", import.meta.url);
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
  return new URL(stamp.entry, bundle).href;
}

const entry = bundledEntry();
if (entry) {
  await import(entry);
} else {
  const [{ runCli }, { processIo }] = await Promise.all([import("./cli.js"), import("./io.js")]);
  process.exitCode = await runCli(process.argv.slice(2), processIo());
}
