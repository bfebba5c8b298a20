import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Datastore } from "./types.js";

/**
 * Copies `path` of `datastore` into the new file `to` (never one that exists), hashing it on the
 * way: what it holds, for the caller to compare with what was registered before trusting it.
 */
export async function copyHashed(
  datastore: Datastore,
  path: string,
  to: string,
  mode = 0o666,
): Promise<{ sha256: string; size: number }> {
  const hash = createHash("sha256");
  let size = 0;
  await pipeline(
    await datastore.openRead(path),
    new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        size += chunk.length;
        done(null, chunk);
      },
    }),
    createWriteStream(to, { flags: "wx", mode }),
  );
  return { sha256: hash.digest("hex"), size };
}
