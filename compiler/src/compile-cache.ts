// The compile cache: a compile whose every read would answer as it did last time gives the same
// artifact, so `canal run pipeline.ts` on unchanged sources takes the artifact it already has,
// without loading TypeScript or esbuild. An entry holds what the compile read (read-log.ts: each
// file the TypeScript program read, with its bytes' digest; each existence probe, directory
// listing and real path; the script sources, hashPaths, requirements and datasets the pipeline
// names; the lockfile and the installed files of every package the code hash took; the config
// files around the sources, which the bundler reads too; the git state; the compiler's own files)
// and the artifacts it wrote. An entry is used only when every read still answers alike and each
// artifact reads back whole (readArtifact verifies every hash) with the pipeline hash it had.
// Files are compared by identity (inode, size, times) with their content hashed again when any of
// it moved, through a journal of verified identities (ir/src/file-digests.ts).
import { createHash } from "node:crypto";
import {
  type Dirent,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { canonicalJson, FileDigests, hashFile, readArtifact } from "@canal/ir";
import type { CompiledPipeline, CompileOptions, CompileResult } from "./compile.js";
import { hasErrors } from "./format.js";
import { gitInfo } from "./git.js";
import { directoryDigest } from "./lockfile.js";
import type { Diagnostic } from "./model.js";
import type { ReadLog } from "./read-log.js";
import { listingOf, type Read } from "./reads.js";
import { snapshotDirectory } from "./snapshot.js";
import { COMPILER_VERSION } from "./version.js";

const FORMAT = 1;

/** A directory the pipeline names, known by its snapshot (what a compile takes from it). */
interface SnapshotRead {
  path: string;
  projectRoot: string;
  hash: string;
}

interface Entry {
  format: number;
  key: string;
  projectRoot: string;
  reads: Read[];
  snapshots: SnapshotRead[];
  git: ReturnType<typeof gitInfo>;
  pipelines: Array<{ name: string; hash: string; dir: string; bytes: number }>;
  diagnostics: Diagnostic[];
}

/** Config files the TypeScript program or the bundler may read in a source's directory or above it. */
const configNames = [
  "package.json",
  "tsconfig.json",
  "jsconfig.json",
  "package-lock.json",
  "npm-shrinkwrap.json",
];

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/**
 * `compile` through the cache in `cacheDir`: the artifacts of the last compile of the same entries
 * into the same directory when nothing that compile read has changed, else a compile (whose reads
 * are then kept). A dry run, or a compile with errors, is never taken from or kept in the cache.
 */
export async function cachedCompile(options: CompileOptions, cacheDir: string): Promise<CompileResult> {
  if (options.dryRun) return (await import("./compile.js")).compile(options);
  const cwd = options.cwd ?? process.cwd();
  const key = sha256(
    canonicalJson({
      format: FORMAT,
      compiler: COMPILER_VERSION,
      entries: options.entries.map((entry) => resolve(cwd, entry)),
      outDir: options.outDir === undefined ? null : resolve(cwd, options.outDir),
    }),
  );
  const entryPath = join(cacheDir, `${key}.json`);
  const digests = new FileDigests(join(cacheDir, "verified"));
  const hit = lookup(entryPath, key, digests);
  if (hit) return hit;

  // Only a miss loads the compiler (TypeScript, ts-morph, esbuild).
  const { compile } = await import("./compile.js");
  const { ReadLog } = await import("./read-log.js");
  const log = new ReadLog();
  const result = await compile({ ...options, reads: log });
  if (!hasErrors(result) && log.cacheable) {
    try {
      keep(entryPath, key, result, log, digests);
    } catch {
      // A cache that cannot be written costs the next run a compile, nothing more.
    }
  }
  return result;
}

function lookup(entryPath: string, key: string, digests: FileDigests): CompileResult | undefined {
  let entry: Entry;
  try {
    entry = JSON.parse(readFileSync(entryPath, "utf8")) as Entry;
  } catch {
    return undefined;
  }
  if (entry.format !== FORMAT || entry.key !== key) return undefined;
  try {
    if (!entry.reads.every((read) => holds(read, digests))) return undefined;
    for (const snapshot of entry.snapshots) {
      if (snapshotDirectory(snapshot.path, snapshot.projectRoot).hash !== snapshot.hash) return undefined;
    }
    if (canonicalJson(gitInfo(entry.projectRoot)) !== canonicalJson(entry.git)) return undefined;
    const pipelines: CompiledPipeline[] = [];
    for (const kept of entry.pipelines) {
      const { pipeline } = readArtifact(kept.dir);
      if (pipeline.hash !== kept.hash || pipeline.name !== kept.name) return undefined;
      pipelines.push({ pipeline, dir: kept.dir, bytes: kept.bytes });
    }
    return { projectRoot: entry.projectRoot, pipelines, diagnostics: entry.diagnostics, fromCache: true };
  } catch {
    // A read that fails now (a file gone, an artifact damaged) is a change: compile.
    return undefined;
  }
}

/** Whether `read` answers now as it did when it was noted. */
function holds(read: Read, digests: FileDigests): boolean {
  switch (read.kind) {
    case "file":
      return digests.matches(read.path, read.sha256);
    case "exists": {
      const info = statSync(read.path, { throwIfNoEntry: false });
      return (info?.isFile() ?? false) === read.file && (info?.isDirectory() ?? false) === read.directory;
    }
    case "list":
      return canonicalJson(listing(read.path)) === canonicalJson(read.entries);
    case "real":
      return realOrNull(read.path) === read.real;
  }
}

function listing(dir: string): string[] | null {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return null;
  }
  return listingOf(
    entries.map((e) => {
      let isFile = e.isFile();
      let isDirectory = e.isDirectory();
      if (e.isSymbolicLink()) {
        const target = statSync(join(dir, e.name), { throwIfNoEntry: false });
        isFile = target?.isFile() ?? false;
        isDirectory = target?.isDirectory() ?? false;
      }
      return { name: e.name, isFile, isDirectory };
    }),
  );
}

function realOrNull(path: string): string | null {
  try {
    return realpathSync(path);
  } catch {
    return null;
  }
}

/**
 * Keeps what `result` was compiled from. Every file is checked against the digest noted when the
 * compile read it (which also records its identity in the journal): a file changed while the
 * compile ran is not kept, since the artifact may hold either version.
 */
function keep(
  entryPath: string,
  key: string,
  result: CompileResult,
  log: ReadLog,
  digests: FileDigests,
): void {
  const reads = new Map<string, Read>();
  let consistent = true;
  const add = (read: Read) => {
    const id = `${read.kind}\0${read.path}`;
    const seen = reads.get(id);
    if (seen && canonicalJson(seen) !== canonicalJson(read)) consistent = false;
    reads.set(id, read);
  };
  const addFile = (path: string) => {
    const info = statSync(path, { throwIfNoEntry: false });
    if (info?.isFile()) add({ kind: "file", path, sha256: hashFile(path) });
    else add({ kind: "exists", path, file: false, directory: info?.isDirectory() ?? false });
  };
  for (const read of log.reads) add(read);

  // The config files around every source (esbuild reads the tsconfig.json and package.json nearest
  // to each file it bundles), and the files that find the project root and the lockfile.
  const dirs = new Set<string>();
  const sources = [
    ...log.reads
      .filter((r) => r.kind === "file" && !r.path.includes(`${sep}node_modules${sep}`))
      .map((r) => r.path),
    ...result.pipelines.flatMap(({ pipeline }) =>
      pipeline.steps.flatMap((step) =>
        (step.codeFiles ?? [])
          .filter((f) => !f.path.startsWith("npm:") && !f.path.includes("#"))
          .map((f) => resolve(result.projectRoot, f.path)),
      ),
    ),
  ];
  for (const source of sources) {
    for (let dir = dirname(source); !dirs.has(dir); dir = dirname(dir)) {
      dirs.add(dir);
      if (dirname(dir) === dir) break;
    }
  }
  for (const source of sources) addFile(source);
  for (const dir of dirs) {
    for (const name of configNames) addFile(join(dir, name));
    add({ kind: "exists", path: join(dir, ".git"), ...existence(join(dir, ".git")) });
  }

  // The paths the pipeline names: files by their bytes, directories by their snapshot.
  const snapshots: SnapshotRead[] = [];
  for (const { path, directory } of log.paths) {
    if (directory) {
      snapshots.push({
        path,
        projectRoot: result.projectRoot,
        hash: snapshotDirectory(path, result.projectRoot).hash,
      });
    } else addFile(path);
  }

  // The lockfile, and the installed files of each package whose contents the code hash took.
  for (const lockfile of log.lockfiles) {
    if (lockfile.path) addFile(lockfile.path);
    for (const [dir, digest] of lockfile.contentDigests()) {
      if (packageReads(dir, add) !== digest) consistent = false;
    }
  }

  // The compiler itself: its own code and the toolchain it runs.
  const compilerDir = dirname(fileURLToPath(import.meta.url));
  treeReads(compilerDir, add);
  treeReads(dirname(fileURLToPath(import.meta.resolve("@canal/ir"))), add);
  for (const tool of ["ts-morph", "esbuild"])
    addFile(packageJsonOf(fileURLToPath(import.meta.resolve(tool))));

  if (!consistent) return;
  for (const read of reads.values()) {
    if (read.kind === "file" && !digests.matches(read.path, read.sha256)) return;
  }
  const entry: Entry = {
    format: FORMAT,
    key,
    projectRoot: result.projectRoot,
    reads: [...reads.values()],
    snapshots,
    git: gitInfo(result.projectRoot),
    pipelines: result.pipelines.map(({ pipeline, dir, bytes }) => ({
      name: pipeline.name,
      hash: pipeline.hash,
      dir: dir as string,
      bytes,
    })),
    diagnostics: result.diagnostics,
  };
  mkdirSync(dirname(entryPath), { recursive: true });
  const temporary = `${entryPath}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(entry));
  renameSync(temporary, entryPath);
}

function existence(path: string): { file: boolean; directory: boolean } {
  const info = statSync(path, { throwIfNoEntry: false });
  return { file: info?.isFile() ?? false, directory: info?.isDirectory() ?? false };
}

/**
 * Notes every listing and file of an installed package as `Lockfile.contentDigest` reads it (its
 * own node_modules left out, links followed) and returns the same digest, so that a package that
 * changed since the compile read it is told apart.
 */
function packageReads(dir: string, add: (read: Read) => void): string {
  return directoryDigest(dir, {
    listed: (at) => add({ kind: "list", path: at, entries: listing(at) }),
    read: (path, bytes) =>
      add({ kind: "file", path, sha256: createHash("sha256").update(bytes).digest("hex") }),
  });
}

/** Notes every listing and file under `dir`. */
function treeReads(dir: string, add: (read: Read) => void): void {
  packageReads(dir, add);
}

function packageJsonOf(file: string): string {
  for (let dir = dirname(file); dirname(dir) !== dir; dir = dirname(dir)) {
    const path = join(dir, "package.json");
    if (statSync(path, { throwIfNoEntry: false })?.isFile()) return path;
  }
  return file;
}
