import { environmentId } from "@canal/ir";
import { afterAll, describe, expect, test } from "vitest";
import { analyzeFiles, analyzeOne, removeProjects } from "./fixtures/project.js";

afterAll(removeProjects);

describe("step options", () => {
  test("every option of @step, written in place or as a module-level const", () => {
    const model = analyzeOne({
      "config.yaml": "lr: 1\n",
      "pipeline.ts": `import { Model, Table, pipeline, step } from "@canal/sdk";
const heavy = { compute: "gpu", resources: { cpu: 4, memory: "8Gi", gpu: 1, gpuType: "a100" } } as const;
export class Options {
  @step(heavy) train(t: Table): Model { return null as never; }
  @step({
    name: "check",
    description: "Checks the model",
    retries: { max: 3, backoff: "30s" },
    timeout: "1h",
    reuse: false,
    hashPaths: ["./config.yaml"],
    after: ["train"],
  })
  validate(m: Model): void {}
  @pipeline run(t: Table) {
    this.validate(this.train(t));
  }
}
`,
    });
    const [train, check] = model.pipeline.steps;
    expect(train).toMatchObject({
      compute: "gpu",
      resources: { cpu: 4, memoryBytes: 8 * 1024 ** 3, gpu: 1, gpuType: "a100" },
    });
    expect(check).toMatchObject({
      id: "check",
      name: "check",
      description: "Checks the model",
      retry: { maxRetries: 3, backoffMs: 30_000 },
      timeoutMs: 3_600_000,
      cache: { noReuse: true },
      after: ["train"],
    });
    expect(model.stepDefinitions.get("check")?.hashPaths).toEqual([
      `${model.entryFile.replace(/pipeline\.ts$/, "")}config.yaml`,
    ]);
  });

  test("environments: read statically, requirements contents included, variables sorted, ids from content", () => {
    const model = analyzeOne({
      "envs/requirements.txt": "scikit-learn==1.5.0\r\nnumpy\r\n",
      "envs/index.ts": `import { env } from "@canal/sdk";
export const sklearn = env.python({
  version: "3.12",
  requirements: "requirements.txt",
  packages: ["pandas>=2"],
  variables: { ZETA: "1", ALPHA: "2" },
});
`,
      "src/prep/run.py": "",
      "pipeline.ts": `import { Directory, Model, Table, env, pipeline, step } from "@canal/sdk";
import { sklearn as py } from "./envs/index.js";
export class Envs {
  @step.script({ source: "./src/prep", run: "python run.py {t} {out}", env: py }) prep(t: Table): { out: Directory } { return step.declared(); }
  @step.script({ source: "./src/prep", run: "python run.py {t} {out}" }) prepDefault(t: Table): { out: Directory } { return step.declared(); }
  @step({ env: env.node({ version: "22" }) }) ts22(d: Directory): Model { return null as never; }
  @step({ env: env.image("ghcr.io/acme/train:1", { variables: { A: "b" } }) }) img(d: Directory): Model { return null as never; }
  @step tsDefault(d: Directory): Model { return null as never; }
  @pipeline run(t: Table) {
    const { out } = this.prep(t);
    this.prepDefault(t);
    this.ts22(out);
    this.img(out);
    this.tsDefault(out);
  }
}
`,
    });
    const python = {
      kind: "PYTHON" as const,
      pythonVersion: "3.12",
      requirementsPath: "requirements.txt",
      requirements: "scikit-learn==1.5.0\nnumpy\n",
      packages: ["pandas>=2"],
      variables: [
        { name: "ALPHA", value: "2" },
        { name: "ZETA", value: "1" },
      ],
    };
    const expected = {
      prep: { id: environmentId(python), ...python },
      prepDefault: { id: environmentId({ kind: "PYTHON" }), kind: "PYTHON" },
      ts22: { id: environmentId({ kind: "NODE", nodeVersion: "22" }), kind: "NODE", nodeVersion: "22" },
      img: {
        id: environmentId({
          kind: "IMAGE",
          image: "ghcr.io/acme/train:1",
          variables: [{ name: "A", value: "b" }],
        }),
        kind: "IMAGE",
        image: "ghcr.io/acme/train:1",
        variables: [{ name: "A", value: "b" }],
      },
      tsDefault: { id: environmentId({ kind: "NODE" }), kind: "NODE" },
    };
    for (const step of model.pipeline.steps) {
      const environment = expected[step.id as keyof typeof expected];
      expect(step.environment).toBe(environment.id);
      expect(model.environments.get(environment.id)).toEqual(environment);
    }
    const ids = model.pipeline.environments?.map((e) => e.id);
    expect(ids).toEqual(
      Object.values(expected)
        .map((e) => e.id)
        .sort(),
    );
  });

  test("problems in several options of one step are all reported", () => {
    const result = analyzeFiles({
      "pipeline.ts": `import { Model, Table, pipeline, step } from "@canal/sdk";
let mutable = 3;
export class Bad {
  @step({ retries: mutable, timeout: "10 minutes", resources: { memory: "8GB", gpus: 1 }, cache: true })
  train(t: Table): Model { return null as never; }
  @pipeline run(t: Table) { this.train(t); }
}
`,
    });
    expect(result.diagnostics.map((d) => [d.code, d.location.column, d.message])).toEqual([
      [
        "CANAL1011",
        20,
        "step `train` option `retries` is not a literal; it must be a non-negative integer, or { max: integer, backoff?: duration }",
      ],
      [
        "CANAL1011",
        38,
        'step `train` option `timeout` is `"10 minutes"`; it must be milliseconds, or a string like "90s", "30m", "1h", "2d"',
      ],
      [
        "CANAL1011",
        73,
        'step `train` option `resources` `memory` must be bytes, or a string like "512Mi", "8Gi", "1G"',
      ],
      [
        "CANAL1011",
        80,
        "step `train` option `resources` has an unknown option `gpus`; the options are cpu, memory, gpu, gpuType",
      ],
      [
        "CANAL1011",
        91,
        expect.stringContaining(
          "step `train` has an unknown option `cache`; the options are name, description, env",
        ),
      ],
    ]);
  });

  test("environments that are not read statically, and paths that are missing or outside the project", () => {
    const result = analyzeFiles({
      "pipeline.ts": `import { Dataset, Model, Table, env, pipeline, step } from "@canal/sdk";
function makeEnv() { return env.python(); }
const gpu = env.python({ requirements: "missing.txt", conda: "env.yml" });
export class Paths {
  @step({ env: makeEnv() }) a(t: Table): Model { return null as never; }
  @step({ env: gpu }) b(t: Table): Model { return null as never; }
  @pipeline run(t: Table, raw = Dataset.from("data/none.csv"), up = Dataset.from("../../outside.csv")) {
    this.a(t);
    this.b(t);
  }
}
`,
    });
    expect(result.diagnostics.map((d) => [d.code, d.location.line, d.location.column, d.message])).toEqual([
      ["CANAL1012", 3, 40, expect.stringContaining("step `b` option `env` requirements names `missing.txt`")],
      [
        "CANAL1011",
        3,
        55,
        expect.stringContaining(
          "unknown python environment option `conda`; the options are version, requirements, packages, variables",
        ),
      ],
      [
        "CANAL1011",
        5,
        16,
        expect.stringContaining(
          "step `a` option `env` must be a reference to a module-level `env.python({...})`",
        ),
      ],
      [
        "CANAL1012",
        7,
        46,
        expect.stringContaining("pipeline `paths` parameter `raw` default names `data/none.csv`"),
      ],
      [
        "CANAL1017",
        7,
        82,
        expect.stringContaining(
          "pipeline `paths` parameter `up` default names `../../outside.csv`, which is outside the project root",
        ),
      ],
    ]);
  });
});

describe("pipeline option outputs", () => {
  const project = (outputs: string) => ({
    "pipeline.ts": `import { Model, Table, pipeline, step } from "@canal/sdk";
export class Publish {
  @step train(t: Table): { model: Model } { return null as never; }
  @pipeline({ name: "publish", outputs: ${outputs} })
  run(t: Table) {
    const { model } = this.train(t);
    return { model };
  }
}
`,
  });

  test("names where an output is written and the dataset it is registered as", () => {
    const model = analyzeOne(project(`{ model: { to: "lake:models/{run}/", register: "wine-model" } }`));
    expect(model.pipeline.outputs?.[0]?.destination).toEqual({
      datastore: "lake",
      path: "models/{run}/",
      register: "wine-model",
    });
  });

  test.each([
    [
      `{ best: { to: "lake:models/" } }`,
      "option `outputs` names `best`, which the pipeline does not return; its outputs are model",
    ],
    [`{ model: { to: "models/" } }`, 'option `outputs.model` needs `to: "DATASTORE:PATH"`'],
    [`{ model: { to: "lake:../models/" } }`, "option `outputs.model` names the path `../models/`, which"],
    [
      `{ model: { to: "lake:models/{user}/" } }`,
      "option `outputs.model` has the placeholder {user}; the only one is {run}",
    ],
    [
      `{ model: { to: "lake:m/", register: "../x" } }`,
      'option `outputs.model` registers the dataset "../x", which',
    ],
    [`{ model: { to: "lake:m/", when: "always" } }`, "option `outputs.model` has an unknown key `when`"],
  ])("refuses %s", (outputs, message) => {
    const { diagnostics } = analyzeFiles(project(outputs));
    expect(diagnostics.map((d) => d.code)).toEqual(["CANAL1011"]);
    expect(diagnostics[0]?.message).toContain(message);
  });
});
