import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { openWorkspace } from "@canal/store";
import { beforeAll, describe, expect, it } from "vitest";
import { canal, registerIris } from "../canal.js";
import { copyIris } from "../helpers.js";

/** Why the flagship cannot run here, if it cannot: its Python steps need scikit-learn and pandas. */
function missingPython(): string | undefined {
  try {
    execFileSync("/usr/bin/python3", ["-c", "import sklearn, pandas"], { stdio: "pipe" });
    return undefined;
  } catch {
    return "/usr/bin/python3 cannot import sklearn and pandas (apt-get install python3-sklearn python3-pandas python3-venv)";
  }
}

const runIdOf = (stdout: string) => /^run (run-\S+): /m.exec(stdout)?.[1] ?? "";

/** Step instance -> status of a recorded run, as `canal runs show --json` reports it. */
async function states(dir: string, runId: string): Promise<Record<string, string>> {
  const shown = await canal(["runs", "show", runId, "--json"], dir);
  expect(shown.status).toBe(0);
  const steps = JSON.parse(shown.stdout).steps as Array<{ stepId: string; instance: number; status: string }>;
  return Object.fromEntries(
    steps.map((s) => [s.instance >= 0 ? `${s.stepId}[${s.instance}]` : s.stepId, s.status]),
  );
}

/** The lines `canal runs show` prints for one step. */
function stepBlock(shown: string, key: string): string {
  const lines = shown.split("\n");
  const start = lines.findIndex((line) => line.startsWith(`  ${key} `));
  const end = lines.findIndex((line, i) => i > start && /^ {2}\S/.test(line));
  return start < 0 ? "" : lines.slice(start, end < 0 ? undefined : end).join("\n");
}

const allSteps = ["prepare", "profile", "train[0]", "train[1]", "train[2]", "train[3]", "compare", "score"];
const every = (status: string, except: Record<string, string> = {}) =>
  Object.fromEntries(allSteps.map((key) => [key, except[key] ?? status]));

const missing = missingPython();

describe.skipIf(missing)(
  `the flagship example, run through the CLI${missing ? ` [skipped: ${missing}]` : ""}`,
  () => {
    let dir: string;
    let firstRun: string;
    let profileRun: string;

    beforeAll(() => {
      dir = copyIris();
    });

    it("refuses to run before its raw data is registered, naming the dataset and the command that registers it", async () => {
      const result = await canal(["run", "pipeline.ts"], dir);
      expect(result.status).toBe(1);
      expect(result.stderr).toContain(
        "CANAL_STORE_DATASET_NOT_FOUND: parameter `raw` reads dataset iris, which is not registered: ",
      );
      expect(result.stderr).toContain(
        "register it before the run with `canal datasets register iris --from DATASTORE:GLOB --table`",
      );
      expect((await canal(["runs", "--json"], dir)).stdout.trim()).toBe("[]");
    });

    it("registers its raw data as a table with a schema, once for the same content", async () => {
      expect(await registerIris(dir)).toMatch(
        /^registered iris version 1: 1 file, [\d.]+ KiB, a csv table of 5 columns \(sha256:[0-9a-f]{12}\)$/m,
      );
      expect(await registerIris(dir)).toMatch(
        /^iris version 1 already has this content .*nothing new was registered$/m,
      );
      const workspace = await openWorkspace(dir);
      try {
        const iris = await workspace.metadata.getDatasetVersion("iris");
        expect(iris.table?.schema.columns.map((c) => `${c.name}:${c.type}`)).toEqual([
          "sepal_length:number",
          "sepal_width:number",
          "petal_length:number",
          "petal_width:number",
          "species:string",
        ]);
      } finally {
        await workspace.close();
      }
    });

    it("runs end to end: Python data prep, training fanned out, TypeScript compare, scoring", async () => {
      const result = await canal(["run", "pipeline.ts"], dir);
      expect(result.stderr).toBe("");
      expect(result.status, result.stdout).toBe(0);
      expect(result.stdout).toMatch(/^run run-\S+ succeeded in [\d.]+s \(8 succeeded\)$/m);
      firstRun = runIdOf(result.stdout);
      expect(await states(dir, firstRun)).toEqual(every("succeeded"));
      // The raw table is the registered dataset's newest version, recorded with the run.
      const shown = JSON.parse((await canal(["runs", "show", firstRun, "--json"], dir)).stdout);
      expect(shown.run.parameters.raw.dataset).toMatchObject({ name: "iris", version: 1 });

      const workspace = await openWorkspace(dir);
      try {
        const score = await workspace.metadata.getStepRun(firstRun, "score");
        const { predictions } = await workspace.metadata.getOutputs(score.id);
        const table = (await workspace.blobs.get((predictions as { digest: string }).digest)).toString();
        const [header, ...rows] = table.trim().split("\n");
        expect(header).toContain("predicted");
        expect(rows).toHaveLength(45);
        // The chosen model, written to the workspace's datastore and registered as iris-model.
        const compare = await workspace.metadata.getStepRun(firstRun, "compare");
        const { best } = await workspace.metadata.getOutputs(compare.id);
        const model = await workspace.metadata.getDatasetVersion("iris-model");
        expect(model).toMatchObject({ version: 1, kind: "file", datastore: "workspace", fileCount: 1 });
        expect(model.pattern).toBe(`models/${firstRun}`);
        const [file] = await workspace.metadata.getDatasetFiles(model.id);
        expect(file?.digest).toBe((best as { digest: string }).digest);
      } finally {
        await workspace.close();
      }
      expect(result.stdout).toMatch(
        new RegExp(
          `^  best -> workspace:models/${firstRun}/ \\(1 file, registered as iris-model version 1\\)$`,
          "m",
        ),
      );
    }, 180_000);

    it("lists the run, shows its metrics, and prints what its steps printed", async () => {
      const runs = await canal(["runs"], dir);
      expect(runs.status).toBe(0);
      expect(runs.stdout).toMatch(new RegExp(`^${firstRun} +iris v1 +succeeded `, "m"));

      const shown = await canal(["runs", "show", firstRun], dir);
      expect(shown.status).toBe(0);
      expect(stepBlock(shown.stdout, "compare")).toMatch(
        /^ {2}compare +succeeded.*\n[\s\S]* metrics .*best_accuracy=0\.\d+/,
      );
      expect(stepBlock(shown.stdout, "train[3]")).toMatch(/ metrics C=10 accuracy=0\.\d+ f1_macro=0\.\d+$/m);
      expect(stepBlock(shown.stdout, "profile")).toMatch(/ metrics count_setosa=35 .* rows=105$/m);

      const logs = await canal(["logs", firstRun, "train"], dir);
      expect(logs.status).toBe(0);
      for (const [i, c] of ["0.01", "0.1", "1", "10"].entries()) {
        expect(logs.stdout).toMatch(
          new RegExp(`^train\\[${i}\\] \\| train: C=${c}(\\.0)? accuracy=0\\.\\d+$`, "m"),
        );
      }
      expect(logs.stdout).not.toContain("score:");
    });

    it("reuses every step on a second run, and after a comment-only edit of the pipeline", async () => {
      const again = await canal(["run", "pipeline.ts"], dir);
      expect(again.status).toBe(0);
      expect(again.stdout).toMatch(/succeeded in [\d.]+s \(8 cached\)$/m);

      const source = join(dir, "pipeline.ts");
      writeFileSync(source, `// Reviewed: nothing to change.\n${readFileSync(source, "utf8")}`);
      const commented = await canal(["run", "pipeline.ts"], dir);
      expect(commented.status).toBe(0);
      expect(await states(dir, runIdOf(commented.stdout))).toEqual(every("cached"));
    }, 60_000);

    it("re-runs exactly the step whose code changed, and says which file changed", async () => {
      const stats = join(dir, "src/stats.ts");
      writeFileSync(
        stats,
        readFileSync(stats, "utf8").replace(
          "values.reduce((sum, v) => sum + v, 0) / values.length",
          "Math.round((values.reduce((sum, v) => sum + v, 0) / values.length) * 100) / 100",
        ),
      );
      const edited = await canal(["run", "pipeline.ts"], dir);
      expect(edited.status, edited.stdout).toBe(0);
      profileRun = runIdOf(edited.stdout);
      expect(await states(dir, profileRun)).toEqual(every("cached", { profile: "succeeded" }));

      const why = await canal(["why", profileRun, "profile"], dir);
      expect(why.status).toBe(0);
      expect(why.stdout).toMatch(
        new RegExp(
          `^profile: ran because, since run ${firstRun}:\\n {2}- code file src/stats\\.ts changed: `,
          "m",
        ),
      );
      const cached = await canal(["why", profileRun, "train[1]"], dir);
      expect(cached.stdout).toMatch(/^train\[1\]: reused from the cache/);
    }, 60_000);

    it("reruns from a step: that step and what depends on it run, everything else is reused", async () => {
      const rerun = await canal(["rerun", profileRun, "--from", "compare"], dir);
      expect(rerun.status, rerun.stdout).toBe(0);
      expect(rerun.stdout).toContain(`rerun of ${profileRun} from compare (compare, score)`);
      expect(await states(dir, runIdOf(rerun.stdout))).toEqual(
        every("cached", { compare: "succeeded", score: "succeeded" }),
      );
    }, 60_000);
  },
);
