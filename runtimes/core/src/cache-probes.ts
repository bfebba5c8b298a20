import type { StoredValue } from "./cache-key.js";
import type { StepInstance } from "./plan.js";

type Outputs = Record<string, StoredValue>;

/** What the probes read of the orchestrator's state, and how one cache key is probed. */
export interface ProbeGraph {
  /** The run's instances in plan order: probed in that order. */
  instances: StepInstance[];
  /** Instance key -> the keys it waits on (a skipped step by its id). */
  waitsFor: Map<string, string[]>;
  /** Whether the instance needs no probe: it finished, is being run, or the run was canceled. */
  decided(key: string): boolean;
  /** The outputs an instance ended with, when it ended well. */
  result(key: string): Outputs | undefined;
  /**
   * The cache key `instance` would look up were its upstreams' outputs those `upstream` gives;
   * undefined when it does not look the cache up (not reusable, forced) or its inputs have no value.
   */
  keyOf(instance: StepInstance, upstream: (key: string) => Outputs | undefined): string | undefined;
  /** The entries stored under `keys` (one store read for all), their blobs not checked yet. */
  entries(keys: string[]): Promise<Map<string, Outputs>>;
  /**
   * The entries the run most likely looks up, read in one go before any is decided (the ones its
   * pipeline's last run used), each as `entries` would have found it then; absent where the
   * cache cannot tell.
   */
  prefetch?(): Promise<Map<string, Outputs>>;
  /** Whether every declared output of `instance` in `outputs` is there, its bytes intact. */
  intact(instance: StepInstance, outputs: Outputs): Promise<boolean>;
}

interface Probe {
  key: string;
  /** The entry under `key` when its blobs were found intact; undefined for a miss. */
  outcome: Promise<Outputs | undefined>;
}

// Probes in flight at once: enough to hide the round trips of an object store and a database
// server, few enough that a run whose cache misses wastes little. New ones start once half are
// done, so that their entries are read a batch at a time.
const PROBES = 32;
// How far past the first undecided instance the probes look, in plan order.
const WINDOW = 64;

/**
 * Looks up the cache for the instances ahead of the ones being decided, several at once (issue
 * #11): on a team workspace each lookup is a database read and a `HEAD` per output, and one at a
 * time along a chain they are the whole of a cached run's time.
 *
 * A probe is only advice. The orchestrator still decides every instance in order, with the cache
 * key computed from its upstreams' actual results, and takes a probe's hit only when the probe was
 * of that very key and found the entry's blobs intact; anything else is looked up as before. So an
 * instance whose upstream's entry is read but not yet checked may be probed under the key those
 * outputs would give (this is what lets the checks along a chain overlap): if the upstream's
 * blobs turn out damaged it runs again, and its dependent's key is computed from what it produced.
 *
 * Probing starts with the first instance the cache answers and pauses at the first it does not,
 * so a run that executes its steps does not look each one up twice. Keys among the entries read
 * ahead (`prefetch`) are probed from the start and while paused: they cost no store read, and a
 * chain's keys, each from the entry before, are found without one round trip per step.
 */
export class CacheProbes {
  private readonly probes = new Map<string, Probe>();
  /** Entries found by probes (read, maybe not checked yet), by instance key: what dependents are keyed with. */
  private readonly entries = new Map<string, Outputs>();
  private readonly inFlight = new Set<Promise<unknown>>();
  /** The entries read ahead (`prefetch`), less any dropped since. */
  private ahead: Map<string, Outputs> | undefined;
  private cursor = 0;
  /** Every instance from the cursor up to this one is probed or decided: the scan starts here. */
  private open = 0;
  /**
   * Instances the last scans found they could not probe (an upstream has no outputs yet, or no
   * key to look up, or a key not read ahead while paused), until what they were judged on
   * changes: an upstream's entry is found or its result set, or probing resumes.
   */
  private readonly waiting = new Set<string>();
  /** Instance key -> the instances that wait on it. */
  private readonly dependents = new Map<string, string[]>();
  private active = false;
  private settled = false;

  constructor(private readonly graph: ProbeGraph) {
    for (const [key, upstreams] of graph.waitsFor)
      for (const upstream of upstreams) {
        const list = this.dependents.get(upstream);
        if (list) list.push(key);
        else this.dependents.set(upstream, [key]);
      }
  }

  /**
   * Reads the entries ahead (`prefetch`) and probes the first instances among them: awaited
   * before any instance is decided. A failed read is no entry read ahead.
   */
  async readAhead(): Promise<void> {
    if (!this.graph.prefetch) return;
    try {
      this.ahead = await this.graph.prefetch();
    } catch {
      return;
    }
    this.waiting.clear();
    this.fill();
  }

  /**
   * The result of instance `key` was set (it ended well): what waits on it is looked at again.
   * Called as the result is set, before anything else is decided.
   */
  ended(key: string): void {
    this.reconsider(key);
  }

  /** The entry under `key` was dropped (its blobs are damaged): it is read from the store from now on. */
  forget(key: string): void {
    this.ahead?.delete(key);
  }

  /** An instance was answered by the cache: probe what comes after it. */
  resume(): void {
    // Keys that were not read ahead can be probed again.
    if (!this.active) this.waiting.clear();
    this.active = true;
    this.fill();
  }

  /** An instance missed the cache: start no more probes until one is answered again. */
  pause(): void {
    this.active = false;
  }

  /**
   * The probe of `instanceKey` if it was of cache key `key`: resolves to the entry, its blobs found
   * intact, or undefined (a miss, or a probe that failed), which the caller looks up itself. The
   * probe is forgotten either way. Undefined when no such probe was started.
   */
  take(instanceKey: string, key: string): Promise<Outputs | undefined> | undefined {
    const probe = this.probes.get(instanceKey);
    this.probes.delete(instanceKey);
    this.entries.delete(instanceKey);
    return probe?.key === key ? probe.outcome : undefined;
  }

  /** Waits for every probe in flight (their outcomes are no one's any more). */
  async settle(): Promise<void> {
    this.active = false;
    this.settled = true;
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
    this.probes.clear();
    this.entries.clear();
    this.waiting.clear();
  }

  private fill(): void {
    const { instances, waitsFor } = this.graph;
    while (this.cursor < instances.length && this.graph.decided(instances[this.cursor]?.key as string))
      this.cursor++;
    if (this.settled || (!this.active && !this.ahead) || this.inFlight.size > PROBES / 2) return;
    const upstream = (key: string) => this.graph.result(key) ?? this.entries.get(key);
    const end = Math.min(instances.length, this.cursor + WINDOW);
    // Probed and decided instances stay so: the scan skips those it already passed.
    if (this.open < this.cursor) this.open = this.cursor;
    while (this.open < end && this.closed(instances[this.open] as StepInstance)) this.open++;
    const batch: [StepInstance, string][] = [];
    for (let i = this.open; i < end && this.inFlight.size + batch.length < PROBES; i++) {
      const instance = instances[i] as StepInstance;
      if (this.waiting.has(instance.key) || this.closed(instance)) continue;
      // Looked at again only once what it is judged on changes (see `waiting`).
      this.waiting.add(instance.key);
      if (!(waitsFor.get(instance.key) ?? []).every((key) => upstream(key) !== undefined)) continue;
      let key: string | undefined;
      try {
        key = this.graph.keyOf(instance, upstream);
      } catch {
        key = undefined;
      }
      if (key !== undefined && (this.active || this.ahead?.has(key))) {
        this.waiting.delete(instance.key);
        batch.push([instance, key]);
      }
    }
    if (batch.length === 0) return;
    const read = this.read(batch.map(([, key]) => key));
    // One rejection for all the probes of the batch, each of which handles it.
    read.catch(() => {});
    for (const [instance, key] of batch) this.start(instance, key, read);
  }

  private closed(instance: StepInstance): boolean {
    return this.probes.has(instance.key) || this.graph.decided(instance.key);
  }

  /** What waits on `key` may be probed now (or under another key): it is looked at again. */
  private reconsider(key: string): void {
    for (const dependent of this.dependents.get(key) ?? []) this.waiting.delete(dependent);
  }

  /** The entries under `keys`: those read ahead from there, the rest in one store read. */
  private async read(keys: string[]): Promise<Map<string, Outputs>> {
    const found = new Map<string, Outputs>();
    const rest: string[] = [];
    for (const key of keys) {
      const outputs = this.ahead?.get(key);
      if (outputs) found.set(key, outputs);
      else rest.push(key);
    }
    if (rest.length > 0) for (const [key, outputs] of await this.graph.entries(rest)) found.set(key, outputs);
    return found;
  }

  private start(instance: StepInstance, key: string, read: Promise<Map<string, Outputs>>): void {
    const probe: Probe = {
      key,
      outcome: read
        .then(async (entries) => {
          const found = entries.get(key);
          if (!found) return undefined;
          // Dependents may be probed under the key these outputs give while they are checked
          // (also once the probe was taken: its step is then waiting for the check).
          if (!this.settled) {
            this.entries.set(instance.key, found);
            this.reconsider(instance.key);
            this.fill();
          }
          return (await this.graph.intact(instance, found)) ? found : undefined;
        })
        .catch(() => undefined),
    };
    this.probes.set(instance.key, probe);
    const done = probe.outcome.then((found) => {
      this.inFlight.delete(done);
      if (!found) this.entries.delete(instance.key);
      this.fill();
    });
    this.inFlight.add(done);
  }
}
