// Downloading a dataset version: each file copied from its datastore into a folder, hashed while it
// is copied and given its name only when its digest is the one registered. A file already there
// with the registered content is left as it is; one with other content is refused unless forced.
import { randomBytes } from "node:crypto";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import { dirname, join, posix } from "node:path";
import { errorCode, hashFile, mapLimit } from "../blob-io.js";
import { copyHashed } from "../datastores/copy.js";
import { type DatastoreHost, openDatastore } from "../datastores/open.js";
import { datastorePath, globBase, isGlob } from "../datastores/paths.js";
import type { Datastore } from "../datastores/types.js";
import { StoreError } from "../errors.js";
import type { DatasetFile, DatasetVersion, MetadataStore } from "../types.js";

export interface DownloadDatasetResult {
  version: DatasetVersion;
  /** Files written, and files already there with the registered content. */
  written: number;
  unchanged: number;
  bytes: number;
}

const PARALLEL = 16;

/** What is at `path` now: absent, the registered content, or other content. */
async function existing(path: string, file: DatasetFile): Promise<"absent" | "same" | "different"> {
  let size: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) return "different";
    size = info.size;
  } catch (error) {
    if (errorCode(error) === "ENOENT") return "absent";
    throw error;
  }
  if (size !== file.size) return "different";
  return (await hashFile(path, size)).digest === file.digest ? "same" : "different";
}

async function copyVerified(
  datastore: Datastore,
  version: DatasetVersion,
  file: DatasetFile,
  target: string,
) {
  await mkdir(dirname(target), { recursive: true });
  const temp = join(dirname(target), `.canal-download-${randomBytes(6).toString("hex")}`);
  try {
    const { sha256: digest, size } = await copyHashed(datastore, file.path, temp);
    if (digest !== file.digest || size !== file.size) {
      throw new StoreError(
        "CANAL_STORE_DATASET_FILE_CHANGED",
        `${datastore.name}:${file.path} changed since ${version.name} version ${version.version} was registered ` +
          `(it was sha256:${file.digest}, ${file.size} B; it is sha256:${digest}, ${size} B): that version's content is gone from the datastore; ` +
          `register the files again for a new version (\`canal datasets register ${version.name} --from ${version.datastore}:${version.pattern}\`)`,
      );
    }
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/**
 * What a downloaded file's path leaves out: the folder the pattern named its files under
 * ("images/**\/*.png" and "images" download images/a.png as a.png), so DIR holds the dataset
 * itself. A pattern naming one file leaves that file's folder out. With a trailing "/".
 */
export function downloadBase(pattern: string, files: DatasetFile[]): string {
  // A folder named with its slash (`raw:wine/`) is the folder: its files go below it, not in a `wine/` of their own.
  const named = isGlob(pattern) ? pattern : pattern.replace(/\/+$/, "");
  const base = isGlob(named)
    ? globBase(named)
    : files.length === 1 && files[0]?.path === named
      ? posix.dirname(named).replace(/^\.$/, "")
      : named;
  return base === "" ? "" : `${base}/`;
}

/**
 * Writes version `version` (default: latest) of dataset `name` into `to`. Every file is checked
 * before anything is written: files there with other content are an error listing them, unless `force`.
 */
export async function downloadDataset(
  host: DatastoreHost,
  metadata: MetadataStore,
  name: string,
  to: string,
  options: { version?: number; force?: boolean } = {},
): Promise<DownloadDatasetResult> {
  const version = await metadata.getDatasetVersion(name, options.version);
  const files = await metadata.getDatasetFiles(version.id);
  // Paths come from the store: checked again before they become paths on this machine.
  const base = downloadBase(version.pattern, files);
  const targets = files.map((file) => {
    const path = datastorePath(version.datastore, file.path);
    return join(to, path.startsWith(base) && path.length > base.length ? path.slice(base.length) : path);
  });
  const states = await mapLimit(
    files.map((file, i) => ({ file, target: targets[i] as string })),
    PARALLEL,
    ({ file, target }) => existing(target, file),
  );
  const differing = files.filter((_, i) => states[i] === "different");
  if (differing.length && !options.force) {
    const listed = differing.slice(0, 5).map((f) => targets[files.indexOf(f)] as string);
    throw new StoreError(
      "CANAL_STORE_DESTINATION_EXISTS",
      `${differing.length} file${differing.length === 1 ? "" : "s"} in ${to} ${differing.length === 1 ? "differs" : "differ"} from ${name} version ${version.version}: ` +
        `${listed.join(", ")}${differing.length > 5 ? ", …" : ""}; pass --force to overwrite them, or download into another folder`,
    );
  }
  const datastore = await openDatastore(host, version.datastore);
  let written = 0;
  let bytes = 0;
  try {
    await mapLimit(
      files.map((file, i) => ({ file, i })),
      PARALLEL,
      async ({ file, i }) => {
        if (states[i] === "same") return;
        await copyVerified(datastore, version, file, targets[i] as string);
        written++;
        bytes += file.size;
      },
    );
  } finally {
    await datastore.close();
  }
  return { version, written, unchanged: files.length - written, bytes };
}
