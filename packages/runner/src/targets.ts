import { availableParallelism, totalmem } from "node:os";
import { formatMemory, type Pipeline, type Problem, type Step } from "@canal/ir";
import type { RuntimeModule, RuntimeTarget } from "@canal/runtime-core";
import {
  BUILTIN_TARGET,
  CONFIG_FILE,
  ConfigError,
  DEFAULT_PROFILE,
  issueProblems,
  memoryBytes,
  TARGET_KEYS,
  type TargetConfig,
  type TargetKind,
  type WorkspaceConfig,
} from "@canal/store";
import { TargetError } from "./errors.js";

/**
 * A compute target with its capabilities resolved: what one step running on it may ask for, and
 * its kind's own settings as its runtime read them.
 */
export interface Target extends RuntimeTarget<unknown> {
  kind: TargetKind;
  /** The GPU types it has; a step asking for a type must find it here. */
  gpuTypes: string[];
  /** Where it runs steps, in words (its runtime's `describe`). */
  where: string;
  /** The target as written in canal.config.json. */
  config: TargetConfig;
}

/** The runtimes a workspace's targets may name, by kind: the CLI's registry of the runtimes it ships. */
export interface RuntimeKinds {
  get(kind: string): RuntimeModule | undefined;
  /** The kinds, sorted. */
  kinds(): string[];
}

/** Which target each step runs on, and how that was chosen. */
export interface TargetSelection {
  /** For messages: "--target gpu", "profile prod (CANAL_PROFILE)", "profile default". */
  chosenBy: string;
  /** The profile in force; absent when --target chose. */
  profile?: string;
  /** The target of steps without a `compute` name (of every step, with --target). */
  target: Target;
  /** Step `compute` names the profile maps, to their targets. */
  compute: Record<string, Target>;
  /** Every target the workspace knows, by name. */
  targets: Record<string, Target>;
}

/**
 * One target, checked by its kind's runtime: an unknown kind, or a setting its runtime's schema
 * refuses, is a problem in the config's words (the key, what it must be, the fix).
 */
function resolveTarget(
  name: string,
  config: TargetConfig,
  runtimes: RuntimeKinds,
  problems: string[],
): Target | undefined {
  const module = runtimes.get(config.kind);
  if (!module) {
    const kinds = runtimes.kinds().map((kind) => JSON.stringify(kind));
    problems.push(
      `\`targets.${name}.kind\`: must be one of ${kinds.join(", ")}, got ${JSON.stringify(config.kind)}; set the target's kind`,
    );
    return undefined;
  }
  const own = Object.fromEntries(Object.entries(config).filter(([key]) => !TARGET_KEYS.includes(key)));
  const read = module.settings.safeParse(own);
  if (!read.success) {
    const keys = [...TARGET_KEYS, ...Object.keys(module.settings.shape)];
    const input = { targets: { [name]: config } };
    for (const issue of read.error.issues) {
      const where = { ...issue, path: ["targets", name, ...issue.path] };
      problems.push(...issueProblems(where, input, (path) => (path.length === 2 ? keys : undefined)));
    }
    return undefined;
  }
  // Left out, cpus and memory are this machine's where steps run on it, unchecked elsewhere (a
  // cluster's scheduler decides).
  const here = module.onThisMachine;
  const cpus = config.cpus ?? (here ? availableParallelism() : undefined);
  const memory = config.memory !== undefined ? memoryBytes(config.memory) : here ? totalmem() : undefined;
  const target: Omit<Target, "where"> = {
    name,
    kind: config.kind,
    ...(cpus !== undefined ? { cpus } : {}),
    ...(memory !== undefined ? { memoryBytes: memory } : {}),
    gpus: config.gpus ?? 0,
    gpuTypes: [...(config.gpuTypes ?? [])],
    ...(config.maxParallel !== undefined ? { maxParallel: config.maxParallel } : {}),
    settings: read.data,
    config,
  };
  return { ...target, where: module.describe(target) };
}

/**
 * The workspace's targets: those in canal.config.json, plus the built-in `local` (this machine's
 * cores and memory, no GPUs) unless the file defines its own `local`. Each is read by the runtime
 * of its kind in `runtimes`; a ConfigError lists every target problem at once.
 */
export function workspaceTargets(
  config: Pick<WorkspaceConfig, "targets">,
  runtimes: RuntimeKinds,
): Record<string, Target> {
  const problems: string[] = [];
  const targets: Record<string, Target> = {};
  // The built-in target is the local runtime's: a registry without it has none.
  const written: Record<string, TargetConfig> = {};
  if (runtimes.get("local")) written[BUILTIN_TARGET] = { kind: "local" };
  Object.assign(written, config.targets);
  for (const [name, target] of Object.entries(written)) {
    const resolved = resolveTarget(name, target, runtimes, problems);
    if (resolved) targets[name] = resolved;
  }
  if (problems.length) throw new ConfigError(CONFIG_FILE, problems);
  return targets;
}

export interface SelectOptions {
  /** `--target NAME`: every step runs there; profiles are not consulted. */
  target?: string;
  /** `--profile NAME`. */
  profile?: string;
  /** Where CANAL_PROFILE is read from (process.env by default). */
  env?: Record<string, string | undefined>;
}

function names(record: Record<string, unknown>): string {
  return Object.keys(record).sort().join(", ");
}

/**
 * Chooses the targets of a run: `--target` first, then `--profile`, then CANAL_PROFILE, then the
 * profile "default" (which, when the config does not define it, sends every step to `local`).
 */
export function selectTargets(
  config: Pick<WorkspaceConfig, "targets" | "profiles">,
  runtimes: RuntimeKinds,
  options: SelectOptions = {},
): TargetSelection {
  const targets = workspaceTargets(config, runtimes);
  const profiles = config.profiles ?? {};
  const env = options.env ?? process.env;
  if (options.target !== undefined) {
    const target = targets[options.target];
    if (!target) {
      throw new TargetError("CANAL_TARGET_UNKNOWN", [
        {
          path: `targets.${options.target}`,
          message: `no target \`${options.target}\``,
          hint: `the targets are ${names(targets)} (define more under "targets" in canal.config.json)`,
        },
      ]);
    }
    return { chosenBy: `--target ${options.target}`, target, compute: {}, targets };
  }
  const fromEnv = options.profile === undefined && env.CANAL_PROFILE ? env.CANAL_PROFILE : undefined;
  const name = options.profile ?? fromEnv ?? DEFAULT_PROFILE;
  const chosenBy = `profile ${name}${fromEnv ? " (CANAL_PROFILE)" : ""}`;
  const profile = profiles[name] ?? (name === DEFAULT_PROFILE ? { target: BUILTIN_TARGET } : undefined);
  if (!profile) {
    const where = fromEnv ? `CANAL_PROFILE=${fromEnv} names` : "there is";
    const known = names({ ...profiles, [DEFAULT_PROFILE]: true });
    throw new TargetError("CANAL_TARGET_UNKNOWN", [
      {
        path: `profiles.${name}`,
        message: `${where} no profile \`${name}\``,
        hint: `the profiles are ${known} (define more under "profiles" in canal.config.json)`,
      },
    ]);
  }
  // The config's references were checked when it was read, so these targets exist.
  const compute: Record<string, Target> = {};
  for (const [computeName, targetName] of Object.entries(profile.compute ?? {})) {
    compute[computeName] = targets[targetName] as Target;
  }
  return { chosenBy, profile: name, target: targets[profile.target] as Target, compute, targets };
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** What a step asks of a target that this one lacks; empty when it fits. */
function shortfalls(step: Step, target: Target): { what: string; has: string; fix: string }[] {
  const wants = step.resources ?? {};
  const found: { what: string; has: string; fix: string }[] = [];
  const gpus = wants.gpu ?? 0;
  if (gpus > target.gpus) {
    found.push({
      what: plural(gpus, "GPU"),
      has: target.gpus === 0 ? "none" : String(target.gpus),
      fix: "lower resources.gpu",
    });
  }
  if (wants.gpuType && !target.gpuTypes.includes(wants.gpuType)) {
    found.push({
      what: `GPU type \`${wants.gpuType}\``,
      has: target.gpuTypes.length ? target.gpuTypes.join(", ") : "no GPU types declared",
      fix: "change resources.gpuType",
    });
  }
  if (
    wants.memoryBytes !== undefined &&
    target.memoryBytes !== undefined &&
    wants.memoryBytes > target.memoryBytes
  ) {
    found.push({
      what: `${formatMemory(wants.memoryBytes)} of memory`,
      has: formatMemory(target.memoryBytes),
      fix: "lower resources.memory",
    });
  }
  if (wants.cpu !== undefined && target.cpus !== undefined && wants.cpu > target.cpus) {
    found.push({ what: plural(wants.cpu, "CPU"), has: String(target.cpus), fix: "lower resources.cpu" });
  }
  return found;
}

function describeTarget(target: Target): string {
  const parts: string[] = [target.kind];
  if (target.gpus > 0)
    parts.push(plural(target.gpus, "GPU") + (target.gpuTypes.length ? ` ${target.gpuTypes.join("/")}` : ""));
  if (target.memoryBytes !== undefined) parts.push(formatMemory(target.memoryBytes));
  return `--target ${target.name} (${parts.join(", ")})`;
}

/**
 * Places every step on a target and checks that the target can give it what it asks for — CPUs,
 * memory, GPUs and their type — before anything runs. A request a target cannot meet is an error
 * naming the step, the request, the target and the fix, never a silent downgrade; every problem of
 * the pipeline is reported at once.
 *
 * A step's `compute` name goes to the target the profile maps it to, or else to the target of the
 * same name; with `--target`, every step goes to that target.
 */
export function placeSteps(pipeline: Pipeline, selection: TargetSelection): Map<string, Target> {
  const placement = new Map<string, Target>();
  const problems: Problem[] = [];
  for (const step of pipeline.steps) {
    let target = selection.target;
    if (step.compute && selection.profile !== undefined) {
      const mapped = selection.compute[step.compute] ?? selection.targets[step.compute];
      if (!mapped) {
        problems.push({
          path: `steps.${step.id}`,
          message: `step \`${step.id}\` asks for compute \`${step.compute}\`, which profile \`${selection.profile}\` does not map to a target`,
          hint:
            `add "compute": { "${step.compute}": "TARGET" } to profiles.${selection.profile} in canal.config.json ` +
            `(the targets are ${names(selection.targets)}), or run with --target NAME`,
        });
        continue;
      }
      target = mapped;
    }
    placement.set(step.id, target);
    const lacks = shortfalls(step, target);
    if (lacks.length === 0) continue;
    const fits = Object.values(selection.targets).filter(
      (t) => t !== target && shortfalls(step, t).length === 0,
    );
    const elsewhere = fits.length
      ? `run with ${fits.map(describeTarget).join(" or ")}`
      : 'add a target that has it under "targets" in canal.config.json';
    for (const lack of lacks) {
      problems.push({
        path: `steps.${step.id}`,
        message: `step \`${step.id}\` asks for ${lack.what} but target \`${target.name}\` has ${lack.has}`,
        hint: `${elsewhere} or ${lack.fix}`,
      });
    }
  }
  if (problems.length) {
    throw new TargetError(
      "CANAL_TARGET_UNSATISFIED",
      problems,
      `pipeline ${pipeline.name} cannot run on the targets of ${selection.chosenBy}; nothing ran:`,
    );
  }
  return placement;
}
