// The metadata store's conformance suite: what any backend (SQLite today; PostgreSQL next) must
// do, written against the MetadataStore interface alone. A backend proves itself by passing it
// unchanged: `metadataStoreConformance("sqlite", () => ({ open, location, close }))`. The cases
// here are the step runs' batches; the others are in the metadata-store-*.ts files beside it, one
// concern each, run in the same describe on the same fixture.
import type { MetadataStore, StoredValue } from "@canal/store";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cacheCases } from "./metadata-store-cache.js";
import { type ConformanceUse, components, d, type MetadataStoreFixture } from "./metadata-store-context.js";
import { controlCases } from "./metadata-store-control.js";
import { datasetCases } from "./metadata-store-datasets.js";
import { lookupClaimCases } from "./metadata-store-lookup-claim.js";
import { recordCases } from "./metadata-store-records.js";
import { runCases } from "./metadata-store-runs.js";
import { serviceCases } from "./metadata-store-services.js";
import { unitCases } from "./metadata-store-units.js";

export function metadataStoreConformance(
  kind: string,
  make: () => MetadataStoreFixture | Promise<MetadataStoreFixture>,
): void {
  let fixture: MetadataStoreFixture;
  let store: MetadataStore;

  beforeEach(async () => {
    fixture = await make();
    store = await fixture.open("team");
  });
  afterEach(async () => {
    await store.close();
    await fixture.close();
  });

  async function newRun(pipeline = "iris", createdAt?: number) {
    const version = await store.registerPipelineVersion({ pipeline, hash: `${pipeline}-hash`, ir: "{}" });
    return store.createRun({
      pipelineVersionId: version.id,
      runtime: "local",
      ...(createdAt ? { createdAt } : {}),
    });
  }
  const use: ConformanceUse = { store: () => store, fixture: () => fixture, newRun };

  describe(`metadata store conformance: ${kind}`, () => {
    it("makes and ends many step runs at once, as one at a time would, or none of them", async () => {
      const first = await newRun();
      const made = await store.createStepRun({ runId: first.id, stepId: "prepare" });
      const end = { status: "succeeded" as const, components: components(), reusable: true };
      const prepared = { data: { digest: d("a"), directory: true } };
      await store.finishStepRun(made.id, { ...end, cacheKey: "k-prepare", outputs: prepared });
      const trained = { model: { digest: d("b"), directory: false, name: "model.pt" } };
      const train = await store.createStepRun({ runId: first.id, stepId: "train", instance: 1 });
      await store.finishStepRun(train.id, {
        ...end,
        cacheKey: "k-train",
        inputs: prepared,
        outputs: trained,
      });

      // A run the cache answers: one existing step run among the new ones keeps its id.
      const second = await store.createRun({ pipelineVersionId: first.pipelineVersionId, runtime: "local" });
      const existing = await store.createStepRun({ runId: second.id, stepId: "prepare" });
      const ids = await store.createStepRuns([
        { runId: second.id, stepId: "prepare" },
        { runId: second.id, stepId: "train", instance: 0 },
        { runId: second.id, stepId: "train", instance: 1 },
        { runId: second.id, stepId: "train", instance: 0 },
      ]);
      expect(ids[0]).toBe(existing.id);
      expect(ids[3]).toBe(ids[1]);
      expect(new Set(ids).size).toBe(3);
      await store.finishStepRuns([
        {
          stepRunId: ids[0] as number,
          status: "cached",
          cacheKey: "k-prepare",
          outputs: prepared,
          endedAt: 50,
        },
        {
          stepRunId: ids[2] as number,
          status: "cached",
          cacheKey: "k-train",
          inputs: { data: prepared.data },
          outputs: trained,
          endedAt: 60,
        },
      ]);
      // Ends of other kinds, written as finishStepRun writes them.
      await store.finishStepRuns([
        { stepRunId: ids[1] as number, status: "skipped", error: "not needed", endedAt: 70 },
      ]);
      const steps = await store.listStepRuns(second.id);
      expect(steps.map((s) => [s.id, s.stepId, s.instance, s.status])).toEqual([
        [ids[0], "prepare", -1, "cached"],
        [ids[1], "train", 0, "skipped"],
        [ids[2], "train", 1, "cached"],
      ]);
      const cachedTrain = await store.getStepRun(second.id, "train", 1);
      expect(cachedTrain).toMatchObject({
        cacheKey: "k-train",
        endedAt: 60,
        reusedFrom: { runId: first.id, stepRunId: train.id },
      });
      expect((await store.getStepRun(second.id, "train", 0)).error).toBe("not needed");
      expect(await store.getInputs(ids[2] as number)).toEqual({ data: prepared.data });
      expect(await store.getOutputs(ids[2] as number)).toEqual(trained);
      const lineage = await store.lineage(d("b"));
      expect(lineage.producedBy.map((e) => e.stepRunId).sort()).toEqual([train.id, ids[2]].sort());

      // One end that cannot be written: none of them is.
      const third = await store.createRun({ pipelineVersionId: first.pipelineVersionId, runtime: "local" });
      const [p3, t3] = await store.createStepRuns([
        { runId: third.id, stepId: "prepare" },
        { runId: third.id, stepId: "train" },
      ]);
      await expect(
        store.finishStepRuns([
          { stepRunId: p3 as number, status: "cached", cacheKey: "k-prepare", outputs: prepared },
          { stepRunId: 999_999, status: "cached", cacheKey: "k-train", outputs: trained },
        ]),
      ).rejects.toMatchObject({ code: "CANAL_STORE_STEP_RUN_NOT_FOUND" });
      await expect(
        store.finishStepRuns([
          { stepRunId: p3 as number, status: "cached", cacheKey: "k-prepare", outputs: prepared },
          { stepRunId: t3 as number, status: "cached", outputs: trained },
        ]),
      ).rejects.toMatchObject({ code: "CANAL_STORE_INVALID_RECORD" });
      expect((await store.listStepRuns(third.id)).map((s) => s.status)).toEqual(["queued", "queued"]);
      expect(await store.getOutputs(p3 as number)).toEqual({});
      await expect(store.createStepRuns([{ runId: "run-nope", stepId: "x" }])).rejects.toMatchObject({
        code: "CANAL_STORE_RUN_NOT_FOUND",
      });
      expect(await store.createStepRuns([])).toEqual([]);
      await store.finishStepRuns([]);
    });

    it("writes a list of ends of every kind in order, as one at a time would", async () => {
      const run = await newRun();
      const [early, made, reused, twice] = (await store.createStepRuns([
        { runId: run.id, stepId: "early" },
        { runId: run.id, stepId: "prepare" },
        { runId: run.id, stepId: "train" },
        { runId: run.id, stepId: "eval" },
      ])) as [number, number, number, number];
      const prepared = { data: { digest: d("c"), directory: false } };
      await store.finishStepRuns([
        { stepRunId: twice, status: "skipped", error: "ended twice", endedAt: 10 },
        // Before the entry is made: it names no step run.
        { stepRunId: early, status: "cached", cacheKey: "k-made", outputs: prepared, endedAt: 15 },
        {
          stepRunId: made,
          status: "succeeded",
          cacheKey: "k-made",
          components: components(),
          reusable: true,
          outputs: prepared,
          // Named twice: what the first leaves unknown, the second gives.
          artifacts: [{ digest: d("c") }, { digest: d("c"), kind: "file", size: 5 }],
          endedAt: 20,
        },
        // After it: the end before it made the entry.
        {
          stepRunId: reused,
          status: "cached",
          cacheKey: "k-made",
          inputs: prepared,
          outputs: prepared,
          endedAt: 30,
        },
        { stepRunId: twice, status: "cached", cacheKey: "k-made", outputs: prepared, endedAt: 40 },
      ]);
      const step = (id: string) => store.getStepRun(run.id, id);
      expect((await step("early")).reusedFrom).toBeUndefined();
      expect(await step("early")).toMatchObject({ status: "cached", cacheKey: "k-made", endedAt: 15 });
      for (const [id, endedAt] of [
        ["train", 30],
        ["eval", 40],
      ] as const)
        expect(await step(id)).toMatchObject({
          status: "cached",
          cacheKey: "k-made",
          endedAt,
          reusedFrom: { runId: run.id, stepRunId: made },
        });
      expect(await store.getArtifact(d("c"))).toMatchObject({ digest: d("c"), kind: "file", size: 5 });
      expect(await store.getOutputs(reused)).toEqual(prepared);
    });

    it("creates step runs the cache answered in their end state, as createStepRun and finishStepRun would", async () => {
      const first = await newRun();
      const prepared = { data: { digest: d("a"), directory: true } };
      const trained = { model: { digest: d("b"), directory: false, name: "model.pt" } };
      const end = { status: "succeeded" as const, components: components(), reusable: true };
      const prepare = await store.createStepRun({ runId: first.id, stepId: "prepare" });
      await store.finishStepRun(prepare.id, { ...end, cacheKey: "k-prepare", outputs: prepared });
      const train = await store.createStepRun({ runId: first.id, stepId: "train", instance: 1 });
      await store.finishStepRun(train.id, {
        ...end,
        cacheKey: "k-train",
        inputs: prepared,
        outputs: trained,
      });
      const answers: Array<{
        stepId: string;
        instance?: number;
        cacheKey: string;
        inputs?: Record<string, StoredValue>;
        outputs: Record<string, StoredValue>;
        endedAt: number;
      }> = [
        { stepId: "prepare", cacheKey: "k-prepare", outputs: prepared, endedAt: 50 },
        {
          stepId: "train",
          instance: 1,
          cacheKey: "k-train",
          inputs: prepared,
          outputs: trained,
          endedAt: 60,
        },
        // A key with no entry: it names no step run.
        {
          stepId: "eval",
          cacheKey: "k-none",
          inputs: { model: trained.model, k: { json: "3" } },
          outputs: {},
          endedAt: 70,
        },
      ];
      const version = { pipelineVersionId: first.pipelineVersionId, runtime: "local" };

      // Made the way a run recorded them before: queued, then ended.
      const before = await store.createRun(version);
      const queued = await store.createStepRuns([
        { runId: before.id, stepId: "load" },
        ...answers.map((a) => ({ runId: before.id, stepId: a.stepId, instance: a.instance ?? -1 })),
      ]);
      await store.finishStepRuns(
        answers.map(({ stepId: _step, instance: _instance, ...a }, i) => ({
          ...a,
          stepRunId: queued[i + 1] as number,
          status: "cached" as const,
        })),
      );

      // Made in their end state; a step run named twice is the first one given, and one that
      // exists stays as it is.
      const after = await store.createRun(version);
      const existing = await store.createStepRun({ runId: after.id, stepId: "eval", createdAt: 10 });
      const [answer0, answer1] = answers as [(typeof answers)[0], (typeof answers)[0]];
      const ids = await store.createStepRuns([
        { runId: after.id, stepId: "load" },
        ...answers.map((a) => ({ ...a, runId: after.id, status: "cached" as const })),
        { ...answer0, runId: after.id, status: "cached", cacheKey: "k-other", endedAt: 99 },
      ]);
      expect(ids[3]).toBe(existing.id);
      expect(ids[4]).toBe(ids[1]);
      const shown = async (runId: string) =>
        Promise.all(
          (await store.listStepRuns(runId)).map(async ({ id, runId: _run, createdAt: _at, ...s }) => ({
            ...s,
            inputs: await store.getInputs(id),
            outputs: await store.getOutputs(id),
          })),
        );
      const [made, old] = [await shown(after.id), await shown(before.id)];
      expect(made.filter((s) => s.stepId !== "eval")).toEqual(old.filter((s) => s.stepId !== "eval"));
      expect(made.map((s) => [s.stepId, s.status])).toEqual([
        ["eval", "queued"],
        ["load", "queued"],
        ["prepare", "cached"],
        ["train", "cached"],
      ]);
      expect(old.find((s) => s.stepId === "eval")).toMatchObject({ status: "cached", cacheKey: "k-none" });
      expect(old.find((s) => s.stepId === "eval")?.reusedFrom).toBeUndefined();
      expect(await store.getStepRun(after.id, "train", 1)).toMatchObject({
        status: "cached",
        cacheKey: "k-train",
        endedAt: 60,
        reusedFrom: { runId: first.id, stepRunId: train.id },
      });
      const lineage = await store.lineage(d("b"));
      expect(lineage.producedBy.map((e) => e.stepRunId).sort()).toEqual([train.id, queued[2], ids[2]].sort());
      expect(lineage.consumedBy.map((e) => e.stepRunId)).toEqual([queued[3]]);

      // One at a time, alike.
      const single = await store.createRun(version);
      const one = await store.createStepRun({ ...answer1, runId: single.id, status: "cached" });
      expect(one).toMatchObject({
        stepId: "train",
        instance: 1,
        status: "cached",
        cacheKey: "k-train",
        endedAt: 60,
        reusedFrom: { runId: first.id, stepRunId: train.id },
      });
      expect(await store.getInputs(one.id)).toEqual(prepared);
      expect(await store.getOutputs(one.id)).toEqual(trained);

      // A cached step run names its key, and only a cached one is created with values; a list
      // with one that cannot be made makes none.
      const refused = await store.createRun(version);
      await expect(
        store.createStepRuns([{ runId: refused.id, stepId: "prepare", status: "cached", outputs: prepared }]),
      ).rejects.toMatchObject({ code: "CANAL_STORE_INVALID_RECORD" });
      await expect(
        store.createStepRun({ runId: refused.id, stepId: "prepare", outputs: prepared }),
      ).rejects.toMatchObject({ code: "CANAL_STORE_INVALID_RECORD" });
      await expect(
        store.createStepRuns([
          { ...answer0, runId: refused.id, status: "cached" },
          { runId: "run-nope", stepId: "x", status: "cached", cacheKey: "k" },
        ]),
      ).rejects.toMatchObject({ code: "CANAL_STORE_RUN_NOT_FOUND" });
      expect(await store.listStepRuns(refused.id)).toEqual([]);
      expect((await store.lineage(d("a"))).producedBy.map((e) => e.stepRunId).sort()).toEqual(
        [prepare.id, queued[1], ids[1]].sort(),
      );
    });

    recordCases(use);
    cacheCases(use);
    runCases(use);
    serviceCases(use);
    controlCases(use);
    lookupClaimCases(use);
    unitCases(use);
    datasetCases(use);
  });
}
