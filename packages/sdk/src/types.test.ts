// Type-level behaviour of the SDK: what must and must not type-check in a user's editor.
// `tsc -p tsconfig.tests.json` (part of `npm test`) fails if a @ts-expect-error stops erroring.

import {
  type Artifact,
  Dataset,
  Directory,
  env,
  type File,
  Metrics,
  Model,
  pipeline,
  step,
  type Table,
} from "@canal/sdk";
import { describe, expectTypeOf, it } from "vitest";

class Checkpoint extends Model {}

export class Typed {
  @step
  async evaluate(table: Table): Promise<{ metrics: Metrics }> {
    return { metrics: new Metrics(table.path) };
  }

  @step({ retries: 2, timeout: "1h", resources: { gpu: 1, memory: "8Gi" } })
  train(data: Directory, lr: number): { model: Model } {
    return { model: new Model(`${data.path}/${lr}`) };
  }

  @step.script({ source: "./src", run: "python fit.py {data} {out}", env: env.python() })
  fit(data: Dataset): { out: Checkpoint } {
    return step.declared();
  }

  @pipeline({ name: "typed" })
  async run(data: Dataset = Dataset.from("data.csv")) {
    const { out } = this.fit(data);
    const { model } = this.train(new Directory(out.path), 0.1);
    // @ts-expect-error a Model is not a Table: the editor and `canal compile` both reject it
    await this.evaluate(model);
    // @ts-expect-error a Checkpoint (a Model) is not a Table either
    await this.evaluate(out);
    return model;
  }
}

describe("artifact types", () => {
  it("are nominal: distinct kinds do not mix, subclasses are accepted by their base", () => {
    expectTypeOf<Model>().not.toMatchTypeOf<Table>();
    expectTypeOf<Table>().not.toMatchTypeOf<Model>();
    expectTypeOf<File>().not.toMatchTypeOf<Directory>();
    expectTypeOf<Checkpoint>().toMatchTypeOf<Model>();
    expectTypeOf<Model>().toMatchTypeOf<Artifact>();
    expectTypeOf(Model.from("m.pkl")).toEqualTypeOf<Model>();
  });

  it("keeps a decorated step's signature for the pipeline body", () => {
    expectTypeOf<Typed["train"]>().parameters.toEqualTypeOf<[Directory, number]>();
    expectTypeOf<ReturnType<Typed["fit"]>>().toEqualTypeOf<{ out: Checkpoint }>();
  });

  it("rejects malformed options at the decorator", () => {
    // @ts-expect-error a duration needs a unit
    step({ timeout: "1 hour" });
    // @ts-expect-error memory needs a binary or decimal unit
    step({ resources: { memory: "8 gigs" } });
    // @ts-expect-error a script step needs its command
    step.script({ source: "./src" });
    // @ts-expect-error passEnv lists variable names, not a name-to-value map
    step({ passEnv: { SEED: "1" } });
    // @ts-expect-error passEnv lists names as strings
    step.script({ source: "./src", run: "make", passEnv: [1] });
  });

  it("declares the environment variables a step reads", () => {
    step({ passEnv: ["SEED", "HF_HOME"] });
    step.script({ source: "./src", run: "python main.py", passEnv: ["SEED"] as const });
    expectTypeOf<NonNullable<Parameters<typeof step.fn>[0]>>().toHaveProperty("passEnv");
  });

  it("has a function form that keeps the function's type", () => {
    const clean = step.fn({ retries: 1 }, async (table: Table): Promise<Table> => table);
    expectTypeOf(clean).toEqualTypeOf<(table: Table) => Promise<Table>>();
  });
});
