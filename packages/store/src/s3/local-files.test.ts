import {
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { buildDirectory, writeHeld } from "./local-files.js";

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

describe("writeHeld", () => {
  it("writes small bytes over the file at their target, into a folder it makes, never through a second name", async () => {
    const dir = mkdtempSync(join(tmpdir(), "canal-held-"));
    scratch.push(dir);
    const target = join(dir, "in", "x", "data");
    await writeHeld(target, Buffer.from("first, the longer one"));
    const inode = statSync(target).ino;
    await writeHeld(target, Buffer.from("second"));
    expect(readFileSync(target, "utf8")).toBe("second");
    expect(statSync(target).ino).toBe(inode);
    expect(statSync(target).mode & 0o777).toBe(0o644);
    // A second name of another file there: replaced, the other file as it was.
    const elsewhere = join(dir, "elsewhere");
    writeFileSync(elsewhere, "kept");
    rmSync(target);
    linkSync(elsewhere, target);
    await writeHeld(target, Buffer.from("third"));
    expect(readFileSync(target, "utf8")).toBe("third");
    expect(lstatSync(target).nlink).toBe(1);
    expect(readFileSync(elsewhere, "utf8")).toBe("kept");
    expect(readdirSync(join(dir, "in", "x"))).toEqual(["data"]);
  });
});
