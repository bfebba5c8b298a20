import type { Type as IrType } from "@canal/ir";
import { afterAll, describe, expect, test } from "vitest";
import { analyzeFiles, analyzeOne, removeProjects } from "./fixtures/project.js";

afterAll(removeProjects);

const schemas = `import { z } from "zod";

export const WineRow = z.object({
  fixed_acidity: z.number(),
  ph: z.coerce.number(),
  quality: z.int(),
  vintage: z.number().int().min(1900),
  grape: z.string().nullable(),
  harvested: z.iso.datetime(),
  bottled: z.date(),
  organic: z.boolean().optional(),
  colour: z.enum(["red", "white"]),
});

export const ScoredRow = WineRow.extend({ score: z.number() });
`;

function project(body: string, extraSchemas = "") {
  return {
    "schemas.ts": schemas,
    "pipeline.ts": `import { Model, pipeline, step, Table } from "@canal/sdk";
import { z } from "zod";
import { ScoredRow, WineRow } from "./schemas.js";
${extraSchemas}${body}`,
  };
}

const tableOf = (type: IrType | undefined) => (type && "artifact" in type ? type.artifact : undefined);

describe("a Table's declared schema", () => {
  test("reaches the IR with each column's type: integers, date-times and nullable columns included", () => {
    const { pipeline } = analyzeOne(
      project(`
export class Scored extends Table<typeof ScoredRow> {}

export class Tables {
  @step clean(raw: Table): Table<typeof WineRow> { return new Table(raw.path); }
  @step score(wine: Table<typeof WineRow>): Scored { return new Scored(wine.path); }
  @step train(scored: Table<typeof WineRow>, all: Table): Model { return new Model(scored.path + all.path); }
  @pipeline run(raw: Table) {
    const scored = this.score(this.clean(raw));
    return this.train(scored, scored);
  }
}
`),
    );
    const [clean, score, train] = pipeline.steps;
    expect(tableOf(clean?.inputs[0]?.type)).toEqual({ lineage: ["Table", "Artifact"] });
    expect(tableOf(clean?.outputs[0]?.type)?.table).toEqual({
      schemaName: "WineRow",
      columns: expect.arrayContaining([
        { name: "fixed_acidity", type: "number" },
        { name: "ph", type: "number" },
        { name: "quality", type: "integer" },
        { name: "vintage", type: "integer" },
        { name: "grape", type: "string", nullable: true },
        { name: "harvested", type: "datetime" },
        { name: "bottled", type: "datetime" },
        { name: "organic", type: "boolean", nullable: true },
        { name: "colour", type: "string" },
      ]),
    });
    expect(tableOf(clean?.outputs[0]?.type)?.table?.columns).toHaveLength(9);
    // A class extending Table<typeof Schema> carries its schema and its own lineage.
    const scored = tableOf(score?.outputs[0]?.type);
    expect(scored?.lineage).toEqual(["Scored", "Table", "Artifact"]);
    expect(scored?.table?.schemaName).toBe("ScoredRow");
    expect(scored?.table?.columns.map((c) => c.name)).toContain("score");
    // A table with more columns is accepted where fewer are declared; one without a schema too.
    expect(train?.inputs.map((i) => i.binding)).toEqual([
      { output: { step: "score", output: "output" } },
      { output: { step: "score", output: "output" } },
    ]);
  });

  test("a table without a schema is accepted where one is declared (its columns are checked when the step starts)", () => {
    const { pipeline } = analyzeOne(
      project(`
export class Loose {
  @step train(wine: Table<typeof WineRow>): Model { return new Model(wine.path); }
  @pipeline run(raw: Table) { return this.train(raw); }
}
`),
    );
    expect(tableOf(pipeline.steps[0]?.inputs[0]?.type)?.table?.schemaName).toBe("WineRow");
  });

  test("a column that is empty where the reader declares it never is, is reported with both schemas", () => {
    const { diagnostics } = analyzeFiles(
      project(
        `
export class Empty {
  @step label(raw: Table): Table<typeof Sparse> { return new Table(raw.path); }
  @step train(wine: Table<typeof WineRow>): Model { return new Model(wine.path); }
  @pipeline run(raw: Table) { return this.train(this.label(raw)); }
}
`,
        `export const Sparse = WineRow.extend({ quality: z.int().nullable() });\n`,
      ),
    );
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({ code: "CANAL1021" });
    expect(diagnostics[0]?.message).toContain(
      "reads column `quality` as never empty, declared in `WineRow` (schemas.ts:3), but gets step `label` output `output`, whose schema `Sparse` (pipeline.ts:4) lets its cells be empty",
    );
  });

  test("an integer column is read where a number column is declared, never the other way round", () => {
    const files = (from: string, to: string) =>
      project(
        `
export class Widen {
  @step load(raw: Table): Table<typeof ${from}> { return new Table(raw.path); }
  @step train(rows: Table<typeof ${to}>): Model { return new Model(rows.path); }
  @pipeline run(raw: Table) { return this.train(this.load(raw)); }
}
`,
        `export const Ints = z.object({ ph: z.int() });\nexport const Numbers = z.object({ ph: z.number() });\n`,
      );
    expect(analyzeFiles(files("Ints", "Numbers")).diagnostics).toEqual([]);
    const narrowed = analyzeFiles(files("Numbers", "Ints")).diagnostics;
    expect(narrowed.map((d) => d.code)).toEqual(["CANAL1021"]);
    expect(narrowed[0]?.message).toContain("reads column `ph` as integer");
  });

  test("a column type a table cannot hold is refused, naming the column", () => {
    const { diagnostics } = analyzeFiles(
      project(
        `
export class Nested {
  @step train(rows: Table<typeof Tags>): Model { return new Model(rows.path); }
  @pipeline run(raw: Table) { return this.train(raw); }
}
`,
        `export const Tags = z.object({ id: z.string(), tags: z.array(z.string()) });\n`,
      ),
    );
    expect(diagnostics.map((d) => d.code)).toEqual(["CANAL1010"]);
    expect(diagnostics[0]?.message).toContain(
      "column `tags` has type `string[]`, which a table column cannot hold",
    );
    expect(diagnostics[0]?.hint).toContain("z.string(), z.number(), z.int(), z.boolean() or z.date()");
  });
});
