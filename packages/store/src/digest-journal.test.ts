import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DigestJournalAppender, readDigestJournal } from "./digest-journal.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "canal-journal-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const digest = (c: string) => c.repeat(64);
const turn = () => new Promise((resolve) => setImmediate(resolve));

describe("DigestJournalAppender", () => {
  it("writes a turn's lines in one append, and makes its folder again when it is gone", async () => {
    const path = join(dir, "blobs", "journal");
    const appender = new DigestJournalAppender(path);
    appender.append(digest("a"), "1");
    appender.append(digest("b"), "2");
    await turn();
    expect(readDigestJournal(path, /\d+/)).toEqual(
      new Map([
        [digest("a"), "1"],
        [digest("b"), "2"],
      ]),
    );
    rmSync(join(dir, "blobs"), { recursive: true });
    appender.append(digest("c"), "3");
    await turn();
    expect(readDigestJournal(path, /\d+/)).toEqual(new Map([[digest("c"), "3"]]));
  });
});
