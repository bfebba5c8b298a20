// Data a step reads in place (access `mount`): no copy into the blob store or the step's folder.
// A local datastore's files are linked where the step reads them (`in/raw/wine.csv` is a symbolic
// link to the datastore's own file), each hashed first: a file whose bytes are not those the
// version (or the submission) recorded fails the step before it starts, and one that changed while
// the step ran (size, modification time or inode differ) fails it afterwards, so no output is kept
// under a cache key that names other bytes. An S3 datastore's files come through the mount cache
// (see mount-cache.ts): fetched when the step starts, verified, and hard-linked into its folder.

import { copyFileSync, linkSync, type Stats } from "node:fs";
import { mkdir, stat, symlink } from "node:fs/promises";
import { dirname, join } from "node:path";
import { type MountSource, pathInside } from "@canal/ir";
import type { MountedInput } from "@canal/runtime-core";
import { type Datastore, openDatastore, type Workspace } from "@canal/store";
import { MountError } from "./errors.js";
import { hashLocal, MountCache } from "./mount-cache.js";

/** The mount cache of a workspace: `folders.cache`/mount, bounded by `mountCache.maxSize`. */
export function workspaceMountCache(workspace: Workspace): MountCache {
  return new MountCache(join(workspace.config.folders.cache, "mount"), workspace.config.mountCache.maxBytes);
}

const signature = (info: Stats) => `${info.dev}:${info.ino}:${info.size}:${info.mtimeMs}`;

/** What one run mounts: its datastores opened once, closed when the run ends. */
export class DataMounts {
  private readonly stores = new Map<string, Promise<Datastore>>();

  constructor(
    private readonly workspace: Workspace,
    private readonly cache: MountCache = workspaceMountCache(workspace),
  ) {}

  private open(name: string): Promise<Datastore> {
    let store = this.stores.get(name);
    if (!store) {
      store = openDatastore(this.workspace, name);
      this.stores.set(name, store);
    }
    return store;
  }

  async mount(source: MountSource, destination: string, directory: boolean): Promise<MountedInput> {
    const datastore = await this.open(source.datastore);
    const watched: Array<{ shown: string; local: string; signature: string }> = [];
    for (const file of source.files) {
      const target = directory ? pathInside(destination, ...file.at.split("/")) : destination;
      await mkdir(dirname(target), { recursive: true });
      const shown = `${datastore.name}:${file.path}`;
      const local = await datastore.localPath?.(file.path);
      if (local !== undefined) {
        const before = await stat(local);
        const found = await hashLocal(local);
        if (found.sha256 !== file.sha256 || found.size !== file.size)
          throw new MountError(
            "CANAL_MOUNT_FILE_CHANGED",
            `${shown} in ${datastore.location} is not what the run recorded: it has sha256:${found.sha256} (${found.size} B), the run reads sha256:${file.sha256} (${file.size} B); register the files again for a new version, or restore them`,
          );
        watched.push({ shown, local, signature: signature(before) });
        await symlink(local, target);
      } else {
        const cached = await this.cache.get(datastore, file);
        try {
          // A link of its own: the cache may evict the entry while the step still reads it.
          linkSync(cached.path, target);
        } catch {
          copyFileSync(cached.path, target);
        }
      }
    }
    return {
      async changed() {
        for (const file of watched) {
          const now = await stat(file.local).catch(() => undefined);
          if (!now) return `${file.shown} is gone`;
          if (signature(now) !== file.signature) return `${file.shown} was modified`;
        }
        return undefined;
      },
    };
  }

  async close(): Promise<void> {
    const stores = [...this.stores.values()];
    this.stores.clear();
    await Promise.all(stores.map(async (store) => (await store.catch(() => undefined))?.close()));
  }
}
