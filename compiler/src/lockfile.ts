import { createHash } from "node:crypto";
import { existsSync, lstatSync, readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import { isBuiltin } from "node:module";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { framedHash, type HashedFile } from "@canal/ir";
import { CodeHashError } from "./errors.js";
import { isInside, realpath } from "./snapshot.js";

/** One installed package, as the lockfile (or, without one, node_modules) records it. */
export interface InstalledPackage {
  /** The package's own name (differs from the import name for an `npm:` alias). */
  name: string;
  version: string;
  /** The tarball's integrity from the lockfile, e.g. "sha512-...". */
  integrity?: string;
  /** Where the tarball came from; identifies git and file dependencies that have no integrity. */
  resolved?: string;
  /** Where it is installed, relative to the lockfile's directory: "node_modules/a/node_modules/b". */
  location: string;
  /** A workspace or `file:` dependency: node_modules holds a link to this directory (absolute). */
  linkTarget?: string;
  /** Read from the installed package.json because the project has no lockfile. */
  fromInstall: boolean;
}

interface LockEntry {
  name?: string;
  version?: string;
  integrity?: string;
  resolved?: string;
  link?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

const lockfileNames = ["npm-shrinkwrap.json", "package-lock.json"];

/**
 * The project's installed packages: a bare import specifier, seen from the file that imports it,
 * resolves to the package Node would load, following npm's nested node_modules layout.
 *
 * @example
 * ```ts
 * const lockfile = readLockfile("/repo");
 * lockfile.resolve("lodash", "/repo/src/train.ts"); // { name: "lodash", version: "4.17.21", ... }
 * ```
 */
export class Lockfile {
  private readonly installed = new Map<string, InstalledPackage | null>();
  private readonly contents = new Map<string, string>();
  private realRoot: string | undefined;

  constructor(
    /** The directory the lockfile's keys are relative to (the npm project or workspace root). */
    readonly root: string,
    /** The lockfile read, or undefined when the project has none. */
    readonly path: string | undefined,
    private readonly entries: ReadonlyMap<string, LockEntry>,
  ) {}

  /**
   * A digest of the installed package's files (paths and bytes; its own node_modules left out,
   * those packages are entries of their own): what a bundle takes from it. A file patched in
   * node_modules keeps the version and integrity the lockfile claims, but not this digest.
   * Read once per package per Lockfile (one compile).
   */
  contentDigest(pkg: InstalledPackage): string {
    const dir = resolve(this.root, pkg.location);
    let digest = this.contents.get(dir);
    if (digest === undefined) {
      digest = directoryDigest(dir);
      this.contents.set(dir, digest);
    }
    return digest;
  }

  /** The digests `contentDigest` took so far, by package directory (absolute). */
  contentDigests(): ReadonlyMap<string, string> {
    return this.contents;
  }

  /** The package `name` as `fromFile` (absolute) imports it; undefined when none is installed. */
  resolve(name: string, fromFile: string): InstalledPackage | undefined {
    return this.lookup(name, this.relativeDir(dirname(fromFile)));
  }

  /** The packages `pkg` loads at run time (dependencies, optional and peer), resolved from where it is. */
  dependenciesOf(pkg: InstalledPackage): InstalledPackage[] {
    const from = pkg.linkTarget ? this.relativeDir(pkg.linkTarget) : pkg.location;
    const manifest = this.manifestOf(pkg);
    const names = new Set([
      ...Object.keys(manifest.dependencies ?? {}),
      ...Object.keys(manifest.optionalDependencies ?? {}),
      ...Object.keys(manifest.peerDependencies ?? {}),
    ]);
    const found: InstalledPackage[] = [];
    for (const name of [...names].sort()) {
      const dep = this.lookup(name, from);
      if (dep) found.push(dep);
    }
    return found;
  }

  private lookup(name: string, fromDir: string | undefined): InstalledPackage | undefined {
    for (const dir of searchDirs(fromDir)) {
      const location = dir === "" ? `node_modules/${name}` : `${dir}/node_modules/${name}`;
      const pkg = this.at(location, name);
      if (pkg) return pkg;
    }
    return undefined;
  }

  private at(location: string, importName: string): InstalledPackage | undefined {
    let pkg = this.installed.get(location);
    if (pkg === undefined) {
      pkg =
        (this.path ? this.fromLockfile(location, importName) : this.fromInstall(location, importName)) ??
        null;
      this.installed.set(location, pkg);
    }
    return pkg ?? undefined;
  }

  private fromLockfile(location: string, importName: string): InstalledPackage | undefined {
    const entry = this.entries.get(location);
    if (!entry) return undefined;
    if (entry.link && entry.resolved) {
      const linkTarget = resolve(this.root, entry.resolved);
      const real = this.entries.get(entry.resolved) ?? readManifest(linkTarget) ?? {};
      return {
        name: real.name ?? importName,
        version: real.version ?? "0.0.0",
        location,
        linkTarget,
        fromInstall: false,
      };
    }
    return {
      name: entry.name ?? importName,
      version: entry.version ?? "0.0.0",
      ...(entry.integrity ? { integrity: entry.integrity } : {}),
      ...(entry.resolved ? { resolved: entry.resolved } : {}),
      location,
      fromInstall: false,
    };
  }

  private fromInstall(location: string, importName: string): InstalledPackage | undefined {
    const dir = join(this.root, location);
    const manifest = readManifest(dir);
    if (!manifest) return undefined;
    // Only a link to project source is a workspace package; pnpm links every installed package
    // into node_modules from its store, and a link out of the project is not source we ship.
    const target = lstatSync(dir).isSymbolicLink() ? this.relativeDir(dir) : undefined;
    const linked = target !== undefined && !target.split("/").includes("node_modules");
    return {
      name: manifest.name ?? importName,
      version: manifest.version ?? "0.0.0",
      location,
      ...(linked ? { linkTarget: realpathSync(dir) } : {}),
      fromInstall: true,
    };
  }

  private manifestOf(pkg: InstalledPackage): LockEntry {
    if (this.path) {
      const entry = this.entries.get(pkg.location);
      if (entry?.link && entry.resolved) return this.entries.get(entry.resolved) ?? {};
      return entry ?? {};
    }
    return readManifest(pkg.linkTarget ?? join(this.root, pkg.location)) ?? {};
  }

  /** A directory relative to the root, '/'-separated; undefined when it lies outside the root. */
  private relativeDir(dir: string): string | undefined {
    this.realRoot ??= realpath(this.root);
    const root = this.realRoot;
    const real = realpath(dir);
    return isInside(root, real) ? relative(root, real).split(sep).join("/") : undefined;
  }
}

/** Node's lookup order: the importing directory's node_modules, then each parent's, to the root. */
function* searchDirs(fromDir: string | undefined): Generator<string> {
  if (fromDir === undefined) {
    yield "";
    return;
  }
  const parts = fromDir === "" ? [] : fromDir.split("/");
  for (let n = parts.length; n >= 0; n--) {
    if (n > 0 && parts[n - 1] === "node_modules") continue;
    yield parts.slice(0, n).join("/");
  }
}

function readManifest(dir: string): LockEntry | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as LockEntry;
  } catch {
    return undefined;
  }
}

/**
 * Reads the lockfile that governs `projectRoot`: npm-shrinkwrap.json or package-lock.json in it
 * or, for a workspace member, in the nearest ancestor that has one (npm keeps a single lockfile at
 * the workspace root). The search stops at the repository root so that a stray lockfile higher
 * up is never read. Without a lockfile, packages are read from node_modules instead.
 */
export function readLockfile(projectRoot: string): Lockfile {
  let dir = resolve(projectRoot);
  for (;;) {
    for (const name of lockfileNames) {
      const path = join(dir, name);
      if (existsSync(path)) return new Lockfile(dir, path, parseLockfile(path));
    }
    const parent = dirname(dir);
    if (parent === dir || existsSync(join(dir, ".git"))) break;
    dir = parent;
  }
  return new Lockfile(resolve(projectRoot), undefined, new Map());
}

function parseLockfile(path: string): Map<string, LockEntry> {
  let data: { lockfileVersion?: number; packages?: Record<string, LockEntry> };
  try {
    data = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    const fix = "restore it from version control or run `npm install` to rewrite it";
    throw new CodeHashError(
      "CANAL_LOCKFILE_INVALID",
      `${path} is not valid JSON (${(error as Error).message})`,
      fix,
    );
  }
  if (!data.packages || (data.lockfileVersion ?? 1) < 2) {
    throw new CodeHashError(
      "CANAL_LOCKFILE_UNSUPPORTED",
      `${path} has lockfileVersion ${data.lockfileVersion ?? 1}, which does not record where packages are installed`,
      "upgrade it with `npm install --lockfile-version 3` (npm 7 or later)",
    );
  }
  return new Map(Object.entries(data.packages).filter(([key]) => key !== ""));
}

/**
 * The package a bare import specifier names ("lodash/fp" -> "lodash", "@a/b/c" -> "@a/b");
 * undefined for relative and absolute paths, `#` subpath imports, URLs and Node's built-in modules,
 * which belong to the runtime rather than the project.
 */
export function packageName(specifier: string): string | undefined {
  if (/^[./#]/.test(specifier) || /^[a-zA-Z][a-zA-Z+.-]*:/.test(specifier) || isAbsolute(specifier)) {
    return undefined;
  }
  if (isBuiltin(specifier)) return undefined;
  const parts = specifier.split("/");
  const name = specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
  return name || undefined;
}

/**
 * A package's entry in a code identity: "npm:name@version" (noting "(no lockfile)" when the
 * version came from node_modules) with a digest of what pins its bytes: the integrity, or for git
 * and file dependencies, which keep their version across commits, where it was resolved from; and
 * `content`, the installed files' own digest ({@link Lockfile.contentDigest}), which a patch changes.
 */
export function packageEntry(pkg: InstalledPackage, content?: string): HashedFile {
  const pin = pkg.integrity ?? pkg.resolved ?? "";
  return {
    path: `npm:${pkg.name}@${pkg.version}${pkg.fromInstall ? " (no lockfile)" : ""}`,
    sha256:
      content === undefined
        ? framedHash("canal.npm-package.v1", [pkg.name, pkg.version, pin])
        : framedHash("canal.npm-package.v2", [pkg.name, pkg.version, pin, content]),
  };
}

/** What a walk of `directoryDigest` tells as it goes: each folder it lists, each file it reads. */
export interface DigestWalk {
  listed?(dir: string): void;
  read?(file: string, bytes: Buffer): void;
}

/**
 * Paths and bytes of every file under `dir` but nested node_modules, sorted; links followed
 * (one that points nowhere counts by its name). Empty for a directory that is not there.
 */
export function directoryDigest(dir: string, walk: DigestWalk = {}): string {
  const hash = createHash("sha256");
  const visit = (at: string, rel: string, open: Set<string>) => {
    walk.listed?.(at);
    let names: string[];
    try {
      names = readdirSync(at).sort();
    } catch {
      return;
    }
    for (const name of names) {
      if (name === "node_modules") continue;
      const path = join(at, name);
      const entry = rel ? `${rel}/${name}` : name;
      let real: string;
      try {
        real = realpathSync(path);
      } catch {
        hash.update(`broken\0${entry}\0`);
        continue;
      }
      const stat = statSync(real);
      if (stat.isDirectory()) {
        if (!open.has(real)) visit(real, entry, new Set([...open, real]));
      } else if (stat.isFile()) {
        const bytes = readFileSync(real);
        hash.update(`file\0${entry}\0${bytes.length}\0`);
        hash.update(bytes);
        walk.read?.(real, bytes);
      }
    }
  };
  visit(dir, "", new Set([dir]));
  return hash.digest("hex");
}
