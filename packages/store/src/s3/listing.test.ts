import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { type ListPage, ObjectListing } from "./listing.js";

const key = (i: number) => {
  const digest = createHash("sha256").update(`blob ${i}`).digest("hex");
  return `p/sha256/${digest.slice(0, 2)}/${digest.slice(2)}`;
};

/** A bucket of `count` objects listed as S3 lists: in key order, a page at a time, requests counted. */
function fakeBucket(count: number) {
  const objects = Array.from({ length: count }, (_, i) => ({ key: key(i), size: i, etag: `"e${i}"` })).sort(
    (a, b) => (a.key < b.key ? -1 : 1),
  );
  const bucket = {
    objects,
    pages: 0,
    async list(startAfter: string, maxKeys: number): Promise<ListPage> {
      bucket.pages++;
      const from = bucket.objects.findIndex((object) => object.key > startAfter);
      const rest = from < 0 ? [] : bucket.objects.slice(from);
      return { objects: rest.slice(0, maxKeys), truncated: rest.length > maxKeys };
    },
  };
  return bucket;
}

describe("ObjectListing", () => {
  it("answers many lookups at once from a few pages, each as the bucket lists it", async () => {
    const bucket = fakeBucket(2500);
    const listing = new ObjectListing((after, max) => bucket.list(after, max));
    const found = await Promise.all(Array.from({ length: 1000 }, (_, i) => listing.lookup(key(i))));
    expect(found).toEqual(Array.from({ length: 1000 }, (_, i) => ({ size: i, etag: `"e${i}"` })));
    expect(bucket.pages).toBeLessThanOrEqual(4);
    // Later lookups in the same moments are answered from the pages read, without a request.
    const pages = bucket.pages;
    expect(await listing.lookup(key(2000))).toEqual({ size: 2000, etag: '"e2000"' });
    expect(bucket.pages).toBe(pages);
  });

  it("leaves to a HEAD what no listing found, and lists only within what the lookups would cost as HEADs", async () => {
    const bucket = fakeBucket(100_000);
    const listing = new ObjectListing((after, max) => bucket.list(after, max), { pageCost: 25 });
    // 40 lookups in a bucket of 100,000 objects: a page covers a hundredth of the keys, and the
    // budget pays for one page.
    const found = await Promise.all(Array.from({ length: 40 }, (_, i) => listing.lookup(key(i))));
    expect(bucket.pages).toBe(1);
    expect(found.filter((f) => f === undefined).length).toBeGreaterThan(30);
    for (const [i, f] of found.entries()) if (f) expect(f).toEqual({ size: i, etag: `"e${i}"` });
    // An object the bucket does not hold is never reported by the listing: a HEAD says it is missing.
    expect(await listing.lookup("p/sha256/00/absent")).toBeUndefined();
  });

  it("keeps a lookup that arrives one at a time, as along a chain, on HEADs until the budget pays for a page", async () => {
    const bucket = fakeBucket(500);
    const listing = new ObjectListing((after, max) => bucket.list(after, max), { pageCost: 25 });
    const found = [];
    for (let i = 0; i < 60; i++) found.push(await listing.lookup(key(i)));
    expect(bucket.pages).toBe(1);
    // The 25th lookup paid for the page; it and every later one are answered by it.
    expect(found.slice(0, 24).every((f) => f === undefined)).toBe(true);
    expect(found.slice(24)).toEqual(
      Array.from({ length: 36 }, (_, i) => ({ size: i + 24, etag: `"e${i + 24}"` })),
    );
  });

  it("answers from a page only while it is fresh, and never for a key this process wrote", async () => {
    const bucket = fakeBucket(100);
    let now = 0;
    const listing = new ObjectListing((after, max) => bucket.list(after, max), {
      pageCost: 1,
      freshMs: 1000,
      now: () => now,
    });
    expect(await listing.lookup(key(1))).toEqual({ size: 1, etag: '"e1"' });
    expect(bucket.pages).toBe(1);
    listing.forget(key(2));
    expect(await listing.lookup(key(2))).toBeUndefined();
    // Deleted from the bucket after the listing: the listing says what it was, while it is fresh...
    bucket.objects = bucket.objects.filter((object) => object.key !== key(3));
    now = 999;
    expect(await listing.lookup(key(3))).toEqual({ size: 3, etag: '"e3"' });
    expect(bucket.pages).toBe(1);
    // ...and once it is not, the bucket is listed again.
    now = 1001;
    expect(await listing.lookup(key(3))).toBeUndefined();
    expect(bucket.pages).toBe(2);
  });

  it("falls back to HEADs for good once a listing fails (no permission to list)", async () => {
    let pages = 0;
    const listing = new ObjectListing(
      async () => {
        pages++;
        throw new Error("AccessDenied");
      },
      { pageCost: 1 },
    );
    expect(await Promise.all([listing.lookup(key(1)), listing.lookup(key(2))])).toEqual([
      undefined,
      undefined,
    ]);
    expect(await listing.lookup(key(3))).toBeUndefined();
    expect(pages).toBe(1);
  });
});
