import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { outputTargets, stageInputs } from "./staging.js";
import { literal, TestBed, testStep, types } from "./testing/pipelines.js";

let bed: TestBed;
beforeEach(() => {
  bed = new TestBed();
});
afterEach(() => bed.remove());

const step = testStep(
  "use",
  {
    raw: [types.file, literal(0)],
    tree: [types.directory, literal(0)],
    many: [types.files, literal(0)],
    lr: [types.number, literal(0)],
  },
  { model: types.file, folder: types.directory, score: types.number },
);

describe("staging", () => {
  it("puts a file under its own name, a directory as the input's folder, a fan-in numbered", async () => {
    const tree = join(bed.dir, "tree");
    mkdirSync(join(tree, "sub"), { recursive: true });
    writeFileSync(join(tree, "sub", "x.txt"), "x");
    const treeDigest = await bed.blobs.putDirectory(tree);
    const inDir = join(bed.dir, "in");
    const staged = await stageInputs(
      "use",
      step,
      {
        raw: { digest: bed.blobs.putBytes("a,b"), directory: false, name: "wine.csv" },
        tree: { digest: treeDigest, directory: true },
        many: { digests: [bed.blobs.putBytes("1"), bed.blobs.putBytes("2")], names: ["one.txt", null] },
        lr: { json: "0.5" },
      },
      inDir,
      bed.blobs,
    );
    expect(staged.inputs).toEqual({
      raw: { kind: "artifact", path: join(inDir, "raw", "wine.csv"), directory: false },
      tree: { kind: "artifact", path: join(inDir, "tree"), directory: true },
      many: {
        kind: "artifacts",
        paths: [join(inDir, "many", "0", "one.txt"), join(inDir, "many", "1")],
        listFile: join(inDir, "many.list"),
      },
      lr: { kind: "value", value: 0.5 },
    });
    expect(readFileSync(join(inDir, "raw", "wine.csv"), "utf8")).toBe("a,b");
    expect(readFileSync(join(inDir, "tree", "sub", "x.txt"), "utf8")).toBe("x");
    expect(readFileSync(join(inDir, "many", "1"), "utf8")).toBe("2");
    expect([...staged.paths.keys()]).toHaveLength(4);
  });

  it("leaves of the folders made ahead only those a file is staged into", async () => {
    const two = testStep(
      "two",
      { raw: [types.file, literal(0)], spare: [types.file, literal(0)], lr: [types.number, literal(0)] },
      {},
    );
    const inDir = join(bed.dir, "in");
    for (const name of ["raw", "spare"]) mkdirSync(join(inDir, name), { recursive: true });
    const made = { inMade: true, inputsMade: ["raw", "spare"] };
    const raw = { digest: bed.blobs.putBytes("a,b"), directory: false, name: "wine.csv" } as const;
    await stageInputs("two", two, { raw, lr: { json: "1" } }, inDir, bed.blobs, made);
    expect(readdirSync(inDir)).toEqual(["raw"]);
    expect(readFileSync(join(inDir, "raw", "wine.csv"), "utf8")).toBe("a,b");

    // No file staged at all: no in/, as when nothing is made ahead.
    const valuesOnly = join(bed.dir, "values-only");
    for (const name of ["raw", "spare"]) mkdirSync(join(valuesOnly, name), { recursive: true });
    await stageInputs("two", two, { lr: { json: "1" } }, valuesOnly, bed.blobs, made);
    expect(existsSync(valuesOnly)).toBe(false);

    // A step that fetches its own inputs gets in/ and nothing under it.
    const planned = join(bed.dir, "planned");
    for (const name of ["raw", "spare"]) mkdirSync(join(planned, name), { recursive: true });
    const plan = { materialize: async () => {} };
    await stageInputs("two", two, { raw }, planned, plan, { ...made, inputFolders: false });
    expect(readdirSync(planned)).toEqual([]);
  });

  it("writes an input over the file left at its path, and removes those left at any other", async () => {
    const two = testStep("two", { raw: [types.file, literal(0)], spare: [types.file, literal(0)] }, {});
    const inDir = join(bed.dir, "in");
    for (const name of ["raw", "spare"]) mkdirSync(join(inDir, name), { recursive: true });
    const left = [join(inDir, "raw", "wine.csv"), join(inDir, "spare", "old.csv")];
    for (const file of left) writeFileSync(file, "the input of the step before, longer than this one");
    const before = statSync(left[0] as string).ino;
    const raw = { digest: bed.blobs.putBytes("a,b"), directory: false, name: "wine.csv" } as const;
    const spare = { digest: bed.blobs.putBytes("c"), directory: false, name: "new.csv" } as const;
    await stageInputs("two", two, { raw, spare }, inDir, bed.blobs, {
      inMade: true,
      inputsMade: ["raw", "spare"],
      filesMade: left,
    });
    expect(readFileSync(join(inDir, "raw", "wine.csv"), "utf8")).toBe("a,b");
    expect(statSync(join(inDir, "raw", "wine.csv")).ino).toBe(before);
    expect(readdirSync(join(inDir, "spare"))).toEqual(["new.csv"]);

    // An input not staged as a file here (none given) leaves neither its file nor its folder.
    writeFileSync(join(inDir, "raw", "wine.csv"), "");
    rmSync(join(inDir, "spare"), { recursive: true });
    mkdirSync(join(inDir, "spare"));
    writeFileSync(join(inDir, "spare", "old.csv"), "");
    await stageInputs("two", two, { raw }, inDir, bed.blobs, {
      inMade: true,
      inputsMade: ["raw", "spare"],
      filesMade: left,
    });
    expect(readdirSync(inDir)).toEqual(["raw"]);
  });

  it("refuses a recorded file name that would leave the input's folder", async () => {
    const value = { digest: bed.blobs.putBytes("x"), directory: false, name: "../../escape" };
    await expect(stageInputs("use", step, { raw: value }, join(bed.dir, "in"), bed.blobs)).rejects.toThrow(
      /step use: input `raw` is recorded under the file name "\.\.\/\.\.\/escape", which .*--regenerate/,
    );
  });

  it("gives each output its place: a fresh folder for a Directory, a path for the rest", () => {
    const out = join(bed.dir, "out");
    mkdirSync(out);
    const targets = outputTargets(step, (name) => join(out, name));
    expect(targets).toEqual({
      model: { kind: "artifact", path: join(out, "model"), directory: false },
      folder: { kind: "artifact", path: join(out, "folder"), directory: true },
      score: { kind: "value", path: join(out, "score"), directory: false },
    });
    expect(statSync(join(out, "folder")).isDirectory()).toBe(true);
  });
});
