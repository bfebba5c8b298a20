import { join } from "node:path";
import { runPipeline } from "@canal/runner";
import { LocalRuntime } from "@canal/runtime-local";
import { type MetadataStore, openWorkspace } from "@canal/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LookaheadFixture, lookaheadFixture } from "./lookahead-fixture.js";

/** `metadata`, counting the calls of each of its methods. */
function counting(metadata: MetadataStore): { metadata: MetadataStore; calls: Map<string, number> } {
  const calls = new Map<string, number>();
  const proxy = new Proxy(metadata, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      if (typeof value !== "function" || typeof name !== "string") return value;
      return (...args: unknown[]) => {
        calls.set(name, (calls.get(name) ?? 0) + 1);
        return value.apply(target, args);
      };
    },
  });
  return { metadata: proxy, calls };
}

describe("canal run reads the cache entries of the pipeline's last run ahead", () => {
  let fixture: LookaheadFixture;
  let artifactDir: string;
  let dir: string;

  beforeAll(async () => {
    // A step that always runs, then a chain of two and a join the cache answers.
    fixture = await lookaheadFixture("canal-read-ahead-");
    ({ artifactDir, dir } = fixture);
  });
  afterAll(() => fixture.remove());

  async function run() {
    const workspace = await openWorkspace(dir);
    const { metadata, calls } = counting(workspace.metadata);
    const runtime = new LocalRuntime({ cacheDir: join(dir, "cache") });
    try {
      const { run, summary } = await runPipeline({
        workspace: { ...workspace, metadata },
        artifactDir,
        runtime,
        parameters: { word: "one" },
      });
      return { status: run.status, steps: Object.values(summary.steps).sort(), calls };
    } finally {
      await runtime.close();
      await workspace.close();
    }
  }

  it("answers the steps after the first hit from the entries read ahead", async () => {
    expect((await run()).status).toBe("succeeded");
    const again = await run();
    expect(again.steps).toEqual(["cached", "cached", "cached", "succeeded"]);
    expect(again.calls.get("getCachedOutputsOfLastRun")).toBe(1);
    // The first cached step is looked up by its own key once the step before it ran; what
    // follows it is keyed from there and found among the entries read ahead.
    expect(again.calls.get("getCachedOutputs")).toBe(1);
    expect(again.calls.get("getCachedOutputsMany")).toBeUndefined();
  });
});
