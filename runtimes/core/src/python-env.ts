import {
  type Dirent,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { type Environment, FileDigests, hashFile } from "@canal/ir";
import { EnvironmentError } from "./errors.js";

/**
 * `execFile`, promisified. node:child_process is loaded by the first build, not with this module:
 * a run whose environments are built already, or whose steps the cache answers, starts nothing here.
 */
function run(file: string, args: string[], options: { timeout?: number } = {}) {
  const { execFile } = process.getBuiltinModule("node:child_process");
  return promisify(execFile)(file, args, { ...options, encoding: "utf8" });
}

/** The system interpreter: Debian's /usr/bin/python3 (where apt puts scikit-learn) before PATH's. */
export function systemPython(): string {
  return existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
}

const building = new Map<string, Promise<string>>();

/** What a built environment holds, written when it is built: the list it is checked against. */
const MANIFEST = ".canal-env-manifest.json";

/** A file by its sha256, or a symbolic link by its target. */
type ManifestEntry = { path: string; sha256: string } | { path: string; link: string };

/**
 * Every file and link of an environment, by path relative to it, in a stable order. Python's own
 * byte-code caches (`__pycache__`, `.pyc`) are left out: the interpreter rewrites them from the
 * sources they are checked against. `folders`, when given, gets the identity of each folder read,
 * taken before it is read.
 */
function listEnvironment(dir: string, folders?: Map<string, string | undefined>): Listed[] {
  const found: Listed[] = [];
  const walk = (relative: string) => {
    const path = join(dir, relative);
    folders?.set(path, settledIdentity(path));
    const entries = readdirSync(path, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const entry of entries) {
      const path = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.name === "__pycache__" || entry.name.endsWith(".pyc") || path === MANIFEST) continue;
      if (entry.isDirectory()) walk(path);
      else found.push({ path, entry });
    }
  };
  walk("");
  return found;
}

type Listed = { path: string; entry: Dirent };

/**
 * A folder's or file's identity (inode, modification and change times), or undefined when it may
 * still change unseen: a change stamps both times with the kernel's coarse clock, so one made in
 * the same tick as the change that set them would leave them as they are. Once either is a second
 * old, any later change shows.
 */
function settledIdentity(path: string): string | undefined {
  const info = statSync(path, { bigint: true, throwIfNoEntry: false });
  if (!info) return undefined;
  const settled = BigInt(Date.now() - 1000) * 1_000_000n;
  if (info.mtimeNs > settled && info.ctimeNs > settled) return undefined;
  return `${info.ino}:${info.mtimeNs}:${info.ctimeNs}`;
}

/**
 * An environment's manifest and listing as last read, and the identities of its manifest and of
 * every folder read: while none changed, no entry was added, removed or replaced (a link's target
 * cannot change in place), so only the files' bytes need checking.
 */
interface KnownListing {
  identities: Map<string, string | undefined>;
  manifest: ManifestEntry[];
  present: Listed[];
}

const listings = new Map<string, KnownListing>();

function unchanged(known: KnownListing): boolean {
  for (const [path, identity] of known.identities) {
    const info = statSync(path, { bigint: true, throwIfNoEntry: false });
    if (!info || `${info.ino}:${info.mtimeNs}:${info.ctimeNs}` !== identity) return false;
  }
  return true;
}

function manifestOf(dir: string): ManifestEntry[] {
  return listEnvironment(dir).map(({ path, entry }) =>
    entry.isSymbolicLink()
      ? { path, link: readlinkSync(join(dir, path)) }
      : { path, sha256: hashFile(join(dir, path)) },
  );
}

const journals = new Map<string, FileDigests>();

/**
 * Whether a built environment still holds exactly what it was built with: the same files with
 * the same bytes (each hashed once per change, remembered in `envs.verified`), the same links, and
 * nothing added — a step that ran `pip install` into it, or an edited module, is found here.
 */
function intact(dir: string, cacheDir: string): boolean {
  const known = listings.get(dir);
  let listing: KnownListing;
  if (known && unchanged(known)) listing = known;
  else {
    listings.delete(dir);
    const manifestPath = join(dir, MANIFEST);
    const identities = new Map<string, string | undefined>([[manifestPath, settledIdentity(manifestPath)]]);
    let manifest: ManifestEntry[];
    try {
      manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as ManifestEntry[];
    } catch {
      return false;
    }
    listing = { identities, manifest, present: listEnvironment(dir, identities) };
  }
  const { manifest, present } = listing;
  if (present.length !== manifest.length) return false;
  let digests = journals.get(cacheDir);
  if (!digests) {
    digests = new FileDigests(join(cacheDir, "envs.verified"));
    journals.set(cacheDir, digests);
  }
  for (const [i, expected] of manifest.entries()) {
    const actual = present[i];
    if (!actual || actual.path !== expected.path) return false;
    const path = join(dir, expected.path);
    if ("link" in expected) {
      if (!actual.entry.isSymbolicLink()) return false;
      if (listing !== known && readlinkSync(path) !== expected.link) return false;
    } else if (!actual.entry.isFile() || !digests.matches(path, expected.sha256)) {
      return false;
    }
  }
  // Kept once every identity is settled: the next check then reads no folder and no link.
  if (listing !== known && [...listing.identities.values()].every((identity) => identity !== undefined))
    listings.set(dir, listing);
  return true;
}

/**
 * The bin directory of a Python environment: a virtualenv per environment id, built once and kept
 * under `cacheDir/envs/<id>`. It sees the system's site-packages, so requirements that Debian's
 * packages already meet install nothing (and need no network). Built in a temporary directory and
 * renamed into place, so an interrupted build is never mistaken for a finished one. Checked
 * against what it was built with before each use, and built again when it was changed.
 */
export function pythonEnvironment(environment: Environment, cacheDir: string): Promise<string> {
  const dir = join(cacheDir, "envs", environment.id);
  const bin = join(dir, "bin");
  if (existsSync(join(bin, "python"))) {
    if (intact(dir, cacheDir)) return Promise.resolve(bin);
    if (!building.has(environment.id)) discard(dir);
  }
  let pending = building.get(environment.id);
  if (!pending) {
    pending = build(environment, dir).finally(() => building.delete(environment.id));
    building.set(environment.id, pending);
  }
  return pending;
}

/** Moves a changed environment out of the way (a step may still be using it) and deletes it. */
function discard(dir: string): void {
  const aside = `${dir}.damaged-${process.pid}-${Date.now()}`;
  try {
    renameSync(dir, aside);
  } catch {
    return; // another process moved it first
  }
  rmSync(aside, { recursive: true, force: true });
}

async function build(environment: Environment, dir: string): Promise<string> {
  const python = systemPython();
  if (environment.pythonVersion) {
    const { stdout } = await run(python, ["-c", "import sys; print('%d.%d' % sys.version_info[:2])"]);
    if (!stdout.trim().startsWith(environment.pythonVersion)) {
      throw new EnvironmentError(
        `environment ${environment.id.slice(0, 12)} asks for Python ${environment.pythonVersion} but ${python} is ${stdout.trim()}; install that version or change env.python({ version })`,
      );
    }
  }
  const needsPip = Boolean(environment.requirements?.trim() || environment.packages?.length);
  const temp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  mkdirSync(join(dir, ".."), { recursive: true });
  try {
    await run(python, [
      "-m",
      "venv",
      "--system-site-packages",
      ...(needsPip ? [] : ["--without-pip"]),
      temp,
    ]).catch((error: { stderr?: string }) => {
      throw new EnvironmentError(
        `creating a virtualenv with ${python} failed: ${error.stderr?.trim().split("\n").pop() ?? error}; on Debian install python3-venv (apt-get install python3-venv)`,
      );
    });
    const pipArgs = [
      "-m",
      "pip",
      "install",
      "--no-input",
      "--disable-pip-version-check",
      "--no-warn-script-location",
    ];
    if (environment.requirements?.trim()) {
      const file = join(temp, "requirements.txt");
      writeFileSync(file, environment.requirements);
      await pip(temp, [...pipArgs, "-r", file], environment);
    }
    if (environment.packages?.length) await pip(temp, [...pipArgs, ...environment.packages], environment);
    writeFileSync(join(temp, MANIFEST), `${JSON.stringify(manifestOf(temp))}\n`);
    // The venv records its own path in scripts; it is only used through its interpreter, which is
    // location-independent, so renaming it into place is safe.
    if (existsSync(dir)) rmSync(temp, { recursive: true, force: true });
    else renameSync(temp, dir);
  } catch (error) {
    rmSync(temp, { recursive: true, force: true });
    throw error;
  }
  return join(dir, "bin");
}

async function pip(venv: string, args: string[], environment: Environment): Promise<void> {
  try {
    await run(join(venv, "bin", "python"), args, { timeout: 600_000 });
  } catch (error) {
    const output = `${(error as { stdout?: string }).stdout ?? ""}${(error as { stderr?: string }).stderr ?? ""}`;
    const last = output.trim().split("\n").slice(-3).join(" | ");
    throw new EnvironmentError(
      `installing the requirements of environment ${environment.id.slice(0, 12)}${environment.requirementsPath ? ` (${environment.requirementsPath})` : ""} failed: ${last}; make each requirement installable here (no package index may be reachable: use what the system's packages provide)`,
    );
  }
}
