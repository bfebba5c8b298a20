import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { attemptResult, type JobEnd } from "./attempt-result.js";

const end = (state: string, fields: Partial<JobEnd["info"]> & Partial<Omit<JobEnd, "info">> = {}): JobEnd => {
  const { exitCode = 0, signal = 0, reason = "None", ...rest } = fields;
  return {
    jobId: "7",
    shown: "python3 train.py",
    stderrTail: "",
    info: { state, exitCode, signal, reason },
    ...rest,
  };
};

describe("how a job's end maps to the attempt", () => {
  const dir = mkdtempSync(join(tmpdir(), "canal-attempt-result-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("succeeds on exit status 0, and takes a TypeScript step's result from the worker", () => {
    expect(attemptResult("s", end("COMPLETED"))).toEqual({ status: "succeeded", values: {}, returned: {} });
    const resultFile = join(dir, "result.json");
    writeFileSync(resultFile, JSON.stringify({ status: "succeeded", values: { n: 1 }, returned: {} }));
    expect(attemptResult("s", end("COMPLETED", { resultFile }))).toMatchObject({ values: { n: 1 } });
    writeFileSync(resultFile, "{");
    expect(attemptResult("s", end("COMPLETED", { resultFile }))).toMatchObject({
      status: "failed",
      retryable: true,
    });
  });

  it("makes what the scheduler did retryable, and says which", () => {
    for (const state of ["NODE_FAIL", "PREEMPTED", "CANCELLED"]) {
      expect(attemptResult("s", end(state))).toMatchObject({
        status: "failed",
        retryable: true,
        error: expect.stringContaining(`Slurm job 7 ended ${state}`),
      });
    }
    expect(attemptResult("s", end("VANISHED"))).toMatchObject({ retryable: true });
    expect(attemptResult("s", end("CANCELLED", { reason: "DependencyNeverSatisfied" }))).toMatchObject({
      retryable: true,
      error: expect.stringContaining("could not start because that job did not end COMPLETED"),
    });
    expect(attemptResult("s", end("TIMEOUT"))).toMatchObject({ status: "timed-out" });
  });

  it("does not retry running out of memory or a command that is not there", () => {
    expect(attemptResult("s", end("OUT_OF_MEMORY"))).toMatchObject({
      retryable: false,
      error: "step s: Slurm job 7 ran out of memory; ask for more (resources.memory) or use less",
    });
    expect(
      attemptResult("s", end("FAILED", { exitCode: 127, stderrTail: "sh: 1: python3: not found\n" })),
    ).toMatchObject({ exitCode: 127, retryable: false, error: expect.stringContaining("install `python3`") });
  });

  it("says the entrypoint could not start on the node, not that the step's command failed", () => {
    const resultFile = join(dir, "never-written.json");
    const stderrTail = "setsid: failed to execute /opt/node/bin/node: No such file or directory\n";
    const moving = end("FAILED", {
      exitCode: 127,
      resultFile,
      stderrTail,
      node: "c7",
      entrypoint: { node: "/opt/node/bin/node", movesBytes: true },
    });
    expect(attemptResult("s", moving)).toEqual({
      status: "failed",
      exitCode: 127,
      error:
        "step s: Canal's step entrypoint could not start on node c7 of Slurm job 7: `/opt/node/bin/node` is not there " +
        "(status 127: setsid: failed to execute /opt/node/bin/node: No such file or directory), so the step did not run; " +
        "install Node at /opt/node/bin/node on the nodes, or set the target's \"nodesReachStore\": false so that the driver stages the step's bytes through the shared directory",
      retryable: false,
    });
    // A TypeScript step's worker: the node path is the fix, there are no bytes to stage instead.
    const worker = end("FAILED", {
      exitCode: 126,
      resultFile,
      entrypoint: { node: "/opt/node/bin/node", movesBytes: false },
    });
    expect(attemptResult("s", worker)).toMatchObject({
      retryable: false,
      error: expect.stringMatching(
        /^step s: Canal's worker entrypoint could not start on its node of Slurm job 7: `\/opt\/node\/bin\/node` cannot be executed there \(status 126\), so the step did not run; install Node at \/opt\/node\/bin\/node on the nodes/,
      ),
    });
    expect(JSON.stringify(attemptResult("s", worker))).not.toContain("nodesReachStore");
  });

  it("quotes the command, its status or signal and the end of stderr for a step's own failure", () => {
    expect(attemptResult("s", end("FAILED", { exitCode: 3, stderrTail: "a\nb\nc\nd\n" }))).toEqual({
      status: "failed",
      exitCode: 3,
      error: "step s: `python3 train.py` exited with status 3 (Slurm job 7):\nb\nc\nd",
      retryable: true,
    });
    expect(attemptResult("s", end("FAILED", { signal: 9 }))).toMatchObject({
      error: expect.stringContaining("was killed by signal 9"),
    });
  });

  it("says how a script step ended when it ran under the entrypoint that moved its bytes", () => {
    const resultFile = join(dir, "moved.json");
    const failed = { status: "failed", exitCode: 3, error: "exited with status 3", retryable: true };
    writeFileSync(resultFile, JSON.stringify({ ...failed, scriptExit: 3 }));
    expect(attemptResult("s", end("FAILED", { exitCode: 1, resultFile, stderrTail: "oops\n" }))).toEqual({
      status: "failed",
      exitCode: 3,
      error: "step s: `python3 train.py` exited with status 3 (Slurm job 7):\noops",
      retryable: true,
    });
    writeFileSync(resultFile, JSON.stringify({ ...failed, exitCode: 127, scriptExit: 127 }));
    expect(attemptResult("s", end("FAILED", { exitCode: 1, resultFile }))).toMatchObject({
      exitCode: 127,
      retryable: false,
      error: expect.stringContaining("install `python3`"),
    });
    // A fetch or a store that failed is the entrypoint's own result, as it wrote it.
    const fetch = { status: "failed", error: "step s: input `x` could not be fetched", retryable: false };
    writeFileSync(resultFile, JSON.stringify(fetch));
    expect(attemptResult("s", end("FAILED", { exitCode: 1, resultFile }))).toEqual(fetch);
  });
});
