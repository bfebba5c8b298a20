import type { Step } from "@canal/ir";
import { afterAll, describe, expect, test } from "vitest";
import { analyzeFiles, analyzeOne, removeProjects } from "./fixtures/project.js";

afterAll(removeProjects);

const header = `import { Dataset, Directory, Metrics, Model, Table, pipeline, step } from "@canal/sdk";\n`;

function pipelineOf(body: string, steps: string, params = "raw: Dataset") {
  return analyzeOne({
    "pipeline.ts": `${header}
export class Flow {
${steps}
  @pipeline
  async run(${params}) {
${body}
  }
}
`,
  });
}

const commonSteps = `
  @step prepare(raw: Dataset): { prepped: Directory; rows: Table } { return null as never; }
  @step async train(prepped: Directory, lr: number): Promise<{ model: Model; metrics: Metrics }> { return null as never; }
  @step compare(metrics: Metrics[]): Model { return null as never; }
  @step evaluate(model: Model, rows: Table): Metrics { return null as never; }
  @step publish(model: Model): void {}
`;

function step(steps: Step[], id: string): Step {
  const found = steps.find((s) => s.id === id);
  if (!found) throw new Error(`no step ${id} in ${steps.map((s) => s.id).join(", ")}`);
  return found;
}

describe("the step graph", () => {
  test("binds parameters, destructured outputs (with renames) and member outputs", () => {
    const { pipeline } = pipelineOf(
      `    const { prepped, rows: table } = this.prepare(raw);
    const trained = await this.train(prepped, 0.1);
    const scored = this.evaluate(trained.model, table);
    return { scored, model: trained.model };`,
      commonSteps,
    );
    expect(pipeline.name).toBe("flow");
    expect(pipeline.steps.map((s) => s.id)).toEqual(["prepare", "train", "evaluate"]);
    expect(step(pipeline.steps, "prepare").inputs).toEqual([
      {
        name: "raw",
        type: { artifact: { lineage: ["Dataset", "Artifact"] } },
        binding: { parameter: "raw" },
      },
    ]);
    expect(step(pipeline.steps, "train").inputs.map((i) => i.binding)).toEqual([
      { output: { step: "prepare", output: "prepped" } },
      { literalJson: "0.1" },
    ]);
    expect(step(pipeline.steps, "evaluate").inputs.map((i) => i.binding)).toEqual([
      { output: { step: "train", output: "model" } },
      { output: { step: "prepare", output: "rows" } },
    ]);
    expect(step(pipeline.steps, "train").outputs.map((o) => o.name)).toEqual(["model", "metrics"]);
    expect(pipeline.outputs).toEqual([
      {
        name: "scored",
        type: { artifact: { lineage: ["Metrics", "Artifact"] } },
        binding: { output: { step: "evaluate", output: "output" } },
      },
      {
        name: "model",
        type: { artifact: { lineage: ["Model", "Artifact"] } },
        binding: { output: { step: "train", output: "model" } },
      },
    ]);
  });

  test("a whole single-output result passed on binds its output `output`", () => {
    const { pipeline } = pipelineOf(
      "    this.publish(this.compare(lrsMetrics));",
      commonSteps,
      "lrsMetrics: Metrics[]",
    );
    expect(step(pipeline.steps, "publish").inputs[0]?.binding).toEqual({
      output: { step: "compare", output: "output" },
    });
    expect(step(pipeline.steps, "publish").outputs).toEqual([]);
    expect(step(pipeline.steps, "compare").inputs[0]?.binding).toEqual({ parameter: "lrsMetrics" });
  });

  test("steps come in topological order, ties in the order of the body; repeated calls get -2, -3", () => {
    const { pipeline } = pipelineOf(
      `    const a = this.prepare(raw);
    const b = this.prepare(raw);
    const c = this.prepare(raw);
    this.evaluate(m, a.rows);
    this.evaluate(m, c.rows);`,
      commonSteps.replace(
        "@step publish(model: Model): void {}",
        '@step({ after: ["evaluate"] }) publish(model: Model): void {}',
      ),
      "raw: Dataset, m: Model",
    );
    expect(pipeline.steps.map((s) => s.id)).toEqual([
      "prepare",
      "prepare-2",
      "prepare-3",
      "evaluate",
      "evaluate-2",
    ]);
    expect(step(pipeline.steps, "evaluate-2").inputs[1]?.binding).toEqual({
      output: { step: "prepare-3", output: "rows" },
    });
  });

  test("`after` orders steps that share no data and names every call of the step", () => {
    const { pipeline } = pipelineOf(
      `    this.publish(m);
    this.evaluate(m, t);
    this.evaluate(m, t);`,
      `
  @step({ after: ["evaluate"] }) publish(model: Model): void {}
  @step evaluate(model: Model, rows: Table): Metrics { return null as never; }
`,
      "m: Model, t: Table",
    );
    expect(pipeline.steps.map((s) => s.id)).toEqual(["evaluate", "evaluate-2", "publish"]);
    expect(step(pipeline.steps, "publish").after).toEqual(["evaluate", "evaluate-2"]);
  });

  test("`passEnv` names the variables a step reads, sorted, once each", () => {
    const steps = (passEnv: string) => `
  @step(${passEnv}) evaluate(model: Model, rows: Table): Metrics { return null as never; }
`;
    const of = (passEnv: string) =>
      pipelineOf("    this.evaluate(m, t);", steps(passEnv), "m: Model, t: Table");
    const { pipeline } = of('{ passEnv: ["SEED", "HF_HOME", "SEED"] }');
    expect(step(pipeline.steps, "evaluate").passEnv).toEqual(["HF_HOME", "SEED"]);
    expect(step(of("{}").pipeline.steps, "evaluate").passEnv).toBeUndefined();
  });

  test("`passEnv` rejects what is no variable name and the variables Canal sets", () => {
    const { diagnostics } = analyzeFiles({
      "pipeline.ts": `${header}
export class Flow {
  @step({ passEnv: ["OK", "1BAD", "CANAL_RUN_ID", "PYTHONPATH", 7] }) evaluate(model: Model, rows: Table): Metrics { return null as never; }
  @pipeline
  async run(m: Model, t: Table) {
    this.evaluate(m, t);
  }
}
`,
    });
    expect(diagnostics.map((d) => [d.code, d.message])).toEqual([
      [
        "CANAL1011",
        "step `evaluate` option `passEnv`: `\"1BAD\"` is not an environment variable name (letters, digits and '_', not starting with a digit)",
      ],
      [
        "CANAL1011",
        "step `evaluate` option `passEnv`: CANAL_RUN_ID is set by Canal for every step and cannot be taken from the run's environment",
      ],
      [
        "CANAL1011",
        "step `evaluate` option `passEnv`: PYTHONPATH is set by Canal for every step and cannot be taken from the run's environment",
      ],
      [
        "CANAL1011",
        "step `evaluate` option `passEnv`: `7` is not an environment variable name (letters, digits and '_', not starting with a digit)",
      ],
    ]);
  });

  test("member access on parameters becomes a binding path", () => {
    const { pipeline } = pipelineOf(
      "    this.train(dir, cfg.optimizer.lr);",
      commonSteps,
      "dir: Directory, cfg: { optimizer: { lr: number; momentum: number }; epochs: number }",
    );
    expect(step(pipeline.steps, "train").inputs[1]?.binding).toEqual({
      parameter: "cfg",
      path: ["optimizer", "lr"],
    });
  });

  test("leaves the content-derived fields empty and records where things come from", () => {
    const model = pipelineOf("    this.publish(m);", commonSteps, "m: Model");
    const publish = step(model.pipeline.steps, "publish");
    expect(publish).toMatchObject({
      codeHash: "",
      hash: "",
      code: { bundle: "", exportName: "Flow", member: "publish" },
    });
    expect(publish.location).toEqual({ file: "pipeline.ts", line: 13, column: 5 });
    expect(model.pipeline).toMatchObject({
      hash: "",
      blobs: [],
      compilerVersion: "",
      irVersion: 1,
      minRuntimeVersion: "0.1.0",
    });
    expect(model.pipeline.source).toEqual({ entry: "pipeline.ts" });
    expect(model.stepDefinitions.get("publish")).toMatchObject({
      key: "pipeline.ts#Flow.publish",
      exportName: "Flow",
      member: "publish",
    });
  });
});

describe("fan-out and fan-in", () => {
  test("`map` over a parameter runs its steps per item; a projection of the result is collected", () => {
    const { pipeline } = pipelineOf(
      `    const { prepped } = this.prepare(raw);
    const trained = await Promise.all(lrs.map((lr) => this.train(prepped, lr)));
    const best = this.compare(trained.map((t) => t.metrics));
    return best;`,
      commonSteps,
      "raw: Dataset, lrs: number[] = [0.1, 1]",
    );
    expect(pipeline.fanOuts).toEqual([
      {
        id: "fan-out-1",
        itemName: "lr",
        parameter: "lrs",
        location: { file: "pipeline.ts", line: 14, column: 39 },
      },
    ]);
    const train = step(pipeline.steps, "train");
    expect(train.fanOut).toBe("fan-out-1");
    expect(train.inputs.map((i) => i.binding)).toEqual([
      { output: { step: "prepare", output: "prepped" } },
      { fanOutItem: "fan-out-1" },
    ]);
    const compare = step(pipeline.steps, "compare");
    expect(compare.fanOut).toBeUndefined();
    expect(compare.inputs[0]?.binding).toEqual({ collect: { step: "train", output: "metrics" } });
    expect(pipeline.outputs).toEqual([
      {
        name: "output",
        type: { artifact: { lineage: ["Model", "Artifact"] } },
        binding: { output: { step: "compare", output: "output" } },
      },
    ]);
  });

  test("steps in one callback share the fan-out and bind each other per item", () => {
    const { pipeline } = pipelineOf(
      `    const scores = await Promise.all(
      [0.01, 0.1].map(async (lr) => {
        const { model } = await this.train(dir, lr);
        return this.evaluate(model, rows);
      }),
    );
    return scores;`,
      commonSteps,
      "dir: Directory, rows: Table",
    );
    expect(pipeline.fanOuts).toEqual([
      expect.objectContaining({ id: "fan-out-1", itemName: "lr", literalJson: "[0.01,0.1]" }),
    ]);
    const evaluate = step(pipeline.steps, "evaluate");
    expect(evaluate.fanOut).toBe("fan-out-1");
    expect(evaluate.inputs[0]?.binding).toEqual({ output: { step: "train", output: "model" } });
    expect(evaluate.inputs[1]?.binding).toEqual({ parameter: "rows" });
    expect(pipeline.outputs).toEqual([
      {
        name: "output",
        type: { list: { element: { artifact: { lineage: ["Metrics", "Artifact"] } } } },
        binding: { collect: { step: "evaluate", output: "output" } },
      },
    ]);
  });

  test("`for…of` with push into an array declared before it is the same fan-out", () => {
    const { pipeline } = pipelineOf(
      `    const metrics: Metrics[] = [];
    for (const lr of cfg.lrs) {
      const { metrics: m } = await this.train(dir, lr);
      metrics.push(m);
    }
    return this.compare(metrics);`,
      commonSteps,
      "dir: Directory, cfg: { lrs: number[] }",
    );
    expect(pipeline.fanOuts).toEqual([
      expect.objectContaining({ itemName: "lr", parameter: "cfg", parameterPath: ["lrs"] }),
    ]);
    expect(step(pipeline.steps, "train").fanOut).toBe("fan-out-1");
    expect(step(pipeline.steps, "compare").inputs[0]?.binding).toEqual({
      collect: { step: "train", output: "metrics" },
    });
  });

  test("`map` over a fan-out's result continues the same fan-out", () => {
    const { pipeline } = pipelineOf(
      `    const trained = await Promise.all(lrs.map((lr) => this.train(dir, lr)));
    const scores = trained.map((t) => this.evaluate(t.model, rows));
    return { scores };`,
      commonSteps,
      "dir: Directory, rows: Table, lrs: number[]",
    );
    expect(pipeline.fanOuts).toHaveLength(1);
    const evaluate = step(pipeline.steps, "evaluate");
    expect(evaluate.fanOut).toBe("fan-out-1");
    expect(evaluate.inputs[0]?.binding).toEqual({ output: { step: "train", output: "model" } });
    expect(pipeline.outputs?.[0]?.binding).toEqual({ collect: { step: "evaluate", output: "output" } });
  });

  test("fan-out items that are objects bind by path", () => {
    const { pipeline } = pipelineOf(
      "    const runs = grid.map((g) => this.train(dir, g.lr));",
      commonSteps,
      "dir: Directory, grid: Array<{ lr: number; name: string }>",
    );
    expect(step(pipeline.steps, "train").inputs[1]?.binding).toEqual({
      fanOutItem: "fan-out-1",
      path: ["lr"],
    });
  });
});

describe("conditions", () => {
  test("`if` on parameters becomes step conditions; `else` negates", () => {
    const { pipeline } = pipelineOf(
      `    if (publish) this.publish(m);
    if (!cfg.dryRun && mode === "full") {
      this.evaluate(m, t);
    }
    if (2 < epochs) this.publish(m);`,
      commonSteps,
      `m: Model, t: Table, publish: boolean, cfg: { dryRun: boolean }, mode: "full" | "quick", epochs: number`,
    );
    expect(step(pipeline.steps, "publish").conditions).toEqual([{ parameter: "publish", op: "TRUTHY" }]);
    expect(step(pipeline.steps, "evaluate").conditions).toEqual([
      { parameter: "cfg", path: ["dryRun"], op: "FALSY" },
      { parameter: "mode", op: "EQ", valueJson: '"full"' },
    ]);
    expect(step(pipeline.steps, "publish-2").conditions).toEqual([
      { parameter: "epochs", op: "GT", valueJson: "2" },
    ]);
  });

  test("`else` negates a single comparison; nested `if`s add up", () => {
    const { pipeline } = pipelineOf(
      `    if (epochs < 3) this.publish(m);
    else {
      if (mode !== "quick") this.publish(m);
    }
    if (epochs <= 1) this.publish(m);
    else if (epochs > 5) this.publish(m);`,
      commonSteps,
      `m: Model, epochs: number, mode: "full" | "quick"`,
    );
    expect(step(pipeline.steps, "publish").conditions).toEqual([
      { parameter: "epochs", op: "LT", valueJson: "3" },
    ]);
    expect(step(pipeline.steps, "publish-2").conditions).toEqual([
      { parameter: "epochs", op: "GE", valueJson: "3" },
      { parameter: "mode", op: "NE", valueJson: '"quick"' },
    ]);
    expect(step(pipeline.steps, "publish-4").conditions).toEqual([
      { parameter: "epochs", op: "GT", valueJson: "1" },
      { parameter: "epochs", op: "GT", valueJson: "5" },
    ]);
  });
});

test("a pipeline with only `return` of a parameter has it as output", () => {
  const result = analyzeFiles({
    "pipeline.ts": `${header}
export class Echo {
  @pipeline({ name: "echo", description: "Returns its input" })
  run(data: Dataset) { return { data }; }
}
`,
  });
  expect(result.diagnostics).toEqual([]);
  expect(result.models[0]?.pipeline).toMatchObject({
    name: "echo",
    description: "Returns its input",
    steps: [],
    outputs: [{ name: "data", binding: { parameter: "data" } }],
  });
});

describe("constructs outside the body's subset are CANAL1002, naming the construct", () => {
  const refused: Array<[string, string]> = [
    ["const x = lr > 1 ? m : m;", "conditional expressions (`a ? b : c`)"],
    ["const x = lr * 2; this.train(d, x);", "the computed value `lr * 2` (operator `*`)"],
    ["const x = names[0];", "indexing (`a[i]`)"],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the pipeline source under test holds a template
    ["const x = `run-${lr}`;", "template strings with substitutions"],
    ["const x = m as Model;", "type assertions (`as T`)"],
    ["for (let i = 0; i < 3; i++) this.publish(m);", "`for (;;)` loops"],
    ["try { this.publish(m); } catch { }", "`try` statements"],
    ["if (lr > 1) { return m; }", "`return` inside `if` or `for…of`"],
    ["const out: Model[] = []; out.push(m);", "`out.push(...)` outside a `for…of` loop"],
    ["names.map((n, i) => this.publish(m));", "the index parameter of a `.map` callback"],
    ["this.compare([this.train(d, 1).metrics, this.train(d, 2).metrics]);", "an array of step values"],
    [
      "const { model } = this.train(d, lr); if (model) this.publish(m);",
      "`if` can only test pipeline parameters; `model` is a step output",
    ],
    ["if (lr > 1 || flag) this.publish(m);", "the operator `||` is not allowed in a pipeline condition"],
    [
      "if (flag && lr > 1) this.publish(m); else this.publish(m);",
      "`else` after a condition joined with `&&`",
    ],
    ["this.train(d, unknownName);", "`unknownName`, which is not a pipeline parameter"],
    [
      "const r = this.train(d, lr); this.publish(r.weights);",
      "step `train` has no output `weights`; its outputs are `model`, `metrics`",
    ],
    [
      "const r = this.train(d, lr); this.publish(r.modle);",
      "step `train` has no output `modle`; its outputs are `model`, `metrics`; did you mean `model`?",
    ],
    ["this.publish(m.path);", "`m.path` (a member that exists only at run time)"],
  ];
  test.each(refused)("%s", (body, message) => {
    const result = analyzeFiles({
      "pipeline.ts": `${header}
declare const unknownName: number;
export class Refused {
${commonSteps}
  @pipeline
  async run(d: Directory, m: Model, lr: number, flag: boolean, names: string[]) {
    ${body}
  }
}
`,
    });
    expect(result.models).toEqual([]);
    const canal = result.diagnostics.filter((d) => d.code !== "CANAL1016");
    expect(canal.map((d) => d.code)).toEqual(["CANAL1002"]);
    expect(canal[0]?.message).toContain(message);
    expect(canal[0]?.location.line).toBe(14);
  });
});

describe("type checks of bindings (CANAL1003)", () => {
  test("artifact subclasses are checked by lineage even where TypeScript sees the same structure", () => {
    const result = analyzeFiles({
      "pipeline.ts": `${header}
class Checkpoint extends Model {}
export class Lineage {
  @step train(t: Table): Model { return null as never; }
  @step resume(from: Checkpoint): Model { return null as never; }
  @step score(m: Model): Metrics { return null as never; }
  @pipeline run(t: Table, ckpt: Checkpoint) {
    this.score(ckpt);
    this.resume(this.train(t));
  }
}
`,
    });
    expect(result.diagnostics.map((d) => [d.code, d.location.line, d.message])).toEqual([
      [
        "CANAL1003",
        10,
        "step `resume` input `from` expects Checkpoint but gets Model from step `train` output `output`; pass a Checkpoint or change the input's type",
      ],
    ]);
  });

  test("collected outputs are lists of the output's type; literals are checked by value", () => {
    const result = analyzeFiles({
      "pipeline.ts": `${header}
export class Lists {
  @step train(lr: number): { model: Model; metrics: Metrics } { return null as never; }
  @step compare(metrics: Metrics[], mode: "max" | "min"): Model { return null as never; }
  @pipeline run(lrs: number[]) {
    const trained = lrs.map((lr) => this.train(lr));
    this.compare(trained.map((t) => t.metrics), "max");
    this.compare(trained.map((t) => t.model), "mean");
  }
}
`,
    });
    expect(result.diagnostics.map((d) => [d.code, d.location.line, d.location.column, d.message])).toEqual([
      [
        "CANAL1003",
        9,
        18,
        "step `compare` input `metrics` expects Metrics[] but gets Model[] from step `train` output `model` collected over the fan-out; pass a Metrics[] or change the input's type",
      ],
      [
        "CANAL1003",
        9,
        47,
        'step `compare` input `mode` expects "max" | "min" but gets the literal `"mean"`; pass a value of type "max" | "min" or change the input\'s type',
      ],
    ]);
  });
});
