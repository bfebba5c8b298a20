// What a step that reaches the bucket itself (a docker or slurm step) gets from the driver's S3
// store: the credentials for its environment, handed over only once every blob it fetches is an
// object (the driver's deferred puts sent, the table's rows it reads put in the bucket), and the
// adoption of the outputs it reports storing, found by HEADs rather than downloads.
import type { BlobPlace, SharedBlobs } from "@canal/ir/run-types";
import { mapLimit } from "../blob-io.js";
import { checkDigest } from "../errors.js";
import type { ArtifactKind, ManifestEntry } from "../types.js";
import type { BlobObjects } from "./blob-objects.js";
import { s3Failure } from "./client.js";
import { PARALLEL_FILES } from "./objects.js";

/** The parts of the driver's store that step access works through. */
export interface StoreParts {
  /** The blobs' objects in the bucket, and what this machine found intact of them. */
  readonly blobs: BlobObjects;
  /** Waits for the puts made with `deferSync` so far; throws the first that failed. */
  flush(): Promise<void>;
  /** The manifest of a blob whose marker was just found. */
  manifestOf(digest: string): Promise<ManifestEntry[]>;
  /** The blob's row in the table of small blobs, hashed; undefined without a table or a row. */
  row(digest: string): Promise<{ bytes: Buffer } | { damaged: string } | undefined>;
}

export class StepAccess implements SharedBlobs {
  /** Digests put in the bucket from their rows by this handle: a later step's fetch of them costs nothing more. */
  private readonly promoted = new Set<string>();

  constructor(
    readonly place: BlobPlace,
    private readonly store: StoreParts,
    /** Whether the store keeps small blobs in a table, whose rows a step cannot read. */
    private readonly tabled: boolean,
  ) {}

  /**
   * The credentials the store's client uses (from the config's variables, a profile or the
   * standard sources), as the standard AWS variables: for a step's environment, nowhere else.
   * Given just before a step that reaches the bucket itself starts: what it fetches (an output a
   * step here put with deferSync, a blob kept in the table) is in the bucket by then.
   */
  async credentials(reads?: readonly string[]): Promise<Record<string, string>> {
    await this.store.flush();
    if (reads) await this.promote(reads);
    const { client, place } = this.store.blobs;
    let found: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
    try {
      found = await client.config.credentials();
    } catch (error) {
      throw s3Failure(error, "reading the credentials steps reach the bucket with", place);
    }
    for (const secret of [found.secretAccessKey, found.sessionToken])
      if (secret && !place.secrets.includes(secret)) place.secrets.push(secret);
    return {
      AWS_ACCESS_KEY_ID: found.accessKeyId,
      AWS_SECRET_ACCESS_KEY: found.secretAccessKey,
      ...(found.sessionToken ? { AWS_SESSION_TOKEN: found.sessionToken } : {}),
    };
  }

  /**
   * Whether a blob that a step stored is there, without reading its bytes: a HEAD of the object
   * (and, for a directory, of its marker and of each file its manifest names, the manifest itself
   * read and verified). What it finds is remembered as intact, as what the store stores is: the
   * step hashed the bytes as it stored them.
   */
  async adopt(digest: string, kind: ArtifactKind): Promise<{ size: number } | undefined> {
    checkDigest(digest);
    const { blobs } = this.store;
    const [object, directory] = await Promise.all([
      blobs.head(digest),
      kind === "directory" ? blobs.isDirectory(digest) : false,
    ]);
    if (!object || (kind === "directory") !== directory) return undefined;
    if (kind === "file") {
      blobs.known.remember(digest, object.etag);
      return { size: object.size };
    }
    const entries = await this.store.manifestOf(digest);
    const found = await mapLimit(entries, PARALLEL_FILES, async (entry) => {
      const member = await blobs.head(entry.sha256);
      if (!member || member.size !== entry.size) return false;
      blobs.known.remember(entry.sha256, member.etag);
      return true;
    });
    if (found.includes(false)) return undefined;
    return { size: entries.reduce((sum, entry) => sum + entry.size, 0) };
  }

  /**
   * Puts those of `digests` that are kept in the table into the bucket too (and they stay there):
   * a step that fetches its inputs itself reads the bucket only.
   */
  private async promote(digests: readonly string[]): Promise<void> {
    if (!this.tabled) return;
    const wanted = [...new Set(digests)].filter((digest) => !this.promoted.has(checkDigest(digest)));
    await mapLimit(wanted, PARALLEL_FILES, async (digest) => {
      const row = await this.store.row(digest);
      if (!row || "damaged" in row) return;
      await this.store.blobs.put(digest, row.bytes);
      this.promoted.add(digest);
    });
  }
}
