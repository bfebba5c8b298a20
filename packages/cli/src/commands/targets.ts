import { parseArgs } from "node:util";
import { formatMemory, type Target, workspaceTargets } from "@canal/runner";
import type { TargetCheck } from "@canal/runtime-core";
import { DEFAULT_PROFILE, findWorkspace } from "@canal/store";
import { type Io, UsageError } from "../io.js";
import { runtimes } from "../runtimes.js";
import { suggestion } from "../suggest.js";

export const targetsHelp = `Usage: canal targets [NAME] [--check] [--json]

Lists the compute targets of canal.config.json (and the built-in \`local\`): each one's kind, where
it runs steps, what one step may use there, and the profiles that send steps to it.

  --check   connect to each target (or NAME) and report what it offers: a docker target's engine
            version and images; a slurm target's partitions, GRES and idle nodes; or exactly why
            it cannot be reached and what to set. Exit status 1 when any target has a problem.
  --json    the targets (and with --check, what was found) as JSON

See docs/targets.md for setting up a Docker engine or a Slurm cluster.
`;

function capabilityText(target: Target): string {
  const parts: string[] = [];
  parts.push(target.cpus !== undefined ? `${target.cpus} CPUs` : "CPUs not checked");
  parts.push(target.memoryBytes !== undefined ? formatMemory(target.memoryBytes) : "memory not checked");
  parts.push(
    target.gpus > 0
      ? `${target.gpus} GPU${target.gpus === 1 ? "" : "s"}${target.gpuTypes.length ? ` (${target.gpuTypes.join(", ")})` : ""}`
      : "no GPUs",
  );
  if (target.maxParallel !== undefined) parts.push(`${target.maxParallel} at once`);
  return parts.join(", ");
}

export async function targetsCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { check: { type: "boolean" }, json: { type: "boolean" } },
  });
  const [name, extra] = positionals;
  if (extra !== undefined)
    throw new UsageError(`unexpected argument \`${extra}\`; canal targets takes one target name`);
  const found = findWorkspace(io.cwd);
  const all = workspaceTargets(found.config, runtimes);
  if (name !== undefined && !all[name]) {
    const names = Object.keys(all).sort();
    io.stderr(
      `canal targets: no target \`${name}\`; the targets are ${names.join(", ")}${await suggestion(name, names)} (define more under "targets" in ${found.configPath ?? "canal.config.json"})\n`,
    );
    return 1;
  }
  const chosen = name !== undefined ? [all[name] as Target] : Object.values(all);
  const profiles = found.config.profiles ?? {};
  const usedBy = (target: string) => {
    const names = Object.entries(profiles)
      .filter(([, p]) => p.target === target || Object.values(p.compute ?? {}).includes(target))
      .map(([profile]) => profile);
    if (!profiles[DEFAULT_PROFILE] && target === "local") names.unshift(DEFAULT_PROFILE);
    return names;
  };
  const { folders } = found.config;
  // Checked one after the other: a check that waits for a slow engine does not hide the others' results.
  const checks = new Map<string, TargetCheck>();
  if (values.check)
    for (const target of chosen)
      checks.set(
        target.name,
        await runtimes.check(target, { canalDir: folders.state, cacheDir: folders.cache }),
      );
  const failing = [...checks.values()].filter((c) => c.problems.length > 0).length;
  if (values.json) {
    const report = chosen.map((target) => {
      const check = checks.get(target.name);
      return {
        name: target.name,
        kind: target.kind,
        config: target.config,
        capabilities: {
          ...(target.cpus !== undefined ? { cpus: target.cpus } : {}),
          ...(target.memoryBytes !== undefined ? { memoryBytes: target.memoryBytes } : {}),
          gpus: target.gpus,
          gpuTypes: target.gpuTypes,
          ...(target.maxParallel !== undefined ? { maxParallel: target.maxParallel } : {}),
        },
        profiles: usedBy(target.name),
        ...(check
          ? {
              check: {
                ok: check.problems.length === 0,
                offers: Object.fromEntries(check.offers.map((o) => [o.label, o.value])),
                problems: check.problems,
              },
            }
          : {}),
      };
    });
    io.stdout(`${JSON.stringify(report, null, 2)}\n`);
    return failing ? 1 : 0;
  }
  for (const target of chosen) {
    const profileNames = usedBy(target.name);
    io.stdout(`${target.name} (${target.kind}): ${target.where}\n`);
    io.stdout(`  per step: ${capabilityText(target)}\n`);
    if (profileNames.length) io.stdout(`  profiles: ${profileNames.join(", ")}\n`);
    const check = checks.get(target.name);
    if (!check) continue;
    for (const { label, value } of check.offers) {
      if (Array.isArray(value)) {
        io.stdout(`  ${label}:${value.length ? "" : " none"}\n`);
        for (const item of value) io.stdout(`    ${item}\n`);
      } else io.stdout(`  ${label}: ${value}\n`);
    }
    if (check.problems.length === 0) io.stdout("  ok: steps can run here\n");
    for (const problem of check.problems) io.stdout(`  problem: ${problem}\n`);
  }
  if (!values.check && name === undefined)
    io.stdout("\n`canal targets --check` connects to each and reports what it offers.\n");
  if (failing)
    io.stderr(
      `canal targets: ${failing} target${failing === 1 ? "" : "s"} cannot run steps as configured; see the problems above\n`,
    );
  return failing ? 1 : 0;
}
