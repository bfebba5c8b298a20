import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Step } from "@canal/ir";
import { afterEach, describe, expect, it } from "vitest";
import {
  batchScript,
  type JobFiles,
  SLOT_WAIT_MAX_MS,
  sbatchArgs,
  slotScript,
  timeLimit,
} from "./batch-script.js";
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
  started: "/shared/jobs/r/train.1/started",
  assign: "/shared/jobs/r/train.1/attempt.sh",
  claim: "/shared/jobs/r/train.1/claimed",
};

describe("sbatch arguments", () => {
  it("maps CPU, memory, GPUs and the timeout, with the target's partition and account", () => {
    const step = stepWith({
      resources: { cpu: 1.5, memoryBytes: 8 * 1024 ** 3, gpu: 2, gpuType: "a100" },
      timeoutMs: 3_600_000,
    } as Partial<Step>);
    expect(
      sbatchArgs(step, { runId: "r", stepKey: "train[1]" }, files, { partition: "gpu", account: "ml" }),
    ).toEqual([
      "--parsable",
      "--job-name=canal:train[1]",
      "--comment=canal-run=r",
      `--chdir=${files.dir}`,
      `--output=${files.stdout}`,
      `--error=${files.stderr}`,
      "--no-requeue",
      "--export=ALL",
      "--partition=gpu",
      "--account=ml",
      "--cpus-per-task=2",
      "--mem=8192M",
      "--gres=gpu:a100:2",
      "--time=61",
      files.script,
    ]);
  });

  it("queues a job ahead behind the jobs it waits on, its time limit covering its wait", () => {
    const step = stepWith({ timeoutMs: 60_000 } as Partial<Step>);
    const args = sbatchArgs(step, { runId: "r", stepKey: "next" }, files, {}, ["12", "13"]);
    expect(args).toContain("--dependency=afterok:12:13");
    expect(args).toContain("--kill-on-invalid-dep=yes");
    expect(args).toContain(`--time=${timeLimit(60_000 + SLOT_WAIT_MAX_MS)}`);
    expect(
      sbatchArgs(step, { runId: "r", stepKey: "next" }, files, {}).some((a) => a.startsWith("--dependency")),
    ).toBe(false);
  });

  it("asks for nothing a step does not", () => {
    expect(sbatchArgs(stepWith({}), { runId: "r", stepKey: "s" }, files, {})).toHaveLength(9);
    expect(timeLimit(0)).toBeUndefined();
    expect(timeLimit(1000)).toBe("2");
  });
});

describe("the batch script", () => {
  it("runs the step with exactly its environment, quoted, in a subshell", () => {
    const script = batchScript({
      env: { CANAL_PARAM_WORD: "it's" },
      cwd: "/w d",
      command: "/bin/sh -c 'exit 3'",
      exitFile: files.exit,
      releaseFile: files.release,
      startedFile: files.started,
    });
    expect(script).toContain(
      "  cd '/w d' || exit 1\n  exec env -i \\\n    'CANAL_PARAM_WORD=it'\\''s' \\\n    setsid /bin/sh -c 'exit 3'\n) &",
    );
  });
});

describe("the scripts, run by /bin/sh", () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const jobIn = (): JobFiles => {
    dir = mkdtempSync(join(tmpdir(), "canal-batch-"));
    const at = (name: string) => join(dir, name);
    return {
      dir,
      script: at("job.sh"),
      stdout: at("stdout.log"),
      stderr: at("stderr.log"),
      exit: at("exit-status"),
      release: at("release"),
      started: at("started"),
      assign: at("attempt.sh"),
      claim: at("claimed"),
    };
  };
  const start = (script: string) => {
    const child = spawn("/bin/sh", [script], { stdio: "ignore" });
    const ended = new Promise<{ code: number | null }>((resolve) =>
      child.on("exit", (code) => resolve({ code })),
    );
    return { pid: child.pid as number, ended };
  };
  const run = (script: string) => start(script).ended;
  /** Until the job's shell has started a command of its own: it is past its first line. */
  const underway = async (pid: number) => {
    const children = `/proc/${pid}/task/${pid}/children`;
    while (existsSync(children) && readFileSync(children, "utf8").trim() === "")
      await new Promise((resolve) => setTimeout(resolve, 2));
  };
  const attempt = (job: JobFiles, command: string, lingerMs?: number) =>
    batchScript({
      env: { WORD: "it's" },
      cwd: job.dir,
      command,
      exitFile: job.exit,
      releaseFile: job.release,
      startedFile: job.started,
      ...(lingerMs !== undefined ? { lingerMs } : {}),
    });

  it("records the step's exit status, then ends at once when released", async () => {
    const job = jobIn();
    writeFileSync(job.release, "");
    // Lingering for a release that is already there would take the whole test's time: ending at
    // all shows it was not waited for.
    writeFileSync(job.script, attempt(job, `/bin/sh -c 'printf "%s" "$WORD" > out; exit 3'`, 600_000));
    const { code } = await run(job.script);
    expect(code).toBe(3);
    expect(readFileSync(job.exit, "utf8")).toBe("3\n");
    expect(existsSync(job.started)).toBe(true);
    expect(readFileSync(join(dir, "out"), "utf8")).toBe("it's");
  });

  it("ends what the step left in its process group before it records the exit status", async () => {
    const job = jobIn();
    writeFileSync(job.release, "");
    writeFileSync(job.script, attempt(job, `/bin/sh -c 'sleep 30 & echo $! > bg; exit 0'`));
    expect((await run(job.script)).code).toBe(0);
    expect(readFileSync(job.exit, "utf8")).toBe("0\n");
    const pid = Number(readFileSync(join(dir, "bg"), "utf8"));
    // Gone, or a zombie no one has reaped yet: it runs nothing either way.
    const stat = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, "utf8") : "";
    expect(stat === "" || stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z"), stat).toBe(true);
  });

  it("gives the step its own variables and what the job was given, nothing else of the job's", async () => {
    const job = jobIn();
    writeFileSync(job.release, "");
    const show = `/bin/sh -c 'printf "%s|%s|%s|%s" "$WORD" "\${CUDA_VISIBLE_DEVICES-unset}" "\${SLURM_JOB_ID-unset}" "\${LEAK-unset}" > out'`;
    writeFileSync(
      job.script,
      batchScript({
        env: { WORD: "it's" },
        fromJob: ["CUDA_VISIBLE_DEVICES", "SLURM_JOB_ID"],
        cwd: job.dir,
        command: show,
        exitFile: job.exit,
        releaseFile: job.release,
        startedFile: job.started,
      }),
    );
    // What sbatch hands a job: the submitter's environment (LEAK), and Slurm's own for the job.
    const code = await new Promise<number | null>((resolve) =>
      spawn("/bin/sh", [job.script], {
        stdio: "ignore",
        env: { PATH: process.env.PATH, LEAK: "from the submitter", CUDA_VISIBLE_DEVICES: "1,3" },
      }).on("exit", resolve),
    );
    expect(code).toBe(0);
    expect(readFileSync(join(dir, "out"), "utf8")).toBe("it's|1,3|unset|unset");
  });

  it("runs the attempt handed to a job queued ahead, once it is there", async () => {
    const job = jobIn();
    writeFileSync(job.release, "");
    writeFileSync(job.script, slotScript(job));
    const { pid, ended } = start(job.script);
    await underway(pid);
    mkdirSync(job.claim);
    writeFileSync(`${job.assign}.tmp`, attempt(job, "/bin/sh -c 'echo ran > out'"));
    renameSync(`${job.assign}.tmp`, job.assign);
    expect((await ended).code).toBe(0);
    expect(readFileSync(join(dir, "out"), "utf8")).toBe("ran\n");
    expect(readFileSync(job.exit, "utf8")).toBe("0\n");
  });

  it("gives up a job queued ahead that no attempt comes to, claiming it so none is handed over late", async () => {
    const job = jobIn();
    writeFileSync(job.script, slotScript(job, 50));
    expect((await run(job.script)).code).toBe(1);
    expect(existsSync(job.claim)).toBe(true);
    expect(existsSync(job.exit)).toBe(false);
  });

  it("keeps waiting past its limit when the runtime claimed it first", async () => {
    const job = jobIn();
    writeFileSync(job.release, "");
    mkdirSync(job.claim);
    const from = Math.floor(Date.now() / 1000);
    writeFileSync(job.script, slotScript(job, 20));
    const { ended } = start(job.script);
    // Its limit (rounded up to whole seconds of the clock it reads) is past.
    while (Math.floor(Date.now() / 1000) < from + 2) await new Promise((resolve) => setTimeout(resolve, 50));
    writeFileSync(job.assign, attempt(job, "/bin/sh -c 'exit 0'"));
    expect((await ended).code).toBe(0);
    expect(readFileSync(job.exit, "utf8")).toBe("0\n");
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
