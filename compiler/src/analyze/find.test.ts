import { afterAll, describe, expect, test } from "vitest";
import { analyzeFiles, analyzeOne, removeProjects } from "./fixtures/project.js";

afterAll(removeProjects);

describe("finding pipelines and steps by symbol", () => {
  test("renamed imports and re-exports of the SDK are recognised", () => {
    const model = analyzeOne({
      "sdk.ts": `export { pipeline as flow, step as job, Table } from "@canal/sdk";\n`,
      "pipeline.ts": `import { flow, job as t, Table } from "./sdk.js";
import * as canal from "@canal/sdk";

const s = canal.step;

export class ReExported {
  @t clean(table: Table): Table { return table; }
  @s.script({ source: ".", run: "wc -l {table} > {output}" }) count(table: Table): canal.File { return canal.step.declared(); }
  @flow({ name: "re-exported" })
  run(table: Table) {
    return this.count(this.clean(table));
  }
}
`,
    });
    expect(model.pipeline.name).toBe("re-exported");
    expect(model.pipeline.steps.map((s) => [s.id, s.kind])).toEqual([
      ["clean", "TYPESCRIPT"],
      ["count", "SCRIPT"],
    ]);
  });

  test("a user's own function named `step` is not the SDK's", () => {
    const result = analyzeFiles({
      "pipeline.ts": `import { pipeline, Table } from "@canal/sdk";
function step(target: unknown, context: ClassMethodDecoratorContext): void {}
export class Fake {
  @step clean(table: Table): Table { return table; }
  @pipeline run(table: Table) { return this.clean(table); }
}
`,
    });
    expect(result.models).toEqual([]);
    expect(result.diagnostics.map((d) => d.code)).toEqual(["CANAL1009"]);
  });

  test("step methods of a base class in another module, and step.fn values through aliases", () => {
    const model = analyzeOne({
      "base.ts": `import { Model, Table, step } from "@canal/sdk";
export class BaseSteps {
  @step({ name: "fit" }) train(table: Table): Model { return null as never; }
}
`,
      "functions.ts": `import { Metrics, Model, Table, step } from "@canal/sdk";
export const evaluate = step.fn({ retries: 1 }, async (model: Model, table: Table): Promise<Metrics> => null as never);
export const summarise = step.fn(function summarise(metrics: Metrics): Metrics { return metrics; });
`,
      "index.ts": `export { evaluate as score } from "./functions.js";\nexport * as fns from "./functions.js";\n`,
      "pipeline.ts": `import { pipeline, Table } from "@canal/sdk";
import { BaseSteps } from "./base.js";
import { score, fns } from "./index.js";

export default class extends BaseSteps {
  @pipeline({ name: "inherited" })
  async run(table: Table) {
    const model = this.train(table);
    const metrics = await score(model, table);
    return fns.summarise(metrics);
  }
}
`,
    });
    const [fit, evaluate, summarise] = model.pipeline.steps;
    expect(fit).toMatchObject({ id: "fit", name: "fit", code: { exportName: "BaseSteps", member: "train" } });
    expect(evaluate).toMatchObject({
      id: "evaluate",
      code: { exportName: "evaluate" },
      retry: { maxRetries: 1 },
    });
    expect(evaluate?.code?.member).toBeUndefined();
    expect(summarise).toMatchObject({
      id: "summarise",
      inputs: [{ binding: { output: { step: "evaluate", output: "output" } } }],
    });
    expect(model.stepDefinitions.get("fit")).toMatchObject({
      key: "base.ts#BaseSteps.train",
      exportName: "BaseSteps",
    });
    expect(model.stepDefinitions.get("evaluate")).toMatchObject({
      key: "functions.ts#evaluate",
      declaration: { form: "function" },
    });
    expect(model.node.getKindName()).toBe("ClassDeclaration");
  });

  test("pipeline names default to the class name in kebab case; every @pipeline is found", () => {
    const result = analyzeFiles({
      "pipeline.ts": `import { pipeline, Table } from "@canal/sdk";
export class HTTPLogIngest {
  @pipeline nightly(t: Table) { return t; }
}
export class Other {
  @pipeline({ name: "other-one" }) run(t: Table) { return t; }
}
`,
    });
    expect(result.diagnostics).toEqual([]);
    expect(result.models.map((m) => m.pipeline.name)).toEqual(["http-log-ingest", "other-one"]);
  });

  test("script steps declared with step.script.fn", () => {
    const model = analyzeOne({
      "prep/run.py": "print('hi')\n",
      "pipeline.ts": `import { Dataset, Directory, pipeline, step } from "@canal/sdk";
export const prepare = step.script.fn(
  { source: "./prep", run: "python run.py {raw} {out}" },
  (raw: Dataset): { out: Directory } => step.declared(),
);
export class Prep {
  @pipeline run(raw: Dataset) { return prepare(raw).out; }
}
`,
    });
    const [prepare] = model.pipeline.steps;
    expect(prepare).toMatchObject({
      kind: "SCRIPT",
      script: { command: "python run.py {raw} {out}", source: "./prep", snapshot: "" },
    });
    expect(prepare?.code).toBeUndefined();
    expect(model.stepDefinitions.get("prepare")?.source?.endsWith("/prep")).toBe(true);
    expect(model.stepDefinitions.get("prepare")?.sourceAsWritten).toBe("./prep");
  });

  test("a step function its module does not export is CANAL1014, naming the step", () => {
    const result = analyzeFiles({
      "steps.ts": `import { Model, Table, step } from "@canal/sdk";
const train = step.fn((table: Table): Model => null as never);
export const steps = { train };
`,
      "pipeline.ts": `import { pipeline, Table } from "@canal/sdk";
import { steps } from "./steps.js";
export class Uses {
  @pipeline run(table: Table) { return steps.train(table); }
}
`,
    });
    expect(result.models).toEqual([]);
    expect(result.diagnostics).toEqual([
      expect.objectContaining({
        code: "CANAL1014",
        message: expect.stringContaining("step `train` is not exported from steps.ts"),
        location: { file: "steps.ts", line: 2, column: 7 },
      }),
    ]);
  });

  test("a pipeline with errors yields no model; the others in the file still do", () => {
    const result = analyzeFiles({
      "pipeline.ts": `import { Model, Table, pipeline, step } from "@canal/sdk";
export class Good {
  @step train(table: Table): Model { return null as never; }
  @pipeline run(table: Table) { return this.train(table); }
}
export class Bad {
  @pipeline({ name: "bad", owner: "me" }) run(table: Table) { return table; }
}
`,
    });
    expect(result.models.map((m) => m.pipeline.name)).toEqual(["good"]);
    expect(result.diagnostics.map((d) => [d.code, d.message])).toEqual([
      [
        "CANAL1011",
        "@pipeline of `Bad.run` has an unknown option `owner`; the options are name, description, outputs",
      ],
    ]);
  });

  test("an entry without any @pipeline is CANAL1001 at its first line", () => {
    const result = analyzeFiles({ "pipeline.ts": "export const nothing = 1;\n" });
    expect(result.diagnostics).toEqual([
      expect.objectContaining({ code: "CANAL1001", location: { file: "pipeline.ts", line: 1, column: 1 } }),
    ]);
  });
});
