// What a machine found intact in a bucket: digest -> the ETag of the object last hashed to that
// digest (or written from bytes just hashed). Re-checking such a blob then costs a HEAD (or a
// listing's line), since any write of other bytes changes the ETag. Kept in a file of
// "digest etag" lines across processes, so a later process need not download a blob again to
// trust it.
import { appendFileSync, mkdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { dirname } from "node:path";

// A journal past this size is started afresh rather than read: it is a cache of checks, no more.
const JOURNAL_MAX_BYTES = 32 * 1024 * 1024;
const JOURNAL_LINE = /^([0-9a-f]{64}) (\S{1,200})$/;

export class EtagJournal {
  private knownEtags: Map<string, string> | undefined;
  private lines: string[] = [];

  /** `path`: the journal file; absent, what is learnt is kept in memory only. */
  constructor(private readonly path?: string) {}

  /** Read on first use, not when the store opens: a run that checks nothing never reads it. */
  private get known(): Map<string, string> {
    this.knownEtags ??= this.path ? readJournal(this.path) : new Map();
    return this.knownEtags;
  }

  /** The ETag `digest`'s object had when last found intact, if any. */
  get(digest: string): string | undefined {
    return this.known.get(digest);
  }

  /** `digest`'s object is not (or no longer) known intact. */
  forget(digest: string): void {
    this.known.delete(digest);
  }

  /** `digest`'s object was found intact with `etag`; without an ETag nothing can be vouched for. */
  remember(digest: string, etag: string | undefined): void {
    if (!etag) {
      this.known.delete(digest);
      return;
    }
    if (this.known.get(digest) === etag) return;
    this.known.set(digest, etag);
    this.append(`${digest} ${etag}\n`);
  }

  /** Appends to the file, one write per turn of the event loop however many blobs it learns. */
  private append(line: string): void {
    const path = this.path;
    if (!path || this.lines.push(line) > 1) return;
    setImmediate(() => {
      const lines = this.lines.join("");
      this.lines = [];
      try {
        mkdirSync(dirname(path), { recursive: true });
        appendFileSync(path, lines);
      } catch {
        // Only a later download to check a blob is lost.
      }
    });
  }
}

/** The ETags the journal vouches for; the last line for a digest wins. */
function readJournal(path: string): Map<string, string> {
  const known = new Map<string, string>();
  let text: string;
  try {
    if (statSync(path).size > JOURNAL_MAX_BYTES) {
      rmSync(path, { force: true });
      return known;
    }
    text = readFileSync(path, "utf8");
  } catch {
    return known;
  }
  for (const line of text.split("\n")) {
    const match = JOURNAL_LINE.exec(line);
    if (match) known.set(match[1] as string, match[2] as string);
  }
  return known;
}
