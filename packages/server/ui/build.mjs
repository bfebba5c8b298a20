// Builds the web UI into ../ui-dist: the pages' TypeScript bundled by esbuild into one module
// (app.js), the stylesheet, index.html, and ELK's Web Worker as elkjs ships it. Run when the
// package is built or packed (`npm run build -w @canal/server`, `prepack`); needs no network.
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { build } from "esbuild";

const here = import.meta.dirname;
const out = join(here, "../ui-dist");

/** Writes the UI into `dir` (default the package's ui-dist/). */
export async function buildUi(dir = out) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  await build({
    entryPoints: [join(here, "src/main.ts")],
    bundle: true,
    format: "esm",
    target: "es2022",
    minify: true,
    legalComments: "linked",
    outfile: join(dir, "app.js"),
    logLevel: "warning",
  });
  copyFileSync(join(here, "index.html"), join(dir, "index.html"));
  copyFileSync(join(here, "style.css"), join(dir, "app.css"));
  const elk = dirname(createRequire(import.meta.url).resolve("elkjs/package.json"));
  copyFileSync(join(elk, "lib/elk-worker.min.js"), join(dir, "elk-worker.min.js"));
  return dir;
}

if (process.argv[1] === import.meta.filename) await buildUi();
