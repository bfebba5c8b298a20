import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RunEvent } from "./events.js";
import { lookupWithClaim, singleFlight } from "./single-flight.js";
import { StepFailure } from "./testing/memory-runtime.js";
import { MemoryClaims } from "./testing/memory-store.js";
import { fromOutput, item, literal, TestBed, testPipeline, testStep, types } from "./testing/pipelines.js";

let bed: TestBed;
let claims: MemoryClaims;
beforeEach(() => {
  bed = new TestBed();
  claims = new MemoryClaims();
});
afterEach(() => bed.remove());

const chain = testPipeline([
  testStep("prepare", { text: [types.string, literal("a,b")] }, { n: types.number }),
  testStep("train", { n: [types.number, fromOutput("prepare", "n")] }, { score: types.number }),
]);

/** A promise and what settles it: a step that runs until the test lets it end. */
function gate() {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

/** Resolves once `events` holds one that `match` accepts. */
function seen(events: RunEvent[], match: (e: RunEvent) => boolean): Promise<RunEvent> {
  return new Promise((resolve) => {
    const look = () => {
      const found = events.find(match);
      if (found) resolve(found);
      else setImmediate(look);
    };
    look();
  });
}

const fast = { timing: { firstMs: 1, maxMs: 4 } };
const runOptions = (runId: string, events: RunEvent[], extra = {}) => ({
  runId,
  claims: claims.for(runId, `${runId}-host`),
  flightTiming: fast.timing,
  onEvent: (e: RunEvent) => void events.push(e),
  ...extra,
});

describe("single-flight on the memory runtime", () => {
  it("runs a step two runs need at once one time: the second waits and reuses the first's result", async () => {
    const calls: string[] = [];
    const prepareRuns = gate();
    const steps = {
      prepare: async ({ task }: { task: { runId: string } }) => {
        calls.push(`prepare ${task.runId}`);
        await prepareRuns.opened;
        return { values: { n: 2 } };
      },
      train: ({ task, inputs }: { task: { runId: string }; inputs: Record<string, unknown> }) => {
        calls.push(`train ${task.runId}`);
        return { values: { score: (inputs.n as number) * 10 } };
      },
    };
    const aEvents: RunEvent[] = [];
    const bEvents: RunEvent[] = [];
    const a = bed.run(chain, { steps }, runOptions("run-a", aEvents));
    await seen(aEvents, (e) => e.type === "step-started" && e.key === "prepare");
    const b = bed.run(chain, { steps }, runOptions("run-b", bEvents));
    const waiting = await seen(bEvents, (e) => e.type === "step-waiting");
    expect(waiting).toMatchObject({ key: "prepare", holder: { runId: "run-a", host: "run-a-host" } });
    prepareRuns.open();
    const [ra, rb] = await Promise.all([a, b]);
    expect(ra.summary.status).toBe("succeeded");
    expect(rb.summary).toMatchObject({ status: "succeeded", steps: { prepare: "cached" } });
    expect(calls.filter((c) => c.startsWith("prepare"))).toEqual(["prepare run-a"]);
    const cached = bEvents.find((e) => e.type === "step-cached" && e.key === "prepare");
    expect(cached).toMatchObject({
      waitedFor: { runId: "run-a", host: "run-a-host" },
      outputs: { n: { json: "2" } },
    });
    // Every claim was let go once its step ended.
    expect(claims.keys).toEqual([]);
  });

  it("executes the step itself when the run it waited for failed, instead of waiting forever", async () => {
    const calls: string[] = [];
    const failing = gate();
    const steps = (fail: boolean) => ({
      prepare: async ({ task }: { task: { runId: string } }) => {
        calls.push(`prepare ${task.runId}`);
        if (!fail) return { values: { n: 3 } };
        await failing.opened;
        throw new StepFailure("out of memory", false);
      },
      train: () => ({ values: { score: 1 } }),
    });
    const aEvents: RunEvent[] = [];
    const bEvents: RunEvent[] = [];
    const a = bed.run(chain, { steps: steps(true) }, runOptions("run-a", aEvents));
    await seen(aEvents, (e) => e.type === "step-started" && e.key === "prepare");
    const b = bed.run(chain, { steps: steps(false) }, runOptions("run-b", bEvents));
    await seen(bEvents, (e) => e.type === "step-waiting");
    failing.open();
    const [ra, rb] = await Promise.all([a, b]);
    expect(ra.summary.steps.prepare).toBe("failed");
    expect(rb.summary).toMatchObject({
      status: "succeeded",
      steps: { prepare: "succeeded", train: "succeeded" },
    });
    expect(calls).toEqual(["prepare run-a", "prepare run-b"]);
    expect(claims.keys).toEqual([]);
  });

  it("takes a step over when the claim it waits on expires: the holder's driver died", async () => {
    const events: RunEvent[] = [];
    const steps = { prepare: () => ({ values: { n: 4 } }), train: () => ({ values: { score: 2 } }) };
    // A driver that claimed the key and then died: it never releases.
    const probe = await bed.run(chain, { steps }, { runId: "probe" });
    const key = (
      probe.events.find((e) => e.type === "step-succeeded" && e.key === "prepare") as { cacheKey: string }
    ).cacheKey;
    bed.cache.entries.clear();
    expect(await claims.for("run-dead", "gone-host").claim(key)).toEqual({ won: true });
    const b = bed.run(chain, { steps }, runOptions("run-b", events));
    await seen(events, (e) => e.type === "step-waiting");
    expect(claims.holder(key)?.runId).toBe("run-dead");
    claims.expire(key);
    const { summary } = await b;
    expect(summary).toMatchObject({ status: "succeeded", steps: { prepare: "succeeded" } });
    expect(claims.calls).toContain(`claim run-b ${key} won`);
    expect(claims.keys).toEqual([]);
  });

  it("stops waiting when its run is canceled, and leaves the other run's claim alone", async () => {
    const events: RunEvent[] = [];
    const steps = { prepare: () => ({ values: { n: 4 } }), train: () => ({ values: { score: 2 } }) };
    const probe = await bed.run(chain, { steps }, { runId: "probe" });
    const key = (
      probe.events.find((e) => e.type === "step-succeeded" && e.key === "prepare") as { cacheKey: string }
    ).cacheKey;
    bed.cache.entries.clear();
    await claims.for("run-slow").claim(key);
    const cancel = new AbortController();
    const b = bed.run(chain, { steps }, runOptions("run-b", events, { signal: cancel.signal }));
    await seen(events, (e) => e.type === "step-waiting");
    cancel.abort();
    const { summary, runtime } = await b;
    expect(summary).toMatchObject({ status: "canceled", steps: { prepare: "canceled", train: "canceled" } });
    expect(runtime.tasks).toEqual([]);
    expect(claims.holder(key)?.runId).toBe("run-slow");
    expect(claims.calls.filter((c) => c.startsWith("release"))).toEqual([]);
  });

  it("costs a run alone one claim per executed step and none per cached one, and releases each", async () => {
    const steps = { prepare: () => ({ values: { n: 4 } }), train: () => ({ values: { score: 2 } }) };
    const first = await bed.run(chain, { steps }, runOptions("run-1", []));
    expect(first.summary.steps).toEqual({ prepare: "succeeded", train: "succeeded" });
    expect(claims.calls.map((c) => c.replace(/ [0-9a-f]{64}/, ""))).toEqual([
      "claim run-1 won",
      "release run-1",
      "claim run-1 won",
      "release run-1",
    ]);
    claims.calls.length = 0;
    const second = await bed.run(chain, { steps }, runOptions("run-2", []));
    expect(second.summary.steps).toEqual({ prepare: "cached", train: "cached" });
    expect(claims.calls).toEqual([]);
  });

  it("claims a step whose upstream missed while it looks it up, and lets the claim go on a hit", async () => {
    const steps = { prepare: () => ({ values: { n: 4 } }), train: () => ({ values: { score: 2 } }) };
    const first = await bed.run(chain, { steps }, runOptions("run-1", []));
    const keyOf = (step: string) => {
      const event = first.events.find((e) => e.type === "step-succeeded" && e.step === step);
      return (event as { cacheKey: string }).cacheKey;
    };
    // prepare runs again (its entry is gone) and ends as before: train's key is found cached.
    bed.cache.entries.delete(keyOf("prepare"));
    claims.calls.length = 0;
    // Whether train's claim was asked while its lookup was still out (a few turns of the loop).
    let claimedDuringLookup = false;
    const lookup = bed.cache.lookup.bind(bed.cache);
    bed.cache.lookup = async (key) => {
      if (key === keyOf("train"))
        for (let turn = 0; turn < 20 && !claimedDuringLookup; turn++) {
          claimedDuringLookup = claims.calls.includes(`claim run-2 ${key} won`);
          await new Promise((resolve) => setImmediate(resolve));
        }
      return lookup(key);
    };
    const second = await bed.run(chain, { steps }, runOptions("run-2", []));
    expect(second.summary.steps).toEqual({ prepare: "succeeded", train: "cached" });
    expect(second.runtime.tasks.map((t) => t.stepKey)).toEqual(["prepare"]);
    expect(claimedDuringLookup).toBe(true);
    expect(claims.calls).toEqual([
      `claim run-2 ${keyOf("prepare")} won`,
      `release run-2 ${keyOf("prepare")}`,
      `claim run-2 ${keyOf("train")} won`,
      `release run-2 ${keyOf("train")}`,
    ]);
    expect(claims.keys).toEqual([]);
  });

  it("asks a cold step's lookup and claim as one where the claims can, and takes no claim on a hit", async () => {
    const steps = { prepare: () => ({ values: { n: 4 } }), train: () => ({ values: { score: 2 } }) };
    /** Each key asked of lookupOrClaim; the claims behind it are the test's. */
    const asked: string[] = [];
    const oneStatement = (runId: string) => {
      const own = claims.for(runId);
      return {
        ...own,
        lookupOrClaim: async (key: string) => {
          asked.push(key);
          const cached = bed.cache.entries.get(key);
          return cached ? { cached } : { claim: await own.claim(key) };
        },
      };
    };
    const looked: string[] = [];
    const lookup = bed.cache.lookup.bind(bed.cache);
    bed.cache.lookup = (key) => {
      looked.push(key);
      return lookup(key);
    };
    const first = await bed.run(
      chain,
      { steps },
      { ...runOptions("run-1", []), claims: oneStatement("run-1") },
    );
    expect(first.summary.steps).toEqual({ prepare: "succeeded", train: "succeeded" });
    const keyOf = (step: string) => {
      const event = first.events.find((e) => e.type === "step-succeeded" && e.step === step);
      return (event as { cacheKey: string }).cacheKey;
    };
    // The first step is looked up, then claimed with a fresh look; train, likely to miss after it,
    // asked one thing.
    expect(looked).toEqual([keyOf("prepare")]);
    expect(asked).toEqual([keyOf("prepare"), keyOf("train")]);
    expect(claims.calls).toEqual([
      `claim run-1 ${keyOf("prepare")} won`,
      `release run-1 ${keyOf("prepare")}`,
      `claim run-1 ${keyOf("train")} won`,
      `release run-1 ${keyOf("train")}`,
    ]);
    // prepare runs again; train, likely to miss after it, is a hit: no claim taken, none let go.
    bed.cache.entries.delete(keyOf("prepare"));
    asked.length = 0;
    looked.length = 0;
    claims.calls.length = 0;
    const second = await bed.run(
      chain,
      { steps },
      { ...runOptions("run-2", []), claims: oneStatement("run-2") },
    );
    expect(second.summary.steps).toEqual({ prepare: "succeeded", train: "cached" });
    expect(looked).toEqual([keyOf("prepare")]);
    expect(asked).toEqual([keyOf("prepare"), keyOf("train")]);
    expect(claims.calls).toEqual([
      `claim run-2 ${keyOf("prepare")} won`,
      `release run-2 ${keyOf("prepare")}`,
    ]);
    expect(claims.keys).toEqual([]);
  });

  it("serves the entry a holder recorded and let go between a step's lookup and its claim", async () => {
    const steps = { prepare: () => ({ values: { n: 4 } }), train: () => ({ values: { score: 2 } }) };
    const first = await bed.run(chain, { steps }, runOptions("run-1", []));
    const prepared = first.events.find((e) => e.type === "step-succeeded" && e.step === "prepare") as {
      cacheKey: string;
      outputs: Record<string, { json: string }>;
    };
    bed.cache.entries.clear();
    const own = claims.for("run-2");
    const oneStatement = {
      ...own,
      lookupOrClaim: async (key: string) => {
        const cached = bed.cache.entries.get(key);
        return cached ? { cached } : { claim: await own.claim(key) };
      },
    };
    // Another run's prepare holds the claim while run-2 looks up; it records its entry and lets go
    // just after run-2's lookup missed, before run-2's claim.
    const holder = claims.for("run-other");
    await holder.claim(prepared.cacheKey);
    const lookup = bed.cache.lookup.bind(bed.cache);
    bed.cache.lookup = async (key) => {
      const found = await lookup(key);
      if (key === prepared.cacheKey && !found) {
        bed.cache.entries.set(key, prepared.outputs);
        await holder.release(key);
      }
      return found;
    };
    const second = await bed.run(chain, { steps }, { ...runOptions("run-2", []), claims: oneStatement });
    expect(second.summary.steps).toMatchObject({ prepare: "cached" });
    expect(second.runtime.tasks.map((t) => t.stepKey)).not.toContain("prepare");
    expect(claims.keys).toEqual([]);
  });

  it("waits for the holder of a step it claimed while looking it up, and reuses its result", async () => {
    const steps = { prepare: () => ({ values: { n: 4 } }), train: () => ({ values: { score: 2 } }) };
    const first = await bed.run(chain, { steps }, runOptions("run-1", []));
    const trained = first.events.find((e) => e.type === "step-succeeded" && e.step === "train") as {
      cacheKey: string;
      outputs: Record<string, { json: string }>;
    };
    bed.cache.entries.clear();
    const holder = claims.for("run-other");
    await holder.claim(trained.cacheKey);
    claims.calls.length = 0;
    const events: RunEvent[] = [];
    const run = bed.run(chain, { steps }, runOptions("run-2", events));
    await seen(events, (e) => e.type === "step-waiting" && e.step === "train");
    bed.cache.entries.set(trained.cacheKey, trained.outputs);
    await holder.release(trained.cacheKey);
    const { summary, runtime } = await run;
    expect(summary.steps).toEqual({ prepare: "succeeded", train: "cached" });
    expect(runtime.tasks.map((t) => t.stepKey)).toEqual(["prepare"]);
    expect(events.find((e) => e.type === "step-cached")).toMatchObject({
      step: "train",
      waitedFor: { runId: "run-other" },
      outputs: trained.outputs,
    });
    expect(claims.calls.filter((c) => c.startsWith("claim run-2") && c.includes(trained.cacheKey))[0]).toBe(
      `claim run-2 ${trained.cacheKey} lost`,
    );
    expect(claims.keys).toEqual([]);
  });

  it("runs equal iterations of a fan-out once: the others wait for the first", async () => {
    const pipeline = testPipeline(
      [testStep("square", { x: [types.number, item("xs")] }, { y: types.number }, { fanOut: "xs" })],
      { fanOuts: [{ id: "xs", itemName: "x", parameter: "xs" }] },
    );
    const events: RunEvent[] = [];
    const held = gate();
    const run = bed.run(
      pipeline,
      {
        steps: {
          square: async ({ inputs }) => {
            await held.opened;
            return { values: { y: (inputs.x as number) ** 2 } };
          },
        },
      },
      runOptions("run-f", events, { parameters: { xs: [3, 3, 3] }, maxParallel: 3 }),
    );
    await seen(events, () => events.filter((e) => e.type === "step-waiting").length === 2);
    held.open();
    const { summary, runtime } = await run;
    expect(summary.status).toBe("succeeded");
    expect(runtime.tasks).toHaveLength(1);
    const cached = events.filter((e) => e.type === "step-cached");
    expect(cached).toHaveLength(2);
    for (const event of cached)
      expect(event).toMatchObject({ waitedFor: { runId: "run-f" }, outputs: { y: { json: "9" } } });
    expect(claims.keys).toEqual([]);
  });

  it("releases the claim of a step that was canceled while it ran", async () => {
    const cancel = new AbortController();
    const events: RunEvent[] = [];
    const steps = {
      prepare: ({ signal }: { signal: AbortSignal }) =>
        new Promise<{ values: { n: number } }>((_, reject) => {
          signal.addEventListener("abort", () => reject(new Error("stopped")));
        }),
      train: () => ({ values: { score: 2 } }),
    };
    const run = bed.run(chain, { steps }, runOptions("run-c", events, { signal: cancel.signal }));
    await seen(events, (e) => e.type === "step-started");
    expect(claims.keys).toHaveLength(1);
    cancel.abort();
    expect((await run).summary.status).toBe("canceled");
    expect(claims.keys).toEqual([]);
  });
});

describe("singleFlight", () => {
  it("finds the holder's result recorded between its last look and its claim, and lets the claim go", async () => {
    const claims = new MemoryClaims();
    const holder = claims.for("run-a");
    await holder.claim("k");
    let looks = 0;
    const outputs = { n: { json: "1" } };
    const flight = await singleFlight({
      claims: claims.for("run-b"),
      key: "k",
      signal: new AbortController().signal,
      ...fast,
      // The holder ends (records, releases) right after the waiter's first look.
      lookup: async () => {
        looks++;
        if (looks === 1) {
          await holder.release("k");
          return undefined;
        }
        return outputs;
      },
    });
    expect(flight).toMatchObject({ kind: "cached", outputs, waitedFor: { runId: "run-a" } });
    expect(claims.keys).toEqual([]);
  });

  it("lets a claim it won beside a lookup go when the lookup fails", async () => {
    const claims = new MemoryClaims();
    const flight = lookupWithClaim({
      claims: claims.for("run-b"),
      key: "k",
      signal: new AbortController().signal,
      lookup: () => Promise.reject(new Error("store away")),
    });
    await expect(flight).rejects.toThrow("store away");
    // The release is not waited for: wait for it to land.
    while (claims.keys.length > 0) await new Promise((resolve) => setImmediate(resolve));
    expect(claims.calls).toEqual(["claim run-b k won", "release run-b k"]);
  });

  it("checks the blobs of the entry a lookup-or-claim found, and claims once they are found damaged", async () => {
    const claims = new MemoryClaims();
    const own = claims.for("run-b");
    const entry = { n: { json: "1" } };
    const checked: unknown[] = [];
    const flight = await lookupWithClaim({
      claims: { ...own, lookupOrClaim: async () => ({ cached: entry }) },
      key: "k",
      signal: new AbortController().signal,
      // The entry's blobs are gone: the lookup drops it, a miss.
      lookup: async (found) => {
        checked.push(found);
        return undefined;
      },
    });
    expect(flight).toEqual({ kind: "execute", claimed: true });
    expect(checked).toEqual([entry]);
    expect(claims.calls).toEqual(["claim run-b k won"]);
  });

  it("waits for the holder a lookup-or-claim names, and reuses its result", async () => {
    const claims = new MemoryClaims();
    const holder = claims.for("run-a");
    await holder.claim("k");
    const own = claims.for("run-b");
    const outputs = { n: { json: "1" } };
    let looks = 0;
    const flight = await lookupWithClaim({
      claims: { ...own, lookupOrClaim: async (key) => ({ claim: await own.claim(key) }) },
      key: "k",
      signal: new AbortController().signal,
      ...fast,
      lookup: async () => (++looks === 2 ? outputs : undefined),
    });
    expect(flight).toMatchObject({ kind: "cached", outputs, waitedFor: { runId: "run-a" } });
    expect(claims.calls).toEqual(["claim run-a k won", "claim run-b k lost", "claim run-b k lost"]);
  });

  it("looks up alone when a lookup-or-claim fails, and runs a miss unclaimed", async () => {
    const claims = new MemoryClaims();
    let looks = 0;
    const flight = await lookupWithClaim({
      claims: { ...claims.for("run-b"), lookupOrClaim: () => Promise.reject(new Error("store away")) },
      key: "k",
      signal: new AbortController().signal,
      lookup: async () => {
        looks++;
        return undefined;
      },
    });
    expect(flight).toEqual({ kind: "execute", claimed: false });
    expect(looks).toBe(1);
    expect(claims.calls).toEqual([]);
  });

  it("runs the step as without single-flight when the claim cannot be made", async () => {
    const flight = await singleFlight({
      claims: {
        claim: () => Promise.reject(new Error("store away")),
        release: () => {},
      },
      key: "k",
      signal: new AbortController().signal,
      lookup: async () => undefined,
    });
    expect(flight).toEqual({ kind: "execute", claimed: false });
  });
});
