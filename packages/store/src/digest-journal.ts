// A journal of "digest value" lines that a blob store keeps across processes: what it found intact
// (a file's identity, an object's ETag), so that a later process need not hash or download a blob
// again to trust it. A cache of checks, no more: a line lost or unreadable costs only a later check.
import { appendFileSync, readFileSync, rmSync, statSync } from "node:fs";
import { orMakeParentSync } from "./blob-io.js";

// A journal past this size is started afresh rather than read.
const JOURNAL_MAX_BYTES = 32 * 1024 * 1024;

/** The values the journal at `path` vouches for, by digest; the last line for a digest wins. */
export function readDigestJournal(path: string, value: RegExp): Map<string, string> {
  const known = new Map<string, string>();
  const line = new RegExp(`^([0-9a-f]{64}) (${value.source})$`);
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
  for (const each of text.split("\n")) {
    const match = line.exec(each);
    if (match) known.set(match[1] as string, match[2] as string);
  }
  return known;
}

/** Appends `digest value` lines to the journal at `path`, one write per turn of the event loop. */
export class DigestJournalAppender {
  private lines: string[] = [];

  constructor(private readonly path: string) {}

  append(digest: string, value: string): void {
    if (this.lines.push(`${digest} ${value}\n`) > 1) return;
    setImmediate(() => {
      const lines = this.lines.join("");
      this.lines = [];
      try {
        // The folder is made only where the append finds none: a step's output is one append.
        orMakeParentSync(this.path, () => appendFileSync(this.path, lines));
      } catch {
        // Only a later check is lost.
      }
    });
  }
}
