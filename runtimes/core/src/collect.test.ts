import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LocalBlobStore } from "@canal/store";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type AttemptOutputs, adoptOutputs, collectOutputs, readMetrics, within } from "./collect.js";
import { outputTargets } from "./staging.js";
import { TestBed, testStep, types } from "./testing/pipelines.js";

let bed: TestBed;
let outDir: string;
beforeEach(() => {
  bed = new TestBed();
  outDir = join(bed.dir, "out");
  mkdirSync(outDir);
});
afterEach(() => bed.remove());

function attempt(
  outputs: Record<string, (typeof types)[keyof typeof types]>,
  more: Partial<AttemptOutputs> = {},
) {
  const step = testStep("s", {}, outputs);
  return {
    stepKey: "s",
    step,
    targets: outputTargets(step, (name) => join(outDir, name)),
    outDir,
    inputPaths: new Set<string>(),
    values: {},
    returned: {},
    ...more,
  };
}

describe("collecting outputs", () => {
  it("moves files and folders into the store and reads value outputs as JSON", async () => {
    const a = attempt({
      model: types.file,
      folder: types.directory,
      score: types.number,
      note: types.string,
    });
    writeFileSync(join(outDir, "model"), "weights");
    writeFileSync(join(outDir, "folder", "f.txt"), "f");
    writeFileSync(join(outDir, "score"), "0.5");
    const collected = await collectOutputs({ ...a, values: { note: "hi" } }, bed.blobs);
    if (collected.status !== "succeeded") throw new Error(collected.error);
    const { model, folder, score, note } = collected.outputs;
    expect(model).toMatchObject({ directory: false, name: "model" });
    expect(bed.blobs.read((model as { digest: string }).digest)).toBe("weights");
    expect(bed.blobs.read((folder as { digest: string }).digest)).toEqual({ "f.txt": "f" });
    expect([score, note]).toEqual([{ json: "0.5" }, { json: '"hi"' }]);
  });

  it("stores one file returned for two outputs once", async () => {
    const a = attempt({ one: types.file, two: types.file });
    const path = join(outDir, "shared.csv");
    writeFileSync(path, "x");
    const collected = await collectOutputs({ ...a, returned: { one: path, two: path } }, bed.blobs);
    expect(collected.status === "succeeded" && collected.outputs.one).toEqual(
      collected.status === "succeeded" && collected.outputs.two,
    );
  });

  it("refuses an output outside the output folder, through a link or a returned path", async () => {
    const outside = join(bed.dir, "secret");
    writeFileSync(outside, "s");
    symlinkSync(outside, join(outDir, "model"));
    expect(await collectOutputs(attempt({ model: types.file }), bed.blobs)).toMatchObject({
      status: "failed",
      retryable: false,
      error: expect.stringMatching(/output `model` is at .*, outside its output folder/),
    });
    expect(within(join(outDir, "model"), outDir)).toBe(false);
    const returned = await collectOutputs(
      attempt({ model: types.file }, { returned: { model: outside } }),
      bed.blobs,
    );
    expect(returned.status).toBe("failed");
    // A staged input handed back is no escape.
    const passed = await collectOutputs(
      attempt({ model: types.file }, { returned: { model: outside }, inputPaths: new Set([outside]) }),
      bed.blobs,
    );
    expect(passed.status).toBe("succeeded");
  });

  it("fails an output never written, and a value output that is not JSON", async () => {
    expect(await collectOutputs(attempt({ model: types.file }), bed.blobs)).toMatchObject({
      error: `step s did not write its output \`model\` (expected at ${join(outDir, "model")})`,
    });
    writeFileSync(join(outDir, "score"), "not json");
    expect(await collectOutputs(attempt({ score: types.number }), bed.blobs)).toMatchObject({
      error: `step s did not write its value output \`score\` as JSON to ${join(outDir, "score")}`,
    });
  });

  it("reads metrics line by line, leaving out a torn line and foreign shapes", () => {
    const file = join(bed.dir, "metrics.jsonl");
    writeFileSync(
      file,
      '{"name":"loss","value":0.5}\n{"name":"x","value":{}}\n\n{"name":"acc","value":"high"}\n{"name":"tor',
    );
    expect(readMetrics(file)).toEqual([
      { name: "loss", value: 0.5 },
      { name: "acc", value: "high" },
    ]);
    expect(readMetrics(join(bed.dir, "none"))).toEqual([]);
  });
});

describe("adopting the outputs a step stored itself", () => {
  const step = testStep("s", {}, { model: types.file, tree: types.directory, score: types.number });
  const adopter = (store: LocalBlobStore) => ({
    adopt: async (digest: string, kind: "file" | "directory") => {
      const info = await store.stat(digest);
      return info?.kind === kind ? { size: info.size } : undefined;
    },
  });

  it("trusts a report only for objects the store has, of the size the step wrote", async () => {
    const store = new LocalBlobStore(join(bed.dir, "blobs"));
    const model = await store.put("weights");
    mkdirSync(join(bed.dir, "tree"));
    writeFileSync(join(bed.dir, "tree", "x"), "x");
    const tree = await store.putDirectory(join(bed.dir, "tree"));
    const stored = {
      model: { digest: model, directory: false, name: "model.bin" },
      tree: { digest: tree, directory: true },
      score: { json: "0.50" },
    };
    expect(await adoptOutputs("s", step, { stored, sizes: { model: 7 } }, adopter(store))).toEqual({
      status: "succeeded",
      outputs: { ...stored, score: { json: "0.5" } },
    });

    const gone = { ...stored, model: { digest: "0".repeat(64), directory: false } };
    expect(await adoptOutputs("s", step, { stored: gone }, adopter(store))).toMatchObject({
      status: "failed",
      retryable: true,
      error: expect.stringMatching(
        /^step s: its output `model` was reported stored as sha256:0{64}, but the artifact store has no such file/,
      ),
    });
    expect(await adoptOutputs("s", step, { stored, sizes: { model: 8 } }, adopter(store))).toMatchObject({
      status: "failed",
      retryable: true,
      error: expect.stringMatching(/is 7 bytes in the artifact store, not the 8 bytes the step wrote/),
    });
    const mixed = { ...stored, model: { json: "1" } };
    expect(await adoptOutputs("s", step, { stored: mixed }, adopter(store))).toMatchObject({
      status: "failed",
      retryable: false,
      error: "step s: its output `model` was reported without a sha256 digest",
    });
    expect(await adoptOutputs("s", step, { stored: { model: stored.model } }, adopter(store))).toMatchObject({
      status: "failed",
      error: "step s: it did not report its output `tree`",
    });
  });
});
