import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RunFolders } from "./run-folders.js";

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "canal-run-folders-"));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe("RunFolders", () => {
  it("removes a folder released while it is still being made once that settles, and the run waits for it", async () => {
    const folders = new RunFolders({
      workRoot: root,
      runId: "run-1",
      artifactDir: root,
      limit: 2,
      runtime: {},
    });
    const dir = join(root, "run-1", "s-1");
    mkdirSync(dir, { recursive: true });
    let finish = () => {};
    const making = new Promise<void>((resolve) => {
      finish = () => {
        // What was still being made: out/, inside the folder.
        mkdirSync(join(dir, "out"));
        resolve();
      };
    });
    folders.release(dir, making);
    // A folder released after it, with nothing in flight: gone first.
    const other = join(root, "run-1", "t-1");
    mkdirSync(other);
    folders.release(other);
    let removed = false;
    const waiting = folders.removed().then(() => {
      removed = true;
    });
    while (existsSync(other)) await new Promise((resolve) => setImmediate(resolve));
    expect(existsSync(dir)).toBe(true);
    expect(removed).toBe(false);
    finish();
    await waiting;
    expect(existsSync(dir)).toBe(false);
  });
});
