import { afterAll, describe, expect, test } from "vitest";
import { analyzeFiles, analyzeOne, removeProjects } from "./fixtures/project.js";

afterAll(removeProjects);

function parameters(signature: string, prelude = "") {
  const model = analyzeOne({
    "data/train.csv": "a,b\n1,2\n",
    "data/images/1.png": "png",
    "pipeline.ts": `import { Dataset, Directory, File, Model, pipeline } from "@canal/sdk";
import { z } from "zod";
${prelude}
export class Types {
  @pipeline run(${signature}) {}
}
`,
  });
  return model;
}

describe("pipeline parameters", () => {
  test("primitives, enums, lists and their literal defaults", () => {
    const { pipeline } = parameters(
      `lr = 0.1, epochs = -3, name: string = "base", verbose = false, mode: "fast" | "slow" = "slow", sizes: readonly number[] = [1, 2] as const, level: 1 | 2 | 3 = 2, tags?: string[]`,
    );
    expect(pipeline.parameters.map(({ location, ...p }) => p)).toEqual([
      { name: "lr", type: { primitive: "NUMBER" }, hasDefault: true, defaultJson: "0.1" },
      { name: "epochs", type: { primitive: "NUMBER" }, hasDefault: true, defaultJson: "-3" },
      { name: "name", type: { primitive: "STRING" }, hasDefault: true, defaultJson: '"base"' },
      { name: "verbose", type: { primitive: "BOOLEAN" }, hasDefault: true, defaultJson: "false" },
      {
        name: "mode",
        type: { enum: { valuesJson: ['"fast"', '"slow"'] } },
        hasDefault: true,
        defaultJson: '"slow"',
      },
      {
        name: "sizes",
        type: { list: { element: { primitive: "NUMBER" } } },
        hasDefault: true,
        defaultJson: "[1,2]",
      },
      { name: "level", type: { enum: { valuesJson: ["1", "2", "3"] } }, hasDefault: true, defaultJson: "2" },
      { name: "tags", type: { list: { element: { primitive: "STRING" } } } },
    ]);
  });

  test("enum values keep the order they were written in, also behind an alias", () => {
    const { pipeline } = parameters(`split: Split = "val"`, `type Split = "train" | "val" | "all";`);
    expect(pipeline.parameters[0]?.type).toEqual({ enum: { valuesJson: ['"train"', '"val"', '"all"'] } });
  });

  test("objects from interfaces and zod schemas, with sorted-key default JSON and optional fields", () => {
    const { pipeline } = parameters(
      `cfg: Config = { lr: 0.1, layers: [64, 32] }, hp: z.infer<typeof HyperParams>, aliased: Hp`,
      `interface Config { lr: number; layers: number[]; note?: string }
const HyperParams = z.object({ depth: z.number(), kind: z.enum(["a", "b"]), seed: z.number().optional() });
type Hp = z.infer<typeof HyperParams>;`,
    );
    const [cfg, hp, aliased] = pipeline.parameters;
    expect(cfg).toMatchObject({
      type: {
        object: {
          fields: [
            { name: "lr", type: { primitive: "NUMBER" } },
            { name: "layers", type: { list: { element: { primitive: "NUMBER" } } } },
            { name: "note", type: { primitive: "STRING" }, optional: true },
          ],
        },
      },
      defaultJson: '{"layers":[64,32],"lr":0.1}',
    });
    expect(hp?.type).toEqual({
      object: {
        schemaName: "HyperParams",
        fields: [
          { name: "depth", type: { primitive: "NUMBER" } },
          { name: "kind", type: { enum: { valuesJson: ['"a"', '"b"'] } } },
          { name: "seed", type: { primitive: "NUMBER" }, optional: true },
        ],
      },
    });
    expect(aliased?.type).toEqual(hp?.type);
  });

  test("a dataset default records its file's name, and refuses one that is no plain file name", () => {
    const model = analyzeOne({
      "data/2024 wine (v2).csv": "a\n",
      "pipeline.ts": `import { Dataset, pipeline } from "@canal/sdk";
export class Names {
  @pipeline run(raw: Dataset = Dataset.from("./data/2024 wine (v2).csv")) {}
}
`,
    });
    expect(model.pipeline.parameters[0]?.defaultArtifact).toEqual({
      path: "./data/2024 wine (v2).csv",
      blob: "",
      name: "2024 wine (v2).csv",
    });
    const refused = analyzeFiles({
      "data/bad\u0001name.csv": "a\n",
      "pipeline.ts": `import { Dataset, pipeline } from "@canal/sdk";
export class Names {
  @pipeline run(raw: Dataset = Dataset.from("data/bad\\u0001name.csv")) {}
}
`,
    });
    expect(refused.diagnostics.map((d) => [d.code, d.message])).toEqual([
      [
        "CANAL1011",
        'pipeline `names` parameter `raw` default names a file whose name "bad\\u0001name.csv" holds a path separator or a control character',
      ],
    ]);
  });

  test("artifact parameters: lineage (user subclasses too) and defaults shipped from files or directories", () => {
    const model = parameters(
      `data: Dataset = Dataset.from("data/train.csv"), images = Directory.from("./data/images"), base: Checkpoint, weights?: File`,
      "class Checkpoint extends Model {}",
    );
    const [data, images, base, weights] = model.pipeline.parameters;
    expect(data).toMatchObject({
      type: { artifact: { lineage: ["Dataset", "Artifact"] } },
      hasDefault: true,
      defaultArtifact: { path: "data/train.csv", blob: "", name: "train.csv" },
    });
    expect(data?.defaultArtifact?.directory).toBeUndefined();
    expect(images).toMatchObject({ defaultArtifact: { path: "./data/images", blob: "", directory: true } });
    expect(base).toEqual(
      expect.objectContaining({ type: { artifact: { lineage: ["Checkpoint", "Model", "Artifact"] } } }),
    );
    expect(base?.hasDefault).toBeUndefined();
    expect(weights?.type).toEqual({ artifact: { lineage: ["File", "Artifact"] } });
    expect(model.datasetDefaults.get("data")).toBe(
      `${model.entryFile.replace(/pipeline\.ts$/, "")}data/train.csv`,
    );
    expect(model.datasetDefaults.get("images")?.endsWith("/data/images")).toBe(true);
  });

  test("defaults read from the workspace's data: a registered dataset, newest or pinned, and a datastore path", () => {
    const model = parameters(
      `wine: Dataset = Dataset.get("wine"), pinned: File = File.get("wine", { version: 3 }), lake: Directory = Directory.from("lake:images/"), raw: File = File.from("raw:wine.csv"), read: Dataset = Dataset.get("wine", { version: 2, access: "mount" }), near: Directory = Directory.from("lake:images/", { access: "mount" }), copied: File = File.get("wine", { access: "download" })`,
    );
    expect(
      model.pipeline.parameters.map((p) => [p.name, p.hasDefault, p.defaultData, p.defaultArtifact]),
    ).toEqual([
      ["wine", true, { dataset: "wine" }, undefined],
      ["pinned", true, { dataset: "wine", version: 3 }, undefined],
      ["lake", true, { datastore: "lake", path: "images/" }, undefined],
      ["raw", true, { datastore: "raw", path: "wine.csv" }, undefined],
      ["read", true, { dataset: "wine", version: 2, access: "mount" }, undefined],
      ["near", true, { datastore: "lake", path: "images/", access: "mount" }, undefined],
      // `download` is the default: left out, so the artifact is what it was without it.
      ["copied", true, { dataset: "wine" }, undefined],
    ]);
    // Nothing is shipped: the data is the workspace's, read when a run is submitted.
    expect(model.datasetDefaults.size).toBe(0);
    const refused = (signature: string) =>
      analyzeFiles({
        "pipeline.ts": `import { Dataset, pipeline } from "@canal/sdk";
export class Data {
  @pipeline run(${signature}) {}
}
`,
      }).diagnostics.map((d) => [d.code, d.message]);
    expect(refused(`raw: Dataset = Dataset.get("wine", { version: 0 })`)).toEqual([
      [
        "CANAL1011",
        "pipeline `data` parameter `raw` default `{ version: 0 }` is not `{ version: N }` with a literal version number of 1 or more",
      ],
    ]);
    expect(refused(`raw: Dataset = Dataset.get("wine", { latest: true })`)[0]?.[0]).toBe("CANAL1011");
    expect(refused(`raw: Dataset = Dataset.get("wine", { access: "mont" })`)).toEqual([
      [
        "CANAL1011",
        'pipeline `data` parameter `raw` default asks for access "mont", which is not one of "download", "mount"; did you mean `mount`?',
      ],
    ]);
    expect(refused(`raw: Dataset = Dataset.from("data/train.csv", { access: "mount" })`)).toEqual([
      [
        "CANAL1011",
        expect.stringContaining('asks for access "mount", but names a file shipped in the artifact'),
      ],
    ]);
    expect(refused(`raw: Dataset = Dataset.from("raw:wine.csv", { acess: "mount" })`)).toEqual([
      ["CANAL1011", expect.stringContaining("default options have `acess`, which is not an option here")],
    ]);
    expect(refused(`raw: Dataset = Dataset.get("../wine")`)).toEqual([
      ["CANAL1011", expect.stringContaining('default names the dataset "../wine", which')],
    ]);
    expect(refused(`raw: Dataset = Dataset.from("lake:../../etc/passwd")`)).toEqual([
      [
        "CANAL1017",
        expect.stringContaining("default names `lake:../../etc/passwd`, a path of datastore `lake` that"),
      ],
    ]);
  });

  test("TSDoc @param text becomes the parameter's description", () => {
    const model = analyzeOne({
      "pipeline.ts": `import { pipeline } from "@canal/sdk";
export class Documented {
  /**
   * Trains it.
   * @param lr - the learning rate
   */
  @pipeline run(lr = 0.1) {}
}
`,
    });
    expect(model.pipeline.description).toBe("Trains it.");
    expect(model.pipeline.parameters[0]?.description).toBe("the learning rate");
  });
});

describe("types that cannot cross a process boundary", () => {
  const refused: Array<[string, string]> = [
    ["when: Date", "`Date`: Date values cannot be serialised; pass an ISO 8601 string"],
    ["fn: (x: number) => number", "functions cannot be serialised"],
    ["m: Map<string, number>", "Map values cannot be serialised"],
    ["x: any", "`any` cannot be checked or serialised"],
    ["x: unknown", "`unknown` cannot be checked or serialised"],
    [
      "x: string | number",
      "`string | number`: unions are not supported; split it into two steps or use one type",
    ],
    ["x: bigint", "bigint values cannot be serialised"],
    ["x: symbol", "symbols cannot be serialised"],
    ["x: Helper", "instances of class `Helper` are neither artifacts nor plain values"],
    ["x: { at: Date }", "field `at`: Date values cannot be serialised"],
    ["x: Date[]", "array elements: Date values"],
    ["x: Record<string, number>", "index signatures"],
    ["x: [number, string]", "tuples are not supported"],
  ];
  test.each(refused)("pipeline parameter `%s` is CANAL1008", (signature, message) => {
    const result = analyzeFiles({
      "pipeline.ts": `import { pipeline } from "@canal/sdk";
class Helper { value = 1; }
export class Refused {
  @pipeline run(${signature}) {}
}
`,
    });
    expect(result.models).toEqual([]);
    expect(result.diagnostics.map((d) => d.code)).toEqual(["CANAL1008"]);
    expect(result.diagnostics[0]?.message).toContain(message);
    expect(result.diagnostics[0]?.location).toMatchObject({ file: "pipeline.ts", line: 4 });
  });

  test("step signatures: the same rules, reported as CANAL1010 with the input or output named", () => {
    const result = analyzeFiles({
      "pipeline.ts": `import { File, Model, pipeline, step } from "@canal/sdk";
export class Signatures {
  @step train(data: string | File): Model { return null as never; }
  @step later(): Promise<{ when: Date; model: Model }> { return null as never; }
  @pipeline run(data: File) {
    this.train(data);
    this.later();
  }
}
`,
    });
    expect(result.diagnostics.map((d) => [d.code, d.message, d.location.line, d.location.column])).toEqual([
      [
        "CANAL1010",
        "step `train` input `data` has type `string | File`: unions are not supported; split it into two steps or use one type",
        3,
        21,
      ],
      [
        "CANAL1010",
        "step `later` output `when` has type `Date`: Date values cannot be serialised; pass an ISO 8601 string",
        4,
        34,
      ],
    ]);
  });
});
