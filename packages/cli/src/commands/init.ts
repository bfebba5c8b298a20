import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { CONFIG_FILE, initWorkspace } from "@canal/store";
import { type Io, UsageError } from "../io.js";
import { ignoredPaths, starterFiles, tsconfigJson } from "../starter.js";

export const initHelp = `Usage: canal init [DIR] [--name NAME]

Sets up a Canal project in DIR (default: the current directory; made when missing) that runs at
once: package.json (@canal/sdk and @canal/cli, scripts \`compile\` and \`run\`), tsconfig.json,
.gitignore (.canal/, canal-out/), canal.config.json (the workspace: its store and artifacts live in
.canal/) and a starter pipeline.ts with a Python script step and a TypeScript step.

In an existing project it adds only what is missing — a field of package.json, a line of
.gitignore, a file — and never changes what is there; it says what it added.

  --name NAME   the workspace's name in canal.config.json (default: DIR's name)
`;

/**
 * Install scripts of Canal's dependencies, as npm's `allowScripts` records them: better-sqlite3
 * builds the store's SQLite binding and esbuild checks its binary; the rest are optional speed-ups
 * of SSH connections (dockerode's ssh2) and a version notice, which Canal does not use.
 */
const installScripts: Record<string, boolean> = {
  "better-sqlite3": true,
  esbuild: true,
  "cpu-features": false,
  protobufjs: false,
  ssh2: false,
};

/** This CLI's own package.json: the version a new project depends on. */
function cliVersion(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest)) {
      const found = JSON.parse(readFileSync(manifest, "utf8")) as { name?: string; version?: string };
      if (found.name === "@canal/cli" && found.version) return found.version;
    }
    if (dirname(dir) === dir) throw new Error("canal init: cannot find @canal/cli's package.json");
  }
}

/** An npm package name from a folder name: lower case, URL-safe, never empty. */
function packageName(dir: string): string {
  const name = basename(dir)
    .toLowerCase()
    .replace(/[^a-z0-9._~-]+/g, "-")
    .replace(/^[._-]+|-+$/g, "");
  return name || "canal-pipelines";
}

type Manifest = Record<string, unknown> & {
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  allowScripts?: Record<string, boolean>;
};

/** The fields of package.json that a Canal project needs, for a package of this CLI's version. */
function wantedManifest(dir: string, entry: string): Manifest {
  const range = `^${cliVersion()}`;
  return {
    name: packageName(dir),
    version: "0.1.0",
    private: true,
    type: "module",
    scripts: { compile: `canal compile ${entry}`, run: `canal run ${entry}` },
    dependencies: { "@canal/sdk": range },
    devDependencies: {
      "@canal/cli": range,
      "@types/node": `^${process.versions.node.split(".")[0]}.0.0`,
    },
    allowScripts: { ...installScripts },
  };
}

/**
 * Adds to `manifest` what `wanted` has and it lacks (a package listed in either dependency list
 * counts as there); returns what it added, in words.
 */
function addMissing(manifest: Manifest, wanted: Manifest): string[] {
  // "type" is left as it is: it decides how the package's own .js files load, and a pipeline
  // compiles the same in a CommonJS package (the compiler bundles it as an ES module).
  const added: string[] = [];
  const has = (name: string) => manifest.dependencies?.[name] ?? manifest.devDependencies?.[name];
  for (const list of ["dependencies", "devDependencies"] as const) {
    for (const [name, range] of Object.entries(wanted[list] ?? {})) {
      if (has(name) !== undefined) continue;
      manifest[list] = { ...manifest[list], [name]: range };
      added.push(`${list === "devDependencies" ? "dev " : ""}dependency ${name} ${range}`);
    }
  }
  for (const [name, command] of Object.entries(wanted.scripts ?? {})) {
    if (manifest.scripts?.[name] !== undefined) continue;
    manifest.scripts = { ...manifest.scripts, [name]: command };
    added.push(`script ${name}`);
  }
  const scripts = Object.entries(installScripts).filter(
    ([name]) => manifest.allowScripts?.[name] === undefined,
  );
  if (scripts.length) {
    manifest.allowScripts = { ...manifest.allowScripts, ...Object.fromEntries(scripts) };
    added.push(`allowScripts for ${scripts.map(([name]) => name).join(", ")}`);
  }
  return added;
}

/** The indentation a JSON file is written with, to keep it when the file is rewritten. */
function indentOf(text: string): string {
  return /^\{\r?\n([ \t]+)"/.exec(text)?.[1] ?? "  ";
}

/** Sets up (or completes) a Canal project in `dir`; returns what it did, one line each. */
export function scaffold(
  dir: string,
  name?: string,
): { added: string[]; kept: string[]; notes: string[]; install: boolean } {
  const added: string[] = [];
  const kept: string[] = [];
  const notes: string[] = [];
  let install = false;
  mkdirSync(dir, { recursive: true });
  const entry = starterFiles[0]?.[0] as string;

  const manifestPath = join(dir, "package.json");
  const wanted = wantedManifest(dir, entry);
  if (!existsSync(manifestPath)) {
    writeFileSync(manifestPath, `${JSON.stringify(wanted, null, 2)}\n`);
    added.push(
      `package.json (@canal/sdk and @canal/cli ${wanted.dependencies?.["@canal/sdk"]}, scripts compile and run)`,
    );
    install = true;
  } else {
    const text = readFileSync(manifestPath, "utf8");
    let manifest: Manifest;
    try {
      manifest = JSON.parse(text) as Manifest;
    } catch (error) {
      throw new Error(
        `${manifestPath} is not valid JSON (${(error as Error).message}); fix it, then run canal init again`,
      );
    }
    const fields = addMissing(manifest, wanted);
    if (fields.length) {
      writeFileSync(manifestPath, `${JSON.stringify(manifest, null, indentOf(text))}\n`);
      added.push(`to package.json: ${fields.join(", ")}`);
      install ||= fields.some((field) => field.includes("dependency"));
    } else kept.push("package.json");
  }

  const tsconfigPath = join(dir, "tsconfig.json");
  if (!existsSync(tsconfigPath)) {
    writeFileSync(tsconfigPath, tsconfigJson);
    added.push("tsconfig.json (standard decorators, NodeNext modules)");
  } else {
    kept.push("tsconfig.json");
    if (/"experimentalDecorators"\s*:\s*true/.test(readFileSync(tsconfigPath, "utf8")))
      notes.push(
        'tsconfig.json sets "experimentalDecorators": true; Canal\'s decorators are the standard ones: remove that option',
      );
  }

  const ignorePath = join(dir, ".gitignore");
  const ignoreText = existsSync(ignorePath) ? readFileSync(ignorePath, "utf8") : undefined;
  const present = new Set((ignoreText ?? "").split(/\r?\n/).map((line) => line.trim().replace(/^\//, "")));
  const missing = ignoredPaths.filter((path) => !present.has(path) && !present.has(path.slice(0, -1)));
  if (missing.length) {
    const before = ignoreText === undefined || ignoreText === "" || ignoreText.endsWith("\n") ? "" : "\n";
    writeFileSync(ignorePath, `${ignoreText ?? ""}${before}${missing.join("\n")}\n`);
    added.push(
      ignoreText === undefined
        ? `.gitignore (${missing.join(", ")})`
        : `to .gitignore: ${missing.join(", ")}`,
    );
  } else kept.push(".gitignore");

  if (!existsSync(join(dir, CONFIG_FILE))) {
    const workspace = initWorkspace(dir, name);
    added.push(
      `${CONFIG_FILE} (workspace ${workspace.config.workspace}; its store and artifacts live in .canal/)`,
    );
  } else {
    kept.push(CONFIG_FILE);
    if (name) notes.push(`${CONFIG_FILE} exists: --name ${name} was not applied; edit the file to rename`);
  }

  if (!existsSync(join(dir, entry))) {
    const written = starterFiles.filter(([path]) => !existsSync(join(dir, path)));
    for (const [path, text] of written) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    added.push(`a starter pipeline: ${written.map(([path]) => path).join(", ")}`);
  } else kept.push(`${entry} (no starter written)`);

  return { added, kept, notes, install };
}

export async function initCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { name: { type: "string" } },
  });
  if (positionals.length > 1)
    throw new UsageError(`canal init takes one folder, not ${positionals.length}: ${positionals.join(" ")}`);
  const dir = resolve(io.cwd, positionals[0] ?? ".");
  const { added, kept, notes, install } = scaffold(dir, values.name);
  const where = relative(io.cwd, dir) || ".";
  if (added.length === 0)
    io.stdout(`canal init: nothing to add; ${where} has everything canal init writes\n`);
  else {
    io.stdout(`canal init: set up ${dir}\n`);
    for (const line of added) io.stdout(`  added ${line}\n`);
  }
  if (kept.length && added.length) io.stdout(`  kept ${kept.join(", ")} as they are\n`);
  for (const note of notes) io.stderr(`canal init: ${note}\n`);
  const next = [
    ...(where === "."
      ? []
      : [`cd ${/^[\w./-]+$/.test(where) ? where : `'${where.replaceAll("'", "'\\''")}'`}`]),
    ...(install ? ["npm install"] : []),
    `npx canal run ${starterFiles[0]?.[0]}`,
  ];
  io.stdout(`next: ${next.join(" && ")}\n`);
  return 0;
}
