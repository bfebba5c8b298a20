import { cpus } from "node:os";
import type { Output, StepClaimHolder } from "@canal/ir";
import { type AttemptContext, runAttempt, withRetries } from "./attempt.js";
import { type BindingPlan, bindingOrigin, instancesByStep, resolveInputs, storedValue } from "./bindings.js";
import { type CacheKeyComponents, cacheKey, type StoredValue } from "./cache-key.js";
import { CacheProbes } from "./cache-probes.js";
import type { RunEvent, RunSummary } from "./events.js";
import { Lookahead } from "./lookahead.js";
import type { Blobs, OrchestrateOptions } from "./orchestrate-options.js";
import { planInstances, type StepInstance } from "./plan.js";
import { RunFolders } from "./run-folders.js";
import { Schedule } from "./schedule.js";
import { claimAfterMiss } from "./single-flight.js";
import { processVariables, variableComponents } from "./step-variables.js";

/**
 * Runs a pipeline: topological scheduling with bounded parallelism, the cache, retries with
 * backoff, timeouts and cancellation. Shared by every runtime; emits events in order.
 * A failed step stops only what depends on it: independent branches still finish (and are cached),
 * so a re-run after a fix does the least work.
 */
export async function orchestrate(options: OrchestrateOptions): Promise<RunSummary> {
  const { pipeline, parameters, runtime, blobs } = options;
  const variables = options.variables ?? processVariables();
  const { instances, skipped } = planInstances(pipeline, parameters);
  const byStep = instancesByStep(instances);
  const plan: BindingPlan = {
    byStep,
    parameters,
    isArtifactParameter: (name) => Boolean(options.artifactParameters[name]),
  };
  const environments = new Map((pipeline.environments ?? []).map((e) => [e.id, e]));
  const summary: RunSummary = { status: "succeeded", steps: {}, outputs: {} };
  const results = new Map<string, Record<string, StoredValue>>();
  const resultOf = (key: string) => results.get(key);
  const emit = async (event: RunEvent) => options.onEvent(event);
  const base = (instance: StepInstance) => ({
    key: instance.key,
    step: instance.step.id,
    index: instance.index,
    time: Date.now(),
  });

  for (const step of skipped) {
    summary.steps[step.id] = "skipped";
    await emit({
      type: "step-skipped",
      key: step.id,
      step: step.id,
      index: -1,
      time: Date.now(),
      reason: "its condition does not hold",
    });
  }

  const finished = (key: string) => summary.steps[key] !== undefined;
  const good = (key: string) => summary.steps[key] === "cached" || summary.steps[key] === "succeeded";
  const schedule: Schedule = new Schedule(
    instances,
    byStep,
    new Set(skipped.map((s) => s.id)),
    finished,
    (key): boolean => lookahead.has(key),
  );
  for (const instance of instances) await emit({ type: "step-queued", ...base(instance) });

  const limit = Math.max(1, Math.min(options.maxParallel ?? cpus().length, runtime.maxParallel));
  const running = new Map<string, Promise<void>>();
  const cancel = new AbortController();
  // A signal already aborted when the run begins cancels it before any step starts.
  if (options.signal?.aborted) cancel.abort();
  else options.signal?.addEventListener("abort", () => cancel.abort());
  const runFolders = new RunFolders({
    workRoot: options.workRoot,
    runId: options.runId,
    artifactDir: options.artifactDir,
    limit,
    runtime,
  });
  const folders = runFolders.ahead;

  const waiting = (key: string) => !finished(key) && !running.has(key) && !cancel.signal.aborted;
  const lookahead = new Lookahead({
    runId: options.runId,
    runtime,
    limit,
    dependents: schedule.dependents,
    waitsFor: schedule.waitsFor,
    instance: (key) => schedule.instance(key),
    environment: (instance) =>
      instance.step.environment ? environments.get(instance.step.environment) : undefined,
    waiting,
    good,
  });
  // Once an attempt was handed to the runtime (its command started, on the next turn), the
  // instances that wait only on it and on others running get their first attempt's folder.
  const makeFoldersAfter = (key: string) =>
    setImmediate(() => {
      for (const dependent of schedule.dependents.get(key) ?? []) {
        if (folders.has(dependent) || !waiting(dependent)) continue;
        if ((schedule.waitsFor.get(dependent) ?? []).every((d) => good(d) || running.has(d)))
          folders.make(schedule.instance(dependent));
      }
    });
  const attempts: AttemptContext = {
    runId: options.runId,
    artifactDir: options.artifactDir,
    workRoot: options.workRoot,
    runtime,
    blobs,
    environment: (step) => (step.environment ? environments.get(step.environment) : undefined),
    variables: variables.values,
    cancel: cancel.signal,
    log: (instance, attempt, stream, text) =>
      void emit({ type: "step-log", ...base(instance), attempt, stream, text }),
    executed: (key) => {
      lookahead.executed(key);
      makeFoldersAfter(key);
    },
    ended: (key) => lookahead.ended(key),
    release: runFolders.release,
    madeAhead: (key, attempt, dir) => folders.take(key, attempt, dir),
    recycled: runFolders.recycled,
  };

  // The cache is asked about the instances ahead while these are decided (see CacheProbes).
  const looksUp = (instance: StepInstance) =>
    !instance.step.cache?.noReuse && !options.regenerate && !options.force?.has(instance.step.id);
  // No instance looks up the cache on a regenerating run: nothing to read ahead.
  const prefetch = options.regenerate ? undefined : options.cache.prefetch?.bind(options.cache);
  // The key each probe computed, with what it was computed from: the instance's decision uses it
  // in place of computing it again only while every upstream result it read is still that very
  // object (issue #10); an upstream that ended otherwise (its entry was damaged and it ran) has a
  // result of its own, and the key is computed from that.
  const probedKeys = new Map<string, ProbedKey>();
  const keyed = (
    instance: StepInstance,
    upstream: (key: string) => Record<string, StoredValue> | undefined,
  ) => {
    const read: ProbedKey["read"] = [];
    const inputs = resolveInputs(
      instance,
      plan,
      (key) => {
        const outputs = upstream(key);
        read.push([key, outputs]);
        return outputs;
      },
      options.artifactParameters,
    );
    const { key, components } = cacheKey(
      instance.step,
      inputs,
      variableComponents(instance.step, variables, runtime.variables),
    );
    return { key, components, inputs, read };
  };
  const probes = new CacheProbes({
    instances,
    waitsFor: schedule.waitsFor,
    decided: (key) => finished(key) || running.has(key) || cancel.signal.aborted,
    result: (key) => (good(key) ? results.get(key) : undefined),
    keyOf: (instance, upstream) => {
      if (!looksUp(instance)) return undefined;
      const probed = keyed(instance, upstream);
      probedKeys.set(instance.key, probed);
      return probed.key;
    },
    entries: async (keys) => {
      if (options.cache.lookupMany) return options.cache.lookupMany(keys);
      const found = new Map<string, Record<string, StoredValue>>();
      for (const [i, outputs] of (await Promise.all(keys.map((key) => options.cache.lookup(key)))).entries())
        if (outputs) found.set(keys[i] as string, outputs);
      return found;
    },
    intact: (instance, outputs) => allPresent(blobs, outputs, instance.step.outputs),
    ...(prefetch ? { prefetch } : {}),
  });

  // Whether the instance last decided by a lookup missed the cache: the next is likely to miss too.
  let missedLast = false;
  let notStarted = instances.length;
  let woken = false;
  // An event about an instance that onEvent could not take, thrown out of the loop once it wakes.
  let unhandled: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  const done = (key: string) => {
    running.delete(key);
    lookahead.forget(key);
    folders.forget(key);
    schedule.settle(key);
    woken = true;
    wake?.();
  };

  // However the loop ends (an event that could not be handled throws out of it), what was made
  // or queued ahead for instances that will not start goes.
  try {
    await probes.readAhead();
    for (;;) {
      if (unhandled) throw unhandled.error;
      woken = false;
      if (cancel.signal.aborted && notStarted > 0) {
        for (const instance of instances) {
          if (finished(instance.key) || running.has(instance.key)) continue;
          summary.steps[instance.key] = "canceled";
          lookahead.forget(instance.key);
          folders.forget(instance.key);
          await emit({ type: "step-canceled", ...base(instance) });
        }
        notStarted = 0;
        schedule.clear();
      }
      while (running.size < limit && schedule.readySize > 0) {
        const instance = schedule.take() as StepInstance;
        const key = instance.key;
        notStarted--;
        const blocked = schedule.blocker(key, good);
        if (blocked) {
          summary.steps[key] = "skipped";
          lookahead.forget(key);
          folders.forget(key);
          await emit({
            type: "step-skipped",
            ...base(instance),
            reason: `upstream step ${blocked} did not succeed`,
          });
          schedule.settle(key);
          continue;
        }
        const task = runInstance(instance).then(
          () => done(key),
          async (error: Error) => {
            summary.steps[key] = "failed";
            try {
              await emit({ type: "step-failed", ...base(instance), attempt: 0, error: error.message });
            } catch (thrown) {
              // Its failure could not be handed on either (onEvent threw): the run ends with that.
              unhandled ??= { error: thrown };
            } finally {
              done(key);
            }
          },
        );
        running.set(key, task);
      }
      if (running.size === 0) {
        if (notStarted <= 0) break;
        // Nothing runs and nothing can start: fail loudly rather than spin.
        if (schedule.readySize === 0)
          throw new Error(`internal: ${notStarted} steps can never start (a cycle at run time)`);
        continue;
      }
      if (!woken) await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  } finally {
    lookahead.forgetAll();
    runFolders.close();
  }
  await probes.settle();
  await runFolders.removed();

  const states = Object.values(summary.steps);
  summary.status =
    cancel.signal.aborted || states.includes("canceled")
      ? "canceled"
      : states.includes("failed")
        ? "failed"
        : "succeeded";
  for (const output of pipeline.outputs ?? []) {
    const value = storedValue(
      bindingOrigin(output.binding, undefined, plan),
      resultOf,
      options.artifactParameters,
    );
    if (value) summary.outputs[output.name] = value;
  }
  return summary;

  async function runInstance(instance: StepInstance): Promise<void> {
    const { step } = instance;
    const probed = probedKeys.get(instance.key);
    probedKeys.delete(instance.key);
    const { key, components, inputs } =
      probed?.read.every(([upstream, outputs]) => resultOf(upstream) === outputs) === true
        ? probed
        : keyed(instance, resultOf);
    const reusable = !step.cache?.noReuse;
    let claimed = false;
    if (looksUp(instance)) {
      // A probe's hit is of this very key, its blobs checked; a miss is looked up again (an entry
      // this run is writing may have come since).
      const probe = probes.take(instance.key, key);
      const probed = probe ? await probe : undefined;
      // Likely to miss again: its probe missed, or the instance decided last did. With claims on,
      // the lookup then goes with the claim, at once: one round trip before the step starts.
      const cold = options.claims !== undefined && (probe !== undefined || missedLast);
      const cached = probed ?? (cold ? undefined : await lookup(key, step.outputs));
      if (cached) {
        await served(instance, key, inputs, cached);
        return;
      }
      probes.pause();
      missedLast = true;
      if (options.claims) {
        const flightOptions = {
          claims: options.claims,
          key,
          lookup: (entry?: Record<string, StoredValue>) => lookup(key, step.outputs, entry),
          signal: cancel.signal,
          waiting: (holder: StepClaimHolder) =>
            emit({ type: "step-waiting", ...base(instance), cacheKey: key, holder }),
          ...(options.flightTiming ? { timing: options.flightTiming } : {}),
        };
        const flight = await claimAfterMiss(flightOptions, cold);
        if (flight.kind === "hit") {
          await served(instance, key, inputs, flight.outputs);
          return;
        }
        if (flight.kind === "cached") {
          results.set(instance.key, flight.outputs);
          summary.steps[instance.key] = "cached";
          probes.ended(instance.key);
          await emit({
            type: "step-cached",
            ...base(instance),
            cacheKey: key,
            inputs,
            outputs: flight.outputs,
            waitedFor: flight.waitedFor,
          });
          return;
        }
        if (flight.kind === "canceled") {
          summary.steps[instance.key] = "canceled";
          await emit({ type: "step-canceled", ...base(instance) });
          return;
        }
        claimed = flight.claimed;
      }
    }
    try {
      await execute(instance, inputs, key, components, reusable);
    } finally {
      // After the step's end was emitted, so its result is recorded before the claim goes. Not
      // waited for: what depends on the step starts now, not once the release is written.
      if (claimed) void Promise.resolve(options.claims?.release(key)).catch(() => {});
    }
  }

  /** The instance is answered by the cache without waiting: probing goes on past it. */
  async function served(
    instance: StepInstance,
    key: string,
    inputs: Record<string, StoredValue>,
    outputs: Record<string, StoredValue>,
  ): Promise<void> {
    missedLast = false;
    results.set(instance.key, outputs);
    summary.steps[instance.key] = "cached";
    probes.ended(instance.key);
    probes.resume();
    await emit({ type: "step-cached", ...base(instance), cacheKey: key, inputs, outputs });
  }

  /**
   * The outputs cached under `key` (`entry` when read already) when all their blobs are intact;
   * a damaged entry is dropped.
   */
  async function lookup(
    key: string,
    declared: Output[],
    entry?: Record<string, StoredValue>,
  ): Promise<Record<string, StoredValue> | undefined> {
    const cached = entry ?? (await options.cache.lookup(key));
    if (cached && (await allPresent(blobs, cached, declared))) return cached;
    // An entry whose bytes are gone or damaged is a miss, never a failure: drop it so that this
    // run's outputs take its place.
    if (cached) {
      probes.forget(key);
      await options.cache.invalidate(key);
    }
    return undefined;
  }

  async function execute(
    instance: StepInstance,
    inputs: Record<string, StoredValue>,
    key: string,
    components: CacheKeyComponents,
    reusable: boolean,
  ): Promise<void> {
    const { step } = instance;
    const ended = await withRetries(step.retry, cancel.signal, {
      attempt: (attempt) => runAttempt(attempts, instance, inputs, attempt),
      started: (attempt) => emit({ type: "step-started", ...base(instance), attempt }),
      retrying: (attempt, error, delayMs) =>
        emit({ type: "step-retrying", ...base(instance), attempt, error, delayMs }),
    });
    summary.steps[instance.key] = ended.status;
    if (ended.status === "succeeded") {
      results.set(instance.key, ended.outputs);
      probes.ended(instance.key);
      await emit({
        type: "step-succeeded",
        ...base(instance),
        attempt: ended.attempt,
        cacheKey: key,
        components,
        reusable,
        inputs,
        outputs: ended.outputs,
        metrics: ended.metrics,
      });
    } else if (ended.status === "canceled") {
      await emit({
        type: "step-canceled",
        ...base(instance),
        ...(ended.attempt === undefined ? {} : { attempt: ended.attempt }),
      });
    } else {
      await emit({
        type: "step-failed",
        ...base(instance),
        attempt: ended.attempt,
        error: ended.error,
        cacheKey: key,
        components,
      });
    }
  }
}

/** A cache key a probe computed, and the upstream results (by instance key) it was computed from. */
interface ProbedKey {
  key: string;
  components: CacheKeyComponents;
  inputs: Record<string, StoredValue>;
  read: [string, Record<string, StoredValue> | undefined][];
}

/** Whether every declared output of a cache entry is there, its bytes intact. */
async function allPresent(
  blobs: Pick<Blobs, "verify">,
  outputs: Record<string, StoredValue>,
  declared: Output[],
): Promise<boolean> {
  for (const output of declared) {
    const value = outputs[output.name];
    if (!value) return false;
    if ("digest" in value) {
      if ((await blobs.verify(value.digest, value.directory ? "directory" : "file")) !== "ok") return false;
      continue;
    }
    for (const digest of "digests" in value ? value.digests : [])
      if ((await blobs.verify(digest)) !== "ok") return false;
  }
  return true;
}
