// The metadata store's conformance suite (metadata-store.ts), its cases on datasets: versions, their files, and which runs used them.
import type { MetadataStore } from "@canal/store";
import { beforeEach, describe, expect, it } from "vitest";
import { type ConformanceUse, d, type MetadataStoreFixture } from "./metadata-store-context.js";

export function datasetCases(use: ConformanceUse): void {
  let store: MetadataStore;
  let fixture: MetadataStoreFixture;
  const { newRun } = use;

  describe("datasets", () => {
    beforeEach(() => {
      store = use.store();
      fixture = use.fixture();
    });

    const file = (path: string, c: string, size = 10) => ({ path, digest: d(c), size });
    const version = (
      name: string,
      digest: string,
      files = [file("a.csv", "a"), file("b/c.csv", "c", 5)],
    ) => ({
      name,
      kind: "file" as const,
      digest: d(digest),
      datastore: "raw",
      pattern: "**/*.csv",
      files,
    });

    it("numbers versions by content: the same digest is the version that has it, a new one the next", async () => {
      const first = await store.registerDatasetVersion({
        ...version("iris", "1"),
        description: "the flowers",
        registeredBy: "ada",
        host: "lab-1",
        createdAt: 1000,
      });
      expect(first.created).toBe(true);
      expect(first.version).toMatchObject({
        name: "iris",
        version: 1,
        kind: "file",
        digest: d("1"),
        datastore: "raw",
        pattern: "**/*.csv",
        fileCount: 2,
        size: 15,
        description: "the flowers",
        registeredBy: "ada",
        host: "lab-1",
        createdAt: 1000,
      });
      const again = await store.registerDatasetVersion({
        ...version("iris", "1"),
        description: "other words",
      });
      expect(again).toEqual({ created: false, version: first.version });
      const second = await store.registerDatasetVersion(version("iris", "2", [file("a.csv", "e", 11)]));
      expect(second.created).toBe(true);
      expect(second.version).toMatchObject({ version: 2, fileCount: 1, size: 11 });
      expect(second.version).not.toHaveProperty("description");
      expect(await store.getDatasetVersion("iris")).toEqual(second.version);
      expect(await store.getDatasetVersion("iris", 1)).toEqual(first.version);
      expect((await store.listDatasetVersions("iris")).map((v) => v.version)).toEqual([2, 1]);
      expect(await store.getDatasetFiles(first.version.id)).toEqual([
        file("a.csv", "a"),
        file("b/c.csv", "c", 5),
      ]);
      expect(await store.getDatasetFiles(second.version.id)).toEqual([file("a.csv", "e", 11)]);
    });

    it("pages a version's files by their bytes, whatever the database's collation", async () => {
      // By UTF-8 bytes: "Z" < "a" < "z" < "\uFFFD" < an astral character; UTF-16 puts the astral
      // one before "\uFFFD", and a locale's collation "a" before "Z".
      const byBytes = ["Z", "a", "b/c", "z", "\uFFFD", "\u{1F600}.csv"];
      const { version: v } = await store.registerDatasetVersion(
        version(
          "pages",
          "9",
          byBytes.map((path) => file(path, "f")),
        ),
      );
      expect((await store.getDatasetFiles(v.id)).map((f) => f.path)).toEqual(byBytes);
      const pages: string[][] = [];
      let after: string | undefined;
      for (;;) {
        const page = await store.getDatasetFiles(v.id, { ...(after ? { after } : {}), limit: 2 });
        if (!page.length) break;
        pages.push(page.map((f) => f.path));
        after = page[page.length - 1]?.path;
      }
      expect(pages).toEqual([
        ["Z", "a"],
        ["b/c", "z"],
        ["\uFFFD", "\u{1F600}.csv"],
      ]);
      // After a path that is not there: from the next one there is.
      expect((await store.getDatasetFiles(v.id, { after: "b" })).map((f) => f.path)).toEqual(
        byBytes.slice(2),
      );
      expect(await store.getDatasetFiles(v.id, { after: "\u{1F600}.csv" })).toEqual([]);
      expect(await store.getDatasetFiles(v.id, { limit: 0 })).toEqual([]);
      // A limit that is no count is refused alike by every store (SQLite reads a negative one as none).
      for (const limit of [-1, 1.5, Number.NaN])
        await expect(store.getDatasetFiles(v.id, { limit })).rejects.toMatchObject({
          code: "CANAL_STORE_INVALID_RECORD",
          message: expect.stringContaining(`limit ${limit}`),
        });
    });

    it("keeps a table's format and schema, and lists each dataset with its latest version", async () => {
      const table = {
        format: "csv" as const,
        schema: {
          columns: [
            { name: "id", type: "integer" as const, nullable: false },
            { name: "score", type: "number" as const, nullable: true },
          ],
        },
        schemaSource: "inferred" as const,
      };
      await store.registerDatasetVersion(version("zeta", "3"));
      const registered = await store.registerDatasetVersion({
        ...version("alpha", "4"),
        kind: "table",
        table,
      });
      expect(registered.version.table).toEqual(table);
      await store.registerDatasetVersion(version("zeta", "5"));
      const listed = await store.listDatasets();
      expect(listed.map((s) => [s.name, s.versions, s.latest.version, s.latest.kind])).toEqual([
        ["alpha", 1, 1, "table"],
        ["zeta", 2, 2, "file"],
      ]);
      expect(listed[0]?.latest).toEqual(registered.version);
    });

    it("names what exists when a dataset or a version is not there", async () => {
      await expect(store.getDatasetVersion("iris")).rejects.toMatchObject({
        code: "CANAL_STORE_DATASET_NOT_FOUND",
        message: expect.stringContaining("it has no datasets yet"),
      });
      await store.registerDatasetVersion(version("iris", "1"));
      await store.registerDatasetVersion(version("mnist", "2"));
      await expect(store.getDatasetVersion("irs")).rejects.toMatchObject({
        code: "CANAL_STORE_DATASET_NOT_FOUND",
        message: expect.stringContaining("the datasets are iris, mnist"),
      });
      await expect(store.listDatasetVersions("irs")).rejects.toMatchObject({
        code: "CANAL_STORE_DATASET_NOT_FOUND",
      });
      await expect(store.getDatasetVersion("iris", 3)).rejects.toMatchObject({
        code: "CANAL_STORE_DATASET_VERSION_NOT_FOUND",
        message: expect.stringContaining("dataset iris has no version 3; its versions are 1"),
      });
    });

    it("refuses a record that is not one: a bad name, digest or unsorted files", async () => {
      await expect(store.registerDatasetVersion(version("../x", "1"))).rejects.toMatchObject({
        code: "CANAL_STORE_INVALID_RECORD",
      });
      await expect(
        store.registerDatasetVersion({ ...version("iris", "1"), digest: "abc" }),
      ).rejects.toMatchObject({
        code: "CANAL_STORE_INVALID_RECORD",
      });
      await expect(
        store.registerDatasetVersion(version("iris", "1", [file("b", "1"), file("a", "2")])),
      ).rejects.toMatchObject({
        code: "CANAL_STORE_INVALID_RECORD",
        message: expect.stringContaining("sorted"),
      });
      // A lone surrogate has no UTF-8 form: a store would keep another path than the one given,
      // and two such paths as one.
      await expect(
        store.registerDatasetVersion(version("iris", "1", [file("a\uD800", "1"), file("a\uDC00", "2")])),
      ).rejects.toMatchObject({
        code: "CANAL_STORE_INVALID_RECORD",
        message: expect.stringContaining("lone surrogate"),
      });
      expect(await store.listDatasets()).toEqual([]);
    });

    it("keeps lineage: the runs that read a version and the run that registered one, both ways", async () => {
      const raw = (await store.registerDatasetVersion(version("wine", "1"))).version;
      const model = (await store.registerDatasetVersion(version("wine-model", "2"))).version;
      const reader = await newRun("train");
      const other = await newRun("report");
      await store.recordDatasetUse({
        runId: reader.id,
        versionId: raw.id,
        direction: "input",
        name: "raw",
        createdAt: 1,
      });
      await store.recordDatasetUse({
        runId: reader.id,
        versionId: model.id,
        direction: "output",
        name: "best",
        createdAt: 2,
      });
      await store.recordDatasetUse({
        runId: other.id,
        versionId: raw.id,
        direction: "input",
        name: "data",
        createdAt: 3,
      });
      // Recording a use again changes nothing.
      await store.recordDatasetUse({
        runId: reader.id,
        versionId: raw.id,
        direction: "input",
        name: "raw",
        createdAt: 9,
      });
      const readers = await store.listDatasetUses({ versionId: raw.id });
      expect(readers.map((u) => [u.runId, u.direction, u.name, u.pipeline, u.createdAt])).toEqual([
        [reader.id, "input", "raw", "train", 1],
        [other.id, "input", "data", "report", 3],
      ]);
      expect(readers[0]).toMatchObject({
        dataset: "wine",
        version: 1,
        versionId: raw.id,
        runStatus: reader.status,
      });
      const made = await store.listDatasetUses({ runId: reader.id });
      expect(made.map((u) => [u.direction, u.dataset, u.version])).toEqual([
        ["input", "wine", 1],
        ["output", "wine-model", 1],
      ]);
      // A run's lineage goes with it.
      await store.updateRun(other.id, { status: "succeeded", endedAt: Date.now() });
      expect(await store.deleteRuns([other.id])).toEqual([other.id]);
      expect((await store.listDatasetUses({ versionId: raw.id })).map((u) => u.runId)).toEqual([reader.id]);
    });

    it("keeps each workspace's datasets apart", async () => {
      const other = await fixture.open("other");
      try {
        await store.registerDatasetVersion(version("iris", "1"));
        const theirs = await other.registerDatasetVersion(version("iris", "1"));
        expect(theirs).toMatchObject({ created: true, version: { version: 1 } });
        await other.registerDatasetVersion(version("iris", "2"));
        expect((await store.listDatasets()).map((s) => s.versions)).toEqual([1]);
        expect(await store.getDatasetFiles(theirs.version.id)).toEqual([]);
      } finally {
        await other.close();
      }
    });

    it("gives two registrations of one dataset at once different numbers, and the same content one", async () => {
      const other = await fixture.open("team");
      try {
        const many = Array.from({ length: 2000 }, (_, i) =>
          file(`part-${String(i).padStart(5, "0")}.csv`, "a"),
        );
        const results = await Promise.all([
          store.registerDatasetVersion(version("big", "1", many)),
          other.registerDatasetVersion(version("big", "2", many.slice(1))),
          other.registerDatasetVersion(version("big", "1", many)),
        ]);
        const [first, second, same] = results.map((r) => r.version.version);
        expect(same).toBe(first);
        expect([first, second].sort()).toEqual([1, 2]);
        expect(results.filter((r) => r.created)).toHaveLength(2);
        expect((await store.listDatasetVersions("big")).map((v) => v.fileCount).sort()).toEqual([1999, 2000]);
        expect(await other.getDatasetFiles(results[0]?.version.id as number)).toHaveLength(2000);
      } finally {
        await other.close();
      }
    });
  });
}
