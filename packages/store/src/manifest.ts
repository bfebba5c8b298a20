import { readdir, readlink, realpath, stat } from "node:fs/promises";
import { join, sep } from "node:path";
import { StoreError } from "./errors.js";
import type { ManifestEntry } from "./types.js";

export interface DirectoryFile {
  /** Relative, "/"-separated. */
  path: string;
  absolute: string;
  executable: boolean;
}

/**
 * The regular files under `root`, sorted by path. A link to a file inside `root` is stored as the
 * file it points to; a link that leads outside `root` is refused by name, so that no file of the
 * machine's (`/etc/passwd`) lands in the store through a directory artifact; a link to a
 * directory, a socket or a device cannot be stored and is refused by name. Empty directories are
 * not kept (as in git): a directory artifact is its files.
 */
export async function listFiles(root: string): Promise<DirectoryFile[]> {
  const files: DirectoryFile[] = [];
  let realRoot: string | undefined;
  const refuse = (path: string, what: string, fix: string) =>
    new StoreError(
      "CANAL_STORE_UNSUPPORTED_FILE",
      `cannot store directory ${root}: \`${path}\` is ${what}; a directory artifact holds regular files only, so ${fix}`,
    );
  const walk = async (dir: string, prefix: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const absolute = join(dir, entry.name);
      const path = prefix + entry.name;
      if (entry.isDirectory()) {
        await walk(absolute, `${path}/`);
        continue;
      }
      if (entry.isSymbolicLink()) {
        realRoot ??= await realpath(root);
        const resolved = await realpath(absolute).catch(() => undefined);
        if (resolved && resolved !== realRoot && !resolved.startsWith(realRoot + sep)) {
          const target = await readlink(absolute).catch(() => "?");
          throw refuse(
            path,
            `a link to ${target}, outside the directory`,
            "copy the file in (or write it there) instead of linking to it",
          );
        }
      }
      const info = await stat(absolute).catch(() => undefined);
      if (!info?.isFile()) {
        const what = entry.isSymbolicLink()
          ? info
            ? "a link to a directory"
            : "a broken link"
          : "not a regular file";
        throw refuse(path, what, "copy the target in or remove the entry");
      }
      files.push({ path, absolute, executable: (info.mode & 0o111) !== 0 });
    }
  };
  await walk(root, "");
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The manifest's bytes: fixed key order and no whitespace, so one tree always gives one digest. */
export function encodeManifest(entries: ManifestEntry[]): Buffer {
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const canonical = sorted.map((e) => ({
    path: e.path,
    sha256: e.sha256,
    size: e.size,
    executable: e.executable,
  }));
  return Buffer.from(JSON.stringify(canonical), "utf8");
}

const SHA256 = /^[0-9a-f]{64}$/;

/**
 * Parses a manifest, refusing any entry that could write outside the directory it is rebuilt in
 * (absolute paths, `..`), whatever wrote the manifest.
 */
export function parseManifest(bytes: Buffer, digest: string): ManifestEntry[] {
  const invalid = (why: string) =>
    new StoreError("CANAL_STORE_BLOB_CORRUPT", `directory manifest sha256:${digest} is invalid: ${why}`);
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString("utf8"));
  } catch {
    throw invalid("it is not JSON");
  }
  if (!Array.isArray(value)) throw invalid("it is not a list of entries");
  return value.map((entry: Partial<ManifestEntry>, i) => {
    const { path, sha256, size, executable } = entry ?? {};
    if (typeof path !== "string" || !isSafeRelativePath(path)) throw invalid(`entry ${i} has an unsafe path`);
    if (typeof sha256 !== "string" || !SHA256.test(sha256)) throw invalid(`entry \`${path}\` has no sha256`);
    if (typeof size !== "number" || typeof executable !== "boolean")
      throw invalid(`entry \`${path}\` is incomplete`);
    return { path, sha256, size, executable };
  });
}

function isSafeRelativePath(path: string): boolean {
  return (
    path.length > 0 &&
    !path.includes("\0") &&
    path.split("/").every((segment) => segment !== "" && segment !== "." && segment !== "..")
  );
}
