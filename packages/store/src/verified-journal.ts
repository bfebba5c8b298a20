import { appendFileSync, readFileSync, rmSync, statSync } from "node:fs";

/**
 * The `verified` journal of a local blob store: the identities of blobs known intact, a line
 * "digest ino:size:mtime:ctime" each, so that a later process need not hash a blob again to trust it.
 */
export class VerifiedJournal {
  /**
   * Digest -> the file identity (inode, size, times) last found intact: a re-check costs one stat.
   * Seeded from the journal on first use.
   */
  private known: Map<string, string> | undefined;
  private journalLines: string[] = [];

  constructor(private readonly path: string) {}

  verified(): Map<string, string> {
    this.known ??= readJournal(this.path);
    return this.known;
  }

  /** Appends to the journal, one write per turn of the event loop however many blobs it learns. */
  record(digest: string, known: string): void {
    if (this.journalLines.push(`${digest} ${known}\n`) > 1) return;
    setImmediate(() => {
      const lines = this.journalLines.join("");
      this.journalLines = [];
      try {
        appendFileSync(this.path, lines);
      } catch {
        // Only a later hash is lost.
      }
    });
  }
}

// A journal past this size is started afresh rather than read: it is a cache of hashes, no more.
const JOURNAL_MAX_BYTES = 32 * 1024 * 1024;
const JOURNAL_LINE = /^([0-9a-f]{64}) (\d+:\d+:\d+:\d+)$/;

/** The identities the journal vouches for; the last line for a digest wins. */
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

/** What a stored file is, for knowing it unchanged since it was hashed: a rewrite changes the times. */
export function identity(info: { ino: bigint; size: bigint; mtimeNs: bigint; ctimeNs: bigint }): string {
  return `${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`;
}
