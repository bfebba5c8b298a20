// The metadata store's conformance suite (metadata-store.ts), its cases on listing and paging runs, who started them, live logs, concurrent attempts, workspaces apart.
import type { MetadataStore } from "@canal/store";
import { beforeEach, describe, expect, it } from "vitest";
import { type ConformanceUse, d, type MetadataStoreFixture } from "./metadata-store-context.js";

export function runCases(use: ConformanceUse): void {
  let store: MetadataStore;
  let fixture: MetadataStoreFixture;
  const { newRun } = use;

  describe("runs", () => {
    beforeEach(() => {
      store = use.store();
      fixture = use.fixture();
    });

    it("lists runs newest first, filtered by pipeline and status", async () => {
      const a1 = await newRun("a", 100);
      const b1 = await newRun("b", 200);
      const a2 = await newRun("a", 300);
      const tie = await store.createRun({
        pipelineVersionId: a2.pipelineVersionId,
        runtime: "local",
        createdAt: 300,
      });
      await store.updateRun(a1.id, { status: "failed", error: "boom" });
      await store.updateRun(b1.id, { status: "succeeded" });
      const ids = (runs: Array<{ id: string }>) => runs.map((r) => r.id);
      const newestAtTie = [a2.id, tie.id].sort().reverse();

      expect(ids(await store.listRuns())).toEqual([...newestAtTie, b1.id, a1.id]);
      expect(ids(await store.listRuns({ pipeline: "a" }))).toEqual([...newestAtTie, a1.id]);
      expect(ids(await store.listRuns({ status: "failed" }))).toEqual([a1.id]);
      expect(ids(await store.listRuns({ status: ["failed", "succeeded"] }))).toEqual([b1.id, a1.id]);
      expect(ids(await store.listRuns({ pipeline: "b", status: "queued" }))).toEqual([]);
      expect(ids(await store.listRuns({ limit: 2 }))).toEqual(newestAtTie);
      expect((await store.getRun(a1.id)).error).toBe("boom");
    });

    it("pages runs by keyset: each page starts after the last run of the one before, ties by id", async () => {
      const made = [
        await newRun("a", 100),
        await newRun("a", 200),
        await newRun("a", 200),
        await newRun("a", 300),
      ];
      const expected = [...made]
        .sort((x, y) => y.createdAt - x.createdAt || (x.id < y.id ? 1 : -1))
        .map((r) => r.id);
      const seen: string[] = [];
      let before: { createdAt: number; id: string } | undefined;
      for (;;) {
        const page = await store.listRuns({ pipeline: "a", limit: 2, ...(before ? { before } : {}) });
        if (page.length === 0) break;
        seen.push(...page.map((r) => r.id));
        const last = page[page.length - 1] as { createdAt: number; id: string };
        before = { createdAt: last.createdAt, id: last.id };
      }
      expect(seen).toEqual(expected);
    });

    it("starts an attempt that two connections start at once: each gets the one attempt", async () => {
      const run = await newRun();
      const twin = await fixture.open("team");
      const ids = (await store.createStepRuns(
        Array.from({ length: 20 }, (_, i) => ({ runId: run.id, stepId: `step${i}` })),
      )) as number[];
      try {
        const started = await Promise.all(
          ids.map((id) => Promise.all([store.startAttempt(id, 1, 5), twin.startAttempt(id, 1, 9)])),
        );
        for (const [one, other] of started) expect(other).toEqual(one);
      } finally {
        await twin.close();
      }
      for (const id of ids) expect(await store.listAttempts(id)).toHaveLength(1);
    });

    it("records who started a run and from which host, and lists runs by them", async () => {
      const first = await newRun("a", 100);
      const ana = await store.createRun({
        pipelineVersionId: first.pipelineVersionId,
        runtime: "local",
        startedBy: "ana",
        host: "laptop-a",
        createdAt: 200,
      });
      const bo = await store.createRun({
        pipelineVersionId: first.pipelineVersionId,
        runtime: "local",
        startedBy: "bo",
        host: "gpu-b",
        createdAt: 300,
      });
      const ids = (runs: Array<{ id: string }>) => runs.map((r) => r.id);
      expect(await store.getRun(ana.id)).toMatchObject({ startedBy: "ana", host: "laptop-a" });
      // A run recorded without them (as before they existed) has neither.
      const older = await store.getRun(first.id);
      expect(older.startedBy).toBeUndefined();
      expect(older.host).toBeUndefined();
      expect(ids(await store.listRuns({ startedBy: "ana" }))).toEqual([ana.id]);
      expect(ids(await store.listRuns({ host: "gpu-b" }))).toEqual([bo.id]);
      expect(ids(await store.listRuns({ startedBy: "ana", host: "gpu-b" }))).toEqual([]);
      expect(ids(await store.listRuns({ startedBy: "cy" }))).toEqual([]);
    });

    it("reads live log chunks from an offset while they are appended", async () => {
      const run = await newRun();
      const step = await store.createStepRun({ runId: run.id, stepId: "train" });
      await store.startAttempt(step.id, 1);
      // A second connection, as `canal logs -f` in another process would have.
      const reader = await fixture.open("team");
      const lines = Array.from({ length: 200 }, (_, i) => `line ${i}\n`);
      const writing = (async () => {
        for (const [i, line] of lines.entries()) {
          await store.appendLog(step.id, 1, i % 5 === 0 ? "stderr" : "stdout", line);
          if (i % 7 === 0) await new Promise((r) => setImmediate(r));
        }
      })();
      let text = "";
      let from = 0;
      let reads = 0;
      while (text.length < lines.join("").length) {
        const page = await reader.readLog(step.id, 1, from, 16);
        text += page.chunks.map((c) => c.text).join("");
        expect(page.chunks.map((c) => c.seq)).toEqual(page.chunks.map((_, i) => from + i));
        from = page.next;
        reads++;
        await new Promise((r) => setImmediate(r));
      }
      await writing;
      await reader.close();
      expect(text).toBe(lines.join(""));
      expect(reads).toBeGreaterThan(1);
      expect(await store.readLog(step.id, 1, 198)).toMatchObject({ next: 200 });
      expect(await store.readLog(step.id, 1, 200)).toEqual({ chunks: [], next: 200 });
      await expect(store.appendLog(step.id, 2, "stdout", "x")).rejects.toMatchObject({
        code: "CANAL_STORE_INVALID_RECORD",
        message: expect.stringContaining("attempt 2 of step `train`"),
      });
    });

    it("says which run is missing and how to list them", async () => {
      await expect(store.getRun("run-x")).rejects.toMatchObject({
        code: "CANAL_STORE_RUN_NOT_FOUND",
        message: `no run \`run-x\` in workspace ${fixture.location}; \`canal runs\` lists them`,
      });
      const run = await newRun();
      await expect(store.getStepRun(run.id, "train", 2)).rejects.toMatchObject({
        code: "CANAL_STORE_STEP_RUN_NOT_FOUND",
        message: expect.stringContaining(`run \`${run.id}\` has no step \`train[2]\``),
      });
      await expect(store.createRun({ pipelineVersionId: 999, runtime: "local" })).rejects.toMatchObject({
        code: "CANAL_STORE_PIPELINE_VERSION_NOT_FOUND",
      });
      await expect(store.createStepRun({ runId: "run-nope", stepId: "a" })).rejects.toMatchObject({
        code: "CANAL_STORE_RUN_NOT_FOUND",
      });
    });

    it("keeps workspaces sharing one database apart", async () => {
      const run = await newRun();
      const other = await fixture.open("other");
      expect(await other.listRuns()).toEqual([]);
      await expect(other.getRun(run.id)).rejects.toMatchObject({ code: "CANAL_STORE_RUN_NOT_FOUND" });
      expect(await other.listPipelines()).toEqual([]);
      await other.close();
    });

    it("keeps a version's artifact blob: recorded when new, given to a known version, named as a reference", async () => {
      const bare = await store.registerPipelineVersion({ pipeline: "iris", hash: "h1", ir: "{}" });
      expect(bare.artifactDigest).toBeUndefined();
      const filled = await store.registerPipelineVersion({
        pipeline: "iris",
        hash: "h1",
        ir: "{}",
        artifactDigest: d("a"),
      });
      expect(filled).toMatchObject({ id: bare.id, version: 1, artifactDigest: d("a") });
      expect(await store.registerPipelineVersion({ pipeline: "iris", hash: "h1", ir: "{}" })).toEqual(filled);
      const fresh = await store.registerPipelineVersion({
        pipeline: "iris",
        hash: "h2",
        ir: "{}",
        artifactDigest: d("b"),
      });
      expect(await store.getPipelineVersion(fresh.id)).toMatchObject({ version: 2, artifactDigest: d("b") });
      await store.createRun({ pipelineVersionId: fresh.id, runtime: "local" });
      const references = await store.references();
      // What gc must keep: the artifact of a version that still has runs.
      expect(references.digests).toContain(d("b"));
      expect(references.pipelineVersions).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ hash: "h2", artifactDigest: d("b"), hasRuns: true }),
        ]),
      );
    });
  });
}
