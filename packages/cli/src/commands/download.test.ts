import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openWorkspace } from "@canal/store";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Io } from "../io.js";
import { closest, downloadCommand, outputsText } from "./download.js";

describe("closest", () => {
  it("names the known name a typo meant, and nothing for a name that is far from all", () => {
    expect(closest("tabel", ["table", "tree"])).toBe("table");
    expect(closest("moddel", ["model", "metrics"])).toBe("model");
    expect(closest("zzz", ["model", "metrics"])).toBeUndefined();
    expect(closest("run-20261202-165521-d73c", ["run-20261202-165521-d73b"], 2)).toBe(
      "run-20261202-165521-d73b",
    );
    expect(closest("run-20251202-165521-0000", ["run-20261202-165521-d73b"], 2)).toBeUndefined();
  });
});

describe("outputsText", () => {
  it("lists the outputs with their sizes and the download command, and nothing when there are none", () => {
    expect(
      outputsText("run-1", [
        { name: "model", kind: "file", size: 2048 },
        { name: "count", kind: "value", size: 1 },
      ]),
    ).toBe("outputs: model (2.0 KiB), count (value)\n  download: canal download run-1\n");
    expect(outputsText("run-1", [])).toBe("");
  });
});

describe("downloadCommand with records it did not write", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "canal-download-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A run whose stored IR names a pipeline output `name`, bound to a step's file output. */
  async function runWithOutput(name: string): Promise<string> {
    const workspace = await openWorkspace(dir);
    try {
      const digest = await workspace.blobs.put("secret\n");
      const ir = JSON.stringify({
        outputs: [{ name, binding: { output: { step: "make", output: "out" } } }],
      });
      const version = await workspace.metadata.registerPipelineVersion({ pipeline: "p", hash: "h", ir });
      const run = await workspace.metadata.createRun({ pipelineVersionId: version.id, runtime: "local" });
      const step = await workspace.metadata.createStepRun({ runId: run.id, stepId: "make" });
      await workspace.metadata.finishStepRun(step.id, {
        status: "succeeded",
        outputs: { out: { digest, directory: false } },
      });
      return run.id;
    } finally {
      await workspace.close();
    }
  }

  const io = (): Io & { err: string } => {
    const captured = {
      err: "",
      cwd: dir,
      stdout: () => {},
      stderr: (text: string) => {
        captured.err += text;
      },
    };
    return captured;
  };

  it("never writes outside --to, whatever a stored output name says", async () => {
    const runId = await runWithOutput("../escaped");
    await expect(downloadCommand([runId, "--to", "out"], io())).rejects.toMatchObject({
      code: "CANAL_PATH_OUTSIDE_ROOT",
    });
    expect(existsSync(join(dir, "escaped"))).toBe(false);
    expect(readdirSync(dir).sort()).toEqual([".canal"]);
  });

  it("writes a plain name where it belongs", async () => {
    const runId = await runWithOutput("kept");
    expect(await downloadCommand([runId, "--to", "out"], io())).toBe(0);
    expect(readdirSync(join(dir, "out"))).toEqual(["kept"]);
  });
});
