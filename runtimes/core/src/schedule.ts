import { bindingSource } from "@canal/ir";
import { upstreamKeys } from "./bindings.js";
import type { StepInstance } from "./plan.js";
import { ReadyQueue } from "./ready-queue.js";

/**
 * The run's graph of instances and which of them may start: each counts its unfinished upstreams,
 * and a finishing one hands its dependents to the ready queue when their count reaches zero.
 * Scheduling costs O(edges) over the run, not a rescan of every waiting instance each time one
 * finishes. Ready instances are taken in plan order, those a runtime was told of ahead first (it
 * may hold a started job waiting for them).
 */
export class Schedule {
  /** Instance key -> the keys it waits on (a skipped step by its id). */
  readonly waitsFor = new Map<string, string[]>();
  /** Instance key -> the keys of the instances that wait on it. */
  readonly dependents = new Map<string, string[]>();
  private readonly position: Map<string, number>;
  private readonly unfinished = new Map<string, number>();
  private readonly ready = new ReadyQueue();
  private readonly readyAhead = new ReadyQueue();

  /**
   * `finished`: whether an instance (or a skipped step, by id) has ended; `ahead`: whether a
   * runtime was told of it ahead (see Lookahead).
   */
  constructor(
    readonly instances: StepInstance[],
    byStep: Map<string, StepInstance[]>,
    skippedSteps: ReadonlySet<string>,
    private readonly finished: (key: string) => boolean,
    private readonly ahead: (key: string) => boolean = () => false,
  ) {
    this.position = new Map(instances.map((instance, i) => [instance.key, i]));
    for (const instance of instances) {
      const deps = new Set<string>();
      for (const input of instance.step.inputs) {
        for (const key of upstreamKeys(input.binding, instance, byStep)) deps.add(key);
        const source = bindingSource(input.binding);
        if (source && skippedSteps.has(source.step)) deps.add(source.step);
      }
      for (const after of instance.step.after ?? []) for (const u of byStep.get(after) ?? []) deps.add(u.key);
      this.waitsFor.set(instance.key, [...deps]);
    }
    for (const [i, instance] of instances.entries()) {
      let count = 0;
      for (const dep of this.waitsFor.get(instance.key) ?? []) {
        if (finished(dep)) continue;
        count++;
        const list = this.dependents.get(dep);
        if (list) list.push(instance.key);
        else this.dependents.set(dep, [instance.key]);
      }
      this.unfinished.set(instance.key, count);
      if (count === 0) this.ready.push(i);
    }
  }

  /** How many instances may start now. */
  get readySize(): number {
    return this.ready.size + this.readyAhead.size;
  }

  /** The instance to start next, or undefined when none is ready. */
  take(): StepInstance | undefined {
    const position = this.readyAhead.size > 0 ? this.readyAhead.pop() : this.ready.pop();
    return position === undefined ? undefined : this.instances[position];
  }

  /** `key` ended, however: what waited only on it becomes ready. */
  settle(key: string): void {
    for (const dependent of this.dependents.get(key) ?? []) {
      const left = (this.unfinished.get(dependent) as number) - 1;
      this.unfinished.set(dependent, left);
      // A cancel ends every waiting instance at once; one of them becoming ready afterwards (its
      // last upstream has just stopped) must not be started, nor counted as not started again.
      if (left === 0 && !this.finished(dependent))
        (this.ahead(dependent) ? this.readyAhead : this.ready).push(this.position.get(dependent) as number);
    }
  }

  /** The first upstream of `key` that did not end well: `key` cannot run. */
  blocker(key: string, good: (key: string) => boolean): string | undefined {
    return (this.waitsFor.get(key) ?? []).find((d) => !good(d));
  }

  instance(key: string): StepInstance {
    return this.instances[this.position.get(key) as number] as StepInstance;
  }

  /** Nothing ready starts any more (the run was canceled). */
  clear(): void {
    this.ready.clear();
    this.readyAhead.clear();
  }
}
