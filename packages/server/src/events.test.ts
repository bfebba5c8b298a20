// A run's event streams over real HTTP on a real SQLite workspace, its store reads counted: every
// stream of a run shares one poller, so 50 clients cost one read of the step runs per tick.
import { rmSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RuntimeRegistry } from "@canal/runner";
import { initWorkspace, type MetadataStore, openWorkspace, type Workspace } from "@canal/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Launcher } from "./context.js";
import { type RunningServer, startServer } from "./listen.js";
import { createToken } from "./tokens.js";

const CLIENTS = 50;
let dir: string;
let workspace: Workspace;
let server: RunningServer;
let secret: string;
/** Reads of step runs, by run id. */
const stepReads = new Map<string, number>();
const launcher: Launcher = {
  start: () => Promise.reject(new Error("no run is started in these tests")),
  rerun: () => Promise.reject(new Error("no run is started in these tests")),
};

/** The workspace's store, counting `listStepRuns` per run. */
function counted(metadata: MetadataStore): MetadataStore {
  return new Proxy(metadata, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      if (name === "listStepRuns")
        return (runId: string) => {
          stepReads.set(runId, (stepReads.get(runId) ?? 0) + 1);
          return target.listStepRuns(runId);
        };
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "canal-events-"));
  initWorkspace(dir, "events");
  workspace = await openWorkspace(dir);
  secret = (await createToken(workspace.metadata, { role: "viewer" })).secret;
  const metadata = counted(workspace.metadata);
  server = await startServer({
    workspace: new Proxy(workspace, {
      get: (t, name) => (name === "metadata" ? metadata : Reflect.get(t, name)),
    }),
    launcher,
    runtimes: new RuntimeRegistry(),
    port: 0,
    pollMs: 50,
  });
});

afterAll(async () => {
  await server?.close();
  await workspace?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Client {
  /** `stepRunId:status` of every step event, and `run:status` of every run event. */
  seen: Set<string>;
  events: string[];
  done: Promise<void>;
  stop(): void;
}

function follow(runId: string): Client {
  const abort = new AbortController();
  const seen = new Set<string>();
  const events: string[] = [];
  const done = (async () => {
    const answer = await fetch(`${server.url}/api/v1/runs/${runId}/events`, {
      headers: { authorization: `Bearer ${secret}` },
      signal: abort.signal,
    });
    expect(answer.status).toBe(200);
    let buffer = "";
    const decoder = new TextDecoder();
    try {
      for await (const chunk of answer.body as ReadableStream<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (!event || !data) continue;
          const body = JSON.parse(data) as { stepRunId?: number; status: string };
          events.push(event);
          seen.add(event === "step" ? `${body.stepRunId}:${body.status}` : `${event}:${body.status}`);
        }
      }
    } catch (error) {
      if (!abort.signal.aborted) throw error;
    }
  })();
  return { seen, events, done, stop: () => abort.abort() };
}

async function until(check: () => boolean): Promise<void> {
  await expect.poll(check, { timeout: 20_000, interval: 5 }).toBe(true);
}

describe("run events", () => {
  it(`reads the store once per tick for ${CLIENTS} clients of a run, not once per client`, async () => {
    const { metadata } = workspace;
    const version = await metadata.registerPipelineVersion({ pipeline: "p", hash: "h".repeat(64), ir: "{}" });
    const run = await metadata.createRun({
      pipelineVersionId: version.id,
      runtime: "local",
      status: "running",
      startedAt: Date.now(),
    });
    const clients = Array.from({ length: CLIENTS }, () => follow(run.id));
    await until(() => clients.every((c) => c.seen.has("run:running")));
    for (let change = 0; change < 4; change++) {
      const before = stepReads.get(run.id) ?? 0;
      const step = await metadata.createStepRun({ runId: run.id, stepId: `s${change}` });
      await until(() => clients.every((c) => c.seen.has(`${step.id}:queued`)));
      // A poller per client reads at least once per client after the write before all have it;
      // one shared poller reads once a tick (50 reads would be 2.5 s of ticks).
      const reads = (stepReads.get(run.id) ?? 0) - before;
      expect(reads).toBeGreaterThan(0);
      expect(reads).toBeLessThan(CLIENTS);
    }
    // A client that comes late is sent every step's state first.
    const late = follow(run.id);
    await until(() => late.seen.size === 5);
    await metadata.updateRun(run.id, { status: "succeeded", endedAt: Date.now() });
    await Promise.all([...clients, late].map((c) => c.done));
    for (const c of [...clients, late]) expect(c.events.at(-1)).toBe("end");
  });

  it("ends every stream of a run with `interrupted` once its driver is judged gone", async () => {
    const { metadata } = workspace;
    const version = await metadata.registerPipelineVersion({ pipeline: "g", hash: "g".repeat(64), ir: "{}" });
    // Marked running an hour ago, and no heartbeat since: its driver is gone.
    const run = await metadata.createRun({
      pipelineVersionId: version.id,
      runtime: "local",
      status: "running",
      startedAt: Date.now() - 3_600_000,
    });
    const clients = Array.from({ length: 3 }, () => follow(run.id));
    await Promise.all(clients.map((c) => c.done));
    for (const c of clients) {
      expect(c.events.at(-1)).toBe("end");
      expect(c.seen.has("end:interrupted")).toBe(true);
    }
  });
});
