import { describe, expect, it } from "vitest";
import { slurmEnvironment } from "./slurm-environment.js";

describe("the Slurm commands' environment", () => {
  const shell = {
    PATH: "/opt/slurm/bin:/usr/bin",
    HOME: "/home/ada",
    USER: "ada",
    LOGNAME: "ada",
    SHELL: "/bin/bash",
    TMPDIR: "/scratch/tmp",
    TERM: "xterm",
    LANG: "de_DE.UTF-8",
    LC_TIME: "de_DE.UTF-8",
    TZ: "Europe/Berlin",
    SLURM_CONF: "/etc/slurm/cluster.conf",
    SLURM_CLUSTERS: "alpha",
    SBATCH_PARTITION: "gpu",
    AWS_ACCESS_KEY_ID: "AKIAEXAMPLE",
    AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI",
    GITHUB_TOKEN: "ghp_example",
    PGPASSWORD: "hunter2",
    CANAL_S3_SECRET_KEY: "canal-secret",
    HF_TOKEN: "hf_example",
    SQUEUE_FORMAT: "%all",
    CUDA_VISIBLE_DEVICES: "0,1",
    ROCR_VISIBLE_DEVICES: "0",
    GPU_DEVICE_ORDINAL: "0",
    NOT_SET: undefined,
  };

  it("keeps Slurm's settings, the locale and where things are", () => {
    expect(slurmEnvironment(shell)).toEqual({
      PATH: "/opt/slurm/bin:/usr/bin",
      HOME: "/home/ada",
      USER: "ada",
      LOGNAME: "ada",
      SHELL: "/bin/bash",
      TMPDIR: "/scratch/tmp",
      TERM: "xterm",
      LANG: "de_DE.UTF-8",
      LC_TIME: "de_DE.UTF-8",
      TZ: "Europe/Berlin",
      SLURM_CONF: "/etc/slurm/cluster.conf",
      SLURM_CLUSTERS: "alpha",
      SBATCH_PARTITION: "gpu",
    });
  });

  it("leaves out credentials, the device assignment and other commands' settings", () => {
    const kept = Object.keys(slurmEnvironment(shell));
    for (const name of [
      "AWS_ACCESS_KEY_ID",
      "AWS_SECRET_ACCESS_KEY",
      "GITHUB_TOKEN",
      "PGPASSWORD",
      "CANAL_S3_SECRET_KEY",
      "HF_TOKEN",
      "SQUEUE_FORMAT",
      "CUDA_VISIBLE_DEVICES",
      "ROCR_VISIBLE_DEVICES",
      "GPU_DEVICE_ORDINAL",
      "NOT_SET",
    ])
      expect(kept).not.toContain(name);
  });

  it("matches whole prefixes only", () => {
    expect(slurmEnvironment({ SLURMY_TOKEN: "x", MY_SLURM_CONF: "x", SBATCHX: "x", PATHS: "x" })).toEqual({});
  });
});
