// Where an S3 store's blobs land on this machine: files written beside their destination and
// renamed into place only once they are known to match their digest, so a damaged object never
// appears where a step would read it.
import { createHash, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { chmod, mkdir, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { type Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { errorCode, mapLimit, orMakeParentSync, SMALL_FILE, writeOver } from "../blob-io.js";
import { StoreError } from "../errors.js";

/** A file beside `target` for building it: renamed into place once complete. */
const besideTarget = (target: string) => `${target}.canal-${randomBytes(4).toString("hex")}`;

/**
 * Streams `body` into a file beside `target`, hashing it on the way, and renames it into place
 * only once `accept(actual digest)` returned (it throws for a digest that does not match). With
 * `keep`, the chunks are collected there too. A failure of the local file rejects with its own
 * error (it names its path); a failure of `body` is `readFailed`'s.
 */
export async function writeVerified(
  body: Readable,
  target: string,
  executable: boolean,
  accept: (actual: string) => void,
  readFailed: (error: unknown) => Error,
  keep?: Buffer[],
): Promise<void> {
  const temp = besideTarget(target);
  const hash = createHash("sha256");
  try {
    try {
      await pipeline(body, hashing(hash, keep), createWriteStream(temp, { flags: "wx" }));
    } catch (error) {
      if (errorCode(error) === "EISDIR") throw destinationExists(target);
      if ((error as { path?: string }).path !== undefined) throw error;
      throw readFailed(error);
    }
    accept(hash.digest("hex"));
    await chmod(temp, executable ? 0o755 : 0o644);
    await renameInto(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/**
 * Writes held bytes, already hashed to their digest, to `target`: small ones in place (written
 * over the file there, as a local store's copy is: a kept folder's input copy is reused, and no
 * directory entry is made), larger ones to a file beside it renamed into place, as writeVerified
 * leaves a file's blob. A failure leaves nothing at `target`.
 */
export async function writeHeld(target: string, bytes: Buffer): Promise<void> {
  if (bytes.length <= SMALL_FILE) {
    try {
      orMakeParentSync(target, () => writeOver(target, bytes, 0o644));
    } catch (error) {
      if (errorCode(error) === "EISDIR") throw destinationExists(target);
      await rm(target, { force: true }).catch(() => {});
      throw error;
    }
    return;
  }
  await mkdir(dirname(target), { recursive: true });
  const temp = besideTarget(target);
  try {
    await writeFile(temp, bytes, { flag: "wx", mode: 0o644 });
    await chmod(temp, 0o644);
    await renameInto(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    if (errorCode(error) === "EISDIR") throw destinationExists(target);
    throw error;
  }
}

/**
 * Builds a directory's files beside `target` with `fetch` (each entry to the file it is given,
 * `parallel` at a time) and renames the whole into place: a failure (a corrupt member) leaves no half-built directory.
 */
export async function buildDirectory<T extends { path: string }>(
  target: string,
  entries: T[],
  parallel: number,
  fetch: (entry: T, file: string) => Promise<void>,
): Promise<void> {
  await refuseNonEmpty(target);
  const staging = besideTarget(target);
  await mkdir(staging, { recursive: true });
  const started: Promise<void>[] = [];
  try {
    await mapLimit(entries, parallel, (entry) => {
      const fetched = (async () => {
        const file = join(staging, ...entry.path.split("/"));
        await mkdir(dirname(file), { recursive: true });
        await fetch(entry, file);
      })();
      started.push(fetched);
      return fetched;
    });
    await rename(staging, target).catch((error) => {
      if (errorCode(error) === "ENOTEMPTY" || errorCode(error) === "EEXIST") throw destinationExists(target);
      throw error;
    });
  } catch (error) {
    // The fetches still on their way end first: one writing into the staging folder while it is
    // removed would fail the removal (ENOTEMPTY, in place of the first failure) or leave it behind.
    await Promise.allSettled(started);
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
}

export async function hashStream(stream: Readable): Promise<{ digest: string; size: number }> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { digest: hash.digest("hex"), size };
}

async function renameInto(temp: string, target: string): Promise<void> {
  await rename(temp, target).catch((error) => {
    if (["EISDIR", "ENOTEMPTY", "EEXIST"].includes(errorCode(error) ?? "")) throw destinationExists(target);
    throw error;
  });
}

/** A pass-through stream that feeds what flows through it to `hash`. */
function hashing(hash: ReturnType<typeof createHash>, keep?: Buffer[]): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      keep?.push(chunk);
      callback(null, chunk);
    },
  });
}

async function refuseNonEmpty(target: string): Promise<void> {
  const info = await stat(target).catch(() => undefined);
  if (!info) return;
  if (!info.isDirectory() || (await readdir(target)).length > 0) throw destinationExists(target);
}

function destinationExists(target: string): StoreError {
  return new StoreError(
    "CANAL_STORE_DESTINATION_EXISTS",
    `cannot materialize into ${target}: something is already there; remove it or choose an empty path`,
  );
}
