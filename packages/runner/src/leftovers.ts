import type { RunKeyRecords, Workspace } from "@canal/store";
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
  const { metadata } = workspace;
  // A run's key is forgotten once every target ended the run: two targets of one kind share it
  // (and each asks to forget it; it is dropped once).
  const forgotten = new Map<string, [string, string]>();
  const runKeys: RunKeyRecords = {
    keepRunKey: (id, kind, key) => metadata.keepRunKey(id, kind, key),
    readRunKey: (id, kind) => metadata.readRunKey(id, kind),
    dropRunKey: async (id, kind) => {
      forgotten.set(`${id}\n${kind}`, [id, kind]);
    },
  };
  for (const target of Object.values(workspaceTargets(workspace.config, registry))) {
    if (!kinds.has(target.kind) || !registry.has(target.kind)) continue;
    try {
      const ended = await registry.endRun(target, runId, {
        canalDir: canalDir(workspace),
        cacheDir: workspace.config.folders.cache,
        runKeys,
      });
      result.ended.push(...ended.map((what) => `${what} on target ${target.name}`));
    } catch (error) {
      result.problems.push(`target ${target.name}: ${(error as Error).message}`);
    }
  }
  // Kept when a target could not be asked: a later cancel or `canal gc` still finds the run's work.
  if (result.problems.length === 0)
    for (const [id, kind] of forgotten.values()) {
      try {
        await metadata.dropRunKey(id, kind);
      } catch (error) {
        result.problems.push(
          `cannot forget run ${id}'s ${kind} key in the store: ${(error as Error).message}`,
        );
      }
    }
  return result;
}
