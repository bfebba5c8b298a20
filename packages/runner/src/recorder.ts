import type { RunEvent } from "@canal/runtime-core";
import type { MetadataStore, MetadataTransaction, NewStepRun, StepRunEnd } from "@canal/store";

// A commit costs far more than the rows it writes (SQLite writes every touched page to its log,
// and checkpoints the log as it grows), so events are written at most this often, in batches.
const BATCH_INTERVAL_MS = 50;

/**
 * Milliseconds on a monotonic clock. Not `performance.now()`: the first use of the global
 * `performance` loads perf_hooks and its ten internal modules, about 1 ms of a cached run.
 */
const monotonicMs = () => Number(process.hrtime.bigint()) / 1e6;

/** The end of a run's claim on a cache key (single-flight), written in order with the events. */
interface ClaimRelease {
  type: "release-claim";
  key: string;
}

type Entry = RunEvent | ClaimRelease;

type CachedEvent = Extract<RunEvent, { type: "step-cached" }>;

/**
 * Writes a run's events into the metadata store, in the order they happened, in batches: the events
 * that arrive within a short interval (a run's queued steps, steps finishing meanwhile) share one
 * commit. Another process sees an event at most a few tens of milliseconds after it happened.
 */
export class RunRecorder {
  private pending: Entry[] = [];
  /** Cache keys that unwritten events will enter into the store, with how many events each. */
  private readonly unwrittenKeys = new Map<string, number>();
  private writing: Promise<void> | undefined;
  /** Settles once the batch that the pending events will form is written (or has failed). */
  private batchWritten: Deferred | undefined;
  private lastBatch = Number.NEGATIVE_INFINITY;
  /** Set by flush: what is pending is written at once. */
  private flushing = false;
  /** Ends the wait for the interval early. */
  private hurry: (() => void) | undefined;
  private readonly stepRuns = new Map<string, number>();
  /** The step runs the batch being written has created (forgotten if it is undone). */
  private created: string[] | undefined;
  private failure: unknown;

  constructor(
    private readonly metadata: MetadataStore,
    private readonly runId: string,
    private readonly hooks: RecorderHooks = {},
  ) {}

  /** Records an event; resolves (never rejects) when it and everything before it are written. */
  record(event: RunEvent): Promise<void> {
    return this.enqueue(event);
  }

  /**
   * Releases the run's claim on cache key `key` once everything recorded before is written: in
   * the same unit as the step's end where they share a batch, so that a run waiting on the claim
   * finds the cache entry no later than it finds the claim gone. Resolves (never rejects) then.
   */
  release(key: string): Promise<void> {
    return this.enqueue({ type: "release-claim", key });
  }

  private enqueue(event: Entry): Promise<void> {
    this.pending.push(event);
    const key = cacheEntryKey(event);
    if (key) this.unwrittenKeys.set(key, (this.unwrittenKeys.get(key) ?? 0) + 1);
    this.batchWritten ??= deferred();
    const written = this.batchWritten.promise;
    this.writing ??= this.drain();
    return written;
  }

  /** Writes what is pending now and waits for every write; throws the first write that failed. */
  async flush(): Promise<void> {
    this.flushing = true;
    this.hurry?.();
    try {
      while (this.writing) await this.writing;
    } finally {
      this.flushing = false;
    }
    if (this.failure) throw this.failure;
  }

  /** Waits until a cache entry under `cacheKey` that an unwritten event makes is in the store. */
  async settledFor(cacheKey: string): Promise<void> {
    while (this.writing && this.unwrittenKeys.has(cacheKey)) {
      this.hurry?.();
      await this.writing;
    }
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        // The events emitted in this turn of the event loop join the batch, and so do those of
        // the interval since the last one (unless the run is ending and waits for them).
        const wait = this.flushing ? 0 : this.lastBatch + BATCH_INTERVAL_MS - monotonicMs();
        await new Promise<void>((resolve) => {
          if (wait <= 0) return void setImmediate(resolve);
          const timer = setTimeout(resolve, wait);
          this.hurry = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.hurry = undefined;
        this.lastBatch = monotonicMs();
        const batch = this.pending;
        const written = this.batchWritten;
        this.pending = [];
        this.batchWritten = undefined;
        try {
          await this.hooks.beforeBatch?.();
          await this.writeBatch(batch);
        } finally {
          for (const event of batch) {
            const key = cacheEntryKey(event);
            const left = key ? (this.unwrittenKeys.get(key) ?? 1) - 1 : 0;
            if (key && left > 0) this.unwrittenKeys.set(key, left);
            else if (key) this.unwrittenKeys.delete(key);
          }
          written?.resolve();
          try {
            if (this.hooks.written)
              for (const event of batch) if (event.type !== "release-claim") this.hooks.written(event);
          } catch (error) {
            this.failure ??= error;
          }
        }
      }
    } catch (error) {
      this.failure ??= error;
      this.pending = [];
      this.unwrittenKeys.clear();
      this.batchWritten?.resolve();
      this.batchWritten = undefined;
    } finally {
      this.writing = undefined;
    }
  }

  /**
   * One transaction for the batch; if one event's write fails, the batch is undone and its events
   * written one at a time, so that only the failing one is lost.
   */
  private async writeBatch(batch: Entry[]): Promise<void> {
    const created: string[] = [];
    this.created = created;
    try {
      await this.metadata.transaction(async (tx) => {
        // A store may run a unit again after undoing it (a lost serialization race): what an
        // undone try created is gone.
        for (const key of created.splice(0)) this.stepRuns.delete(key);
        await this.writeAll(tx, batch);
      });
      return;
    } catch {
      // The step runs created in the undone transaction are gone with it.
      for (const key of created) this.stepRuns.delete(key);
    } finally {
      this.created = undefined;
    }
    for (const event of batch) {
      try {
        await this.write(this.metadata, event);
      } catch (error) {
        this.failure ??= error;
      }
    }
  }

  /**
   * Writes the events of a batch in order. A stretch of queued steps is one createStepRuns, and a
   * stretch of steps the cache answered one finishStepRuns: a run that the cache answers whole
   * costs a few statements for all of its steps instead of a dozen for each. A step queued and
   * answered by the cache in the same batch is created in its end state where it is queued, with
   * no update after, unless the batch also makes a cache entry under its key (the entry it reuses
   * may then be one made after it was queued): no one sees a batch's writes before all of them.
   * The batch's claims are released by one releaseSteps at the end.
   */
  private async writeAll(tx: MetadataTransaction, entries: Entry[]): Promise<void> {
    // The claims to let go of, all in one call after the rest: in one unit, the others see the
    // ends and the claims' release at once, when it commits.
    const released: string[] = [];
    const batch: Entry[] = [];
    for (const entry of entries) {
      if (entry.type === "release-claim") released.push(entry.key);
      else batch.push(entry);
    }
    // An attempt that starts and ends in this batch is recorded by its end alone.
    const startsOfEnds = new Map<Entry, number>();
    const startedWithEnd = new Set<Entry>();
    for (const [start, ending] of startsWithEnds(batch)) {
      startedWithEnd.add(start);
      startsOfEnds.set(ending, start.time);
    }
    const entered = new Set(batch.map(cacheEntryKey));
    const answers = new Map<string, CachedEvent>();
    for (const event of batch)
      if (event.type === "step-cached" && !entered.has(event.cacheKey)) answers.set(event.key, event);
    /** The answers written with their step runs' creation. */
    const created = new Set<CachedEvent>();
    for (let at = 0; at < batch.length; ) {
      const type = batch[at]?.type;
      let end = at;
      while (batch[end]?.type === type) end++;
      if (type === "step-queued" || type === "step-cached") {
        const events = batch.slice(at, end) as RunEvent[];
        await this.makeStepRuns(tx, events, answers, created);
        if (type === "step-cached") {
          const ends = (events as CachedEvent[]).filter((event) => !created.has(event));
          if (ends.length > 0)
            await tx.finishStepRuns(
              ends.map((event) => ({
                stepRunId: this.stepRuns.get(event.key) as number,
                endedAt: event.time,
                status: "cached",
                cacheKey: event.cacheKey,
                inputs: event.inputs,
                outputs: event.outputs,
              })),
            );
        }
      } else {
        for (const event of batch.slice(at, end)) {
          if (!startedWithEnd.has(event)) await this.write(tx, event, startsOfEnds.get(event));
        }
      }
      at = end;
    }
    if (released.length > 0) await tx.releaseSteps(released, this.runId);
  }

  /**
   * Makes the step runs of `events` that are not made yet, at once: one with an answer in
   * `answers` ended as that answer says (the answer is added to `created`).
   */
  private async makeStepRuns(
    store: MetadataTransaction,
    events: RunEvent[],
    answers: Map<string, CachedEvent>,
    created: Set<CachedEvent>,
  ): Promise<void> {
    const unknown = [
      ...new Map(events.filter((e) => !this.stepRuns.has(e.key)).map((e) => [e.key, e])).values(),
    ];
    if (unknown.length === 0) return;
    const ids = await store.createStepRuns(
      unknown.map((event): NewStepRun => {
        const answer = answers.get(event.key);
        if (!answer) return { runId: this.runId, stepId: event.step, instance: event.index };
        created.add(answer);
        // One literal with every field: a spread followed by fields gave each of a no-op's
        // 1,000 step runs its shape again, field by field (~5 µs each in a fresh process).
        return {
          runId: this.runId,
          stepId: event.step,
          instance: event.index,
          status: "cached",
          endedAt: answer.time,
          cacheKey: answer.cacheKey,
          inputs: answer.inputs,
          outputs: answer.outputs,
        };
      }),
    );
    unknown.forEach((event, i) => {
      this.stepRuns.set(event.key, ids[i] as number);
      this.created?.push(event.key);
    });
  }

  private async stepRun(store: MetadataTransaction, event: RunEvent): Promise<number> {
    const known = this.stepRuns.get(event.key);
    if (known !== undefined) return known;
    const created = await store.createStepRun({
      runId: this.runId,
      stepId: event.step,
      instance: event.index,
    });
    this.stepRuns.set(event.key, created.id);
    this.created?.push(event.key);
    return created.id;
  }

  private async finish(store: MetadataTransaction, event: RunEvent, end: StepRunEnd): Promise<void> {
    await store.finishStepRun(await this.stepRun(store, event), { endedAt: event.time, ...end });
  }

  /**
   * Writes one event through `store`: the store itself, or the unit of the batch it is part of.
   * `startedAt`: the end of an attempt whose start is written with it (its step-started skipped).
   */
  private async write(store: MetadataTransaction, event: Entry, startedAt?: number): Promise<void> {
    switch (event.type) {
      case "release-claim":
        await store.releaseStep(event.key, this.runId);
        return;
      case "step-waiting":
        // Shown, not recorded: the step run stays queued while its run waits.
        return;
      case "step-queued":
        await this.stepRun(store, event);
        return;
      case "step-skipped":
        if (!this.stepRuns.has(event.key)) {
          const created = await store.createStepRun({
            runId: this.runId,
            stepId: event.step,
            instance: event.index,
            status: "skipped",
            error: event.reason,
            endedAt: event.time,
          });
          this.stepRuns.set(event.key, created.id);
          this.created?.push(event.key);
        } else {
          await this.finish(store, event, { status: "skipped", error: event.reason });
        }
        return;
      case "step-started":
        await store.startAttempt(await this.stepRun(store, event), event.attempt, event.time);
        return;
      case "step-log":
        await store.appendLog(
          await this.stepRun(store, event),
          event.attempt,
          event.stream,
          event.text,
          event.time,
        );
        return;
      case "step-retrying":
        await store.finishAttempt(await this.stepRun(store, event), {
          number: event.attempt,
          status: "failed",
          error: event.error,
          endedAt: event.time,
        });
        return;
      case "step-cached":
        await this.finish(store, event, {
          status: "cached",
          cacheKey: event.cacheKey,
          inputs: event.inputs,
          outputs: event.outputs,
        });
        return;
      case "step-succeeded":
        await this.finish(store, event, {
          status: "succeeded",
          attempt: { number: event.attempt, status: "succeeded", exitCode: 0, endedAt: event.time },
          ...(startedAt !== undefined ? { startedAt } : {}),
          cacheKey: event.cacheKey,
          components: event.components,
          inputs: event.inputs,
          outputs: event.outputs,
          metrics: event.metrics.map((m) => ({ name: m.name, value: m.value, at: event.time })),
          reusable: event.reusable,
          ...(event.reusable && this.hooks.replacesCacheEntry?.(event.step)
            ? { replaceCacheEntry: true }
            : {}),
        });
        return;
      case "step-failed":
        await this.finish(store, event, {
          status: "failed",
          error: event.error,
          ...(event.attempt > 0
            ? {
                attempt: {
                  number: event.attempt,
                  status: "failed" as const,
                  error: event.error,
                  endedAt: event.time,
                },
                ...(startedAt !== undefined ? { startedAt } : {}),
              }
            : {}),
          ...(event.cacheKey ? { cacheKey: event.cacheKey } : {}),
          ...(event.components ? { components: event.components } : {}),
        });
        return;
      case "step-canceled":
        await this.finish(store, event, {
          status: "canceled",
          error: "the run was canceled",
          ...(event.attempt
            ? { attempt: { number: event.attempt, status: "canceled" as const, endedAt: event.time } }
            : {}),
        });
        return;
    }
  }
}

type StartedEvent = Extract<RunEvent, { type: "step-started" }>;

/**
 * The attempts of `batch` that start and end in it: each step-started whose step's next event in
 * the batch ends that attempt (succeeded, or failed in it), nothing of the step between them (a
 * log chunk needs its attempt recorded first), with that end.
 */
function startsWithEnds(batch: Entry[]): Array<[StartedEvent, Entry]> {
  const open = new Map<string, StartedEvent>();
  const found: Array<[StartedEvent, Entry]> = [];
  for (const entry of batch) {
    if (entry.type === "release-claim") continue;
    const start = open.get(entry.key);
    open.delete(entry.key);
    if (entry.type === "step-started") open.set(entry.key, entry);
    else if (
      start &&
      (entry.type === "step-succeeded" || entry.type === "step-failed") &&
      entry.attempt === start.attempt
    )
      found.push([start, entry]);
  }
  return found;
}

/** The cache key under which writing this event enters a cache entry, if it does. */
function cacheEntryKey(event: Entry): string | undefined {
  return event.type === "step-succeeded" && event.reusable ? event.cacheKey : undefined;
}

export interface RecorderHooks {
  /** Runs before each batch is written: what the batch's events name must be durable first. */
  beforeBatch?(): Promise<void>;
  /** Receives each event, in order, once its batch is written (or failed to be). */
  written?(event: RunEvent): void;
  /**
   * Whether a step that ran replaces the cache entry under its key: it was made to run although
   * the cache could have served it (`--regenerate`, `canal rerun --from`).
   */
  replacesCacheEntry?(stepId: string): boolean;
}

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
}

function deferred(): Deferred {
  let resolve = () => {};
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}
