import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BlobPlace, Environment } from "@canal/ir";
import {
  type StepFile,
  type StepTask,
  shellQuote,
  stepEntrypoint,
  workerEntrypoint,
} from "@canal/runtime-core";
import { testStep } from "@canal/runtime-core/testing";
import { afterAll, describe, expect, it } from "vitest";
import { JobScripts, jobFilesIn } from "./job-script.js";
import { SlurmRuntime } from "./slurm-runtime.js";

const bucket: BlobPlace = { kind: "s3", bucket: "team", prefix: "canal/", endpoint: "http://s3.example:80" };
const image = { id: "img", kind: "IMAGE", image: "python:3.12" } as Environment;

describe("which slurm jobs move their own bytes", () => {
  it("a bucket's, unless the target says the nodes cannot reach it", () => {
    const step = testStep("t");
    const runtime = new SlurmRuntime({ sharedDir: "/nonexistent" });
    expect(runtime.movesBlobs(bucket, step, undefined)).toBe(true);
    // Such a step cannot run on Slurm at all; its attempt says so.
    expect(runtime.movesBlobs(bucket, step, image)).toBe(false);
    const closed = new SlurmRuntime({ sharedDir: "/nonexistent", nodesReachStore: false });
    expect(closed.movesBlobs(bucket, step, undefined)).toBe(false);
  });
});

describe("a step in an image of its own", () => {
  it("is refused before anything is staged, and an attempt of it writes no job's files", async () => {
    const shared = mkdtempSync(join(tmpdir(), "canal-slurm-image-"));
    try {
      const runtime = new SlurmRuntime({ sharedDir: shared });
      const step = testStep("t");
      const refusal =
        "it runs in the image python:3.12, which the Slurm runtime cannot start; use a container target (--target docker)";
      expect(runtime.cannotRun(step, image)).toBe(refusal);
      expect(runtime.cannotRun(step, undefined)).toBeUndefined();
      const task: StepTask = {
        runId: "run-1",
        stepKey: "t",
        attempt: 1,
        artifactDir: join(shared, "nowhere"),
        step,
        environment: image,
        inputs: {},
        outputs: {},
        workDir: join(shared, "work"),
        metricsFile: join(shared, "work", "metrics.jsonl"),
      };
      const hooks = { signal: new AbortController().signal, log: () => {}, started: () => {} };
      expect(await runtime.execute(task, hooks)).toEqual({
        status: "failed",
        error: `step t: ${refusal}`,
        retryable: false,
      });
      expect(readdirSync(shared)).toEqual([]);
      await runtime.close();
    } finally {
      rmSync(shared, { recursive: true, force: true });
    }
  });
});

describe("the files of a job that moves its own bytes", () => {
  const shared = mkdtempSync(join(tmpdir(), "canal-job-script-"));
  afterAll(() => rmSync(shared, { recursive: true, force: true }));

  it("run the step entrypoint; the credentials are in the owner-only attempt script alone", async () => {
    const artifactDir = join(shared, "artifacts", "a");
    const workDir = join(shared, "work", "make-1");
    mkdirSync(artifactDir, { recursive: true });
    const input = join(workDir, "in", "data", "data");
    const task: StepTask = {
      runId: "run-1",
      stepKey: "make",
      attempt: 1,
      artifactDir,
      step: testStep("make"),
      environment: undefined,
      inputs: { data: { kind: "artifact", path: input, directory: false } },
      outputs: {},
      workDir,
      metricsFile: join(workDir, "metrics.jsonl"),
      variables: { AWS_ACCESS_KEY_ID: "KEYID-1234", AWS_SECRET_ACCESS_KEY: "SECRET-5678" },
      blobs: { place: bucket, fetch: [{ digest: "a".repeat(64), path: input }] },
    };
    const files = jobFilesIn(shared, "run-1", "make.1");
    const prepared = await new JobScripts(shared, { PATH: "/usr/bin" }, "/usr/bin/node").write(task, files);
    expect(prepared.command).toBe(
      ["/usr/bin/node", stepEntrypoint, join(files.dir, "step.json"), join(files.dir, "result.json")]
        .map(shellQuote)
        .join(" "),
    );
    expect(prepared.resultFile).toBe(join(files.dir, "result.json"));
    expect(prepared.entrypoint).toEqual({ node: "/usr/bin/node", movesBytes: true });
    const stepFile = readFileSync(join(files.dir, "step.json"), "utf8");
    const { task: written } = JSON.parse(stepFile) as StepFile;
    expect(written.blobs).toEqual(task.blobs);
    expect(written.variables).toBeUndefined();
    expect(stepFile).not.toMatch(/KEYID-1234|SECRET-5678/);
    const attempt = readFileSync(files.attempt, "utf8");
    expect(attempt).toContain(shellQuote("AWS_SECRET_ACCESS_KEY=SECRET-5678"));
    expect(statSync(files.attempt).mode & 0o777).toBe(0o700);
  });
  it("run the worker for a TypeScript step whose bytes the driver stages, with its task as a file", async () => {
    const artifactDir = join(shared, "artifacts", "b");
    mkdirSync(artifactDir, { recursive: true });
    const workDir = join(shared, "work", "train-1");
    const task: StepTask = {
      runId: "run-1",
      stepKey: "train",
      attempt: 1,
      artifactDir,
      step: testStep("train"),
      environment: undefined,
      inputs: {},
      outputs: {},
      workDir,
      metricsFile: join(workDir, "metrics.jsonl"),
      variables: { TOKEN: "t0k-9" },
    };
    const files = jobFilesIn(shared, "run-1", "train.1");
    const prepared = await new JobScripts(shared, { PATH: "/usr/bin" }, "/usr/bin/node").write(task, files);
    const taskFile = join(files.dir, "task.json");
    expect(prepared).toEqual({
      command: ["/usr/bin/node", workerEntrypoint, taskFile, join(files.dir, "result.json")]
        .map(shellQuote)
        .join(" "),
      shown: `node worker-main.js ${taskFile}`,
      resultFile: join(files.dir, "result.json"),
      entrypoint: { node: "/usr/bin/node", movesBytes: false },
    });
    const written = readFileSync(taskFile, "utf8");
    expect(JSON.parse(written)).toMatchObject({ stepKey: "train", artifactDir });
    expect(written).not.toContain("t0k-9");
    expect(existsSync(join(files.dir, "step.json"))).toBe(false);
  });
});
