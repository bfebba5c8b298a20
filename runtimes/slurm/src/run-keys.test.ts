import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { StepTask } from "@canal/runtime-core";
import { testStep } from "@canal/runtime-core/testing";
import { openWorkspace } from "@canal/store";
import { afterAll, describe, expect, it } from "vitest";
import { runComment } from "./batch-script.js";
import { jobsWithComment, RUN_KEYS_FOLDER, RunKeys, runTag } from "./run-keys.js";
import { SlurmRuntime } from "./slurm-runtime.js";

const root = mkdtempSync(join(tmpdir(), "canal-run-keys-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const folder = (name: string) => join(mkdtempSync(join(root, `${name}-`)), RUN_KEYS_FOLDER);

/** One step of run `runId` whose folders are under `base`: its first job would keep the run's key. */
const stepOf = (runId: string, base: string): StepTask => ({
  runId,
  stepKey: "t",
  attempt: 1,
  artifactDir: join(base, "nowhere"),
  step: testStep("t"),
  environment: undefined,
  inputs: {},
  outputs: {},
  workDir: join(base, "work"),
  metricsFile: join(base, "work", "metrics.jsonl"),
});
const hooks = () => ({ signal: new AbortController().signal, log: () => {}, started: () => {} });

describe("a run's key", () => {
  it("is made once per run and workspace, kept owner-only, and read back by a runtime built later", () => {
    const dir = folder("kept");
    const keys = new RunKeys(dir);
    const key = keys.keyFor("run-20261207-012330-ab12");
    expect(key).toMatch(/^[0-9a-f]{32}$/);
    expect(keys.keyFor("run-20261207-012330-ab12")).toBe(key);
    expect(keys.keyFor("run-20261207-012330-cd34")).not.toBe(key);
    expect(statSync(join(dir, "run-20261207-012330-ab12")).mode & 0o777).toBe(0o600);
    // `canal cancel` builds a runtime of its own: it finds the key where the driver kept it.
    expect(new RunKeys(dir).kept("run-20261207-012330-ab12")).toBe(key);
    expect(readdirSync(dir).sort()).toEqual(["run-20261207-012330-ab12", "run-20261207-012330-cd34"]);
  });

  it("differs between two workspaces' runs of the same id, and neither's jobs carry the other's comment", () => {
    const id = "run-20261207-012330-ab12";
    const a = runTag(id, new RunKeys(folder("a")).keyFor(id));
    const b = runTag(id, new RunKeys(folder("b")).keyFor(id));
    expect(a).not.toBe(b);
    const listing = [
      `11 ${runComment(a)}`,
      `12 ${runComment(b)}`,
      `13 ${runComment(id)}`,
      "14 (null)",
      "",
    ].join("\n");
    expect(jobsWithComment(listing, runComment(a))).toEqual(["11"]);
    expect(jobsWithComment(listing, runComment(b))).toEqual(["12"]);
    // A run of the previous version, tagged by its id alone, is none of them.
    expect(jobsWithComment(listing, runComment(id))).toEqual(["13"]);
  });

  it("makes a tag that is never a run id, so no run's folder of the previous version is one of this version's", () => {
    expect(runTag("run-1", "0".repeat(32))).toBe(`run-1+${"0".repeat(32)}`);
    expect(runTag("run-1", "0".repeat(32))).toContain("+");
  });

  it("is kept only under a run id that is one file name", () => {
    const keys = new RunKeys(folder("names"));
    for (const id of ["..", "../x", "a/b", ".hidden", "", "a+b"])
      expect(() => keys.keyFor(id)).toThrow(`run id \`${id}\` is not a run id`);
  });

  it("is absent for a run whose driver kept none here (the previous version's, another workspace's)", () => {
    expect(new RunKeys(folder("none")).kept("run-20261207-012330-ab12")).toBeUndefined();
    expect(new RunKeys(undefined).kept("run-20261207-012330-ab12")).toBeUndefined();
  });

  it("is forgotten, its file removed, once its run left nothing on the cluster", () => {
    const dir = folder("forget");
    const keys = new RunKeys(dir);
    keys.keyFor("run-1");
    expect(keys.runs()).toEqual(["run-1"]);
    keys.forget("run-1");
    expect(keys.runs()).toEqual([]);
    expect(existsSync(join(dir, "run-1"))).toBe(false);
    // Reading a key (a cancel) does not make it this process's to forget.
    new RunKeys(dir).keyFor("run-2");
    const reader = new RunKeys(dir);
    expect(reader.kept("run-2")).toBeDefined();
    expect(reader.runs()).toEqual([]);
  });

  it("that is damaged is refused, naming the file and the fix, not taken for no key", () => {
    const dir = folder("damaged");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "run-1"), "not a key\n");
    expect(() => new RunKeys(dir).kept("run-1")).toThrow(
      `${join(dir, "run-1")} does not hold a Slurm run key (32 hex digits); remove it, and end the run's jobs by hand: their comment starts with canal-run=run-1+`,
    );
  });

  it("that cannot be read is refused, naming the file and the fix", () => {
    const dir = folder("unreadable");
    mkdirSync(join(dir, "run-2"), { recursive: true });
    expect(() => new RunKeys(dir).kept("run-2")).toThrow(
      `cannot read the Slurm run key in ${join(dir, "run-2")} (EISDIR: illegal operation on a directory, read); make it a readable file of the key, or remove it and end the run's jobs by hand: their comment starts with canal-run=run-2+`,
    );
  });
});

describe("a Slurm runtime whose state folder cannot be written", () => {
  it("fails the attempt before anything reaches the cluster, naming the folder and the fix", async () => {
    const base = mkdtempSync(join(root, "unwritable-"));
    // A file where the state folder should be: no key can be kept under it (root included).
    const state = join(base, "state");
    const shared = join(base, "shared");
    writeFileSync(state, "");
    const runtime = new SlurmRuntime({ sharedDir: shared, stateDir: state });
    const result = await runtime.execute(stepOf("run-1", base), hooks());
    expect(result).toMatchObject({ status: "failed", retryable: false });
    expect(result.status === "failed" && result.error).toContain(
      `step t: cannot keep the run's Slurm key in ${join(state, RUN_KEYS_FOLDER, "run-1")}`,
    );
    expect(result.status === "failed" && result.error).toContain(
      "make the workspace's state folder (folders.state) writable",
    );
    expect(existsSync(shared)).toBe(false);
    await runtime.close();
  });
});

describe("a run's key in the workspace's store", () => {
  /** Two checkouts of one workspace sharing one SQLite store, each with its own state folder. */
  async function team() {
    const dir = mkdtempSync(join(root, "team-"));
    const open = async (name: string) => {
      const checkout = join(dir, name);
      mkdirSync(checkout);
      writeFileSync(
        join(checkout, "canal.config.json"),
        JSON.stringify({ workspace: "team", store: { kind: "sqlite", path: "../team.db" } }),
      );
      return openWorkspace(checkout);
    };
    const a = await open("a");
    const b = await open("b");
    const version = await a.metadata.registerPipelineVersion({ pipeline: "p", hash: "p-hash", ir: "{}" });
    const run = await a.metadata.createRun({ pipelineVersionId: version.id, runtime: "slurm" });
    return { dir, a, b, runId: run.id };
  }

  it("is kept there before a job is submitted, found from another checkout, and forgotten there", async () => {
    const { dir, a, b, runId } = await team();
    const state = join(dir, "a", ".canal", RUN_KEYS_FOLDER);
    const driver = new RunKeys(state, a.metadata);
    const key = driver.keyFor(runId);
    await driver.stored(runId);
    expect(await a.metadata.readRunKey(runId, "slurm")).toBe(key);
    // No file: the store is where it is kept.
    expect(existsSync(join(state, runId))).toBe(false);
    // A second target of the run (a runtime of its own) tags its jobs alike.
    expect(new RunKeys(state, a.metadata).keyFor(runId)).toBe(key);
    // A cancel from checkout b finds it, and forgets it once the run's jobs are ended.
    const elsewhere = new RunKeys(join(dir, "b", ".canal", RUN_KEYS_FOLDER), b.metadata);
    expect(await elsewhere.find(runId)).toBe(key);
    await elsewhere.forget(runId);
    expect(await a.metadata.readRunKey(runId, "slurm")).toBeUndefined();
    await a.close();
    await b.close();
  });

  it("holds the previous version's key file's key once a cancel read it, so every target of the run finds it", async () => {
    const { dir, a, runId } = await team();
    const state = join(dir, "a", ".canal", RUN_KEYS_FOLDER);
    const old = new RunKeys(state).keyFor(runId);
    expect(existsSync(join(state, runId))).toBe(true);
    const first = new RunKeys(state, a.metadata);
    expect(await first.find(runId)).toBe(old);
    expect(await a.metadata.readRunKey(runId, "slurm")).toBe(old);
    await a.close();
  });

  it("that cannot be kept fails the attempt before anything reaches the cluster, naming the store and the fix", async () => {
    const { dir, a, b } = await team();
    const base = mkdtempSync(join(dir, "run-"));
    const shared = join(base, "shared");
    // A run the store does not hold: its key cannot be kept.
    const runtime = new SlurmRuntime({ sharedDir: shared, runKeys: a.metadata, env: {} });
    const result = await runtime.execute(stepOf("run-missing", base), hooks());
    expect(result).toMatchObject({ status: "failed", retryable: false });
    expect(result.status === "failed" && result.error).toContain(
      "step t: cannot keep the run's Slurm key in the workspace's metadata store",
    );
    expect(result.status === "failed" && result.error).toContain(
      "check that the store is reachable and writable",
    );
    expect(existsSync(shared)).toBe(false);
    await runtime.close();
    await a.close();
    await b.close();
  });
});
