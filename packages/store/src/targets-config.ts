import { MEMORY_FORM, MEMORY_PATTERN, parseMemory } from "@canal/ir/units";
import { z } from "zod";

// Compute targets and profiles in canal.config.json (AzureML's compute targets): a target is a
// place steps run, with its capabilities; a profile picks the target for an environment.

/**
 * "256Gi" -> bytes; numbers are bytes. The grammar of a step's `resources.memory` (@canal/ir's
 * `parseMemory`), so the two sizes compared at placement are read alike.
 */
export function memoryBytes(value: string | number): number {
  const bytes = parseMemory(value);
  if (bytes === undefined) throw new Error(`not a memory size: ${value}; expected ${MEMORY_FORM}`);
  return bytes;
}

const MEMORY_EXPECTED = `expected a memory size: ${MEMORY_FORM}`;
const Memory = z.union(
  [z.number().positive(), z.string().regex(MEMORY_PATTERN, { error: MEMORY_EXPECTED })],
  { error: MEMORY_EXPECTED },
);

// What every target declares about one step it can run. Left out, cpus and memory are this
// machine's for local and docker targets and unchecked for a cluster (its scheduler decides);
// gpus is 0: a GPU request never lands on a target that did not say it has GPUs.
const capabilities = {
  cpus: z.number().positive().optional(),
  memory: Memory.optional(),
  gpus: z.number().int().nonnegative().optional(),
  gpuTypes: z.array(z.string().min(1)).optional(),
  maxParallel: z.number().int().positive().optional(),
};

// A target's kind and the capabilities every kind shares are read here; the kind's own settings
// (a docker target's socket, a slurm target's sharedDir) are its runtime's to define and check
// (`RuntimeModule.settings`), so that adding a runtime touches no schema of the store's.
export const TargetSchema = z.looseObject({
  /** The runtime that runs the target's steps: "local", "docker", "slurm", … */
  kind: z.string().min(1),
  ...capabilities,
});

export const ProfileSchema = z.strictObject({
  /** The target of every step without a `compute` name. */
  target: z.string().min(1),
  /** Step `compute` names -> target names. */
  compute: z.record(z.string(), z.string().min(1)).optional(),
});

export const TargetsSchema = z.record(z.string().min(1), TargetSchema);
export const ProfilesSchema = z.record(z.string().min(1), ProfileSchema);

/** One target as written in canal.config.json: its kind, its capabilities and its kind's own settings. */
export type TargetConfig = z.infer<typeof TargetSchema>;
/** A target's kind: the name its runtime is registered by. */
export type TargetKind = TargetConfig["kind"];
export type ProfileConfig = z.infer<typeof ProfileSchema>;

/** The target every workspace has, unless its config defines one of the same name. */
export const BUILTIN_TARGET = "local";
/** The profile used without --profile or CANAL_PROFILE. */
export const DEFAULT_PROFILE = "default";

/** The keys every target takes, whatever its kind. */
export const TARGET_KEYS: readonly string[] = ["kind", ...Object.keys(capabilities)];

/**
 * The keys an object in the profiles part of the config takes, for "unknown key" messages; `path`
 * is the object's path (["profiles", "prod"]). A target's keys are its runtime's.
 */
export function targetKeysAt(path: string[], _input: unknown): string[] | undefined {
  if (path.length === 2 && path[0] === "profiles") return ["target", "compute"];
  return undefined;
}

/**
 * Checks what a schema cannot: that every target a profile names exists. Returns problems in the
 * config's own words, each naming the key and the fix.
 */
export function targetReferenceProblems(
  targets: Record<string, TargetConfig> | undefined,
  profiles: Record<string, ProfileConfig> | undefined,
): string[] {
  const known = new Set([BUILTIN_TARGET, ...Object.keys(targets ?? {})]);
  const list = [...known].sort().join(", ");
  const problems: string[] = [];
  for (const [name, profile] of Object.entries(profiles ?? {})) {
    if (!known.has(profile.target)) {
      problems.push(
        `\`profiles.${name}.target\`: no target \`${profile.target}\`; define it under "targets" or use one of ${list}`,
      );
    }
    for (const [compute, target] of Object.entries(profile.compute ?? {})) {
      if (!known.has(target)) {
        problems.push(
          `\`profiles.${name}.compute.${compute}\`: no target \`${target}\`; define it under "targets" or use one of ${list}`,
        );
      }
    }
  }
  return problems;
}
