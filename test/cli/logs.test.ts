// `canal logs` prints a step's whole log, however many pieces it was recorded in.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openWorkspace } from "@canal/store";
import { describe, expect, it } from "vitest";
import { canal } from "../canal.js";

describe("canal logs", () => {
  it("prints every piece of a long step log, past the store's page size", async () => {
    const dir = mkdtempSync(join(tmpdir(), "canal-logs-"));
    writeFileSync(join(dir, "canal.config.json"), "{}\n");
    const workspace = await openWorkspace(dir);
    const pieces = 2500;
    let runId = "";
    try {
      const { metadata } = workspace;
      const version = await metadata.registerPipelineVersion({ pipeline: "long", hash: "h", ir: "{}" });
      const run = await metadata.createRun({ pipelineVersionId: version.id, runtime: "local" });
      runId = run.id;
      const step = await metadata.createStepRun({ runId, stepId: "talk" });
      await metadata.startAttempt(step.id, 1);
      for (let i = 0; i < pieces; i++) await metadata.appendLog(step.id, 1, "stdout", `line ${i}\n`);
      await metadata.updateRun(runId, { status: "succeeded", endedAt: Date.now() });
    } finally {
      await workspace.close();
    }
    const result = await canal(["logs", runId], dir);
    expect(result.status, result.stderr).toBe(0);
    const lines = result.stdout.split("\n").filter(Boolean);
    expect(lines).toHaveLength(pieces);
    expect(lines[0]).toBe("talk | line 0");
    expect(lines.at(-1)).toBe(`talk | line ${pieces - 1}`);
    const json = await canal(["logs", runId, "--json"], dir);
    expect(json.stdout.split("\n").filter(Boolean)).toHaveLength(pieces);
  });
});
