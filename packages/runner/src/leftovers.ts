import type { Workspace } from "@canal/store";
import { canalDir } from "./canal-dir.js";
import type { RuntimeRegistry } from "./runtimes.js";
import { workspaceTargets } from "./targets.js";

/** What `endLeftovers` ended, and the targets it could not ask. */
export interface Leftovers {
  ended: string[];
  problems: string[];
}

/**
 * Ends what run `runId` still has running although the process that drove it is gone: on every
 * target of the workspace whose kind ran it (`runtime` is the run's, e.g. "local" or
 * "local+slurm"), the target's runtime finds the run's processes, containers or jobs by its id.
 */
export async function endLeftovers(
  workspace: Workspace,
  runId: string,
  runtime: string,
  registry: RuntimeRegistry,
): Promise<Leftovers> {
  const kinds = new Set(runtime.split("+"));
  const result: Leftovers = { ended: [], problems: [] };
  for (const target of Object.values(workspaceTargets(workspace.config, registry))) {
    if (!kinds.has(target.kind) || !registry.has(target.kind)) continue;
    try {
      const ended = await registry.endRun(target, runId, {
        canalDir: canalDir(workspace),
        cacheDir: workspace.config.folders.cache,
      });
      result.ended.push(...ended.map((what) => `${what} on target ${target.name}`));
    } catch (error) {
      result.problems.push(`target ${target.name}: ${(error as Error).message}`);
    }
  }
  return result;
}
