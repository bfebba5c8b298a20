import type { Step } from "@canal/ir";
import {
  type AttemptHooks,
  type AttemptResult,
  parseInstanceKey,
  type Runtime,
  type RuntimeContext,
  type RuntimeModule,
  type StepTask,
  type TargetCheck,
  type UpcomingStep,
} from "@canal/runtime-core";
import { TargetError } from "./errors.js";
import type { RuntimeKinds, Target } from "./targets.js";

/**
 * The runtimes a build ships, by target kind: each runtime package exports its module
 * (`RuntimeModule`: kind, settings schema, factory, check, leftovers cleanup) and the CLI lists
 * them here, one line each. A target whose kind has no runtime here is refused before a run starts.
 *
 * @example
 * ```ts
 * import { dockerRuntime } from "@canal/runtime-docker/module";
 * import { localRuntime } from "@canal/runtime-local/module";
 * const runtimes = new RuntimeRegistry([localRuntime, dockerRuntime]);
 * const { runtime } = await prepareTargets(workspace, pipeline, runtimes, { profile: "prod" });
 * ```
 */
export class RuntimeRegistry implements RuntimeKinds {
  private readonly modules = new Map<string, RuntimeModule>();

  constructor(modules: Iterable<RuntimeModule> = []) {
    for (const module of modules) this.register(module);
  }

  /** Adds a runtime; a second one of the same kind is refused (which one would a target get?). */
  register<Settings>(module: RuntimeModule<Settings>): this {
    if (this.modules.has(module.kind)) throw new Error(`a ${module.kind} runtime is registered already`);
    this.modules.set(module.kind, module);
    return this;
  }

  get(kind: string): RuntimeModule | undefined {
    return this.modules.get(kind);
  }

  has(kind: string): boolean {
    return this.modules.has(kind);
  }

  /** Registered kinds, sorted. */
  kinds(): string[] {
    return [...this.modules.keys()].sort();
  }

  private unavailable(targets: Target[]): TargetError {
    const usable = this.kinds().join(", ") || "none";
    return new TargetError(
      "CANAL_TARGET_RUNTIME_UNAVAILABLE",
      targets.map((t) => ({
        path: `targets.${t.name}`,
        message:
          `target \`${t.name}\` is a ${t.kind} target, but the ${t.kind} runtime is not available in this build ` +
          `(runtimes here: ${usable})`,
        hint: "run with --target NAME naming a target of those kinds",
      })),
    );
  }

  /**
   * The runtime for a run whose steps are placed on `placement`'s targets: one target's runtime as
   * it is, or a runtime that sends each step to its target's. Refuses, before building any, when a
   * target's kind has no runtime in this build.
   */
  async create(placement: Map<string, Target>, fallback: Target, context: RuntimeContext): Promise<Runtime> {
    const used = new Map<string, Target>();
    for (const target of placement.values()) used.set(target.name, target);
    if (used.size === 0) used.set(fallback.name, fallback);
    const missing = [...used.values()].filter((t) => !this.modules.has(t.kind));
    if (missing.length) throw this.unavailable(missing);
    const runtimes = new Map<string, Runtime>();
    try {
      for (const target of used.values()) {
        const module = this.modules.get(target.kind);
        if (module) runtimes.set(target.name, await module.create(target, context));
      }
    } catch (error) {
      await Promise.allSettled([...runtimes.values()].map((r) => r.close()));
      throw error;
    }
    if (runtimes.size === 1) return runtimes.values().next().value as Runtime;
    const byStep = new Map([...placement].map(([step, target]) => [step, target.name]));
    return new TargetRouter(runtimes, byStep);
  }

  /** What `target` offers, or why steps cannot run there: `canal targets --check`. Never throws. */
  async check(target: Target, context: RuntimeContext): Promise<TargetCheck> {
    const module = this.modules.get(target.kind);
    if (!module)
      return { offers: [], problems: [`the ${target.kind} runtime is not available in this build`] };
    try {
      return await module.check(target, context);
    } catch (error) {
      return { offers: [], problems: [`checking it failed: ${(error as Error).message}`] };
    }
  }

  /** Ends what run `runId` left running on `target`; nothing when its kind has no runtime here. */
  async endRun(target: Target, runId: string, context: RuntimeContext): Promise<string[]> {
    const module = this.modules.get(target.kind);
    return module ? module.endRun(target, runId, context) : [];
  }
}

/** Admits at most `limit` holders at once, in arrival order. */
class Slots {
  private used = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async acquire(signal: AbortSignal): Promise<boolean> {
    if (this.used < this.limit) {
      this.used++;
      return true;
    }
    return new Promise((resolve) => {
      const admit = () => {
        signal.removeEventListener("abort", leave);
        this.used++;
        resolve(true);
      };
      const leave = () => {
        const index = this.waiting.indexOf(admit);
        if (index >= 0) this.waiting.splice(index, 1);
        resolve(false);
      };
      this.waiting.push(admit);
      signal.addEventListener("abort", leave, { once: true });
    });
  }

  release(): void {
    this.used--;
    this.waiting.shift()?.();
  }
}

/**
 * One runtime over several targets: each step goes to the runtime of the target it was placed on,
 * and each target keeps its own bound on attempts at once (the orchestrator only knows the sum).
 */
class TargetRouter implements Runtime {
  readonly name: string;
  readonly maxParallel: number;
  /** Waiting for a target's slot is queueing too: a step's timeout counts once it runs. */
  readonly queued = true;
  private readonly slots = new Map<string, Slots>();
  private readonly anticipatedOn = new Map<string, Runtime>();

  constructor(
    private readonly runtimes: Map<string, Runtime>,
    private readonly byStep: Map<string, string>,
  ) {
    this.name = [...runtimes.values()].map((r) => r.name).join("+");
    this.maxParallel = [...runtimes.values()].reduce((sum, r) => sum + r.maxParallel, 0);
    for (const [name, runtime] of runtimes) this.slots.set(name, new Slots(runtime.maxParallel));
  }

  async execute(task: StepTask, hooks: AttemptHooks): Promise<AttemptResult> {
    const name = this.byStep.get(task.step.id);
    const runtime = name === undefined ? undefined : this.runtimes.get(name);
    const slots = name === undefined ? undefined : this.slots.get(name);
    if (!runtime || !slots) {
      return { status: "failed", error: `step ${task.stepKey} was placed on no target`, retryable: false };
    }
    this.anticipatedOn.delete(`${task.runId}\u0000${task.stepKey}`);
    // Canceled while waiting (a timeout has not started: the step has not run); what the runtime
    // queued ahead for it goes now, not when the runtime closes.
    if (!(await slots.acquire(hooks.signal))) {
      runtime.dismiss?.(task.runId, task.stepKey);
      return { status: "canceled" };
    }
    if (!runtime.queued) hooks.started();
    try {
      return await runtime.execute(task, hooks);
    } finally {
      slots.release();
    }
  }

  /** Only a step whose upstreams run on its own target: a runtime can queue behind its own jobs alone. */
  anticipate(upcoming: UpcomingStep): boolean {
    const name = this.byStep.get(upcoming.step.id);
    const runtime = name === undefined ? undefined : this.runtimes.get(name);
    if (!runtime?.anticipate) return false;
    if (upcoming.after.some((key) => this.byStep.get(parseInstanceKey(key).stepId) !== name)) return false;
    if (!runtime.anticipate(upcoming)) return false;
    this.anticipatedOn.set(`${upcoming.runId}\u0000${upcoming.stepKey}`, runtime);
    return true;
  }

  readsInPlace(step: Step): boolean {
    const name = this.byStep.get(step.id);
    const runtime = name === undefined ? undefined : this.runtimes.get(name);
    return runtime?.readsInPlace?.(step) === true;
  }

  dismiss(runId: string, stepKey: string): void {
    const id = `${runId}\u0000${stepKey}`;
    this.anticipatedOn.get(id)?.dismiss?.(runId, stepKey);
    this.anticipatedOn.delete(id);
  }

  async close(): Promise<void> {
    await Promise.all([...this.runtimes.values()].map((r) => r.close()));
  }
}
