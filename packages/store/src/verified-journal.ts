import { DigestJournalAppender, readDigestJournal } from "./digest-journal.js";

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
  private readonly appender: DigestJournalAppender;

  constructor(private readonly path: string) {
    this.appender = new DigestJournalAppender(path);
  }

  verified(): Map<string, string> {
    this.known ??= readDigestJournal(this.path, /\d+:\d+:\d+:\d+/);
    return this.known;
  }

  /** Appends to the journal, one write per turn of the event loop however many blobs it learns. */
  record(digest: string, known: string): void {
    this.appender.append(digest, known);
  }
}

/** What a stored file is, for knowing it unchanged since it was hashed: a rewrite changes the times. */
export function identity(info: { ino: bigint; size: bigint; mtimeNs: bigint; ctimeNs: bigint }): string {
  return `${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`;
}
