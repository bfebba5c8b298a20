import { join } from "node:path";
import { runPipeline } from "@canal/runner";
import type { AttemptHooks, AttemptResult, Runtime, StepTask, UpcomingStep } from "@canal/runtime-core";
import { LocalRuntime } from "@canal/runtime-local";
import { openWorkspace } from "@canal/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LookaheadFixture, lookaheadFixture } from "./lookahead-fixture.js";

/**
 * The local runtime, plus the record of what the orchestrator told it ahead of time (a batch
 * queue's runtime queues those steps behind the attempts they wait on).
 */
class Listening implements Runtime {
  readonly name = "local";
  readonly log: string[] = [];
  private readonly local: LocalRuntime;
  constructor(
    cacheDir: string,
    readonly maxParallel: number,
  ) {
    this.local = new LocalRuntime({ cacheDir });
  }
  anticipate(upcoming: UpcomingStep): boolean {
    this.log.push(`anticipate ${upcoming.stepKey} after ${upcoming.after.join(",")}`);
    return true;
  }
  dismiss(_runId: string, stepKey: string): void {
    this.log.push(`dismiss ${stepKey}`);
  }
  execute(task: StepTask, hooks: AttemptHooks): Promise<AttemptResult> {
    this.log.push(`execute ${task.stepKey}`);
    return this.local.execute(task, hooks);
  }
  close(): Promise<void> {
    return this.local.close();
  }
}

describe("what the orchestrator tells a runtime ahead of time", () => {
  let fixture: LookaheadFixture;
  let artifactDir: string;
  let dir: string;

  beforeAll(async () => {
    fixture = await lookaheadFixture("canal-lookahead-");
    ({ artifactDir, dir } = fixture);
  });
  afterAll(() => fixture.remove());

  async function run(parameters: Record<string, unknown>, maxParallel = 8) {
    const workspace = await openWorkspace(dir);
    const runtime = new Listening(join(dir, "cache"), maxParallel);
    try {
      const { run, summary } = await runPipeline({
        workspace,
        artifactDir,
        runtime,
        parameters,
        maxParallel,
      });
      return { status: run.status, steps: summary.steps, log: runtime.log };
    } finally {
      await runtime.close();
      await workspace.close();
    }
  }

  it("announces each instance once, after the attempts it waits on started, and runs each announced one", async () => {
    const { status, log } = await run({ word: "one" });
    expect(status).toBe("succeeded");
    const keys = log.filter((line) => line.startsWith("execute ")).map((line) => line.slice(8));
    expect(keys).toHaveLength(4);
    const [start, second, third, join] = keys as [string, string, string, string];
    // The whole chain is announced once the first attempt started: each behind what it waits on.
    expect(log.slice(0, 4)).toEqual([
      `execute ${start}`,
      `anticipate ${second} after ${start}`,
      `anticipate ${third} after ${second}`,
      `anticipate ${join} after ${second},${third}`,
    ]);
    expect(log.filter((line) => line.startsWith("dismiss"))).toEqual([]);
  });

  it("dismisses announced instances that the cache answers, and those a failure skips", async () => {
    const cached = await run({ word: "one" });
    expect(Object.values(cached.steps).sort()).toEqual(["cached", "cached", "cached", "succeeded"]);
    expect(cached.log.filter((line) => line.startsWith("execute"))).toHaveLength(1);
    expect(cached.log.filter((line) => line.startsWith("dismiss"))).toHaveLength(3);

    const failed = await run({ word: "two", fail: true });
    expect(failed.status).toBe("failed");
    expect(failed.log.filter((line) => line.startsWith("execute"))).toHaveLength(1);
    expect(failed.log.filter((line) => line.startsWith("dismiss"))).toHaveLength(3);
  });

  it("announces no more at once than the run executes at once", async () => {
    const { status, log } = await run({ word: "three" }, 1);
    expect(status).toBe("succeeded");
    let announced = 0;
    for (const line of log) {
      if (line.startsWith("anticipate")) announced++;
      if (line.startsWith("execute") && announced > 0 && !line.endsWith("start")) announced--;
      expect(announced).toBeLessThanOrEqual(1);
    }
    expect(log.filter((line) => line.startsWith("anticipate"))).toHaveLength(3);
  });
});
