import { createHash } from "node:crypto";
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalDatastore } from "@canal/store";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { diskReserve, MountCache } from "./mount-cache.js";

let root: string;
let source: LocalDatastore;
let cacheDir: string;

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
/** Writes `name` with `size` bytes of `fill` into the source datastore: its entry for the cache. */
const file = (name: string, size: number, fill = name) => {
  const text = fill.repeat(size).slice(0, size);
  writeFileSync(join(root, "src", name), text);
  return { path: name, sha256: sha256(text), size };
};
/** The digests the cache holds. */
const held = () =>
  readdirSync(cacheDir)
    .filter((shard) => !shard.startsWith("."))
    .flatMap((shard) => readdirSync(join(cacheDir, shard)))
    .sort();
const lastUsed = (digest: string, msAgo: number) => {
  const when = new Date(Date.now() - msAgo);
  utimesSync(join(cacheDir, digest.slice(0, 2), digest), when, when);
};

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "canal-mount-cache-"));
  mkdirSync(join(root, "src"));
  source = new LocalDatastore("lake", join(root, "src"), "datastores.lake.path");
  cacheDir = join(root, "cache");
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe("the mount cache", () => {
  it("fetches a file once, read-only, and serves it again once verified, without the source", async () => {
    const cache = new MountCache(cacheDir, 10_000);
    const a = file("a.csv", 100);
    const first = await cache.get(source, a);
    expect(readFileSync(first.path, "utf8")).toBe("a.csv".repeat(20));
    expect(statSync(first.path).mode & 0o777).toBe(0o444);
    rmSync(join(root, "src", "a.csv"));
    expect((await cache.get(source, a)).path).toBe(first.path);
    // Without a digest (a datastore path not registered), the content found is what it keys.
    const b = file("b.csv", 10);
    expect(await cache.get(source, { path: "b.csv", size: 10 })).toMatchObject({ sha256: b.sha256 });
  });

  it("evicts the least recently used files to stay under its size", async () => {
    const cache = new MountCache(cacheDir, 2500);
    const [a, b, c] = [file("a", 1000), file("b", 1000), file("c", 1000)];
    await cache.get(source, a);
    await cache.get(source, b);
    lastUsed(a.sha256, 7200_000);
    lastUsed(b.sha256, 3600_000);
    // Served again, `a` is the most recently used: `b` goes to make room for `c`.
    await cache.get(source, a);
    await cache.get(source, c);
    expect(held()).toEqual([a.sha256, c.sha256].sort());
  });

  it("holds a bound lowered since it was filled from its first use on", async () => {
    const [a, b] = [file("a", 1000), file("b", 1000)];
    await new MountCache(cacheDir, 10_000).get(source, a);
    lastUsed(a.sha256, 3600_000);
    await new MountCache(cacheDir, 10_000).get(source, b);
    await new MountCache(cacheDir, 1500).get(source, b);
    expect(held()).toEqual([b.sha256]);
  });

  it("leaves the disk its reserve, and refuses a file that cannot fit without filling it", async () => {
    // A disk of 20,000 bytes with 2,500 free before the cache holds anything: 1,000 stay free.
    const used = () =>
      held().reduce((sum, digest) => sum + statSync(join(cacheDir, digest.slice(0, 2), digest)).size, 0);
    const cache = new MountCache(cacheDir, 1_000_000, async () => ({ free: 2500 - used(), total: 20_000 }));
    expect(diskReserve(20_000)).toBe(1000);
    const [a, b] = [file("a", 1000), file("b", 1000)];
    await cache.get(source, a);
    await cache.get(source, b);
    expect(held()).toEqual([b.sha256]);
    await expect(cache.get(source, file("big", 2000))).rejects.toMatchObject({
      code: "CANAL_MOUNT_CACHE_FULL",
      message: expect.stringContaining("lake:big (2 KiB) does not fit on the disk of the mount cache"),
    });
    expect(held()).toEqual([]);
  });

  it("refuses a file larger than the cache, naming the setting", async () => {
    const cache = new MountCache(cacheDir, 100);
    await expect(cache.get(source, file("a", 101))).rejects.toMatchObject({
      code: "CANAL_MOUNT_CACHE_FULL",
      message: expect.stringContaining("is larger than the mount cache (mountCache.maxSize 100 B)"),
    });
  });

  it("refuses bytes that are not the recorded ones, keeping nothing of them", async () => {
    const cache = new MountCache(cacheDir, 10_000);
    const a = file("a", 100);
    file("a", 100, "changed");
    await expect(cache.get(source, a)).rejects.toMatchObject({
      code: "CANAL_MOUNT_FILE_CHANGED",
      message: expect.stringContaining(`lake:a in ${join(root, "src")} is not what was registered`),
    });
    expect(readdirSync(cacheDir).filter((name) => name.startsWith(".tmp-"))).toEqual([]);
    expect(held()).toEqual([]);
  });

  it("fetches again an entry whose bytes changed in the cache", async () => {
    const cache = new MountCache(cacheDir, 10_000);
    const a = file("a", 100);
    const { path } = await cache.get(source, a);
    chmodSync(path, 0o644);
    writeFileSync(path, "x".repeat(100));
    expect(readFileSync((await cache.get(source, a)).path, "utf8")).toBe("a".repeat(100));
  });
});
