import type { Step } from "@canal/ir";
import { describe, expect, it } from "vitest";
import { batchScript, sbatchArgs, timeLimit } from "./batch-script.js";
import { isTerminal, parseJob, SCHEDULER_ENDED } from "./job-state.js";

/** A step with only the fields the arguments come from. */
const stepWith = (fields: Partial<Step>) => fields as Step;

const files = {
  dir: "/shared/jobs/r/train.1",
  script: "/shared/jobs/r/train.1/job.sh",
  stdout: "/shared/jobs/r/train.1/stdout.log",
  stderr: "/shared/jobs/r/train.1/stderr.log",
  exit: "/shared/jobs/r/train.1/exit-status",
  release: "/shared/jobs/r/train.1/release",
};

describe("sbatch arguments", () => {
  it("maps CPU, memory, GPUs and the timeout, with the target's partition and account", () => {
    const step = stepWith({
      resources: { cpu: 1.5, memoryBytes: 8 * 1024 ** 3, gpu: 2, gpuType: "a100" },
      timeoutMs: 3_600_000,
    } as Partial<Step>);
    expect(sbatchArgs(step, "train[1]", files, { partition: "gpu", account: "ml" })).toEqual([
      "--parsable",
      "--job-name=canal:train[1]",
      `--chdir=${files.dir}`,
      `--output=${files.stdout}`,
      `--error=${files.stderr}`,
      "--no-requeue",
      "--partition=gpu",
      "--account=ml",
      "--cpus-per-task=2",
      "--mem=8192M",
      "--gres=gpu:a100:2",
      "--time=61",
      files.script,
    ]);
  });

  it("asks for nothing a step does not", () => {
    expect(sbatchArgs(stepWith({}), "s", files, {})).toHaveLength(7);
    expect(timeLimit(0)).toBeUndefined();
    expect(timeLimit(1000)).toBe("2");
  });
});

describe("the batch script", () => {
  it("exports the step's environment in a subshell, quoted, and records the exit status", () => {
    const script = batchScript({
      env: { CANAL_PARAM_WORD: "it's" },
      cwd: "/w d",
      command: "/bin/sh -c 'exit 3'",
      exitFile: files.exit,
      releaseFile: files.release,
    });
    expect(script).toContain(`  export CANAL_PARAM_WORD='it'\\''s'`);
    expect(script).toContain("  cd '/w d' || exit 1\n  exec setsid /bin/sh -c 'exit 3'\n) &");
    expect(script).toContain(`mv ${files.exit}.tmp ${files.exit}`);
  });
});

describe("job state", () => {
  it("reads state, exit code, signal and script from scontrol's one-line form", () => {
    const line =
      "JobId=7 JobName=canal:train JobState=FAILED Reason=NonZeroExitCode Dependency=(null) ExitCode=3:0 Command=/s/job.sh WorkDir=/s";
    expect(parseJob(line)).toEqual({
      state: "FAILED",
      exitCode: 3,
      signal: 0,
      reason: "NonZeroExitCode",
      command: "/s/job.sh",
    });
    expect(parseJob("slurm_load_jobs error: Invalid job id specified")).toBeUndefined();
  });

  it("knows which states are final and which the scheduler caused", () => {
    expect(["PENDING", "RUNNING", "COMPLETING"].some(isTerminal)).toBe(false);
    expect(["COMPLETED", "FAILED", "TIMEOUT", "NODE_FAIL", "CANCELLED"].every(isTerminal)).toBe(true);
    expect(Object.keys(SCHEDULER_ENDED).sort()).toEqual([
      "BOOT_FAIL",
      "CANCELLED",
      "DEADLINE",
      "NODE_FAIL",
      "PREEMPTED",
    ]);
  });
});
