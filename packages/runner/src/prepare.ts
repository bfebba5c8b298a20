import type { Pipeline } from "@canal/ir";
import type { Runtime } from "@canal/runtime-core";
import type { Workspace } from "@canal/store";
import { canalDir } from "./canal-dir.js";
import type { RuntimeRegistry } from "./runtimes.js";
import {
  placeSteps,
  type SelectOptions,
  selectTargets,
  type Target,
  type TargetSelection,
} from "./targets.js";

export interface PreparedTargets {
  selection: TargetSelection;
  /** Each step's target, by step id. */
  placement: Map<string, Target>;
  runtime: Runtime;
}

/**
 * Everything a run needs to know about where it runs, settled before it starts: the targets chosen
 * by flag, profile or CANAL_PROFILE; every step checked against its target's capabilities; the
 * runtime built from `registry` (the runtimes this build ships). Throws a TargetError (and starts nothing) when any of it fails.
 */
export async function prepareTargets(
  workspace: Workspace,
  pipeline: Pipeline,
  registry: RuntimeRegistry,
  options: SelectOptions & { maxParallel?: number } = {},
): Promise<PreparedTargets> {
  const selection = selectTargets(workspace.config, registry, options);
  const placement = placeSteps(pipeline, selection);
  const runtime = await registry.create(placement, selection.target, {
    canalDir: canalDir(workspace),
    cacheDir: workspace.config.folders.cache,
    runKeys: workspace.metadata,
    ...(options.maxParallel !== undefined ? { maxParallel: options.maxParallel } : {}),
  });
  return { selection, placement, runtime };
}

/** "local", or "local (train on gpu)" when steps run elsewhere: for the line a run starts with. */
export function placementText(prepared: PreparedTargets): string {
  const base = prepared.selection.target.name;
  const elsewhere = [...prepared.placement].filter(([, t]) => t.name !== base);
  if (elsewhere.length === 0) return `target ${base}`;
  return `target ${base} (${elsewhere.map(([step, t]) => `${step} on ${t.name}`).join(", ")})`;
}
