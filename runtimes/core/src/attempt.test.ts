import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Environment, Step } from "@canal/ir";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  AttemptClock,
  type AttemptContext,
  type AttemptOutcome,
  backoffDelay,
  runAttempt,
  withRetries,
} from "./attempt.js";
import { planInstances, type StepInstance } from "./plan.js";
import { MemoryRuntime, type MemoryRuntimeOptions, StepTimedOut } from "./testing/memory-runtime.js";
import { parameter, TestBed, testPipeline, testStep, types } from "./testing/pipelines.js";

let bed: TestBed;
beforeEach(() => {
  bed = new TestBed();
});
afterEach(() => {
  vi.useRealTimers();
  bed.remove();
});

function context(
  runtime: MemoryRuntime,
  cancel = new AbortController(),
): AttemptContext & { released: string[] } {
  const released: string[] = [];
  return {
    runId: "r",
    artifactDir: join(bed.dir, "artifact"),
    workRoot: join(bed.dir, "work"),
    runtime,
    blobs: bed.blobs,
    environment: () => undefined,
    variables: { TOKEN: "t0k" },
    cancel: cancel.signal,
    log: () => {},
    release: (dir) => void released.push(dir),
    released,
  };
}

const only = (more: Parameters<typeof testStep>[3] = {}): StepInstance =>
  planInstances(testPipeline([testStep("s", {}, { out: types.number }, more)]), {})
    .instances[0] as StepInstance;

describe("the timeout clock", () => {
  it("aborts with the reason timeout once started, and never before", () => {
    vi.useFakeTimers();
    const abort = new AbortController();
    const clock = new AttemptClock(100, abort);
    vi.advanceTimersByTime(1000);
    expect(abort.signal.aborted).toBe(false);
    clock.start();
    clock.start();
    vi.advanceTimersByTime(99);
    expect(abort.signal.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(abort.signal.reason).toBe("timeout");
  });

  it("stops, and has no clock without a timeout", () => {
    vi.useFakeTimers();
    const stopped = new AbortController();
    const clock = new AttemptClock(10, stopped);
    clock.start();
    clock.stop();
    const none = new AbortController();
    new AttemptClock(undefined, none).start();
    vi.advanceTimersByTime(100);
    expect([stopped.signal.aborted, none.signal.aborted]).toEqual([false, false]);
  });
});

describe("retries", () => {
  const failing = (retryable: boolean): AttemptOutcome => ({ status: "failed", error: "no", retryable });

  it("doubles the backoff from the step's base, 1 s by default", () => {
    expect([1, 2, 3].map((n) => backoffDelay({ backoffMs: 50 }, n))).toEqual([50, 100, 200]);
    expect(backoffDelay(undefined, 1)).toBe(1000);
  });

  it("attempts 1 + maxRetries times for a retryable failure, waiting between", async () => {
    const waits: number[] = [];
    const retried: number[] = [];
    const ended = await withRetries({ maxRetries: 2, backoffMs: 10 }, new AbortController().signal, {
      attempt: async () => failing(true),
      started: () => {},
      retrying: (n) => void retried.push(n),
      wait: async (ms) => void waits.push(ms),
    });
    expect(ended).toEqual({ status: "failed", attempt: 3, error: "no" });
    expect([retried, waits]).toEqual([
      [1, 2],
      [10, 20],
    ]);
  });

  it("does not retry a failure a retry cannot fix", async () => {
    const ended = await withRetries({ maxRetries: 5 }, new AbortController().signal, {
      attempt: async () => failing(false),
      started: () => {},
      retrying: () => expect.fail("retried"),
    });
    expect(ended).toMatchObject({ status: "failed", attempt: 1 });
  });

  it("ends as canceled when the run is canceled during the backoff, before the next attempt", async () => {
    const cancel = new AbortController();
    let attempts = 0;
    const ended = await withRetries({ maxRetries: 3 }, cancel.signal, {
      attempt: async () => {
        attempts++;
        return failing(true);
      },
      started: () => {},
      retrying: () => {},
      wait: async () => cancel.abort(),
    });
    expect([ended, attempts]).toEqual([{ status: "canceled" }, 1]);
  });
});

describe("one attempt", () => {
  const run = (steps: MemoryRuntimeOptions["steps"], more: Partial<MemoryRuntimeOptions> = {}) =>
    new MemoryRuntime({ steps, ...more });

  it("passes the declared variables, collects the outputs and metrics, and releases its folder", async () => {
    const runtime = run({
      s: ({ task, metric }) => {
        metric("loss", 0.25);
        return { values: { out: task.variables?.TOKEN?.length } };
      },
    });
    const ctx = context(runtime);
    const outcome = await runAttempt(ctx, only({ passEnv: ["TOKEN"] }), {}, 1);
    expect(outcome).toEqual({
      status: "succeeded",
      outputs: { out: { json: "3" } },
      metrics: [{ name: "loss", value: 0.25 }],
    });
    expect(ctx.released).toEqual([join(bed.dir, "work", "r", "s-1")]);
    expect(runtime.tasks[0]?.workDir).toBe(join(bed.dir, "work", "r", "s-1"));
  });

  it("refuses a step the runtime can never run before it makes a folder or fetches an input", async () => {
    const source = join(bed.dir, "data.txt");
    mkdirSync(bed.dir, { recursive: true });
    writeFileSync(source, "bytes");
    const digest = await bed.blobs.putFile(source);
    const runtime = Object.assign(run({ s: () => ({ values: {} }) }), {
      cannotRun: (_step: Step, environment: Environment | undefined) =>
        environment?.kind === "IMAGE"
          ? `it runs in the image ${environment.image}, which is not here`
          : undefined,
    });
    const image = { id: "img", kind: "IMAGE", image: "python:3.12" } as Environment;
    const ctx = { ...context(runtime), environment: () => image };
    const instance = planInstances(
      testPipeline([testStep("s", { data: [types.file, parameter("data")] })]),
      {},
    ).instances[0] as StepInstance;
    const outcome = await runAttempt(ctx, instance, { data: { digest, directory: false } }, 1);
    expect(outcome).toEqual({
      status: "failed",
      error: "step s: it runs in the image python:3.12, which is not here",
      retryable: false,
    });
    expect(bed.blobs.materialized).toEqual([]);
    expect(existsSync(join(bed.dir, "work"))).toBe(false);
    expect(runtime.tasks).toEqual([]);
  });

  it("counts a queued runtime's timeout from its start, not from the submission", async () => {
    let admit: () => void = () => {};
    const queued = new Promise<void>((resolve) => (admit = resolve));
    const runtime = run(
      { s: ({ signal }) => new Promise((resolve) => signal.addEventListener("abort", () => resolve())) },
      { queue: () => queued },
    );
    vi.useFakeTimers();
    const outcome = runAttempt(context(runtime), only({ timeoutMs: 50 }), {}, 1);
    await vi.advanceTimersByTimeAsync(500);
    let settled = false;
    void outcome.then(() => (settled = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(settled).toBe(false);
    admit();
    await vi.advanceTimersByTimeAsync(50);
    expect(await outcome).toEqual({
      status: "failed",
      error: "step s timed out after 50 ms",
      retryable: true,
    });
  });

  it("ends as canceled when the run is canceled, and maps a runtime's own timeout to a retryable failure", async () => {
    const cancel = new AbortController();
    const runtime = run({
      s: ({ signal }) => {
        cancel.abort();
        return new Promise((resolve) => signal.addEventListener("abort", () => resolve()));
      },
    });
    expect(await runAttempt(context(runtime, cancel), only(), {}, 1)).toEqual({ status: "canceled" });
    const timedOut = run({
      s: () => {
        throw new StepTimedOut("Slurm said TIMEOUT");
      },
    });
    expect(await runAttempt(context(timedOut), only(), {}, 2)).toEqual({
      status: "failed",
      error: "Slurm said TIMEOUT",
      retryable: true,
    });
  });
});
