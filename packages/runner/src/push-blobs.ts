import { rmSync } from "node:fs";
import { join } from "node:path";
import { BlobCorruptError, BlobMissingError, collectDigests, type Workspace } from "@canal/store";
import { bytes, type PushReport } from "./push-report.js";

// A blob this large gets a progress line of its own.
const LARGE_BLOB = 16 * 1024 * 1024;

/** Copies blobs one at a time through a scratch folder, each verified by the source as it is read. */
export class BlobCopier {
  private readonly done = new Map<string, boolean>();

  constructor(
    private readonly source: Workspace,
    private readonly target: Workspace,
    private readonly scratch: string,
    private readonly report: PushReport,
    private readonly dryRun: boolean,
    private readonly say: (line: string) => void,
  ) {}

  /** Whether `digest` is in the team store (or would be, in a dry run) after `copy`. */
  ok(digest: string): boolean {
    return this.done.get(digest) === true;
  }

  /** Whether every blob a value names is in the team store. */
  intact(value: unknown): boolean {
    const digests = new Set<string>();
    collectDigests(value, digests);
    return [...digests].every((digest) => this.ok(digest));
  }

  async copy(digest: string): Promise<void> {
    if (this.done.has(digest)) return;
    const info = await this.source.blobs.stat(digest);
    if (await this.target.blobs.has(digest)) {
      this.report.blobs.present++;
      this.report.blobs.bytesPresent += info?.size ?? 0;
      this.done.set(digest, true);
      return;
    }
    // Verified as it is read: materialize checks every byte against its digest.
    let status = info ? "ok" : "missing";
    const path = join(this.scratch, digest);
    if (info && this.dryRun) status = await this.source.blobs.verify(digest);
    else if (info) status = await this.source.blobs.materialize(digest, path).then(() => "ok", damage);
    if (!info || status !== "ok") {
      rmSync(path, { recursive: true, force: true });
      this.report.blobs.damaged.push(`${digest.slice(0, 12)} (${status})`);
      this.done.set(digest, false);
      return;
    }
    if (!this.dryRun) {
      const put =
        info.kind === "directory"
          ? await this.target.blobs.putDirectory(path, { move: true })
          : await this.target.blobs.putFile(path, { move: true });
      rmSync(path, { recursive: true, force: true });
      if (put !== digest) throw new Error(`blob ${digest} was stored in the team workspace as ${put}`);
    }
    this.report.blobs.copied++;
    this.report.blobs.bytesCopied += info.size;
    if (info.size >= LARGE_BLOB)
      this.say(`${this.dryRun ? "would copy" : "copied"} blob ${digest.slice(0, 12)} (${bytes(info.size)})`);
    this.done.set(digest, true);
  }
}

function damage(error: unknown): string {
  if (error instanceof BlobMissingError) return "missing";
  if (error instanceof BlobCorruptError) return "corrupt";
  throw error;
}
