import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compile, hasErrors } from "@canal/compiler";
import { exportPipeline } from "@canal/runtime-kubernetes";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { canal, registerIris } from "../canal.js";
import { copyIris } from "../helpers.js";

const sha256 = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

describe("the exported Jobs' containers", () => {
  it("run the flagship step by step through canal exec to the outputs canal run gives", async () => {
    const dir = copyIris();
    const result = await compile({ entries: [join(dir, "pipeline.ts")], outDir: join(dir, "build") });
    expect(hasErrors(result)).toBe(false);
    const { pipeline, dir: artifact } = result.pipelines[0] as {
      pipeline: (typeof result.pipelines)[0]["pipeline"];
      dir: string;
    };

    // What the cluster would do, wave after wave: each Job's command, with the volume's paths
    // standing for directories of this machine.
    // A Job has no workspace to read the dataset `iris` from: its raw table is a file on the volume.
    const volume = mkdtempSync(join(tmpdir(), "canal-volume-"));
    copyFileSync(join(dir, "data/iris.csv"), join(volume, "iris.csv"));
    const exported = exportPipeline(pipeline, "kubernetes", {
      run: "iris-1",
      parameters: { raw: "/canal/runs/iris.csv" },
    });
    const jobs = parseAllDocuments(exported).map(
      (d) => d.toJSON() as { spec: { template: { spec: { containers: { command: string[] }[] } } } },
    );
    for (const job of jobs) {
      const [program, ...args] = job.spec.template.spec.containers[0]?.command ?? [];
      expect(program).toBe("canal");
      const local = args.map((arg) =>
        arg.replace(`/canal/artifacts/${pipeline.hash}`, artifact).replace("/canal/runs", volume),
      );
      const ran = await canal(local, dir);
      expect(ran.stderr).not.toMatch(/canal exec:/);
      expect(ran.status).toBe(0);
    }
    const run = join(volume, "iris-1");
    expect(existsSync(join(run, "train[3]", "done"))).toBe(true);

    // canal run reads the registered dataset: the same bytes, the same outputs.
    await registerIris(dir);
    const reference = await canal(["run", artifact, "--json"], dir);
    expect(reference.status).toBe(0);
    const outputs = JSON.parse(reference.stdout).outputs as Record<string, { digest: string }>;
    expect(sha256(join(run, "score", "outputs", "predictions"))).toBe(outputs.predictions?.digest);
    expect(sha256(join(run, "compare", "outputs", "leaderboard"))).toBe(outputs.leaderboard?.digest);

    // Argo hands a fan-out step its item, not its index.
    const byItem = await canal(
      [
        "exec",
        artifact,
        "--step",
        "train",
        "--item",
        "10",
        "--data",
        run,
        "-p",
        "regularization=[0.01,0.1,1,10]",
      ],
      dir,
    );
    expect(byItem.status).toBe(0);
    const missing = await canal(["exec", artifact, "--step", "score", "--data", join(volume, "other")], dir);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain("step compare has not finished");
  }, 300_000);
});
