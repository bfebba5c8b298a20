// The metadata store's conformance suite (metadata-store.ts), its cases on runs recorded whole and read back: steps, attempts, values, metrics, pipeline versions.
import type { MetadataStore, Run, RunMetrics, StoredValue } from "@canal/store";
import { beforeEach, describe, expect, it } from "vitest";
import { type ConformanceUse, components, d, type MetadataStoreFixture } from "./metadata-store-context.js";

export function recordCases(use: ConformanceUse): void {
  let store: MetadataStore;
  let fixture: MetadataStoreFixture;
  const { newRun } = use;

  describe("records", () => {
    beforeEach(() => {
      store = use.store();
      fixture = use.fixture();
    });

    it("records a whole run and reads it back", async () => {
      const version = await store.registerPipelineVersion({
        pipeline: "iris",
        hash: "abc123",
        ir: '{"name":"iris"}',
        artifactLocation: "canal-out/iris",
        createdAt: 1000,
      });
      expect(version).toMatchObject({
        pipeline: "iris",
        version: 1,
        hash: "abc123",
        artifactLocation: "canal-out/iris",
      });
      const run = await store.createRun({
        pipelineVersionId: version.id,
        parameters: { lrs: [0.01, 0.1] },
        git: { commit: "deadbeef", branch: "main", dirty: true },
        runtime: "local",
        regenerate: true,
        pid: 4242,
        createdAt: 2000,
      });
      expect(run.id).toMatch(/^run-\d{8}-\d{6}-[0-9a-f]{8}$/);
      await store.updateRun(run.id, { status: "running", startedAt: 2001 });

      const prepare = await store.createStepRun({ runId: run.id, stepId: "prepare", createdAt: 2002 });
      const train0 = await store.createStepRun({
        runId: run.id,
        stepId: "train",
        instance: 0,
        createdAt: 2003,
      });
      const skipped = await store.createStepRun({
        runId: run.id,
        stepId: "report",
        status: "skipped",
        error: "its condition does not hold",
        endedAt: 2003,
      });
      expect(await store.createStepRun({ runId: run.id, stepId: "prepare" })).toEqual(prepare);

      await store.startAttempt(prepare.id, 1, 2010);
      expect(await store.appendLog(prepare.id, 1, "stdout", "reading iris.csv\n", 2011)).toBe(0);
      expect(await store.appendLog(prepare.id, 1, "stderr", "warning: 3 rows dropped\n", 2012)).toBe(1);
      const prepped: StoredValue = { digest: d("a"), directory: true };
      await store.finishStepRun(prepare.id, {
        status: "succeeded",
        endedAt: 2020,
        attempt: { number: 1, status: "succeeded", exitCode: 0, stdoutDigest: d("5"), stderrDigest: d("6") },
        cacheKey: "key-prepare",
        components: components({ raw: `sha256:${d("b")}` }),
        reusable: true,
        inputs: { raw: { digest: d("b"), directory: false } },
        outputs: { prepped },
        artifacts: [
          { digest: d("a"), kind: "directory", size: 1234, mediaType: "application/x-canal-directory" },
        ],
      });

      await store.startAttempt(train0.id, 1, 2030);
      await store.finishAttempt(train0.id, {
        number: 1,
        status: "failed",
        exitCode: 1,
        error: "CUDA OOM",
        endedAt: 2031,
      });
      await store.startAttempt(train0.id, 2, 2032);
      await store.logMetrics(train0.id, [
        { name: "loss", value: 0.9, at: 2033 },
        { name: "loss", value: 0.5, at: 2034 },
        { name: "loss", value: Number.NaN, at: 2035 },
        { name: "optimizer", value: "adam", at: 2033 },
      ]);
      await store.finishStepRun(train0.id, {
        status: "succeeded",
        endedAt: 2040,
        attempt: { number: 2, status: "succeeded", exitCode: 0 },
        cacheKey: "key-train-0",
        components: components({ prepped: `sha256:${d("a")}`, lr: "0.01" }),
        reusable: true,
        inputs: { prepped, lr: { json: "0.01" } },
        outputs: { model: { digest: d("c"), directory: false }, accuracy: { json: "0.97" } },
        metrics: [{ name: "accuracy", value: 0.97 }],
      });
      await store.updateRun(run.id, { status: "succeeded", endedAt: 2050 });

      expect(await store.getRun(run.id)).toEqual({
        id: run.id,
        pipeline: "iris",
        experiment: "iris",
        pipelineVersionId: version.id,
        pipelineVersion: 1,
        pipelineHash: "abc123",
        status: "succeeded",
        parameters: { lrs: [0.01, 0.1] },
        git: { commit: "deadbeef", branch: "main", dirty: true },
        runtime: "local",
        regenerate: true,
        pid: 4242,
        createdAt: 2000,
        startedAt: 2001,
        endedAt: 2050,
      });
      const steps = await store.listStepRuns(run.id);
      expect(steps.map((s) => [s.stepId, s.instance, s.status, s.startedAt, s.endedAt])).toEqual([
        ["prepare", -1, "succeeded", 2010, 2020],
        ["train", 0, "succeeded", 2030, 2040],
        ["report", -1, "skipped", undefined, 2003],
      ]);
      expect(steps[0]?.cacheComponents).toEqual(components({ raw: `sha256:${d("b")}` }));
      expect(steps[2]?.error).toBe("its condition does not hold");
      expect(skipped.status).toBe("skipped");

      expect(await store.listAttempts(train0.id)).toEqual([
        {
          stepRunId: train0.id,
          number: 1,
          status: "failed",
          exitCode: 1,
          error: "CUDA OOM",
          startedAt: 2030,
          endedAt: 2031,
        },
        { stepRunId: train0.id, number: 2, status: "succeeded", exitCode: 0, startedAt: 2032, endedAt: 2040 },
      ]);
      expect((await store.listAttempts(prepare.id))[0]).toMatchObject({
        stdoutDigest: d("5"),
        stderrDigest: d("6"),
      });
      expect((await store.readLog(prepare.id, 1)).chunks).toEqual([
        { seq: 0, stream: "stdout", text: "reading iris.csv\n", at: 2011 },
        { seq: 1, stream: "stderr", text: "warning: 3 rows dropped\n", at: 2012 },
      ]);

      const metrics = await store.getMetrics({ runId: run.id });
      expect(metrics.map((m) => [m.stepId, m.instance, m.name, m.sequence, m.value])).toEqual([
        ["train", 0, "accuracy", 0, 0.97],
        ["train", 0, "loss", 0, 0.9],
        ["train", 0, "loss", 1, 0.5],
        ["train", 0, "loss", 2, Number.NaN],
        ["train", 0, "optimizer", 0, "adam"],
      ]);
      expect(await store.getMetrics({ stepRunId: train0.id, name: "loss" })).toHaveLength(3);

      expect(await store.getInputs(train0.id)).toEqual({ prepped, lr: { json: "0.01" } });
      expect(await store.getOutputs(train0.id)).toEqual({
        model: { digest: d("c"), directory: false },
        accuracy: { json: "0.97" },
      });
      expect(await store.getArtifact(d("a"))).toMatchObject({ kind: "directory", size: 1234 });

      const entry = await store.getCacheEntry("key-train-0");
      expect(entry).toMatchObject({
        key: "key-train-0",
        outputs: { model: { digest: d("c"), directory: false }, accuracy: { json: "0.97" } },
        producedBy: { runId: run.id, stepRunId: train0.id, stepId: "train", instance: 0 },
        createdAt: 2040,
      });
      expect(entry?.components.inputs).toEqual({ prepped: `sha256:${d("a")}`, lr: "0.01" });
      expect(await store.listPipelines()).toEqual([
        { name: "iris", createdAt: 1000, versions: 1, latestHash: "abc123" },
      ]);
    });

    it("reads the last value of each metric of each step across runs: a pipeline's newest, or runs by id", async () => {
      // Three runs of iris, oldest first, each logging accuracy several times; another pipeline's
      // run in between, and a run of iris that logged nothing.
      const runs = [];
      for (const [i, at] of [1000, 2000, 3000].entries()) {
        const run = await newRun("iris", at);
        const train0 = await store.createStepRun({ runId: run.id, stepId: "train", instance: 0 });
        const train1 = await store.createStepRun({ runId: run.id, stepId: "train", instance: 1 });
        const evaluate = await store.createStepRun({ runId: run.id, stepId: "evaluate" });
        await store.createStepRun({ runId: run.id, stepId: "prepare" });
        await store.logMetrics(train0.id, [
          { name: "accuracy", value: 0.1, at: at + 1 },
          { name: "accuracy", value: [0.5, 0.6, 0.7][i] as number, at: at + 2 },
          { name: "loss", value: [1, 0.9, 0.8][i] as number, at: at + 3 },
          { name: "optimizer", value: "adam", at: at + 4 },
        ]);
        await store.logMetrics(train1.id, [
          { name: "accuracy", value: [0.4, 0.5, 0.6][i] as number, at: at + 5 },
        ]);
        // Sequences out of the order they were logged in: the highest sequence is the last value.
        await store.logMetrics(evaluate.id, [
          { name: "accuracy", value: [0.8, 0.9, 1][i] as number, sequence: 7, at: at + 6 },
          { name: "accuracy", value: Number.NaN, sequence: 3, at: at + 7 },
        ]);
        runs.push(run);
      }
      const other = await newRun("other", 2500);
      const otherStep = await store.createStepRun({ runId: other.id, stepId: "train" });
      await store.logMetrics(otherStep.id, [{ name: "accuracy", value: 0.01 }]);
      const silent = await newRun("iris", 500);
      const [first, second, third] = runs as [Run, Run, Run];

      const shown = (answer: RunMetrics[]) =>
        answer.map(({ run, metrics }) => [
          run.id,
          metrics.map((m) => [m.stepId, m.instance, m.name, m.sequence, m.value]),
        ]);
      const all = await store.lastMetrics({ pipeline: "iris" });
      expect(all.map((r) => r.run.id)).toEqual([third.id, second.id, first.id, silent.id]);
      expect(all[0]?.run).toEqual(await store.getRun(third.id));
      expect(shown(all)[0]).toEqual([
        third.id,
        [
          ["evaluate", -1, "accuracy", 7, 1.0],
          ["train", 0, "accuracy", 1, 0.7],
          ["train", 0, "loss", 0, 0.8],
          ["train", 0, "optimizer", 0, "adam"],
          ["train", 1, "accuracy", 0, 0.6],
        ],
      ]);
      expect(all[0]?.metrics[0]).toMatchObject({ at: 3006 });
      expect(all[3]).toEqual({ run: await store.getRun(silent.id), metrics: [] });

      const accuracy = await store.lastMetrics({
        pipeline: "iris",
        name: "accuracy",
        stepId: "train",
        limit: 2,
      });
      expect(shown(accuracy)).toEqual([
        [
          third.id,
          [
            ["train", 0, "accuracy", 1, 0.7],
            ["train", 1, "accuracy", 0, 0.6],
          ],
        ],
        [
          second.id,
          [
            ["train", 0, "accuracy", 1, 0.6],
            ["train", 1, "accuracy", 0, 0.5],
          ],
        ],
      ]);

      // By id, across pipelines, newest first; an id not in the workspace is left out.
      const named = await store.lastMetrics({
        runIds: [first.id, other.id, "run-20000101-000000-0000"],
        name: "accuracy",
        stepId: "train",
      });
      expect(shown(named)).toEqual([
        [other.id, [["train", -1, "accuracy", 0, 0.01]]],
        [
          first.id,
          [
            ["train", 0, "accuracy", 1, 0.5],
            ["train", 1, "accuracy", 0, 0.4],
          ],
        ],
      ]);
      expect(await store.lastMetrics({ runIds: [] })).toEqual([]);
      expect(await store.lastMetrics({ pipeline: "no-such-pipeline" })).toEqual([]);
      const elsewhere = await fixture.open("elsewhere");
      expect(await elsewhere.lastMetrics({ runIds: [first.id] })).toEqual([]);
      expect(await elsewhere.lastMetrics({ pipeline: "iris" })).toEqual([]);
      await elsewhere.close();

      await expect(store.lastMetrics({ pipeline: "iris", limit: 501 })).rejects.toThrow(/outside 1\.\.500/);
      await expect(
        store.lastMetrics({ runIds: Array.from({ length: 501 }, (_, i) => `run-${i}`) }),
      ).rejects.toThrow(/501 run ids, more than 500/);
    });

    it("records an attempt started with its end, and ends one started before as it was started", async () => {
      const run = await newRun();
      const once = await store.createStepRun({ runId: run.id, stepId: "prepare" });
      const ended = await store.finishStepRun(once.id, {
        status: "succeeded",
        endedAt: 3020,
        startedAt: 3010,
        attempt: { number: 1, status: "succeeded", exitCode: 0, stdoutDigest: d("5") },
        cacheKey: "key-started-with-end",
        components: components(),
        reusable: true,
        outputs: { out: { digest: d("a"), directory: false } },
      });
      expect(ended).toMatchObject({ status: "succeeded", startedAt: 3010, endedAt: 3020 });
      expect(await store.listAttempts(once.id)).toEqual([
        expect.objectContaining({
          number: 1,
          status: "succeeded",
          exitCode: 0,
          startedAt: 3010,
          endedAt: 3020,
          stdoutDigest: d("5"),
        }),
      ]);
      expect(await store.getCachedOutputs("key-started-with-end")).toEqual({
        out: { digest: d("a"), directory: false },
      });
      // Started already: its start stays, and so does the step run's; a failure ends it the same way.
      const twice = await store.createStepRun({ runId: run.id, stepId: "train" });
      await store.startAttempt(twice.id, 1, 3030);
      const failed = await store.finishStepRun(twice.id, {
        status: "failed",
        endedAt: 3040,
        startedAt: 3035,
        error: "exit 1",
        attempt: { number: 1, status: "failed", exitCode: 1, error: "exit 1" },
      });
      expect(failed).toMatchObject({ status: "failed", startedAt: 3030, endedAt: 3040, error: "exit 1" });
      expect(await store.listAttempts(twice.id)).toEqual([
        expect.objectContaining({
          number: 1,
          status: "failed",
          exitCode: 1,
          error: "exit 1",
          startedAt: 3030,
          endedAt: 3040,
        }),
      ]);
      // Without its start, an attempt never started is still refused.
      const never = await store.createStepRun({ runId: run.id, stepId: "report" });
      await expect(
        store.finishStepRun(never.id, { status: "succeeded", attempt: { number: 1, status: "succeeded" } }),
      ).rejects.toThrow(/never started/);
      expect(await store.listAttempts(never.id)).toEqual([]);
    });

    it("numbers pipeline versions and returns an existing version unchanged", async () => {
      const v1 = await store.registerPipelineVersion({ pipeline: "iris", hash: "h1", ir: "{1}" });
      const v2 = await store.registerPipelineVersion({ pipeline: "iris", hash: "h2", ir: "{2}" });
      const again = await store.registerPipelineVersion({ pipeline: "iris", hash: "h1", ir: "{changed}" });
      expect([v1.version, v2.version]).toEqual([1, 2]);
      expect(again).toEqual(v1);
      expect((await store.listPipelineVersions("iris")).map((v) => v.hash)).toEqual(["h1", "h2"]);
      expect(await store.getPipelineVersion(v2.id)).toEqual(v2);
    });
  });
}
