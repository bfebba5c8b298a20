// What a machine found intact in a bucket: digest -> the ETag of the object last hashed to that
// digest (or written from bytes just hashed). Re-checking such a blob then costs a HEAD (or a
// listing's line), since any write of other bytes changes the ETag. Kept in a file of
// "digest etag" lines across processes, so a later process need not download a blob again to
// trust it.
import { DigestJournalAppender, readDigestJournal } from "../digest-journal.js";

export class EtagJournal {
  private knownEtags: Map<string, string> | undefined;
  private readonly appender: DigestJournalAppender | undefined;

  /** `path`: the journal file; absent, what is learnt is kept in memory only. */
  constructor(private readonly path?: string) {
    this.appender = path ? new DigestJournalAppender(path) : undefined;
  }

  /** Read on first use, not when the store opens: a run that checks nothing never reads it. */
  private get known(): Map<string, string> {
    this.knownEtags ??= this.path ? readDigestJournal(this.path, /\S{1,200}/) : new Map();
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
    this.appender?.append(digest, etag);
  }
}
