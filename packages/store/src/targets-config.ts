import { MEMORY_FORM, MEMORY_PATTERN, parseMemory } from "@canal/ir";
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

const LocalTarget = z.strictObject({ kind: z.literal("local"), ...capabilities });

const BIND_FORM = 'expected a bind "/host/path:/path/in/container", optionally ending ":ro" or ":rw"';
const ENV_NAME_FORM =
  "expected an environment variable name (letters, digits and _, not starting with a digit)";

const DockerTarget = z.strictObject({
  kind: z.literal("docker"),
  ...capabilities,
  /** The Docker Engine API socket. */
  socket: z.string().min(1).optional(),
  /** The image for steps whose environment names none. */
  image: z.string().min(1).optional(),
  /** Container network; "none" unless set, so a step reaches nothing it did not declare. */
  network: z.string().min(1).optional(),
  /** Host folders every container sees: data a step reads by path, an interpreter the image lacks. */
  binds: z.array(z.string().regex(/^\/[^:]*:\/[^:]*(:(ro|rw))?$/, { error: BIND_FORM })).optional(),
  /** Environment variables every step gets (the host's environment is not passed into containers). */
  env: z
    .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: ENV_NAME_FORM }), z.string())
    .optional(),
  /** `uid:gid` the steps run as; default the user running Canal, so it can read what they write. */
  user: z.string().min(1).optional(),
});

const SlurmTarget = z.strictObject({
  kind: z.literal("slurm"),
  ...capabilities,
  partition: z.string().min(1).optional(),
  account: z.string().min(1).optional(),
  /** The GRES name GPUs are requested under (`--gres=gpu:2`). */
  gres: z.string().min(1).optional(),
  /** A directory every node sees: the artifact, inputs and outputs travel through it. */
  sharedDir: z.string().min(1),
  /** The cluster's slurm.conf, for Slurm's commands run from here; default SLURM_CONF, else Slurm's own. */
  slurmConf: z.string().min(1).optional(),
});

export const TargetSchema = z.discriminatedUnion("kind", [LocalTarget, DockerTarget, SlurmTarget]);

export const ProfileSchema = z.strictObject({
  /** The target of every step without a `compute` name. */
  target: z.string().min(1),
  /** Step `compute` names -> target names. */
  compute: z.record(z.string(), z.string().min(1)).optional(),
});

export const TargetsSchema = z.record(z.string().min(1), TargetSchema);
export const ProfilesSchema = z.record(z.string().min(1), ProfileSchema);

/** One target as written in canal.config.json. */
export type TargetConfig = z.infer<typeof TargetSchema>;
export type TargetKind = TargetConfig["kind"];
export type ProfileConfig = z.infer<typeof ProfileSchema>;

/** The target every workspace has, unless its config defines one of the same name. */
export const BUILTIN_TARGET = "local";
/** The profile used without --profile or CANAL_PROFILE. */
export const DEFAULT_PROFILE = "default";

const CAPABILITY_KEYS = Object.keys(capabilities);
const KIND_KEYS: Record<TargetKind, string[]> = {
  local: ["kind", ...CAPABILITY_KEYS],
  docker: ["kind", ...CAPABILITY_KEYS, "socket", "image", "network", "binds", "env", "user"],
  slurm: ["kind", ...CAPABILITY_KEYS, "partition", "account", "gres", "sharedDir", "slurmConf"],
};

/**
 * The keys an object in the targets/profiles part of the config takes, for "unknown key" messages;
 * `path` is the object's path (["targets", "gpu"]).
 */
export function targetKeysAt(path: string[], input: unknown): string[] | undefined {
  if (path.length !== 2) return undefined;
  if (path[0] === "profiles") return ["target", "compute"];
  if (path[0] !== "targets") return undefined;
  const kind = (valueAt(input, path) as { kind?: unknown } | undefined)?.kind;
  return KIND_KEYS[kind as TargetKind] ?? ["kind", ...CAPABILITY_KEYS];
}

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  return path.reduce<unknown>(
    (value, key) => (value as Record<PropertyKey, unknown> | undefined)?.[key],
    input,
  );
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
