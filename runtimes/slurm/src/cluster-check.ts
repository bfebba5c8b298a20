import { accessSync, constants, existsSync, statSync } from "node:fs";
import { didYouMean } from "@canal/ir";
import type { TargetCheck } from "@canal/runtime-core";
import type { SubmitSettings } from "./batch-script.js";
import { controllerUnreachable, slurmCommand } from "./slurm-commands.js";

/** One partition as `sinfo` reports it, its node groups summed. */
export interface Partition {
  name: string;
  default: boolean;
  /** "up", "down", "drain", "inact". */
  avail: string;
  nodes: number;
  idle: number;
  /** GRES of its nodes as Slurm writes them: "gpu:2", "gpu:a100:4(S:0-1)". */
  gres: string[];
  cpus: string;
  /** Memory per node, in MB as Slurm reports it. */
  memoryMb: string;
  timeLimit: string;
}

/** The sinfo format {@link parsePartitions} reads: partition, availability, state, node count, GRES, CPUs, memory, time limit. */
export const SINFO_FORMAT = "%P|%a|%T|%D|%G|%c|%m|%l";

/** Partitions from `sinfo -h -o SINFO_FORMAT` (one line per partition and node state). */
export function parsePartitions(text: string): Partition[] {
  const byName = new Map<string, Partition>();
  for (const line of text.split("\n")) {
    const [rawName, avail, state, nodes, gres, cpus, memory, limit] = line.trim().split("|");
    if (!rawName || state === undefined) continue;
    const name = rawName.replace(/\*$/, "");
    const partition = byName.get(name) ?? {
      name,
      default: rawName.endsWith("*"),
      avail: avail ?? "",
      nodes: 0,
      idle: 0,
      gres: [],
      cpus: cpus ?? "",
      memoryMb: memory ?? "",
      timeLimit: limit ?? "",
    };
    const count = Number(nodes) || 0;
    partition.nodes += count;
    if (/^idle/.test(state)) partition.idle += count;
    for (const item of (gres ?? "").split(","))
      if (item && item !== "(null)" && !partition.gres.includes(item)) partition.gres.push(item);
    byName.set(name, partition);
  }
  return [...byName.values()];
}

/** How many GPUs of GRES name `name` one node of the partition has (the most of its node groups). */
export function gresCount(partition: Partition, name: string): number {
  let most = 0;
  for (const item of partition.gres) {
    const parts = item.replace(/\(.*\)$/, "").split(":");
    if (parts[0] !== name) continue;
    most = Math.max(most, Number(parts[parts.length - 1]) || 0);
  }
  return most;
}

function describe(p: Partition): string {
  const memory = Number(p.memoryMb) ? `${(Number(p.memoryMb) / 1024).toFixed(1)}Gi` : p.memoryMb;
  return (
    `${p.name}${p.default ? " (default)" : ""}: ${p.avail}, ${p.nodes} node${p.nodes === 1 ? "" : "s"} (${p.idle} idle), ` +
    `${p.cpus} CPUs and ${memory} per node, GRES ${p.gres.join(" ") || "none"}, time limit ${p.timeLimit}`
  );
}

export interface ClusterSettings extends SubmitSettings {
  sharedDir: string;
  env: NodeJS.ProcessEnv;
  /** GPUs one step may ask for, as the target declares (`gpus`). */
  gpus?: number;
}

const firstLine = (text: string) => text.trim().split("\n")[0] ?? "";
const lastLine = (text: string) => text.trim().split("\n").pop() ?? "";

/** Where Slurm's commands read their configuration when SLURM_CONF is not set. */
const DEFAULT_CONF = "/etc/slurm/slurm.conf";

/** The shared directory must be a folder this user may write, here (and on every node, at the same path). */
function sharedDirProblems(shared: string, target: string): string[] {
  if (!existsSync(shared) || !statSync(shared).isDirectory())
    return [
      `\`targets.${target}.sharedDir\`: ${shared} is not a directory here; create it on a filesystem every node mounts at the same path`,
    ];
  try {
    accessSync(shared, constants.W_OK);
  } catch {
    return [
      `\`targets.${target}.sharedDir\`: this user may not write to ${shared}; Canal stages artifacts and job files there`,
    ];
  }
  return [];
}

/**
 * `canal targets --check` of a slurm target: asks the cluster (sinfo, as jobs are submitted from
 * here) for its version and partitions — nodes, idle nodes, GRES — and reports what stops steps
 * from running: Slurm's commands missing here, a controller that cannot be reached, a partition
 * or a GRES the target names that the cluster does not have, a shared directory that is not there.
 */
export async function checkCluster(settings: ClusterSettings, target: string): Promise<TargetCheck> {
  const { env } = settings;
  const offers: TargetCheck["offers"] = [];
  const problems = sharedDirProblems(settings.sharedDir, target);
  const setConf = `set \`targets.${target}.slurmConf\` (or SLURM_CONF) to the cluster's slurm.conf`;
  // Slurm's commands wait a minute for a configuration file that is not there: looked at first.
  if (env.SLURM_CONF && !existsSync(env.SLURM_CONF)) {
    problems.unshift(`the Slurm configuration ${env.SLURM_CONF} does not exist; ${setConf}`);
    return { offers, problems };
  }
  const conf = env.SLURM_CONF ?? DEFAULT_CONF;
  const version = await slurmCommand("sinfo", ["--version"], env, 10_000);
  if (version.code === 127) {
    problems.unshift(
      `${version.stderr}; Canal submits and watches jobs with sbatch, squeue, scontrol and sinfo from this machine`,
    );
    return { offers, problems };
  }
  if (version.code !== 0) {
    const why = lastLine(version.stderr);
    problems.unshift(
      !env.SLURM_CONF && !existsSync(DEFAULT_CONF)
        ? `Slurm's commands find no configuration: SLURM_CONF is not set, ${DEFAULT_CONF} does not exist and no controller answered for a configless set-up (${why}); ${setConf}`
        : `sinfo could not read the Slurm configuration ${conf} (${why}); ${setConf}`,
    );
    return { offers, problems };
  }
  offers.push({ label: "slurm", value: `${firstLine(version.stdout)} (${conf})` });
  const listed = await slurmCommand("sinfo", ["-h", "-o", SINFO_FORMAT], env, 15_000);
  if (listed.code !== 0) {
    const why = lastLine(listed.stderr);
    problems.unshift(
      controllerUnreachable(listed.stderr)
        ? `could not reach the Slurm controller (${why}); check that slurmctld runs and that ${conf} names its host and port (SlurmctldHost, SlurmctldPort), or ${setConf}`
        : `sinfo failed (${why}) with ${conf}; ${setConf}`,
    );
    return { offers, problems };
  }
  const partitions = parsePartitions(listed.stdout);
  offers.push({ label: "partitions", value: partitions.map(describe) });
  const names = partitions.map((p) => p.name);
  const chosen = settings.partition
    ? partitions.find((p) => p.name === settings.partition)
    : partitions.find((p) => p.default);
  if (settings.partition && !chosen) {
    problems.push(
      `\`targets.${target}.partition\`: the cluster has no partition \`${settings.partition}\`; its partitions are ${names.join(", ") || "none"}${didYouMean(settings.partition, names)}`,
    );
  } else if (!chosen) {
    problems.push(
      `the cluster has no default partition; set \`targets.${target}.partition\` to one of ${names.join(", ") || "none"}`,
    );
  } else {
    if (chosen.avail !== "up")
      problems.push(
        `partition \`${chosen.name}\` is ${chosen.avail}: jobs sent there wait until an administrator sets it up`,
      );
    const wanted = settings.gpus ?? 0;
    const gres = settings.gres ?? "gpu";
    const has = gresCount(chosen, gres);
    if (wanted > 0 && has < wanted) {
      problems.push(
        `\`targets.${target}.gpus\` is ${wanted}, but the nodes of partition \`${chosen.name}\` have ${has ? `${has} GRES \`${gres}\`` : `no GRES \`${gres}\``} ` +
          `(they have ${chosen.gres.join(" ") || "none"}); set \`targets.${target}.gres\` to the GRES name GPUs are under, or lower \`gpus\``,
      );
    }
  }
  if (problems.every((p) => !p.includes(".sharedDir`")))
    offers.push({ label: "shared directory", value: settings.sharedDir });
  return { offers, problems };
}
