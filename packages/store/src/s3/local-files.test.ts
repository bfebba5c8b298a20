import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { buildDirectory } from "./local-files.js";

const scratch: string[] = [];
afterEach(() => {
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("buildDirectory", () => {
  it("ends every fetch on its way before it removes the staging folder of a failed build", async () => {
    const dir = mkdtempSync(join(tmpdir(), "canal-build-"));
    scratch.push(dir);
    const order: string[] = [];
    let failed = false;
    let settled = false;
    const build = buildDirectory(
      join(dir, "out"),
      [{ path: "bad.txt" }, { path: "b/slow.txt" }],
      2,
      async (entry, file) => {
        if (entry.path === "bad.txt") {
          failed = true;
          throw new Error("bad.txt is damaged");
        }
        // Still writing once the other failed: until the build has settled, or for as long as it waits.
        for (let turn = 0; !(failed && settled) && turn < 1000; turn++)
          await new Promise((resolve) => setImmediate(resolve));
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, "slow");
        order.push("slow fetch ended");
      },
    ).finally(() => {
      settled = true;
      order.push("build settled");
    });
    await expect(build).rejects.toThrow("bad.txt is damaged");
    expect(order).toEqual(["slow fetch ended", "build settled"]);
    expect(readdirSync(dir)).toEqual([]);
  });
});
