import {
  type AttemptHooks,
  type AttemptResult,
  parseInstanceKey,
  type Runtime,
  type StepTask,
  type UpcomingStep,
} from "@canal/runtime-core";
import type { TargetKind } from "@canal/store";
import { TargetError } from "./errors.js";
import type { Target } from "./targets.js";

/** What a runtime factory gets besides its target. */
export interface RuntimeFactoryContext {
  /** The workspace's directory for Canal's files (.canal): caches and work directories go under it. */
  canalDir: string;
  /** The run's own bound on attempts at once (--parallel), for a target that declares no maxParallel. */
  maxParallel?: number;
}

/**
 * Builds the runtime that executes steps on one target of its kind. It may load its runtime package
 * when called (a Docker client only for a run that uses a docker target).
 */
export type RuntimeFactory = (target: Target, context: RuntimeFactoryContext) => Runtime | Promise<Runtime>;

/**
 * Runtime factories by target kind. A runtime package plugs in by registering its factory (the CLI
 * registers the ones it ships); a target whose kind has none fails before the run starts.
 *
 * @example
 * ```ts
 * runtimeRegistry.register("docker", async (target) => {
 *   const { DockerRuntime } = await import("@canal/runtime-docker");
 *   return new DockerRuntime({ socket: target.config.socket });
 * });
 * ```
 */
export class RuntimeRegistry {
  private readonly factories = new Map<TargetKind, RuntimeFactory>();

  register(kind: TargetKind, factory: RuntimeFactory): void {
    this.factories.set(kind, factory);
  }

  has(kind: TargetKind): boolean {
    return this.factories.has(kind);
  }

  /** Registered kinds, sorted. */
  kinds(): TargetKind[] {
    return [...this.factories.keys()].sort();
  }

  /**
   * The runtime for a run whose steps are placed on `placement`'s targets: one target's runtime as
   * it is, or a runtime that sends each step to its target's. Refuses, before building any, when a
   * target's kind has no runtime in this build.
   */
  async create(
    placement: Map<string, Target>,
    fallback: Target,
    context: RuntimeFactoryContext,
  ): Promise<Runtime> {
    const used = new Map<string, Target>();
    for (const target of placement.values()) used.set(target.name, target);
    if (used.size === 0) used.set(fallback.name, fallback);
    const missing = [...used.values()].filter((t) => !this.factories.has(t.kind));
    if (missing.length) {
      const usable = this.kinds().join(", ") || "none";
      throw new TargetError(
        "CANAL_TARGET_RUNTIME_UNAVAILABLE",
        missing.map((t) => ({
          path: `targets.${t.name}`,
          message:
            `target \`${t.name}\` is a ${t.kind} target, but the ${t.kind} runtime is not available in this build ` +
            `(runtimes here: ${usable})`,
          hint: "run with --target NAME naming a target of those kinds",
        })),
      );
    }
    const runtimes = new Map<string, Runtime>();
    try {
      for (const target of used.values()) {
        runtimes.set(target.name, await (this.factories.get(target.kind) as RuntimeFactory)(target, context));
      }
    } catch (error) {
      await Promise.allSettled([...runtimes.values()].map((r) => r.close()));
      throw error;
    }
    if (runtimes.size === 1) return runtimes.values().next().value as Runtime;
    const byStep = new Map([...placement].map(([step, target]) => [step, target.name]));
    return new TargetRouter(runtimes, byStep);
  }
}

/** The registry `canal run` uses. */
export const runtimeRegistry = new RuntimeRegistry();

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

  dismiss(runId: string, stepKey: string): void {
    const id = `${runId}\u0000${stepKey}`;
    this.anticipatedOn.get(id)?.dismiss?.(runId, stepKey);
    this.anticipatedOn.delete(id);
  }

  async close(): Promise<void> {
    await Promise.all([...this.runtimes.values()].map((r) => r.close()));
  }
}
