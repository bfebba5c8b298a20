// Hashing a dataset's files: each streamed through sha256 by its datastore, many at once, so that
// ten thousand small files cost their reads and not ten thousand round trips one after another.
import { mapLimit } from "../blob-io.js";
import type { Datastore, DatastoreEntry } from "../datastores/types.js";
import type { DatasetFile } from "../types.js";

/** How many files are hashed at once: enough to keep a disk's queue or a bucket's requests full. */
export const HASH_CONCURRENCY: Record<string, number> = { local: 64, s3: 32 };

/** The manifest entries of `entries`, in their order. */
export async function hashFiles(
  datastore: Datastore,
  entries: DatastoreEntry[],
  concurrency = HASH_CONCURRENCY[datastore.kind] ?? 16,
): Promise<DatasetFile[]> {
  return mapLimit(entries, concurrency, async (entry) => {
    const { digest, size } = await datastore.digest(entry.path);
    return { path: entry.path, digest, size };
  });
}
