import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { initWorkspace, openDatastore, openWorkspace, registerDataset, type Workspace } from "@canal/store";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { pushWorkspace } from "./push.js";
import { pushSummary } from "./push-report.js";

let root: string;
let local: Workspace;
let team: Workspace;

/** Writes a workspace's config with these datastores (paths from the temp folder) and opens it. */
async function workspace(name: string, datastores: Record<string, string>): Promise<Workspace> {
  const dir = join(root, name);
  const config = JSON.parse(readFileSync(join(dir, "canal.config.json"), "utf8"));
  config.datastores = Object.fromEntries(
    Object.entries(datastores).map(([store, folder]) => [store, { kind: "local", path: join(root, folder) }]),
  );
  writeFileSync(join(dir, "canal.config.json"), JSON.stringify(config));
  return openWorkspace(dir);
}

/** Writes `text` at `path` below folder `folder` of the temp folder. */
function put(folder: string, path: string, text: string): void {
  const file = join(root, folder, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}

const read = (folder: string, path: string) => readFileSync(join(root, folder, path), "utf8");

beforeEach(async () => {
  root = mkdtempSync(join(tmpdir(), "canal-push-datasets-"));
  initWorkspace(join(root, "alone"), "alone");
  initWorkspace(join(root, "team"), "team");
  mkdirSync(join(root, "lake"));
  mkdirSync(join(root, "team-lake"));
  local = await workspace("alone", { raw: "lake" });
  team = await workspace("team", { raw: "team-lake" });
});
afterEach(async () => {
  await local.close();
  await team.close();
  rmSync(root, { recursive: true, force: true });
});

const PART_1 = "sepal,petal\n5.1,1.4\n";
const PART_2 = "sepal,petal\n6.2,4.5\n";

/** iris version 1 (part 1) and version 2 (parts 1 and 2), tables registered from raw:iris/*.csv. */
async function registerIris() {
  put("lake", "iris/part-1.csv", PART_1);
  const v1 = await registerDataset(local, local.metadata, {
    name: "iris",
    from: "raw:iris/*.csv",
    table: true,
    description: "the first measurements",
    registeredBy: "ada",
    host: "laptop",
  });
  put("lake", "iris/part-2.csv", PART_2);
  const v2 = await registerDataset(local, local.metadata, {
    name: "iris",
    from: "raw:iris/*.csv",
    table: true,
  });
  return [v1.version, v2.version] as const;
}

/** An ended run (or one still going, with a live driver) that read `versionId` as parameter `raw`. */
async function runReading(versionId: number, status: "succeeded" | "running" = "succeeded") {
  const pipeline = await local.metadata.registerPipelineVersion({ pipeline: "iris", hash: "h1", ir: "{}" });
  const run = await local.metadata.createRun({ pipelineVersionId: pipeline.id, runtime: "local", status });
  if (status === "running")
    await local.metadata.recordHeartbeat(run.id, { host: "laptop", pid: process.pid, intervalMs: 1000 });
  await local.metadata.recordDatasetUse({ runId: run.id, versionId, direction: "input", name: "raw" });
  return run;
}

describe("pushWorkspace: datasets", () => {
  it("copies versions, their files and their lineage, and a second push copies nothing", async () => {
    const [v1, v2] = await registerIris();
    const first = await runReading(v1.id);
    const second = await runReading(v2.id);
    await local.metadata.recordDatasetUse({
      runId: second.id,
      versionId: v2.id,
      direction: "output",
      name: "cleaned",
    });
    // A dataset on the workspace's own datastore: it goes to the team's own.
    const own = await openDatastore(local, "workspace");
    await own.write("scores/s.csv", "score\n1\n");
    await own.close();
    await registerDataset(local, local.metadata, { name: "scores", from: "workspace:scores" });

    const lines: string[] = [];
    const report = await pushWorkspace(local, team, { progress: (line) => lines.push(line) });
    expect(report.datasets).toEqual({
      versions: { copied: 3, present: 0, skipped: [] },
      files: { copied: 3, present: 1, bytesCopied: PART_1.length + PART_2.length + 8 },
      uses: { copied: 3, present: 0, left: 0 },
    });
    expect(lines).toContain("pushed dataset iris version 2 (2 files)");
    expect(read("team-lake", "iris/part-1.csv")).toBe(PART_1);
    expect(read("team-lake", "iris/part-2.csv")).toBe(PART_2);
    const teamOwn = await openDatastore(team, "workspace");
    expect(await teamOwn.digest("scores/s.csv")).toEqual(
      await local.metadata
        .getDatasetFiles((await local.metadata.getDatasetVersion("scores")).id)
        .then(([file]) => ({ digest: file?.digest, size: file?.size })),
    );
    await teamOwn.close();

    const there = (await team.metadata.listDatasetVersions("iris")).reverse();
    expect(there.map((v) => [v.version, v.digest])).toEqual([
      [1, v1.digest],
      [2, v2.digest],
    ]);
    expect(there[0]).toMatchObject({
      kind: "table",
      datastore: "raw",
      pattern: "iris/*.csv",
      description: "the first measurements",
      registeredBy: "ada",
      host: "laptop",
      createdAt: v1.createdAt,
      table: v1.table,
    });
    expect(await team.metadata.getDatasetFiles(there[1]?.id ?? 0)).toEqual(
      await local.metadata.getDatasetFiles(v2.id),
    );
    const uses = await team.metadata.listDatasetUses({ versionId: there[1]?.id ?? 0 });
    expect(uses.map((u) => [u.runId, u.direction, u.name])).toEqual([
      [second.id, "input", "raw"],
      [second.id, "output", "cleaned"],
    ]);
    expect((await team.metadata.listDatasetUses({ runId: first.id })).map((u) => u.version)).toEqual([1]);

    const again = await pushWorkspace(local, team);
    expect(again.datasets).toEqual({
      versions: { copied: 0, present: 3, skipped: [] },
      files: { copied: 0, present: 0, bytesCopied: 0 },
      uses: { copied: 0, present: 3, left: 0 },
    });
    expect(pushSummary(again)).toContain(
      "nothing to copy: the team workspace already has everything this one holds",
    );
    expect(await team.metadata.listDatasetVersions("iris")).toHaveLength(2);
  });

  it("registers versions after the team's own, says so, and records lineage against the team's numbers", async () => {
    put("team-lake", "other/o.csv", "sepal,petal\n1,1\n");
    await registerDataset(team, team.metadata, { name: "iris", from: "raw:other/o.csv", table: true });
    const [v1, v2] = await registerIris();
    const first = await runReading(v1.id);
    const second = await runReading(v2.id);

    const lines: string[] = [];
    const report = await pushWorkspace(local, team, { progress: (line) => lines.push(line) });
    expect(report.datasets.versions).toEqual({ copied: 2, present: 0, skipped: [] });
    expect(lines.some((line) => line.startsWith("pushed dataset iris version 1 as version 2:"))).toBe(true);
    expect(lines.some((line) => line.startsWith("pushed dataset iris version 2 as version 3:"))).toBe(true);
    const teamV2 = await team.metadata.getDatasetVersion("iris", 2);
    const teamV3 = await team.metadata.getDatasetVersion("iris", 3);
    expect([teamV2.digest, teamV3.digest]).toEqual([v1.digest, v2.digest]);
    expect((await team.metadata.listDatasetUses({ versionId: teamV2.id })).map((u) => u.runId)).toEqual([
      first.id,
    ]);
    expect((await team.metadata.listDatasetUses({ versionId: teamV3.id })).map((u) => u.runId)).toEqual([
      second.id,
    ]);
    expect(
      await team.metadata.listDatasetUses({
        versionId: (await team.metadata.getDatasetVersion("iris", 1)).id,
      }),
    ).toEqual([]);
  });

  it("skips a version whose datastore the team lacks, naming it and the fix, and pushes it once defined", async () => {
    await team.close();
    team = await workspace("team", {});
    const [v1] = await registerIris();
    await runReading(v1.id);
    const report = await pushWorkspace(local, team);
    expect(report.datasets.versions.copied).toBe(0);
    expect(report.datasets.versions.skipped.map((s) => [s.dataset, s.version])).toEqual([
      ["iris", 1],
      ["iris", 2],
    ]);
    const reason = report.datasets.versions.skipped[0]?.reason ?? "";
    expect(reason).toContain("the team workspace has no datastore raw");
    expect(reason).toContain(join(root, "team", "canal.config.json"));
    expect(reason).toContain("push again");
    expect(report.datasets.uses).toEqual({ copied: 0, present: 0, left: 1 });
    expect(pushSummary(report)).toContain(`skipped dataset iris version 1: ${reason}`);
    expect(await team.metadata.listDatasets()).toEqual([]);
    expect(report.runs.copied).toBe(1);

    await team.close();
    team = await workspace("team", { raw: "team-lake" });
    const later = await pushWorkspace(local, team);
    expect(later.datasets.versions).toEqual({ copied: 2, present: 0, skipped: [] });
    expect(later.datasets.uses).toEqual({ copied: 1, present: 0, left: 0 });
  });

  it("copies only the files missing on the team's datastore, each verified", async () => {
    put("team-lake", "iris/part-1.csv", PART_1);
    await registerIris();
    const report = await pushWorkspace(local, team);
    expect(report.datasets.files).toEqual({ copied: 1, present: 2, bytesCopied: PART_2.length });
    expect(read("team-lake", "iris/part-2.csv")).toBe(PART_2);
    // Nothing of the copy (no temporary file) is left beside it.
    expect(readdirNames(join(root, "team-lake", "iris"))).toEqual(["part-1.csv", "part-2.csv"]);
  });

  it("never overwrites a file the team holds with other bytes: the versions naming it are skipped", async () => {
    put("team-lake", "iris/part-1.csv", "sepal,petal\n9.9,9.9\n");
    const [v1] = await registerIris();
    await runReading(v1.id);
    const report = await pushWorkspace(local, team);
    expect(report.datasets.versions.skipped).toHaveLength(2);
    const reason = report.datasets.versions.skipped[0]?.reason ?? "";
    expect(reason).toContain(
      `the team's datastore raw (${join(root, "team-lake")}) holds "iris/part-1.csv" with other bytes`,
    );
    expect(reason).toContain("does not overwrite");
    expect(read("team-lake", "iris/part-1.csv")).toBe("sepal,petal\n9.9,9.9\n");
    // Every file is looked at before any is copied: version 2's other file stays here too.
    expect(existsSync(join(root, "team-lake", "iris", "part-2.csv"))).toBe(false);
    expect(await team.metadata.listDatasets()).toEqual([]);
    expect(report.datasets.uses.left).toBe(1);
  });

  it("copies no local file whose bytes are not those registered, and skips its version", async () => {
    put("lake", "iris/part-1.csv", PART_1);
    const v1 = await registerDataset(local, local.metadata, { name: "iris", from: "raw:iris/*.csv" });
    // Changed after it was registered: the same size, other bytes.
    put("lake", "iris/part-1.csv", PART_1.replace("5.1", "5.2"));
    await runReading(v1.version.id);
    const report = await pushWorkspace(local, team);
    expect(report.datasets.versions.skipped).toEqual([
      {
        dataset: "iris",
        version: 1,
        reason: expect.stringContaining("raw:iris/part-1.csv here is not the file registered"),
      },
    ]);
    expect(report.datasets.files.copied).toBe(0);
    expect(existsSync(join(root, "team-lake", "iris"))).toBe(false);
    expect(await team.metadata.listDatasets()).toEqual([]);
    expect(report.datasets.uses.left).toBe(1);
  });

  it("leaves the uses of a run still going for the push after it ends", async () => {
    const [v1] = await registerIris();
    const run = await runReading(v1.id, "running");
    const report = await pushWorkspace(local, team);
    expect(report.datasets.versions.copied).toBe(2);
    expect(report.datasets.uses).toEqual({ copied: 0, present: 0, left: 1 });
    await local.metadata.updateRun(run.id, { status: "succeeded", endedAt: Date.now() });
    const later = await pushWorkspace(local, team);
    expect(later.datasets.uses).toEqual({ copied: 1, present: 0, left: 0 });
    expect((await team.metadata.listDatasetUses({ runId: run.id })).map((u) => u.version)).toEqual([1]);
  });

  it("writes nothing in a dry run, and counts what the push then copies", async () => {
    const [, v2] = await registerIris();
    await runReading(v2.id);
    const dry = await pushWorkspace(local, team, { dryRun: true });
    expect(dry.datasets).toEqual({
      versions: { copied: 2, present: 0, skipped: [] },
      files: { copied: 2, present: 1, bytesCopied: PART_1.length + PART_2.length },
      uses: { copied: 1, present: 0, left: 0 },
    });
    expect(pushSummary(dry)).toContain("dataset versions:  would copy 2, already there 0, skipped 0");
    expect(await team.metadata.listDatasets()).toEqual([]);
    expect(readdirNames(join(root, "team-lake"))).toEqual([]);
    const real = await pushWorkspace(local, team);
    expect(real.datasets).toEqual(dry.datasets);
  });
});

/** The names in `dir`, sorted (none when there is no such folder). */
function readdirNames(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}
