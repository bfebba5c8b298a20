import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CancelRequest, openWorkspace, type Run, type RunControl, type Workspace } from "@canal/store";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  type ControlSettings,
  cancelRequestText,
  cancelRun,
  controlSettings,
  driverProcess,
  judgeRun,
  liveRuns,
  runState,
  startDriverControl,
} from "./control.js";
import { RuntimeRegistry } from "./runtimes.js";

let dir: string;
let workspace: Workspace;
let versionId: number;
// No runtime: a gone driver's leftovers are looked for on no target.
const runtimes = new RuntimeRegistry([]);

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "canal-control-"));
  workspace = await openWorkspace(dir);
  versionId = (await workspace.metadata.registerPipelineVersion({ pipeline: "p", hash: "h", ir: "{}" })).id;
});
afterEach(async () => {
  await workspace.close();
  rmSync(dir, { recursive: true, force: true });
});

const settings: ControlSettings = { heartbeatMs: 1000, staleMs: 10_000, pollMs: 20, host: "machine-a" };

async function running(startedAt = Date.now()): Promise<Run> {
  return workspace.metadata.createRun({
    pipelineVersionId: versionId,
    runtime: "local",
    status: "running",
    startedAt,
  });
}

const beat = (ageMs: number, host = "machine-a", intervalMs = 1000): RunControl["heartbeat"] => ({
  host,
  pid: 4242,
  at: Date.now() - ageMs,
  intervalMs,
  ageMs,
});

describe("controlSettings", () => {
  it("reads the timing and the host name from the environment, and falls back on nonsense", () => {
    const read = controlSettings({
      CANAL_HEARTBEAT_MS: "100",
      CANAL_HEARTBEAT_STALE_MS: "2000",
      CANAL_CANCEL_POLL_MS: "oops",
      CANAL_HOSTNAME: "gpu-07",
    });
    expect(read).toEqual({ heartbeatMs: 100, staleMs: 2000, pollMs: 500, host: "gpu-07" });
    expect(controlSettings({}).staleMs).toBe(30_000);
    expect(controlSettings({}).heartbeatMs).toBe(5_000);
  });
});

describe("judgeRun", () => {
  it("calls a running run interrupted once its heartbeat is stale, and says whose it was", async () => {
    const run = await running();
    const fresh = judgeRun(run, { runId: run.id, heartbeat: beat(500) }, { settings });
    expect(fresh).toMatchObject({ status: "running", live: true, interrupted: false });
    expect(fresh.driver).toMatchObject({ host: "machine-a", pid: 4242, gone: false });
    const stale = judgeRun(run, { runId: run.id, heartbeat: beat(12_000) }, { settings });
    expect(stale).toMatchObject({
      status: "interrupted",
      live: false,
      interrupted: true,
      reason: "its driver process 4242 on machine-a sent no heartbeat for 12.0 s",
    });
    // A driver that promised to beat every 5 s is given three of them, whatever the reader's threshold.
    const slow = judgeRun(run, { runId: run.id, heartbeat: beat(12_000, "machine-a", 5000) }, { settings });
    expect(slow.status).toBe("running");
  });

  it("never calls an ended run interrupted, and shows a cancel request beside the state", async () => {
    const run = await running();
    const ended = await workspace.metadata.updateRun(run.id, { status: "succeeded", endedAt: Date.now() });
    const cancel: CancelRequest = { at: 1, by: "ana@laptop" };
    expect(judgeRun(ended, { runId: run.id, heartbeat: beat(60_000), cancel }, { settings })).toMatchObject({
      status: "succeeded",
      interrupted: false,
      live: false,
      cancel,
    });
  });

  it("judges a run recorded before heartbeats by the time since it started", async () => {
    const old = await running(Date.now() - 60_000);
    expect(judgeRun(old, undefined, { settings })).toMatchObject({
      status: "interrupted",
      reason: expect.stringMatching(/^its driver recorded no heartbeat in \d+\.\d s$/),
    });
    const recent = await running();
    expect(judgeRun(recent, undefined, { settings }).status).toBe("running");
  });

  it("on the driver's own host, knows at once that its process ended; on another host it waits for the heartbeat", async () => {
    const run = await running();
    const gone = { settings, processStartedAt: () => null };
    expect(judgeRun(run, { runId: run.id, heartbeat: beat(100) }, gone)).toMatchObject({
      status: "interrupted",
      reason: "its driver process 4242 ended on machine-a",
    });
    expect(judgeRun(run, { runId: run.id, heartbeat: beat(100, "machine-b") }, gone).status).toBe("running");
    // A process started after the run holds the pid now: not the driver.
    const reused = { settings, processStartedAt: () => run.createdAt + 60_000 };
    expect(driverProcess(run, beat(100), reused)).toBe("ended");
    const same = { settings, processStartedAt: () => run.createdAt - 1000 };
    expect(driverProcess(run, beat(100), same)).toBe("alive");
    expect(driverProcess(run, beat(100), { settings })).toBe("unknown");
  });
});

describe("the driver's side", () => {
  it("beats at once and then on its interval, and sees a cancel request another connection records", async () => {
    const run = await running();
    const seen: CancelRequest[] = [];
    const control = await startDriverControl(workspace.metadata, run.id, {
      settings: { ...settings, heartbeatMs: 20 },
      onCancelRequest: (request) => seen.push(request),
    });
    try {
      const [first] = await workspace.metadata.readRunControl([run.id]);
      expect(first?.heartbeat).toMatchObject({ host: "machine-a", pid: process.pid, intervalMs: 20 });
      await vi.waitFor(async () => {
        const [now] = await workspace.metadata.readRunControl([run.id]);
        expect(now?.heartbeat?.at).toBeGreaterThan(first?.heartbeat?.at as number);
      });
      // Another process (here another connection to the same file) asks.
      const other = await openWorkspace(dir);
      await other.metadata.requestCancel(run.id, { by: "bo@machine-b", reason: "wrong data" });
      await other.close();
      await vi.waitFor(() => expect(seen).toHaveLength(1));
      expect(control.canceled).toMatchObject({ by: "bo@machine-b", reason: "wrong data" });
      expect(cancelRequestText(seen[0] as CancelRequest)).toBe("`canal cancel` by bo@machine-b: wrong data");
    } finally {
      control.stop();
    }
  });

  it("sees a request recorded before it started watching, before it returns", async () => {
    const run = await running();
    await workspace.metadata.requestCancel(run.id, { by: "ana@laptop" });
    const seen: CancelRequest[] = [];
    const control = await startDriverControl(workspace.metadata, run.id, {
      settings,
      onCancelRequest: (request) => seen.push(request),
    });
    control.stop();
    expect(seen).toMatchObject([{ by: "ana@laptop" }]);
  });
  it("acts on no request once it stopped watching, and keeps beating until stopped", async () => {
    const run = await running();
    const seen: CancelRequest[] = [];
    const control = await startDriverControl(workspace.metadata, run.id, {
      settings: { ...settings, heartbeatMs: 20 },
      onCancelRequest: (request) => seen.push(request),
    });
    control.stopWatching();
    const [first] = await workspace.metadata.readRunControl([run.id]);
    await workspace.metadata.requestCancel(run.id, { by: "late@machine-b" });
    await vi.waitFor(async () => {
      const [now] = await workspace.metadata.readRunControl([run.id]);
      expect(now?.heartbeat?.at).toBeGreaterThan(first?.heartbeat?.at as number);
    });
    control.stop();
    expect(seen).toEqual([]);
    expect(control.canceled).toBeUndefined();
  });
});

describe("cancelRun", () => {
  it("records the request and waits for the driver to end the run", async () => {
    const run = await running();
    const control = await startDriverControl(workspace.metadata, run.id, {
      settings,
      // As runPipeline does: the orchestrator is canceled and the run's end recorded.
      onCancelRequest: () =>
        void workspace.metadata.updateRun(run.id, { status: "canceled", endedAt: Date.now() }),
    });
    try {
      const outcome = await cancelRun(workspace, run.id, runtimes, {
        settings,
        by: "ana@laptop",
        pollMs: 10,
      });
      expect(outcome).toMatchObject({
        kind: "stopped",
        run: { status: "canceled" },
        request: { by: "ana@laptop" },
      });
    } finally {
      control.stop();
    }
    expect(await cancelRun(workspace, run.id, runtimes, { settings })).toMatchObject({
      kind: "already-ended",
    });
  });

  it("ends a run whose driver stopped beating itself, recording it canceled", async () => {
    const run = await running();
    await workspace.metadata.recordHeartbeat(run.id, {
      host: "machine-b",
      pid: 4242,
      intervalMs: 1000,
      at: Date.now() - 60_000,
    });
    const outcome = await cancelRun(workspace, run.id, runtimes, { settings });
    expect(outcome).toMatchObject({
      kind: "driver-gone",
      run: { status: "canceled", error: "canceled after its driver process ended" },
      ended: [],
      problems: [],
      reason: expect.stringContaining("on machine-b sent no heartbeat"),
    });
    const state = await runState(workspace.metadata, run.id, { settings });
    expect(state).toMatchObject({ status: "canceled", steps: [], cancel: { at: expect.any(Number) } });
  });

  it("only records the request when told not to wait, and gives up on a live driver past its timeout", async () => {
    const run = await running();
    await workspace.metadata.recordHeartbeat(run.id, { host: "machine-b", pid: 4242, intervalMs: 1000 });
    expect(await cancelRun(workspace, run.id, runtimes, { settings, wait: false })).toMatchObject({
      kind: "requested",
    });
    const [listed] = await liveRuns(workspace.metadata, [await workspace.metadata.getRun(run.id)], {
      settings,
    });
    expect(listed).toMatchObject({ status: "running", cancel: { at: expect.any(Number) } });
    const outcome = await cancelRun(workspace, run.id, runtimes, { settings, timeoutMs: 0 });
    expect(outcome).toMatchObject({ kind: "timed-out", driver: { host: "machine-b", pid: 4242 } });
  });
});
