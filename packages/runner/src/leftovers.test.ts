import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RuntimeModule } from "@canal/runtime-core";
import { localRuntime } from "@canal/runtime-local/module";
import { openWorkspace, type Workspace } from "@canal/store";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { endLeftovers } from "./leftovers.js";
import { RuntimeRegistry } from "./runtimes.js";

let dir: string;
let workspace: Workspace;
let runId: string;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "canal-leftovers-"));
  // Two targets of one kind besides the built-in local one: they share the run's key, as two Slurm
  // clusters of a run do.
  writeFileSync(
    join(dir, "canal.config.json"),
    JSON.stringify({ targets: { east: { kind: "local" }, west: { kind: "local" } } }),
  );
  workspace = await openWorkspace(dir);
  const version = await workspace.metadata.registerPipelineVersion({ pipeline: "p", hash: "h", ir: "{}" });
  runId = (await workspace.metadata.createRun({ pipelineVersionId: version.id, runtime: "local" })).id;
  await workspace.metadata.keepRunKey(runId, "local", "k".repeat(32));
});
afterEach(async () => {
  await workspace.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The local kind, whose targets end a run by its key (read from the store) and then forget it. */
function keyed(failOn?: string) {
  const saw: Array<[string, string | undefined]> = [];
  const module: RuntimeModule<unknown> = {
    ...localRuntime,
    endRun: async (target, id, context) => {
      const key = await context.runKeys?.readRunKey(id, "local");
      saw.push([target.name, key]);
      if (target.name === failOn) throw new Error("the cluster cannot be reached");
      await context.runKeys?.dropRunKey(id, "local");
      return [`jobs of ${id}+${key?.slice(0, 4)}`];
    },
  };
  return { saw, registry: new RuntimeRegistry([module]) };
}

describe("endLeftovers of a run on two targets of one kind", () => {
  it("forgets the run's key only once every target has ended the run", async () => {
    const { saw, registry } = keyed();
    const result = await endLeftovers(workspace, runId, "local", registry);
    expect(result.problems).toEqual([]);
    // The later targets still read the key the first had asked to forget.
    expect(saw).toEqual([
      ["local", "k".repeat(32)],
      ["east", "k".repeat(32)],
      ["west", "k".repeat(32)],
    ]);
    expect(await workspace.metadata.readRunKey(runId, "local")).toBeUndefined();
  });

  it("keeps the key when a target could not be asked, so a later cancel still finds its jobs", async () => {
    const { saw, registry } = keyed("east");
    const result = await endLeftovers(workspace, runId, "local", registry);
    expect(result.problems).toEqual(["target east: the cluster cannot be reached"]);
    // The one after it is still asked.
    expect(saw.map(([name]) => name)).toEqual(["local", "east", "west"]);
    expect(await workspace.metadata.readRunKey(runId, "local")).toBe("k".repeat(32));
  });
});
