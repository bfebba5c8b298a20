// The datastore conformance suite: what every datastore kind (a local folder, an S3 prefix) must
// do, written against the Datastore interface alone. A kind proves itself by passing it unchanged:
// `datastoreConformance("local", () => ({ make, close }))`.
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import type { Datastore } from "@canal/store";
import { afterEach, describe, expect, it } from "vitest";

export interface DatastoreFixture {
  /** A fresh datastore named `raw` holding `files` (path → bytes), written to it out of band. */
  make(files: Record<string, string | Buffer>): Promise<Datastore>;
  /** Removes what `make` made, once the datastores it gave are closed. */
  close(): Promise<void> | void;
}

const FILES = {
  "a.csv": "id\n1\n",
  "b.csv": "id\n22\n",
  "notes.txt": "hello",
  "sub/c.csv": "id\n333\n",
  "sub/deeper/d.csv": "id\n4444\n",
  "sub/deeper/e.parquet": Buffer.from([0, 1, 2, 3, 255]),
};

const sha256 = (bytes: string | Buffer) => createHash("sha256").update(bytes).digest("hex");

async function text(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}

export function datastoreConformance(
  kind: string,
  fixture: () => DatastoreFixture | Promise<DatastoreFixture>,
): void {
  let made: DatastoreFixture | undefined;
  let open: Datastore[] = [];
  const make = async (files: Record<string, string | Buffer> = FILES) => {
    made ??= await fixture();
    const store = await made.make(files);
    open.push(store);
    return store;
  };
  afterEach(async () => {
    for (const store of open) await store.close();
    open = [];
    await made?.close();
    made = undefined;
  });

  describe(`datastore conformance: ${kind}`, () => {
    it("is reachable, and lists every file with its size, sorted by path", async () => {
      const store = await make();
      await store.check();
      expect(await store.list()).toEqual(
        Object.entries(FILES)
          .map(([path, bytes]) => ({ path, size: Buffer.byteLength(bytes) }))
          .sort((a, b) => (a.path < b.path ? -1 : 1)),
      );
    });

    it("lists paths by their UTF-8 bytes, the order a dataset version keeps them in", async () => {
      // UTF-16 order puts the astral character (a surrogate pair) before U+FFFD.
      const store = await make({ "\uFFFD.csv": "a", "\u{1F600}.csv": "b", "z.csv": "c" });
      expect((await store.list()).map((e) => e.path)).toEqual(["z.csv", "\uFFFD.csv", "\u{1F600}.csv"]);
    });

    it("lists what a glob, a folder or a file names", async () => {
      const store = await make();
      const paths = async (pattern: string) => (await store.list(pattern)).map((e) => e.path);
      expect(await paths("*.csv")).toEqual(["a.csv", "b.csv"]);
      expect(await paths("**/*.csv")).toEqual(["a.csv", "b.csv", "sub/c.csv", "sub/deeper/d.csv"]);
      expect(await paths("sub/**")).toEqual(["sub/c.csv", "sub/deeper/d.csv", "sub/deeper/e.parquet"]);
      expect(await paths("sub/**/*.{csv,parquet}")).toEqual([
        "sub/c.csv",
        "sub/deeper/d.csv",
        "sub/deeper/e.parquet",
      ]);
      expect(await paths("?.csv")).toEqual(["a.csv", "b.csv"]);
      expect(await paths("[!a].csv")).toEqual(["b.csv"]);
      expect(await paths("sub")).toEqual(["sub/c.csv", "sub/deeper/d.csv", "sub/deeper/e.parquet"]);
      expect(await paths("sub/")).toEqual(["sub/c.csv", "sub/deeper/d.csv", "sub/deeper/e.parquet"]);
      expect(await paths("./sub/c.csv")).toEqual(["sub/c.csv"]);
      expect(await paths("su")).toEqual([]);
      expect(await paths("*.json")).toEqual([]);
      expect(await paths("missing/**")).toEqual([]);
    });

    it("reads a file whole, in part, and by its digest; stats it", async () => {
      const store = await make();
      expect(await text(await store.openRead("sub/c.csv"))).toBe("id\n333\n");
      expect((await store.readRange("sub/deeper/e.parquet", 1, 4)).toJSON().data).toEqual([1, 2, 3]);
      expect(await store.digest("sub/deeper/d.csv")).toEqual({ digest: sha256("id\n4444\n"), size: 8 });
      expect(await store.stat("b.csv")).toEqual({ path: "b.csv", size: 6 });
      expect(await store.stat("nope.csv")).toBeUndefined();
      await expect(store.openRead("nope.csv")).rejects.toMatchObject({
        code: "CANAL_STORE_DATASTORE_FILE_MISSING",
        message: expect.stringContaining('datastore raw has no file "nope.csv"'),
      });
      await expect(store.digest("sub/nope.csv")).rejects.toMatchObject({
        code: "CANAL_STORE_DATASTORE_FILE_MISSING",
      });
    });

    it("hashes a large file by streaming it", async () => {
      const big = Buffer.alloc(5 * 1024 * 1024 + 7, 7);
      const store = await make({ "big.bin": big });
      expect(await store.digest("big.bin")).toEqual({ digest: sha256(big), size: big.length });
    });

    it("writes a file whole under its name, from bytes or a stream, and replaces one", async () => {
      const store = await make({});
      await store.write("out/one.txt", "first");
      await store.write("out/two.txt", Readable.from([Buffer.from("str"), Buffer.from("eamed")]));
      await store.write("out/one.txt", Buffer.from("second"));
      expect(await store.list()).toEqual([
        { path: "out/one.txt", size: 6 },
        { path: "out/two.txt", size: 8 },
      ]);
      expect(await text(await store.openRead("out/one.txt"))).toBe("second");
      expect(await text(await store.openRead("out/two.txt"))).toBe("streamed");
    });

    it("lists each file with a version that changes when the file is written again, and only then", async () => {
      const store = await make({});
      await store.write("in/a.csv", "1\n");
      await store.write("in/b.csv", "2\n");
      const first = await store.listVersions("in/**");
      expect(first.map(({ path, size }) => ({ path, size }))).toEqual(await store.list("in/**"));
      expect(await store.listVersions("in/**")).toEqual(first);
      // The same size, other bytes: a rewrite is seen without reading the file.
      await store.write("in/a.csv", "3\n");
      const second = await store.listVersions("in/**");
      expect(second[0]?.version).not.toBe(first[0]?.version);
      expect(second[1]).toEqual(first[1]);
    });

    it("refuses a path that leaves it, naming the path and the datastore", async () => {
      const store = await make();
      for (const path of ["../secret", "sub/../../secret", "/etc/passwd", "sub\\..\\x"]) {
        const refused = {
          code: "CANAL_STORE_DATASTORE_PATH_ESCAPE",
          message: expect.stringContaining(`leaves datastore raw`),
        };
        await expect(store.list(path)).rejects.toMatchObject(refused);
        await expect(store.stat(path)).rejects.toMatchObject(refused);
        await expect(store.openRead(path)).rejects.toMatchObject(refused);
        await expect(store.digest(path)).rejects.toMatchObject(refused);
        await expect(store.write(path, "x")).rejects.toMatchObject({
          ...refused,
          message: expect.stringContaining(JSON.stringify(path)),
        });
      }
      await expect(store.write("", "x")).rejects.toMatchObject({ code: "CANAL_STORE_DATASTORE_PATH_ESCAPE" });
    });
  });
}
