import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { context, type Directory, env, Metrics, type Model, pipeline, step, Table } from "@canal/sdk";
import type { IrisRow, Prediction } from "./src/schemas.js";
import { countBy, mean, readCsv } from "./src/stats.js";

const sklearn = env.python({ requirements: "requirements.txt" });

/**
 * The flagship pipeline: prepare the iris data in Python, profile it in TypeScript, train one
 * logistic regression per regularisation strength (fan-out), pick the best by test accuracy
 * (fan-in), and score the test table with it.
 *
 * Its raw data is the registered table dataset `iris` (newest version when a run is submitted).
 * In this folder, register it once from the datastore `raw` (canal.config.json: `data/`) before
 * the first run; registering the same file again gives back the same version:
 *
 *     canal datasets register iris --from raw:iris.csv --table --schema iris.schema.json
 *     canal run pipeline.ts
 */
export class Iris {
  @step.script({
    source: "./src/dataprep",
    run: "python prepare.py --raw {raw} --out {prepped} --test-fraction {testFraction} --seed {seed}",
    env: sklearn,
  })
  prepare(raw: Table<typeof IrisRow>, testFraction: number, seed: number): { prepped: Directory } {
    return step.declared();
  }

  @step({ description: "Class balance and feature means of the training split" })
  async profile(prepped: Directory): Promise<{ stats: Metrics }> {
    const rows = await readCsv(join(prepped.path, "train.csv"));
    const stats: Record<string, number> = { rows: rows.length };
    for (const [species, count] of Object.entries(countBy(rows, "species")))
      stats[`count_${species}`] = count;
    for (const feature of ["sepal_length", "sepal_width", "petal_length", "petal_width"]) {
      stats[`mean_${feature}`] = mean(rows.map((row) => Number(row[feature])));
    }
    const ctx = context();
    for (const [name, value] of Object.entries(stats)) ctx.log(name, value);
    const out = ctx.outputPath("stats");
    await writeFile(out, `${JSON.stringify(stats, null, 2)}\n`);
    return { stats: new Metrics(out) };
  }

  @step.script({
    source: "./src/train",
    run: "python train.py --data {prepped} --c {c} --model {model} --metrics {metrics}",
    env: sklearn,
    resources: { cpu: 1, memory: "1Gi" },
    retries: 1,
    timeout: "10m",
  })
  train(prepped: Directory, c: number): { model: Model; metrics: Metrics } {
    return step.declared();
  }

  @step({ description: "Picks the model with the best test accuracy" })
  async compare(metrics: Metrics[], models: Model[]): Promise<{ best: Model; leaderboard: Metrics }> {
    const scores = await Promise.all(
      metrics.map(async (m) => JSON.parse(await readFile(m.path, "utf8")) as { C: number; accuracy: number }),
    );
    let best = 0;
    scores.forEach((score, i) => {
      if (score.accuracy > (scores[best]?.accuracy ?? -1)) best = i;
    });
    const ctx = context();
    ctx.log("best_accuracy", scores[best]?.accuracy ?? 0);
    ctx.log("best_C", scores[best]?.C ?? 0);
    const out = ctx.outputPath("leaderboard");
    await writeFile(out, `${JSON.stringify({ best: scores[best], candidates: scores }, null, 2)}\n`);
    return { best: models[best] as Model, leaderboard: new Metrics(out) };
  }

  @step.script({
    source: "./src/score",
    run: "python score.py --model {model} --table {prepped}/test.csv --out {predictions}",
    env: sklearn,
  })
  score(model: Model, prepped: Directory): { predictions: Table<typeof Prediction> } {
    return step.declared();
  }

  @pipeline({
    name: "iris",
    description: "Iris classification: prepare, profile, train ×N, compare, score",
    // The chosen model, kept in the workspace's datastore and registered as a version of iris-model.
    outputs: { best: { to: "workspace:models/{run}/", register: "iris-model" } },
  })
  async run(
    raw: Table<typeof IrisRow> = Table.get("iris"),
    regularization: number[] = [0.01, 0.1, 1, 10],
    testFraction = 0.3,
    seed = 7,
  ) {
    const { prepped } = this.prepare(raw, testFraction, seed);
    const { stats } = await this.profile(prepped);
    const trained = regularization.map((c) => this.train(prepped, c));
    const { best, leaderboard } = await this.compare(
      trained.map((t) => t.metrics),
      trained.map((t) => t.model),
    );
    const { predictions } = this.score(best, prepped);
    return { stats, leaderboard, best, predictions };
  }
}
