import { createHash } from "node:crypto";
import { type Dirent, existsSync, readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { canonicalJson, framedHash, type HashedFile } from "@canal/ir";
import ignore, { type Ignore } from "ignore";
import { CodeHashError } from "./errors.js";
import type { CodeIdentity, StepDefinition } from "./model.js";

export interface SnapshotFile {
  /** Relative to the snapshotted directory, '/'-separated. */
  path: string;
  /** SHA-256 (hex) of the content, line endings normalised for text (see `hashedContent`). */
  sha256: string;
  /** Length in bytes of the content `sha256` covers. */
  size: number;
  executable: boolean;
  /** Where the bytes are on this machine; never part of a hash. */
  absolute: string;
}

export interface Snapshot {
  files: SnapshotFile[];
  /** Canonical JSON of `[{ path, sha256, size, executable }]`, sorted by path. */
  manifest: Buffer;
  /** SHA-256 (hex) of `manifest`. */
  hash: string;
}

/**
 * The bytes a file's hash covers. Text files have CRLF turned into LF: git checks the same commit
 * out with CRLF on Windows (core.autocrlf), and that checkout must hash like every other one.
 * Binary content is left as it is, told apart from text the way git does it (a NUL byte in the
 * first 8000 bytes), because rewriting bytes inside, say, a model file would make two different
 * files hash alike.
 */
export function hashedContent(bytes: Buffer): Buffer {
  const head = bytes.subarray(0, 8000);
  if (head.includes(0) || !bytes.includes(13)) return bytes;
  return Buffer.from(bytes.toString("latin1").replace(/\r\n/g, "\n"), "latin1");
}

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

const ignoreFiles = [".gitignore", ".canalignore"];

interface IgnoreLevel {
  dir: string;
  rules: Ignore;
}

function ignoreLevel(dir: string): IgnoreLevel | undefined {
  const rules = ignore();
  let found = false;
  // .canalignore comes after .gitignore, so at one level its `!pattern` re-includes a file git ignores.
  for (const name of ignoreFiles) {
    const path = join(dir, name);
    if (!existsSync(path)) continue;
    rules.add(readFileSync(path, "utf8")); // one string: split into lines by the package
    found = true;
  }
  return found ? { dir, rules } : undefined;
}

function toPosix(path: string): string {
  return path.split(sep).join("/");
}

/**
 * Git's precedence: within one file the last matching pattern wins, and a deeper file overrides a
 * shallower one. The `ignore` package also calls a path ignored when one of its parent directories
 * matched; the walk never enters an ignored directory, so a parent that matched at some level was
 * re-included by a deeper level (or is the snapshotted directory itself, which is always taken),
 * and that level's verdict on the child is passed over. Git would still apply that level's
 * patterns that match the child itself; keeping such a file can make a hash change more often,
 * never less.
 */
function isIgnored(levels: IgnoreLevel[], path: string, isDirectory: boolean): boolean {
  let ignored = false;
  for (const level of levels) {
    const rel = toPosix(relative(level.dir, path));
    const result = level.rules.test(isDirectory ? `${rel}/` : rel);
    if (result.ignored) {
      const parent = dirname(rel);
      if (parent !== "." && level.rules.test(`${parent}/`).ignored) continue;
      ignored = true;
    } else if (result.unignored) {
      ignored = false;
    }
  }
  return ignored;
}

/** Whether `child` is `parent` or lies below it (both absolute). */
export function isInside(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel));
}

/** The real path, or the resolved one while it does not exist. */
export function realpath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

/** Checks that `path` exists inside the project and returns its real location. */
function checkedPath(path: string, projectRoot: string, owner: string, what: string): string {
  const root = realpath(projectRoot);
  if (!existsSync(path)) {
    throw new CodeHashError(
      "CANAL_PATH_MISSING",
      `${owner}: ${what} ${toPosix(relative(root, resolve(path)))} does not exist`,
      "create it, or fix the path (relative to the file that declares the step)",
    );
  }
  const real = realpathSync(path);
  if (!isInside(root, real)) {
    throw new CodeHashError(
      "CANAL_PATH_ESCAPES",
      `${owner}: ${what} ${path} is outside the project root ${root}`,
      "move or copy it into the project, so that every checkout hashes and ships the same files",
    );
  }
  return real;
}

export interface WalkOptions {
  /** Directory names never entered (e.g. node_modules of a linked package). */
  skipDirectories?: ReadonlySet<string>;
}

/**
 * Every file under `dir` that git would track, honouring .gitignore and .canalignore files in
 * `dir`, below it and above it up to the project root; `.git` is always left out. Symlinks are
 * followed while they stay inside `dir`; one pointing out of it is an error, because the snapshot
 * would otherwise depend on files outside what is shipped.
 */
export function walkFiles(
  dir: string,
  projectRoot: string,
  owner: string,
  options: WalkOptions = {},
): SnapshotFile[] {
  const realDir = checkedPath(dir, projectRoot, owner, "directory");
  const root = realpath(projectRoot);
  const shown = toPosix(relative(root, realDir)) || ".";
  if (!statSync(realDir).isDirectory()) {
    throw new CodeHashError(
      "CANAL_NOT_A_DIRECTORY",
      `${owner}: ${shown} is a file, not a directory`,
      "name the directory that holds it",
    );
  }
  const levels: IgnoreLevel[] = [];
  const ancestors: string[] = [];
  for (let at = dirname(realDir); isInside(root, at); at = dirname(at)) {
    ancestors.unshift(at);
    if (at === root) break;
  }
  for (const at of ancestors) {
    const level = ignoreLevel(at);
    if (level) levels.push(level);
  }
  const files: SnapshotFile[] = [];
  const visit = (at: string, rel: string, levelsHere: IgnoreLevel[], open: Set<string>) => {
    const own = ignoreLevel(at);
    const active = own ? [...levelsHere, own] : levelsHere;
    const entries = readdirSync(at, { withFileTypes: true }).sort((a: Dirent, b: Dirent) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
    for (const entry of entries) {
      if (entry.name === ".git") continue;
      const path = join(at, entry.name);
      const entryRel = rel ? `${rel}/${entry.name}` : entry.name;
      let real = path;
      if (entry.isSymbolicLink()) {
        try {
          real = realpathSync(path);
        } catch {
          if (isIgnored(active, path, false)) continue;
          throw new CodeHashError(
            "CANAL_SYMLINK_BROKEN",
            `${owner}: symlink ${entryRel} in ${shown} points to nothing`,
            "remove the link or copy the file it meant into the directory",
          );
        }
      }
      const stat = statSync(real);
      if (isIgnored(active, path, stat.isDirectory())) continue;
      if (real !== path && !isInside(realDir, real)) {
        throw new CodeHashError(
          "CANAL_PATH_ESCAPES",
          `${owner}: symlink ${entryRel} in ${shown} points outside it, to ${real}`,
          "copy the file into the directory instead of linking it, or list it in .canalignore",
        );
      }
      if (stat.isDirectory()) {
        if (options.skipDirectories?.has(entry.name) || open.has(real)) continue;
        visit(path, entryRel, active, new Set([...open, real]));
      } else if (stat.isFile()) {
        const content = hashedContent(readFileSync(real));
        files.push({
          // NFC, as macOS may hand back decomposed names for what Linux stores composed.
          path: entryRel.normalize("NFC"),
          sha256: sha256(content),
          size: content.length,
          executable: process.platform !== "win32" && (stat.mode & 0o111) !== 0,
          absolute: real,
        });
      }
    }
  };
  visit(realDir, "", levels, new Set([realDir]));
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function snapshotOf(dir: string, projectRoot: string, owner: string): Snapshot {
  const files = walkFiles(dir, projectRoot, owner);
  const manifest = Buffer.from(
    canonicalJson(files.map(({ path, sha256, size, executable }) => ({ path, sha256, size, executable }))),
    "utf8",
  );
  return { files, manifest, hash: sha256(manifest) };
}

/**
 * A content snapshot of a directory: what a script step runs in, or a directory dataset. The hash
 * depends on the files' relative paths, contents and executable bits only: not on where the
 * project is checked out, mtimes, or files that .gitignore/.canalignore leave out.
 *
 * @example
 * ```ts
 * const snap = snapshotDirectory("/repo/dataprep_src", "/repo");
 * snap.files.map((f) => f.path); // ["prepare.py", "util/io.py"]
 * ```
 */
export function snapshotDirectory(dir: string, projectRoot: string): Snapshot {
  return snapshotOf(dir, projectRoot, "snapshot");
}

/**
 * The entries of a step's hashPaths: a file is one entry, a directory every file in it that its
 * ignore files keep. Paths are relative to the project root, so checkouts agree.
 */
export function pathsIdentity(paths: string[], projectRoot: string, owner = "hashPaths"): HashedFile[] {
  const root = realpath(projectRoot);
  const entries = new Map<string, string>();
  for (const path of paths) {
    const real = checkedPath(path, projectRoot, owner, "hash path");
    const rel = toPosix(relative(root, real));
    if (statSync(real).isDirectory()) {
      for (const file of walkFiles(path, projectRoot, owner)) {
        entries.set(rel ? `${rel}/${file.path}` : file.path, file.sha256);
      }
    } else {
      entries.set(rel.normalize("NFC"), sha256(hashedContent(readFileSync(real))));
    }
  }
  return sortedEntries(entries);
}

/** Entries as HashedFiles sorted by path (code-unit order, the same on every machine). */
export function sortedEntries(entries: Map<string, string>): HashedFile[] {
  return [...entries]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([path, sha256]) => ({ path, sha256 }));
}

/**
 * A script step's code identity: the snapshot of its source directory (hashed by its manifest,
 * so moving the directory within the project keeps the hash) plus its hashPaths.
 */
export function scriptStepIdentity(
  def: StepDefinition,
  projectRoot: string,
): { identity: CodeIdentity; snapshot: Snapshot } {
  const owner = `step \`${def.name}\``;
  if (!def.source) {
    throw new CodeHashError(
      "CANAL_PATH_MISSING",
      `${owner} is a script step without a source directory`,
      "give @step.script a `source` directory",
    );
  }
  const snapshot = snapshotOf(def.source, projectRoot, owner);
  const extra = pathsIdentity(def.hashPaths, projectRoot, owner);
  const base = toPosix(relative(realpath(projectRoot), realpath(def.source)));
  const entries = new Map<string, string>();
  for (const file of snapshot.files) entries.set(base ? `${base}/${file.path}` : file.path, file.sha256);
  for (const file of extra) entries.set(file.path, file.sha256);
  const hash = framedHash("canal.code.script.v1", [
    snapshot.hash,
    ...extra.flatMap((file) => [file.path, file.sha256]),
  ]);
  return { identity: { hash, files: sortedEntries(entries) }, snapshot };
}
