// A pipeline fed from the workspace's data: a registered dataset's newest or pinned version, a
// `-p` that names a dataset, and a datastore path; each recorded with the run, and cached by content.
import { appendFileSync, existsSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { openWorkspace } from "@canal/store";
import { beforeAll, describe, expect, it } from "vitest";
import { canal } from "../canal.js";
import { makeProject, repoRoot } from "../helpers.js";

const runIdOf = (stdout: string) => /^run (run-\S+): /m.exec(stdout)?.[1] ?? "";

interface Shown {
  run: {
    status: string;
    parameters: Record<string, { dataset?: unknown; datastore?: unknown; digest?: string }>;
  };
  steps: Array<{ stepId: string; status: string; outputs?: Record<string, { digest?: string }> }>;
}

describe("a pipeline fed from the workspace's datasets and datastores", () => {
  let dir: string;
  let firstRun = "";
  let secondRun = "";
  let marker: string;
  const ran = () => readFileSync(marker, "utf8").split("\n").filter(Boolean).length;
  const run = (args: string[]) => canal(["run", ...args, "-p", `marker=${marker}`], dir);
  const show = async (stdout: string) =>
    JSON.parse((await canal(["runs", "show", runIdOf(stdout), "--json"], dir)).stdout) as Shown;
  const register = async (...args: string[]) => {
    const result = await canal(["datasets", "register", ...args], dir);
    expect(result.status, result.stdout + result.stderr).toBe(0);
    return result.stdout;
  };

  beforeAll(async () => {
    dir = makeProject({ from: join(import.meta.dirname, "fixtures/datasets") });
    symlinkSync(join(repoRoot, "node_modules/zod"), join(dir, "node_modules/zod"));
    marker = join(dir, "ran.log");
    writeFileSync(marker, "");
    const compiled = await canal(["compile", "pipeline.ts", "--out", "build"], dir);
    expect(compiled.stderr).toBe("");
  });

  it("reads the newest version when a run is submitted, records it, and runs again only for new content", async () => {
    expect(await register("wine", "--from", "raw:wine/*.csv", "--table")).toMatch(
      /^registered wine version 1: 1 file/,
    );
    const first = await run(["build/latest"]);
    expect(first.status, first.stdout + first.stderr).toBe(0);
    firstRun = runIdOf(first.stdout);
    const shown = await show(first.stdout);
    expect(shown.run.parameters.wine?.dataset).toMatchObject({ name: "wine", version: 1 });
    // The step knows which dataset version its input is (AzureML's Run.input_datasets).
    const summary = shown.steps[0]?.outputs?.summary?.digest as string;
    const workspace = await openWorkspace(dir);
    try {
      expect(JSON.parse((await workspace.blobs.get(summary)).toString())).toEqual({
        rows: 2,
        files: 1,
        dataset: "wine:1",
      });
    } finally {
      await workspace.close();
    }
    expect(ran()).toBe(1);

    // A second file: version 2, new content, so the step runs again, over both parts.
    writeFileSync(join(dir, "lake/wine/part-2.csv"), "ph,quality,grape\n3.0,7,malbec\n");
    expect(await register("wine", "--from", "raw:wine/*.csv", "--table")).toMatch(
      /^registered wine version 2: 2 files/,
    );
    const second = await run(["build/latest"]);
    expect(second.status, second.stdout).toBe(0);
    secondRun = runIdOf(second.stdout);
    expect((await show(second.stdout)).run.parameters.wine?.dataset).toMatchObject({
      name: "wine",
      version: 2,
    });
    expect(ran()).toBe(2);

    // Pinned to version 1, by the pipeline or on the command line: version 1's content, cached.
    for (const args of [["build/pinned"], ["build/latest", "-p", "wine=wine:1"]]) {
      const pinned = await run(args);
      expect(pinned.status, pinned.stdout + pinned.stderr).toBe(0);
      expect(pinned.stdout).toMatch(/^count: cached/m);
      expect((await show(pinned.stdout)).run.parameters.wine?.dataset).toMatchObject({
        name: "wine",
        version: 1,
      });
    }
    expect(ran()).toBe(2);

    // The same files registered with another schema (the columns the pipeline reads) are a new
    // version, of the same content: a hit.
    writeFileSync(
      join(dir, "narrow.json"),
      JSON.stringify({
        columns: [
          { name: "ph", type: "number" },
          { name: "quality", type: "integer" },
        ],
      }),
    );
    expect(await register("wine", "--from", "raw:wine/*.csv", "--table", "--schema", "narrow.json")).toMatch(
      /^registered wine version 3: 2 files/,
    );
    const third = await run(["build/latest"]);
    expect(third.status, third.stdout).toBe(0);
    expect(third.stdout).toMatch(/^count: cached/m);
    expect((await show(third.stdout)).run.parameters.wine?.dataset).toMatchObject({
      name: "wine",
      version: 3,
    });
    expect(ran()).toBe(2);
  });

  it("keeps the lineage: which runs read each version, listed by canal datasets show and canal runs --dataset", async () => {
    const shown = JSON.parse((await canal(["datasets", "show", "wine:2", "--json"], dir)).stdout) as {
      lineage: { readBy: Array<{ runId: string; parameter: string; pipeline: string }> };
    };
    expect(shown.lineage.readBy).toEqual([
      expect.objectContaining({ runId: secondRun, parameter: "wine", pipeline: "latest" }),
    ]);
    expect((await canal(["runs", "show", secondRun], dir)).stdout).toContain(
      "  wine <- dataset wine version 2\n",
    );
    const text = (await canal(["datasets", "show", "wine:2"], dir)).stdout;
    expect(text).toContain(`  read by: run ${secondRun} (latest, succeeded) as \`wine\``);
    const listed = JSON.parse((await canal(["runs", "--dataset", "wine:2", "--json"], dir)).stdout) as Array<{
      id: string;
    }>;
    expect(listed.map((r) => r.id)).toEqual([secondRun]);
    // Every version: the runs of version 1 too (the first, and the pinned ones, newest first).
    const all = JSON.parse((await canal(["runs", "--dataset", "wine", "--json"], dir)).stdout) as Array<{
      id: string;
    }>;
    expect(all.map((r) => r.id)).toContain(firstRun);
    expect(all.length).toBeGreaterThan(3);
  });

  it("reads a datastore path named by the pipeline or by -p, without registering it", async () => {
    const before = ran();
    const direct = await run(["build/direct"]);
    expect(direct.status, direct.stdout + direct.stderr).toBe(0);
    expect((await show(direct.stdout)).run.parameters.wine?.datastore).toEqual({
      name: "raw",
      path: "wine/part-1.csv",
    });
    // part-1.csv alone is version 1's content: the cache has it.
    expect(direct.stdout).toMatch(/^count: cached/m);
    appendFileSync(join(dir, "lake/wine/part-1.csv"), "3.9,4,gamay\n");
    const changed = await run(["build/latest", "-p", "wine=raw:wine/part-1.csv"]);
    expect(changed.status, changed.stdout + changed.stderr).toBe(0);
    expect(changed.stdout).toMatch(/^count: succeeded/m);
    expect(ran()).toBe(before + 1);
  });

  it("refuses unknown datasets, versions and datastores, escaping paths and a schema that does not fit, before anything runs", async () => {
    const before = ran();
    const runs = (await canal(["runs", "--json"], dir)).stdout;
    const cases: Array<[string, RegExp]> = [
      [
        "wine=nosuch",
        /CANAL_STORE_DATASET_NOT_FOUND: parameter `wine` reads dataset nosuch, which is not registered: .*the datasets are .*wine.*; register it before the run with `canal datasets register nosuch --from DATASTORE:GLOB --table`/,
      ],
      ["wine=wine:9", /CANAL_STORE_DATASET_VERSION_NOT_FOUND: .*wine.*9/],
      [
        "wine=lake:wine.csv",
        /CANAL_STORE_DATASTORE_UNKNOWN: no datastore "lake" in this workspace; the datastores are workspace, raw/,
      ],
      ["wine=raw:../canal.config.json", /CANAL_STORE_DATASTORE_PATH_ESCAPE/],
      ["wine=raw:missing/*.csv", /parameter `wine`: raw:missing\/\*\.csv names no file of datastore raw/],
    ];
    for (const [pair, expected] of cases) {
      const result = await run(["build/latest", "-p", pair]);
      expect(result.status, pair).toBe(1);
      expect(result.stderr, pair).toMatch(expected);
    }
    // A registered table without a column the pipeline declares: named, with its version.
    await register("thin", "--from", "raw:thin.csv", "--table");
    const thin = await run(["build/latest", "-p", "wine=thin"]);
    expect(thin.status).toBe(1);
    expect(thin.stderr).toContain(
      "parameter `wine` reads dataset thin version 1, whose schema has no column `quality` (integer); `WineRow` declares it",
    );
    expect(ran()).toBe(before);
    expect((await canal(["runs", "--json"], dir)).stdout).toBe(runs);
  });
});

describe("pipeline outputs written back to a datastore and registered", () => {
  let dir: string;

  beforeAll(async () => {
    dir = makeProject({ from: join(import.meta.dirname, "fixtures/datasets") });
    symlinkSync(join(repoRoot, "node_modules/zod"), join(dir, "node_modules/zod"));
    const compiled = await canal(["compile", "pipeline.ts", "--out", "build"], dir);
    expect(compiled.stderr).toBe("");
    const registered = await canal(
      ["datasets", "register", "wine", "--from", "raw:wine/*.csv", "--table"],
      dir,
    );
    expect(registered.status, registered.stderr).toBe(0);
  });

  it("writes a produced output under the run's folder and registers it as a table version", async () => {
    const result = await canal(["run", "build/publish"], dir);
    expect(result.status, result.stdout + result.stderr).toBe(0);
    const runId = runIdOf(result.stdout);
    expect(result.stdout).toContain(
      `  scored -> raw:scored/${runId}/ (1 file, registered as wine-scored version 1)\n`,
    );
    expect(readFileSync(join(dir, "lake/scored", runId, "scored.csv"), "utf8")).toBe(
      readFileSync(join(dir, "lake/wine/part-1.csv"), "utf8"),
    );
    const shown = JSON.parse((await canal(["datasets", "show", "wine-scored", "--json"], dir)).stdout) as {
      version: number;
      kind: string;
      pattern: string;
      description: string;
      table?: { schema: { columns: Array<{ name: string }> }; schemaSource: string };
    };
    expect(shown).toMatchObject({ version: 1, kind: "table", pattern: `scored/${runId}` });
    expect(shown.description).toContain(runId);
    // Lineage both ways: the run that read wine version 1 registered wine-scored version 1.
    const made = JSON.parse((await canal(["datasets", "show", "wine-scored", "--json"], dir)).stdout) as {
      lineage: { registeredBy: Array<{ runId: string; output: string }> };
    };
    expect(made.lineage.registeredBy).toEqual([expect.objectContaining({ runId, output: "scored" })]);
    const read = JSON.parse((await canal(["datasets", "show", "wine:1", "--json"], dir)).stdout) as {
      lineage: { readBy: Array<{ runId: string; registered: string[] }> };
    };
    expect(read.lineage.readBy).toEqual([expect.objectContaining({ runId, registered: ["wine-scored:1"] })]);
    // Registered with the columns the pipeline declares for it, checked against the file written.
    expect(shown.table?.schemaSource).toBe("declared");
    expect(shown.table?.schema.columns.map((c) => c.name)).toEqual(["ph", "quality"]);
  });

  it("writes and registers nothing for an output whose step failed after writing it", async () => {
    const before = (await canal(["datasets", "show", "wine-scored", "--json"], dir)).stdout;
    const result = await canal(["run", "build/publish", "-p", "fail=true"], dir);
    expect(result.status).toBe(1);
    const runId = runIdOf(result.stdout);
    expect(result.stdout).not.toContain("scored ->");
    expect(existsSync(join(dir, "lake/scored", runId))).toBe(false);
    expect((await canal(["datasets", "show", "wine-scored", "--json"], dir)).stdout).toBe(before);
  });
});
