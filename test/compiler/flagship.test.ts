import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { compile, hasErrors } from "@canal/compiler";
import { type Pipeline, pipelineEdges, readArtifact } from "@canal/ir";
import { beforeAll, describe, expect, it } from "vitest";
import { copyIris, IRIS_REGISTER, repoRoot, treeBytes } from "../helpers.js";

async function compileIris(dir: string, out = "out", cwd = dir): Promise<Pipeline> {
  const result = await compile({ entries: [join(dir, "pipeline.ts")], outDir: join(dir, out), cwd });
  expect(result.diagnostics).toEqual([]);
  expect(hasErrors(result)).toBe(false);
  return readArtifact(join(dir, out, "iris")).pipeline;
}

const hashes = (p: Pipeline) => Object.fromEntries(p.steps.map((s) => [s.id, s.hash]));

describe("the flagship example", () => {
  let dir: string;
  let pipeline: Pipeline;
  beforeAll(async () => {
    dir = copyIris();
    pipeline = await compileIris(dir);
  });

  it("compiles to the DAG the source describes", () => {
    const byId = new Map(pipeline.steps.map((s) => [s.id, s]));
    expect([...byId.keys()].sort()).toEqual(["compare", "prepare", "profile", "score", "train"]);
    expect(byId.get("prepare")?.kind).toBe("SCRIPT");
    expect(byId.get("profile")?.kind).toBe("TYPESCRIPT");
    const train = byId.get("train");
    const fanOut = pipeline.fanOuts?.find((f) => f.id === train?.fanOut);
    expect(fanOut).toMatchObject({ parameter: "regularization" });
    expect(train?.inputs.find((i) => i.name === "c")?.binding).toMatchObject({ fanOutItem: fanOut?.id });
    const compare = byId.get("compare");
    expect(compare?.inputs.find((i) => i.name === "metrics")?.binding).toMatchObject({
      collect: { step: "train", output: "metrics" },
    });
    expect(compare?.inputs.find((i) => i.name === "metrics")?.type).toEqual({
      list: { element: { artifact: { lineage: ["Metrics", "Artifact"] } } },
    });
    const edges = pipelineEdges(pipeline).map((e) => `${e.from}->${e.to}`);
    expect(edges).toEqual(
      expect.arrayContaining([
        "prepare->profile",
        "prepare->train",
        "train->compare",
        "compare->score",
        "prepare->score",
      ]),
    );
    expect(pipeline.parameters.map((p) => p.name)).toEqual(["raw", "regularization", "testFraction", "seed"]);
    expect(pipeline.parameters[1]).toMatchObject({ hasDefault: true, defaultJson: "[0.01,0.1,1,10]" });
  });

  it("ships everything a runtime needs: bundle, snapshots, each verified; the raw data is a dataset by name", () => {
    const artifact = readArtifact(join(dir, "out/iris"));
    expect(artifact.verify()).toEqual([]);
    const profile = artifact.pipeline.steps.find((s) => s.id === "profile");
    const bundle = artifact.blob(profile?.code?.bundle ?? "").toString();
    expect(bundle).toMatch(/export \{[^}]*\bIris\b/);
    expect(bundle).not.toContain(dir);
    // The raw data is not shipped: the default names the registered dataset, read when a run is
    // submitted, and the schema file it is registered with declares what IrisRow declares.
    const raw = artifact.pipeline.parameters.find((p) => p.name === "raw");
    expect(raw?.defaultArtifact).toBeUndefined();
    expect(raw?.defaultData).toEqual({ dataset: "iris" });
    const declared = raw && "artifact" in raw.type ? raw.type.artifact.table : undefined;
    expect(declared?.schemaName).toBe("IrisRow");
    const registered = JSON.parse(readFileSync(join(dir, "iris.schema.json"), "utf8")) as {
      columns: Array<{ name: string; type: string; nullable?: boolean }>;
    };
    expect(declared?.columns.map((c) => [c.name, c.type, c.nullable ?? false])).toEqual(
      registered.columns.map((c) => [c.name, c.type, c.nullable ?? false]),
    );
    const prepare = artifact.pipeline.steps.find((s) => s.id === "prepare");
    const manifest = JSON.parse(artifact.blob(prepare?.script?.snapshot ?? "").toString()) as Array<{
      path: string;
    }>;
    expect(manifest.map((f) => f.path)).toEqual(["prepare.py"]);
  });

  it("writes a readable JSON IR beside the binary one", () => {
    const json = JSON.parse(readFileSync(join(dir, "out/iris/pipeline.json"), "utf8"));
    expect(json.name).toBe("iris");
    expect(json.steps.find((s: { id: string }) => s.id === "train").script.command).toContain(
      "python train.py",
    );
  });

  it("is byte-identical when compiled twice, and the same from another directory or checkout", async () => {
    await compileIris(dir, "again");
    expect(treeBytes(join(dir, "again/iris"))).toEqual(treeBytes(join(dir, "out/iris")));
    const fromElsewhere = await compileIris(dir, "elsewhere", "/");
    expect(hashes(fromElsewhere)).toEqual(hashes(pipeline));
    const other = copyIris();
    const moved = await compileIris(other);
    expect(hashes(moved)).toEqual(hashes(pipeline));
    expect(moved.hash).toBe(pipeline.hash);
  });

  it("keeps every hash through a comment and formatting edit, and re-hashes exactly what an edit reaches", async () => {
    const edited = copyIris();
    const source = readFileSync(join(edited, "pipeline.ts"), "utf8");
    writeFileSync(
      join(edited, "pipeline.ts"),
      `// a new comment\n${source.replace("const sklearn =", "/* why */ const   sklearn =").replaceAll("  ", "    ")}`,
    );
    expect(hashes(await compileIris(edited))).toEqual(hashes(pipeline));

    const stats = join(edited, "src/stats.ts");
    writeFileSync(
      stats,
      readFileSync(stats, "utf8").replace("values.length === 0 ? 0", "values.length === 0 ? NaN"),
    );
    const helperEdit = hashes(await compileIris(edited));
    const changed = Object.keys(helperEdit).filter((id) => helperEdit[id] !== hashes(pipeline)[id]);
    expect(changed).toEqual(["profile"]);

    const trainPy = join(edited, "src/train/train.py");
    writeFileSync(trainPy, readFileSync(trainPy, "utf8").replace("max_iter=1000", "max_iter=2000"));
    const scriptEdit = hashes(await compileIris(edited));
    expect(Object.keys(scriptEdit).filter((id) => scriptEdit[id] !== helperEdit[id])).toEqual(["train"]);
  });

  it("is set up as a user sets it up: scripts/setup.sh registers its raw data before the run, as the tests do", () => {
    const setup = readFileSync(join(repoRoot, "scripts/setup.sh"), "utf8");
    const register = setup.indexOf(`\ncanal ${IRIS_REGISTER.join(" ")}\n`);
    expect(register).toBeGreaterThan(setup.indexOf("\ncd examples/iris\n"));
    expect(register).toBeLessThan(setup.indexOf("\ncanal run "));
    expect(readFileSync(join(repoRoot, "examples/iris/pipeline.ts"), "utf8")).toContain(
      ` canal ${IRIS_REGISTER.join(" ")}\n`,
    );
  });
});
