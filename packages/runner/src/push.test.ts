import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initWorkspace, openWorkspace, type Workspace } from "@canal/store";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { pushWorkspace } from "./push.js";
import { pushSummary } from "./push-report.js";

let root: string;
let local: Workspace;
let team: Workspace;

beforeEach(async () => {
  root = mkdtempSync(join(tmpdir(), "canal-push-"));
  initWorkspace(join(root, "alone"), "alone");
  initWorkspace(join(root, "team"), "team");
  local = await openWorkspace(join(root, "alone"));
  team = await openWorkspace(join(root, "team"));
});
afterEach(async () => {
  await local.close();
  await team.close();
  rmSync(root, { recursive: true, force: true });
});

const components = (input: string) => ({
  stepHash: "s",
  codeHash: "c",
  codeFiles: [],
  environment: "e",
  inputs: { raw: input },
});

/** A version with its kept artifact, as `canal run` registers it. */
async function version(hash = "h1") {
  const dir = join(root, `artifact-${hash}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "pipeline.json"), `{"hash":"${hash}"}`);
  const artifactDigest = await local.blobs.putDirectory(dir);
  return local.metadata.registerPipelineVersion({ pipeline: "iris", hash, ir: "{}", artifactDigest });
}

/** An ended run whose one step ran (logs, metrics, an output file, a cache entry) or was cached. */
async function recordRun(versionId: number, key: string, content: string, at: number) {
  const store = local.metadata;
  const run = await store.createRun({
    pipelineVersionId: versionId,
    runtime: "local",
    status: "running",
    startedBy: "ada",
    host: "laptop",
    parameters: { lr: 0.1 },
    createdAt: at,
    startedAt: at,
  });
  const step = await store.createStepRun({ runId: run.id, stepId: "train", createdAt: at });
  const cached = await store.getCachedOutputs(key);
  if (cached) {
    await store.finishStepRun(step.id, { status: "cached", cacheKey: key, outputs: cached, endedAt: at + 1 });
  } else {
    const output = await local.blobs.put(content);
    const stdout = await local.blobs.put(`log of ${content}\n`);
    await store.startAttempt(step.id, 1, at);
    await store.appendLog(step.id, 1, "stdout", `log of ${content}\n`, at);
    await store.appendLog(step.id, 1, "stderr", "warning\n", at);
    await store.finishStepRun(step.id, {
      status: "succeeded",
      endedAt: at + 1,
      attempt: { number: 1, status: "succeeded", exitCode: 0, stdoutDigest: stdout },
      cacheKey: key,
      components: components(key),
      inputs: { lr: { json: "0.1" } },
      outputs: { model: { digest: output, directory: false } },
      metrics: [
        { name: "loss", value: 0.5, sequence: 0, at },
        { name: "loss", value: 0.25, sequence: 1, at },
      ],
      artifacts: [{ digest: output, kind: "file", size: content.length }],
      reusable: true,
    });
  }
  await store.appendRunLog(run.id, "stdout", "driving\n", at);
  return store.updateRun(run.id, { status: "succeeded", endedAt: at + 2 });
}

describe("pushWorkspace", () => {
  it("copies runs, versions, cache entries and blobs, keeping ids, and a second push copies nothing", async () => {
    const v = await version();
    const first = await recordRun(v.id, "k1", "weights-1", 1_000);
    const second = await recordRun(v.id, "k1", "unused", 2_000);
    const lines: string[] = [];
    const report = await pushWorkspace(local, team, { progress: (line) => lines.push(line) });
    expect(report.runs).toEqual({ copied: 2, present: 0, skipped: [] });
    expect(report.versions).toEqual({ copied: 1, present: 0 });
    expect(report.cacheEntries).toEqual({ copied: 1, present: 0 });
    // The artifact's directory blob and its file, the output and its log.
    expect(report.blobs).toMatchObject({ copied: 3, present: 0, damaged: [] });
    expect(report.blobs.bytesCopied).toBeGreaterThan(0);
    expect(lines).toContain(`pushed run ${first.id} (1 steps, 1 cache entries)`);

    const [b, a] = await team.metadata.listRuns();
    expect([a?.id, b?.id]).toEqual([first.id, second.id]);
    expect(a).toMatchObject({
      status: "succeeded",
      startedBy: "ada",
      host: "laptop",
      createdAt: 1_000,
      endedAt: 1_002,
    });
    expect(a?.parameters).toEqual({ lr: 0.1 });
    const [step] = await team.metadata.listStepRuns(first.id);
    expect(step).toMatchObject({ status: "succeeded", cacheKey: "k1", startedAt: 1_000, endedAt: 1_001 });
    const [attempt] = await team.metadata.listAttempts(step?.id ?? 0);
    expect(attempt).toMatchObject({ status: "succeeded", exitCode: 0 });
    expect((await team.metadata.readLog(step?.id ?? 0, 1)).chunks.map((c) => c.text)).toEqual([
      "log of weights-1\n",
      "warning\n",
    ]);
    expect((await team.metadata.readRunLog(first.id)).chunks.map((c) => c.text)).toEqual(["driving\n"]);
    expect((await team.metadata.getMetrics({ runId: first.id })).map((m) => m.value)).toEqual([0.5, 0.25]);
    // The cached step of the second run is reused from the pushed first run's step.
    const [reused] = await team.metadata.listStepRuns(second.id);
    expect(reused).toMatchObject({ status: "cached", reusedFrom: { runId: first.id, stepRunId: step?.id } });
    // The cache serves from the team store, and its bytes are there, verified.
    const outputs = await team.metadata.getCachedOutputs("k1");
    const digest = (outputs?.model as { digest: string } | undefined)?.digest ?? "";
    expect((await team.blobs.get(digest)).toString()).toBe("weights-1");
    const [pushedVersion] = await team.metadata.listPipelineVersions("iris");
    expect(pushedVersion).toMatchObject({ hash: "h1", version: 1, artifactDigest: v.artifactDigest });
    expect(await team.blobs.verify(v.artifactDigest as string)).toBe("ok");

    const again = await pushWorkspace(local, team);
    expect(again.runs).toEqual({ copied: 0, present: 2, skipped: [] });
    expect(again.versions).toEqual({ copied: 0, present: 1 });
    expect(again.blobs).toMatchObject({ copied: 0, bytesCopied: 0 });
    expect(again.cacheEntries).toEqual({ copied: 0, present: 1 });
    expect(pushSummary(again)).toContain(
      "nothing to copy: the team workspace already has everything this one holds",
    );
    expect(await team.metadata.listRuns()).toHaveLength(2);

    // A new run here: the next push copies only it.
    const v2 = await version("h2");
    const third = await recordRun(v2.id, "k2", "weights-2", 3_000);
    const dry = await pushWorkspace(local, team, { dryRun: true });
    expect(dry.runs.copied).toBe(1);
    expect(dry.cacheEntries.copied).toBe(1);
    expect(await team.metadata.listRuns()).toHaveLength(2);
    const later = await pushWorkspace(local, team);
    expect(later.runs).toEqual({ copied: 1, present: 2, skipped: [] });
    expect(later.versions).toEqual({ copied: 1, present: 1 });
    expect(later.cacheEntries.copied).toBe(1);
    expect(later.blobs.copied).toBe(dry.blobs.copied);
    expect((await team.metadata.getRun(third.id)).pipelineVersion).toBe(2);
  });

  it("copies the cache entries of runs already there when the team lacks them", async () => {
    const v = await version();
    await recordRun(v.id, "k1", "weights-1", 1_000);
    await pushWorkspace(local, team);
    // As if a push had stopped after the run's unit: the run is there, its entry is not.
    await team.metadata.deleteCacheEntry("k1");
    const dry = await pushWorkspace(local, team, { dryRun: true });
    expect(dry.cacheEntries).toEqual({ copied: 1, present: 0 });
    const report = await pushWorkspace(local, team);
    expect(report.runs).toEqual({ copied: 0, present: 1, skipped: [] });
    expect(report.cacheEntries).toEqual({ copied: 1, present: 0 });
    expect(await team.metadata.getCachedOutputs("k1")).toBeDefined();
  });

  it("pushes each run once when two pushes go at once", async () => {
    const v = await version();
    for (let i = 0; i < 4; i++) await recordRun(v.id, `k${i}`, `weights-${i}`, 1_000 + i * 10);
    const other = await openWorkspace(join(root, "team"));
    try {
      const reports = await Promise.all([pushWorkspace(local, team), pushWorkspace(local, other)]);
      expect(reports.map((r) => r.runs.copied + r.runs.present)).toEqual([4, 4]);
      expect(reports[0].runs.copied + reports[1].runs.copied).toBe(4);
      expect(await team.metadata.listRuns()).toHaveLength(4);
      expect(await team.metadata.listCacheEntries()).toHaveLength(4);
    } finally {
      await other.close();
    }
  });

  it("skips a run still going, with why, and pushes it once it has ended", async () => {
    const v = await version();
    const run = await local.metadata.createRun({
      pipelineVersionId: v.id,
      runtime: "local",
      status: "running",
    });
    await local.metadata.recordHeartbeat(run.id, { host: "laptop", pid: process.pid, intervalMs: 1000 });
    const report = await pushWorkspace(local, team);
    expect(report.runs.skipped).toEqual([
      { id: run.id, reason: "still running; push again once it has ended" },
    ]);
    expect(await team.metadata.listRuns()).toEqual([]);

    await local.metadata.requestCancel(run.id, { by: "ada@laptop", reason: "wrong data" });
    await local.metadata.updateRun(run.id, { status: "canceled", endedAt: Date.now() });
    const after = await pushWorkspace(local, team);
    expect(after.runs.copied).toBe(1);
    const [control] = await team.metadata.readRunControl([run.id]);
    expect(control?.cancel).toMatchObject({ by: "ada@laptop", reason: "wrong data" });
    // A run pushed without its cancel request (a push stopped between the two) gets it next time.
    const other = await local.metadata.createRun({
      pipelineVersionId: v.id,
      runtime: "local",
      status: "canceled",
    });
    await pushWorkspace(local, team);
    await local.metadata.requestCancel(other.id, { by: "ada@laptop" });
    expect(await team.metadata.readRunControl([other.id])).toEqual([]);
    await pushWorkspace(local, team);
    const [late] = await team.metadata.readRunControl([other.id]);
    expect(late?.cancel).toMatchObject({ by: "ada@laptop" });
  });

  it("copies no blob that fails verification here, nor the cache entry naming it", async () => {
    const v = await version();
    const run = await recordRun(v.id, "k1", "weights-1", 1_000);
    const outputs = await local.metadata.getCachedOutputs("k1");
    const digest = (outputs?.model as { digest: string } | undefined)?.digest ?? "";
    // Damage the output's bytes where the local blob store keeps them.
    const file = join(root, "alone", ".canal", "blobs", "sha256", digest.slice(0, 2), digest.slice(2));
    unlinkSync(file);
    writeFileSync(file, "tampered");
    const report = await pushWorkspace(local, team);
    expect(report.blobs.damaged).toEqual([`${digest.slice(0, 12)} (corrupt)`]);
    expect(report.runs.copied).toBe(1);
    expect(report.cacheEntries.copied).toBe(0);
    expect(await team.metadata.getCachedOutputs("k1")).toBeUndefined();
    expect(await team.blobs.has(digest)).toBe(false);
    expect((await team.metadata.getRun(run.id)).status).toBe("succeeded");
  });
});
