// Bundles the built CLI (packages/cli/dist/start.js and the Canal packages it imports, with their
// small pure-JavaScript dependencies) into one script, packages/cli/dist/bundle/canal.cjs: one file
// to load at start instead of ~300 modules, which is most of what a `canal` command that has
// little to do costs. dist/main.js runs it with V8's code cache (see packages/cli/src/main.ts), so
// a later start neither parses nor compiles what an earlier run of the same command compiled.
// Commands stay loaded when named (cli.ts's table of dynamic imports, kept as lazily run parts of
// the script), so a new command in that table is bundled with no change here.
//
// Run after `tsc -b` (`npm run build` does both; so does the CLI package's `prepack`). It bundles
// what tsc wrote to dist/, with dist's source maps composed into the bundle's, so a stack
// traced with `node --enable-source-maps` names the TypeScript sources. dist/main.js uses the
// bundle only while every project it was built from is as tsc last left it; otherwise it loads
// the modules themselves.
//
// Left out, and imported at run time as before: native and large packages (better-sqlite3, the
// compiler with TypeScript and esbuild, the Docker, AWS, PostgreSQL and Kubernetes clients) and
// everything not named in `inlined` below.
import { createHash, randomBytes } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { isBuiltin } from "node:module";
import { dirname, join, relative, resolve, sep } from "node:path";
import { build } from "esbuild";

const root = resolve(import.meta.dirname, "..");
// The CLI package whose dist/ is bundled: this repository's, or a copy of it named as the first
// argument (a test builds its own bundle there, leaving the one every `canal` here runs alone).
const cli = process.argv[2] ? resolve(process.argv[2]) : join(root, "packages/cli");
const dist = join(cli, "dist");
const out = join(dist, "bundle");

/** Third-party packages put into the bundle: pure JavaScript, loaded by every run. */
// zod's companions go with it: two copies of zod in one process do not know each other's schemas.
const inlined = new Set(["zod", "@asteasolutions/zod-to-openapi", "protobufjs", "csv-parse"]);
/** Canal packages left out: the compiler loads TypeScript, ts-morph and esbuild, and is big. */
const outside = new Set(["@canal/compiler"]);

const packageName = (specifier) =>
  specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : specifier.split("/")[0];

/** The package folder and manifest a file belongs to (the nearest package.json with a name). */
const manifests = new Map();
function packageOf(file) {
  for (let dir = dirname(file); dirname(dir) !== dir; dir = dirname(dir)) {
    if (manifests.has(dir)) return manifests.get(dir);
    const path = join(dir, "package.json");
    if (!existsSync(path)) continue;
    const manifest = JSON.parse(readFileSync(path, "utf8"));
    if (!manifest.name) continue;
    const found = { dir, manifest };
    manifests.set(dir, found);
    return found;
  }
  throw new Error(`bundle-cli: no package.json above ${file}`);
}

/** The file a package's "." export names for Node (what `import.meta.resolve(name)` gives). */
function mainOf({ dir, manifest }) {
  const entry = manifest.exports?.["."]?.default ?? manifest.main;
  if (typeof entry !== "string") throw new Error(`bundle-cli: ${manifest.name} has no "." export`);
  return join(dir, entry);
}

/** Each package required by name at run time, with the Canal packages whose code requires it. */
const externals = new Map();
const external = {
  name: "canal-external",
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith("node:") || isBuiltin(args.path)) return { path: args.path, external: true };
      const name = packageName(args.path);
      if (name.startsWith("@canal/") ? outside.has(name) : !inlined.has(name) && !inlined.has(args.path)) {
        const from = args.importer ? packageOf(args.importer).manifest.name : "@canal/cli";
        if (!externals.has(name)) externals.set(name, new Set());
        externals.get(name).add(from);
        return { path: args.path, external: true };
      }
      return undefined;
    });
  },
};

// protobufjs takes long.js for the values of 64-bit integer fields when it can require it
// (`util.Long`), and long.js compiles a WebAssembly module as it loads: 3-4 ms of every `canal`
// process that reads an IR. The IR has no 64-bit integer field (scripts/generate-ir-codec.mjs
// refuses one, and this is checked here), so in the bundle `require("long")` gives null, which
// protobufjs takes as no long.js. The modules themselves (CANAL_BUNDLE=0) still load it.
const proto = readFileSync(join(root, "ir/pipeline.proto"), "utf8").replace(/\/\/.*|\/\*[\s\S]*?\*\//g, "");
const wide = /\b(u?int64|sint64|s?fixed64)\b/.exec(proto);
if (wide)
  throw new Error(
    `bundle-cli: ir/pipeline.proto has a ${wide[1]} field, whose values protobufjs reads with long.js: ` +
      "drop the `noLong` plugin of scripts/bundle-cli.mjs so that the bundle has long.js",
  );
const noLong = {
  name: "canal-no-long",
  setup(b) {
    b.onResolve({ filter: /^long$/ }, () => ({ path: "long", namespace: "canal-no-long" }));
    b.onLoad({ filter: /.*/, namespace: "canal-no-long" }, () => ({
      contents: "module.exports = null;\n",
      loader: "js",
    }));
  },
};

// A bundled module that finds files beside itself (the IR's pipeline.proto, the worker's entry,
// the Python helper) keeps finding them where its package is installed: its `import.meta.url` is
// rewritten to its own file's URL, found from its package's entry at run time, in the repository
// and in a user's node_modules alike.
const selfUrl = {
  name: "canal-self-url",
  setup(b) {
    b.onLoad({ filter: /\.js$/ }, (args) => {
      if (args.path.includes(`${sep}node_modules${sep}`)) return undefined;
      const source = readFileSync(args.path, "utf8");
      if (!source.includes("import.meta")) return undefined;
      const pkg = packageOf(args.path);
      const rel = relative(dirname(mainOf(pkg)), args.path)
        .split(sep)
        .join("/");
      const file = `require("node:path").join(require("node:path").dirname(require.resolve(${JSON.stringify(pkg.manifest.name)})), ${JSON.stringify(rel)})`;
      const contents = source
        .replaceAll("import.meta.url", `require("node:url").pathToFileURL(${file}).href`)
        .replaceAll("import.meta.dirname", `require("node:path").dirname(${file})`)
        .replaceAll("import.meta.filename", `(${file})`);
      const left = /import\.meta\b(\.\w+)?/.exec(contents);
      if (left)
        throw new Error(
          `bundle-cli: ${relative(root, args.path)} uses \`${left[0]}\`, which the bundle does not rewrite`,
        );
      return { contents, loader: "js", resolveDir: dirname(args.path) };
    });
  },
};

const staging = `${out}.${process.pid}.${randomBytes(4).toString("hex")}`;
const result = await build({
  entryPoints: { canal: join(dist, "start.js") },
  outdir: staging,
  outExtension: { ".js": ".cjs" },
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node20",
  sourcemap: "linked",
  sourcesContent: false,
  metafile: true,
  logLevel: "warning",
  // The rewritten `import.meta.url`s find Canal's packages with require.resolve on purpose.
  logOverride: { "require-resolve-not-external": "silent" },
  plugins: [noLong, external, selfUrl],
});

// What the bundle was built from: each Canal project's tsbuildinfo, which `tsc -b` rewrites
// whenever it writes that project's dist/. A changed or missing one makes dist/main.js load the
// modules themselves instead of a bundle of older code.
const projects = new Set();
for (const input of Object.keys(result.metafile.inputs)) {
  const file = resolve(root, input.replace(/^[\w-]+:/, ""));
  if (file.includes(`${sep}node_modules${sep}`) || !existsSync(file)) continue;
  projects.add(packageOf(file).dir);
}
const builds = [...projects].sort().map((dir) => {
  const info = join(dir, "tsconfig.tsbuildinfo");
  const stat = statSync(info);
  return { path: relative(cli, info).split(sep).join("/"), mtimeMs: stat.mtimeMs, size: stat.size };
});
// A script run by node:vm imports nothing itself (Node 20 would need an experimental loader for
// it): what the bundle imports at run time (the compiler, pg, hyparquet) goes through the
// `__canalImport` that dist/main.js hands it, which imports from beside the bundle.
//
// The bundle is kept ASCII: V8 holds a script's source for as long as its functions live, and a
// source with one character beyond Latin-1 is held two bytes a character (5 MB instead of 2.6,
// in the old generation from the start, so that a cached `canal run` paid for a full collection
// early). esbuild escapes what it writes in strings, regular expressions and names; what is left
// is in the comments it keeps, where an escape is as good as the character.
//
// The script is written wrapped as Node wraps a CommonJS module (packages/cli/src/main.ts names
// the same wrapper), on its first line so that the source map's positions stay those of
// esbuild's output: dist/main.js compiles the file's text as it reads it. Wrapping it there made
// a second, flat copy of the 2.6 MB text on the heap of every `canal` process.
const script = join(staging, "canal.cjs");
const source = readFileSync(script, "utf8").replace(/\bimport\(("[^"\n]+")\)/g, "__canalImport($1)");
const ascii = source.replace(
  /[^\0-\x7f]/g,
  (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`,
);
writeFileSync(
  script,
  `(function (exports, require, module, __filename, __dirname, __canalImport) {${ascii}\n})`,
);

// dist/main.js checks at start that each of these is the copy its Canal package would load.
function externalList() {
  return [...externals]
    .flatMap(([name, froms]) => [...froms].map((from) => ({ name, from })))
    .sort((a, b) => a.name.localeCompare(b.name) || a.from.localeCompare(b.from));
}

// The code cache of a build is named by its bytes: V8 checks a cache against the length of the
// source it was made from, not its contents.
const id = createHash("sha256")
  .update(readFileSync(join(staging, "canal.cjs")))
  .digest("hex")
  .slice(0, 16);
writeFileSync(
  join(staging, "stamp.json"),
  `${JSON.stringify({ entry: "canal.cjs", id, builds, externals: externalList() }, null, 2)}\n`,
);

// Into place file by file (each rename whole), the stamp last, for a `canal` starting meanwhile;
// what older builds left (their code caches, chunks of an earlier layout) goes.
mkdirSync(out, { recursive: true });
for (const name of ["canal.cjs.map", "canal.cjs", "stamp.json"])
  renameSync(join(staging, name), join(out, name));
rmSync(staging, { recursive: true, force: true });
for (const name of readdirSync(out)) {
  if (["canal.cjs.map", "canal.cjs", "stamp.json"].includes(name) || name.startsWith(`${id}.`)) continue;
  rmSync(join(out, name), { recursive: true, force: true });
}
const bytes = Object.values(result.metafile.outputs).reduce((sum, o) => sum + (o.bytes ?? 0), 0);
// On stderr: npm pack --json, which runs this as the package's prepack, takes stdout for its JSON.
console.error(
  `bundled the CLI into ${relative(root, out)} (${Object.keys(result.metafile.outputs).length} files, ${(bytes / 1e6).toFixed(1)} MB with maps)`,
);
