// The files `canal init` writes into a new project: a tsconfig.json the compiler reads, and a
// starter pipeline (a Python script step and a TypeScript step) that compiles and runs as it is.

/** Standard (stage-3) decorators: no `experimentalDecorators`. NodeNext: the SDK is an ES module. */
export const tsconfigJson = `{
  "compilerOptions": {
    "target": "ES2022",
    "lib": ["ES2023"],
    "types": ["node"],
    "module": "NodeNext",
    "moduleResolution": "NodeNext",
    "strict": true,
    "noUncheckedIndexedAccess": true,
    "isolatedModules": true,
    "skipLibCheck": true,
    "noEmit": true
  },
  "include": ["**/*.ts"],
  "exclude": ["node_modules", "canal-out", ".canal"]
}
`;

/** What a Canal project keeps out of git: the store and the compiled artifacts. */
export const ignoredPaths = [".canal/", "canal-out/", "node_modules/"];

export const starterPipeline = `import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { context, Dataset, type Directory, env, Metrics, pipeline, step } from "@canal/sdk";

/**
 * A starter pipeline: a Python script cleans a CSV file, a TypeScript step summarises it.
 *
 *   npx canal run pipeline.ts        compile and run it here (steps unchanged since are reused)
 *   npx canal runs show <run id>     its steps, outputs and metrics
 */
export class Starter {
  // A script step (AzureML's PythonScriptStep): the folder prepare_src/ is snapshotted and hashed,
  // so editing prepare.py re-runs this step. {raw} and {prepared} are the paths of its input file
  // and of the folder it writes its output into.
  @step.script({
    source: "./prepare_src",
    run: "python prepare.py --raw {raw} --out {prepared}",
    env: env.python(),
  })
  prepare(raw: Dataset): { prepared: Directory } {
    return step.declared();
  }

  // A TypeScript step: its body runs in a worker process on whatever target runs the pipeline.
  @step({ description: "Row count and mean of each numeric column" })
  async summarize(prepared: Directory): Promise<{ summary: Metrics }> {
    const [header = "", ...lines] = (await readFile(join(prepared.path, "rows.csv"), "utf8")).trim().split("\\n");
    const columns = header.split(",");
    const summary: Record<string, number> = { rows: lines.length };
    columns.forEach((column, i) => {
      const values = lines.map((line) => Number(line.split(",")[i]));
      if (values.length > 0 && values.every(Number.isFinite))
        summary[\`mean_\${column}\`] = values.reduce((a, b) => a + b, 0) / values.length;
    });
    const ctx = context();
    for (const [name, value] of Object.entries(summary)) ctx.log(name, value);
    const out = ctx.outputPath("summary");
    await writeFile(out, \`\${JSON.stringify(summary, null, 2)}\\n\`);
    return { summary: new Metrics(out) };
  }

  @pipeline({ name: "starter", description: "Clean a CSV in Python, summarise it in TypeScript" })
  async run(raw: Dataset = Dataset.from("data/measurements.csv")) {
    const { prepared } = this.prepare(raw);
    const { summary } = await this.summarize(prepared);
    return { prepared, summary };
  }
}
`;

export const starterScript = `"""Drops the rows of a CSV file that have an empty field; writes the rest to OUT/rows.csv.

Canal runs it as \`python prepare.py --raw {raw} --out {prepared}\` (see pipeline.ts).
"""
import argparse
import csv
import os

from canal_step import log  # Canal's helper, on PYTHONPATH in every step

parser = argparse.ArgumentParser()
parser.add_argument("--raw", required=True, help="the input CSV file")
parser.add_argument("--out", required=True, help="the folder to write rows.csv into")
args = parser.parse_args()

with open(args.raw, newline="") as f:
    reader = csv.DictReader(f)
    fields = reader.fieldnames or []
    rows = list(reader)
kept = [row for row in rows if all((row.get(field) or "").strip() for field in fields)]

os.makedirs(args.out, exist_ok=True)
with open(os.path.join(args.out, "rows.csv"), "w", newline="") as f:
    writer = csv.DictWriter(f, fieldnames=fields)
    writer.writeheader()
    writer.writerows(kept)

log("rows_kept", len(kept))
log("rows_dropped", len(rows) - len(kept))
print(f"kept {len(kept)} of {len(rows)} rows of {args.raw}")
`;

export const starterData = `sample,length,width,weight
a1,5.1,3.5,1.4
a2,4.9,3.0,1.3
a3,6.2,,1.9
a4,5.8,2.7,1.6
a5,6.7,3.1,2.2
a6,5.5,2.4,
a7,6.1,2.9,1.8
`;

/** The starter's files by path, pipeline.ts first: written only when pipeline.ts is not there. */
export const starterFiles: Array<[path: string, text: string]> = [
  ["pipeline.ts", starterPipeline],
  ["prepare_src/prepare.py", starterScript],
  ["data/measurements.csv", starterData],
];
