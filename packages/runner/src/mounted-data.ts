// A parameter read in place from the workspace's data (access `mount`): its files where they lie,
// hashed, and nothing copied into the blob store.
import { createHash } from "node:crypto";
import { posix } from "node:path";
import { fileNameProblem, type MountSource, type Parameter } from "@canal/ir";
import type { StoredValue } from "@canal/runtime-core";
import { datastorePath, downloadBase, encodeManifest, openDatastore, type Workspace } from "@canal/store";
import {
  checkRegisteredSchema,
  type DataOrigin,
  isDirectoryType,
  listDatastorePath,
  versionFor,
} from "./data-lookups.js";
import { workspaceMountCache } from "./mount.js";
import { hashLocal } from "./mount-cache.js";

/**
 * The value of data read in place: its files as the step finds them, and the digest a download
 * would have stored (the file's own, or the manifest of the folder), so that its cache key is the
 * same either way.
 */
function mountedValue(parameter: Parameter, datastore: string, files: MountSource["files"]): StoredValue {
  const only = files.length === 1 && !isDirectoryType(parameter.type) ? files[0] : undefined;
  if (only) {
    const name = posix.basename(only.path);
    return {
      digest: only.sha256,
      directory: false,
      ...(fileNameProblem(name) ? {} : { name }),
      mount: { datastore, files: [{ ...only, at: "" }] },
    };
  }
  const manifest = encodeManifest(
    files.map((f) => ({ path: f.at, sha256: f.sha256, size: f.size, executable: false })),
  );
  return {
    digest: createHash("sha256").update(manifest).digest("hex"),
    directory: true,
    mount: { datastore, files },
  };
}

/** Where a file of a datastore path or dataset lands below the input's folder (as a download puts it). */
function below(path: string, base: string): string {
  return path.startsWith(base) && path.length > base.length ? path.slice(base.length) : path;
}

/** A dataset version read in place: its registered files and digests, nothing read now. */
export async function mountedDataset(
  workspace: Workspace,
  parameter: Parameter,
  name: string,
  pinned: number | undefined,
): Promise<{ value: StoredValue; origin: DataOrigin; versionId?: number }> {
  const version = await versionFor(workspace, parameter, name, pinned);
  const what = `dataset ${name} version ${version.version}`;
  checkRegisteredSchema(parameter, version, name, what);
  const files = (await workspace.metadata.getDatasetFiles(version.id)).map((file) => {
    const path = datastorePath(version.datastore, file.path);
    return {
      path,
      at: below(path, downloadBase(version.pattern, [file])),
      sha256: file.digest,
      size: file.size,
    };
  });
  return {
    value: mountedValue(parameter, version.datastore, files),
    origin: { dataset: { name, version: version.version, digest: version.digest } },
    versionId: version.id,
  };
}

/**
 * A datastore path read in place: its files hashed now, where they lie (a local datastore) or as
 * they come into the mount cache (S3), so the run records the content it reads.
 */
export async function mountedDatastorePath(
  workspace: Workspace,
  parameter: Parameter,
  store: string,
  path: string,
): Promise<{ value: StoredValue; origin: DataOrigin }> {
  const datastore = await openDatastore(workspace, store);
  try {
    const entries = await listDatastorePath(datastore, parameter, store, path);
    const base = downloadBase(
      path,
      entries.map((e) => ({ path: e.path, digest: "", size: e.size })),
    );
    const cache = workspaceMountCache(workspace);
    const files: MountSource["files"] = [];
    for (const entry of entries) {
      const local = await datastore.localPath?.(entry.path);
      const content = local !== undefined ? await hashLocal(local) : await cache.get(datastore, entry);
      files.push({
        path: entry.path,
        at: below(entry.path, base),
        sha256: content.sha256,
        size: content.size,
      });
    }
    return { value: mountedValue(parameter, store, files), origin: { datastore: { name: store, path } } };
  } finally {
    await datastore.close();
  }
}
