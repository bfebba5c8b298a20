import type { Environment } from "@canal/ir";
import type { Runtime } from "./contract.js";
import type { StepInstance } from "./plan.js";

/** What the lookahead reads of the orchestrator's state. */
export interface LookaheadGraph {
  runId: string;
  runtime: Runtime;
  /** At most this many instances are anticipated at once (the run's bound on attempts at once). */
  limit: number;
  /** Instance key -> the keys of the instances that wait on it. */
  dependents: Map<string, string[]>;
  /** Instance key -> the keys it waits on. */
  waitsFor: Map<string, string[]>;
  instance(key: string): StepInstance;
  environment(instance: StepInstance): Environment | undefined;
  /** Whether the instance is still to be started: not finished, not being run, the run not canceled. */
  waiting(key: string): boolean;
  /** Whether the instance finished as succeeded or cached. */
  good(key: string): boolean;
}

/**
 * Tells a runtime whose start-up is slow (a batch scheduler's queue) which instances come next,
 * so that it can queue them behind the attempts they wait on (Runtime.anticipate). Walked down
 * from each instance whose attempt starts; at most `limit` at once, since a runtime may hold a
 * started job for each. An anticipated instance that ends without an attempt is dismissed.
 */
export class Lookahead {
  private readonly anticipated = new Set<string>();
  private readonly executing = new Set<string>();

  constructor(private readonly graph: LookaheadGraph) {}

  /** Whether the runtime was told of `key` and it has not been executed since. */
  has(key: string): boolean {
    return this.anticipated.has(key);
  }

  /** `key`'s attempt was handed to the runtime: what waits on it may be anticipated now. */
  executed(key: string): void {
    this.anticipated.delete(key);
    this.executing.add(key);
    this.after(key);
  }

  /** `key`'s attempt ended. */
  ended(key: string): void {
    this.executing.delete(key);
  }

  /** `key` ended without an attempt (cached, skipped, canceled): the runtime drops what it queued. */
  forget(key: string): void {
    if (this.anticipated.delete(key)) this.graph.runtime.dismiss?.(this.graph.runId, key);
  }

  /** The run ended: nothing anticipated will be executed. */
  forgetAll(): void {
    for (const key of this.anticipated) this.forget(key);
  }

  private after(from: string): void {
    const { runtime, dependents, waitsFor, limit } = this.graph;
    if (!runtime.anticipate) return;
    const seen = new Set<string>();
    const visit = (key: string) => {
      for (const dependent of dependents.get(key) ?? []) {
        if (seen.has(dependent)) continue;
        seen.add(dependent);
        if (!this.anticipated.has(dependent)) {
          if (this.anticipated.size >= limit || !this.graph.waiting(dependent)) continue;
          const after = (waitsFor.get(dependent) ?? []).filter((d) => !this.graph.good(d));
          if (after.some((d) => !this.executing.has(d) && !this.anticipated.has(d))) continue;
          const instance = this.graph.instance(dependent);
          const taken = runtime.anticipate?.({
            runId: this.graph.runId,
            stepKey: dependent,
            step: instance.step,
            environment: this.graph.environment(instance),
            after,
          });
          if (!taken) continue;
          this.anticipated.add(dependent);
        }
        visit(dependent);
      }
    };
    visit(from);
  }
}
