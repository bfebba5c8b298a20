// The metadata store's conformance suite (metadata-store.ts), its cases on units: writes that commit whole or not at all.
import type { MetadataStore, MetadataTransaction } from "@canal/store";
import { beforeEach, describe, expect, it } from "vitest";
import { type ConformanceUse, components, type MetadataStoreFixture } from "./metadata-store-context.js";

export function unitCases(use: ConformanceUse): void {
  let store: MetadataStore;
  let fixture: MetadataStoreFixture;
  const { newRun } = use;

  describe("units", () => {
    beforeEach(() => {
      store = use.store();
      fixture = use.fixture();
    });

    it("undoes a whole unit when it fails, and rejects with its error", async () => {
      const version = await store.registerPipelineVersion({ pipeline: "iris", hash: "h", ir: "{}" });
      const failure = new Error("the unit broke");
      let inside: string | undefined;
      await expect(
        store.transaction(async (tx) => {
          const run = await tx.createRun({ pipelineVersionId: version.id, runtime: "local" });
          inside = run.id;
          await tx.createStepRun({ runId: run.id, stepId: "train" });
          throw failure;
        }),
      ).rejects.toBe(failure);
      expect(inside).toBeDefined();
      expect(await store.listRuns()).toEqual([]);
      await expect(store.getRun(inside as string)).rejects.toMatchObject({
        code: "CANAL_STORE_RUN_NOT_FOUND",
      });
    });

    it("undoes a unit whose write failed, even when the unit caught the error", async () => {
      const run = await newRun();
      await expect(
        store.transaction(async (tx) => {
          const step = await tx.createStepRun({ runId: run.id, stepId: "train" });
          // No attempt 1 was started: this write fails, and fails the unit with it.
          await tx.appendLog(step.id, 1, "stdout", "lost").catch(() => {});
          await tx.createStepRun({ runId: run.id, stepId: "evaluate" });
        }),
      ).rejects.toMatchObject({ code: "CANAL_STORE_INVALID_RECORD" });
      expect(await store.listStepRuns(run.id)).toEqual([]);
    });

    it("shows a unit its own writes, and others only once it commits", async () => {
      const run = await newRun();
      const other = await fixture.open("team");
      try {
        const result = await store.transaction(async (tx) => {
          const step = await tx.createStepRun({ runId: run.id, stepId: "train" });
          await tx.startAttempt(step.id, 1, 5000);
          expect(await tx.getStepRun(run.id, "train")).toMatchObject({ id: step.id, status: "running" });
          expect(await tx.listAttempts(step.id)).toMatchObject([{ number: 1, status: "running" }]);
          await tx.finishStepRun(step.id, {
            status: "succeeded",
            attempt: { number: 1, status: "succeeded", exitCode: 0 },
            cacheKey: "k-unit",
            components: components(),
            outputs: { n: { json: "1" } },
            reusable: true,
          });
          expect(await tx.getCachedOutputs("k-unit")).toEqual({ n: { json: "1" } });
          // Another handle on the same data reads what is committed: nothing of this unit yet.
          expect(await other.listStepRuns(run.id)).toEqual([]);
          expect(await other.getCachedOutputs("k-unit")).toBeUndefined();
          return step.id;
        });
        expect(await other.listStepRuns(run.id)).toMatchObject([{ id: result, status: "succeeded" }]);
        expect(await store.getCachedOutputs("k-unit")).toEqual({ n: { json: "1" } });
      } finally {
        await other.close();
      }
    });

    it("commits concurrent units from two handles whole, each seeing the other's writes or none", async () => {
      const other = await fixture.open("team");
      try {
        let startedB = () => {};
        const bStarted = new Promise<void>((resolve) => {
          startedB = resolve;
        });
        const unit = (handle: MetadataStore, name: string, wait?: Promise<void>) =>
          handle.transaction(async (tx) => {
            const version = await tx.registerPipelineVersion({ pipeline: "iris", hash: name, ir: "{}" });
            if (wait) await wait;
            const run = await tx.createRun({
              id: `run-${name}`,
              pipelineVersionId: version.id,
              runtime: "local",
            });
            for (let i = 0; i < 5; i++) await tx.createStepRun({ runId: run.id, stepId: `s${i}` });
            return version.version;
          });
        const a = unit(store, "a", bStarted);
        const b = unit(other, "b");
        startedB();
        const versions = await Promise.all([a, b]);
        // Each unit numbered its version against what the other committed: no number twice.
        expect([...versions].sort()).toEqual([1, 2]);
        for (const handle of [store, other]) {
          expect((await handle.listPipelineVersions("iris")).map((v) => v.hash).sort()).toEqual(["a", "b"]);
          for (const id of ["run-a", "run-b"]) expect(await handle.listStepRuns(id)).toHaveLength(5);
        }
      } finally {
        await other.close();
      }
    });

    it("refuses a unit's handle once the unit has ended", async () => {
      const run = await newRun();
      let kept: MetadataTransaction | undefined;
      await store.transaction(async (tx) => {
        kept = tx;
      });
      await expect(
        (kept as MetadataTransaction).createStepRun({ runId: run.id, stepId: "late" }),
      ).rejects.toThrow(/after its transaction ended/);
      expect(await store.listStepRuns(run.id)).toEqual([]);
    });
  });
}
