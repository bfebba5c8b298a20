import type { RunKeyRecords } from "@canal/store";
import type { z } from "zod";
import type { Runtime, TargetCheck } from "./contract.js";

/**
 * One compute target of a runtime's kind, as canal.config.json names and sizes it, with the kind's
 * own settings read by the runtime's schema.
 */
export interface RuntimeTarget<Settings> {
  /** The target's name in canal.config.json ("gpu"), for the settings a message names. */
  name: string;
  /** CPUs one step may use; absent when the target does not say (nothing is checked). */
  cpus?: number;
  /** Memory one step may use, in bytes; absent when the target does not say. */
  memoryBytes?: number;
  /** GPUs one step may use (per node); 0 unless the target declares some. */
  gpus: number;
  /** Attempts at once on it; absent: the runtime's own default. */
  maxParallel?: number;
  /** The kind's own settings (a docker target's socket and image, a slurm target's partition …). */
  settings: Settings;
}

/** What a runtime module gets besides its target. */
export interface RuntimeContext {
  /** The workspace's directory for Canal's files (.canal): caches and work directories go under it. */
  canalDir: string;
  /** The workspace's cache folder (`folders.cache`): built environments and modules go under it. */
  cacheDir: string;
  /** The run's own bound on attempts at once (--parallel), for a target that declares no maxParallel. */
  maxParallel?: number;
  /**
   * Where a runtime keeps each run's key (see {@link RunKeyRecords}): the workspace's metadata
   * store, which every checkout sharing it reads, so that a cancel from any of them finds a killed
   * driver's work. Absent where no run is driven or ended (`canal targets --check`).
   */
  runKeys?: RunKeyRecords;
}

/**
 * Everything the rest of Canal needs to use a runtime, exported by the runtime's package: the
 * target kind it runs, the settings a target of that kind takes (beyond `kind` and the capabilities
 * every target declares: cpus, memory, gpus, gpuTypes, maxParallel), and how to build it, check a
 * target and end a gone run's leftovers. The CLI lists the modules it ships in one registry; no other
 * code knows a kind by name.
 *
 * A module loads the runtime's heavy parts (an engine client) only when one of its functions runs,
 * so that a build shipping it starts as fast as one that does not.
 *
 * @example
 * ```ts
 * const settings = z.strictObject({ address: z.url() });
 * const create: RuntimeModule<z.infer<typeof settings>>["create"] = async (target) => {
 *   const { NomadRuntime } = await import("./nomad-runtime.js");
 *   return new NomadRuntime({ address: target.settings.address });
 * };
 * export const nomadRuntime: RuntimeModule<z.infer<typeof settings>> = {
 *   kind: "nomad",
 *   settings,
 *   onThisMachine: false,
 *   describe: ({ settings: s }) => `Nomad jobs at ${s.address}`,
 *   create,
 *   ...askRuntime(create),
 * };
 * ```
 */
export interface RuntimeModule<Settings = unknown> {
  /** The `kind` a target of canal.config.json names this runtime by. */
  readonly kind: string;
  /**
   * The kind's own settings, a strict object: a key it does not list is an "unknown key" error
   * naming the keys it does.
   */
  readonly settings: z.ZodObject<z.ZodRawShape> & z.ZodType<Settings>;
  /** Steps run on this machine: a target's cpus and memory left out are this machine's. */
  readonly onThisMachine: boolean;
  /** Where a target runs steps, in words, for `canal targets`. */
  describe(target: RuntimeTarget<Settings>): string;
  /** The runtime executing steps on `target`. */
  create(target: RuntimeTarget<Settings>, context: RuntimeContext): Promise<Runtime>;
  /**
   * Connects to what runs the steps (an engine, a scheduler) and reports what it offers, or
   * exactly why steps cannot run there and what to set: `canal targets --check`.
   */
  check(target: RuntimeTarget<Settings>, context: RuntimeContext): Promise<TargetCheck>;
  /**
   * Ends what run `runId` still has running on `target` although the process that drove it is gone
   * (processes, containers, jobs); returns what it ended, in words ("Slurm job 12").
   */
  endRun(target: RuntimeTarget<Settings>, runId: string, context: RuntimeContext): Promise<string[]>;
}

/**
 * `check` and `endRun` of a module whose runtime implements them ({@link Runtime.check},
 * {@link Runtime.endRun}): builds the runtime, asks it, and closes it.
 */
export function askRuntime<Settings>(
  create: RuntimeModule<Settings>["create"],
): Pick<RuntimeModule<Settings>, "check" | "endRun"> {
  const using = async <T>(runtime: Runtime, use: (runtime: Runtime) => Promise<T>): Promise<T> => {
    try {
      return await use(runtime);
    } finally {
      await runtime.close();
    }
  };
  return {
    check: async (target, context) =>
      using(await create(target, context), async (runtime) =>
        runtime.check ? runtime.check(target.name) : { offers: [], problems: [] },
      ),
    endRun: async (target, runId, context) =>
      using(await create(target, context), async (runtime) => (await runtime.endRun?.(runId)) ?? []),
  };
}
