// `canal targets` without any service running: what is configured, and the cases where a target
// cannot be reached (a socket with nothing at it or nothing listening, no Slurm configuration).
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { canal } from "../canal.js";
import { makeProject, repoRoot } from "../helpers.js";

const scratch = mkdtempSync(join(tmpdir(), "canal-targets-"));
const missing = join(scratch, "missing.sock");
const silent = join(scratch, "silent.sock");

const config = {
  workspace: "targets",
  targets: {
    box: { kind: "docker", socket: missing, image: "canal/base:1", binds: ["/usr:/usr:ro"] },
    silent: { kind: "docker", socket: silent },
    gpu: {
      kind: "slurm",
      partition: "gpu",
      gres: "gpu",
      gpus: 2,
      gpuTypes: ["a100"],
      sharedDir: join(scratch, "no-shared"),
    },
  },
  profiles: { prod: { target: "box", compute: { gpu: "gpu" } } },
};

function workspace(withConfig: unknown = config): string {
  const dir = makeProject();
  writeFileSync(join(dir, "canal.config.json"), JSON.stringify(withConfig));
  return dir;
}

beforeAll(() => {
  // A socket file that nobody listens on: bound, never listening (what a dockerd that died leaves).
  execFileSync("python3", [
    "-c",
    `import socket; socket.socket(socket.AF_UNIX).bind(${JSON.stringify(silent)})`,
  ]);
  expect(existsSync(silent)).toBe(true);
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
afterEach(() => vi.unstubAllEnvs());

describe("canal targets", () => {
  it("lists every target with where it runs steps, what a step may use and the profiles that use it", async () => {
    const result = await canal(["targets"], workspace());
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(
      /^local \(local\): processes on this machine\n {2}per step: \d+ CPUs, [\d.]+Gi, no GPUs\n {2}profiles: default\n/,
    );
    expect(result.stdout).toContain(
      `box (docker): containers of the engine at ${missing}, image canal/base:1, network none, binds /usr:/usr:ro\n`,
    );
    expect(result.stdout).toContain(
      `gpu (slurm): Slurm jobs in partition gpu, shared directory ${join(scratch, "no-shared")}\n  per step: CPUs not checked, memory not checked, 2 GPUs (a100)\n  profiles: prod\n`,
    );
    const json = JSON.parse((await canal(["targets", "--json"], workspace())).stdout);
    expect(json.map((t: { name: string }) => t.name)).toEqual(["local", "box", "silent", "gpu"]);
    expect(json[3]).toMatchObject({
      kind: "slurm",
      capabilities: { gpus: 2, gpuTypes: ["a100"] },
      profiles: ["prod"],
    });
    expect(json[3].check).toBeUndefined();
  });

  it("names an unknown target and the one meant", async () => {
    const result = await canal(["targets", "bxo"], workspace());
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(
      /^canal targets: no target `bxo`; the targets are box, gpu, local, silent; did you mean `box`\?/,
    );
  });

  it("checks this machine", async () => {
    const result = await canal(["targets", "local", "--check", "--json"], workspace());
    expect(result.status).toBe(0);
    const [local] = JSON.parse(result.stdout);
    expect(local.check).toMatchObject({ ok: true, problems: [], offers: { node: process.version } });
    expect(local.check.offers.machine).toMatch(/^\d+ CPUs, [\d.]+Gi$/);
  });

  it("says a docker engine could not be connected to, why, and what to set", async () => {
    const result = await canal(["targets", "box", "--check"], workspace());
    expect(result.status).toBe(1);
    expect(result.stdout).toContain(
      `  problem: could not connect to the Docker engine at ${missing}: nothing is at ${missing} (no such file); start dockerd (it listens on /var/run/docker.sock unless started with -H unix://PATH), or set \`targets.box.socket\` in canal.config.json to the socket of the engine to use`,
    );
    expect(result.stderr).toBe(
      "canal targets: 1 target cannot run steps as configured; see the problems above\n",
    );
    const refused = JSON.parse((await canal(["targets", "silent", "--check", "--json"], workspace())).stdout);
    expect(refused[0].check.ok).toBe(false);
    expect(refused[0].check.problems).toEqual([
      expect.stringMatching(
        new RegExp(
          `^could not connect to the Docker engine at ${silent}: ${silent} exists, but no engine listens on it \\(connection refused\\); .*\`targets\\.silent\\.socket\``,
        ),
      ),
    ]);
  });

  it("fails a run on an engine that is not there at once, saying it could not connect (not that it went away)", async () => {
    const dir = makeProject({
      files: {
        "canal.config.json": JSON.stringify(config),
        "pipeline.ts": [
          'import { File, pipeline, step } from "@canal/sdk";',
          "export class Hello {",
          '  @step.script({ source: "./src", run: "echo hi > {out}" })',
          "  hello(): { out: File } { return step.declared(); }",
          '  @pipeline({ name: "hello" })',
          "  run() { return this.hello(); }",
          "}",
          "",
        ].join("\n"),
        "src/keep.txt": "",
      },
    });
    const started = Date.now();
    const result = await canal(["run", "pipeline.ts", "--target", "box"], dir);
    expect(result.status, result.stderr).toBe(1);
    expect(result.stdout).toMatch(
      new RegExp(
        `^hello: FAILED: step hello: could not connect to the Docker engine at ${missing}: nothing is at ${missing} \\(no such file\\); start dockerd`,
        "m",
      ),
    );
    expect(result.stdout).not.toMatch(/went away|retrying/);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it("says what is missing for a Slurm cluster: Slurm's commands, its configuration, the shared directory", async () => {
    vi.stubEnv("SLURM_CONF", join(scratch, "slurm.conf"));
    const result = await canal(["targets", "gpu", "--check", "--json"], workspace());
    expect(result.status).toBe(1);
    expect(JSON.parse(result.stdout)[0].check.problems).toEqual([
      `the Slurm configuration ${join(scratch, "slurm.conf")} does not exist; set \`targets.gpu.slurmConf\` (or SLURM_CONF) to the cluster's slurm.conf`,
      `\`targets.gpu.sharedDir\`: ${join(scratch, "no-shared")} is not a directory here; create it on a filesystem every node mounts at the same path`,
    ]);
    vi.unstubAllEnvs();
    vi.stubEnv("PATH", join(scratch, "no-bin"));
    const noClient = JSON.parse((await canal(["targets", "gpu", "--check", "--json"], workspace())).stdout);
    expect(noClient[0].check.problems[0]).toBe(
      "sinfo is not installed here (install slurm-client, or run on a Slurm login node); Canal submits and watches jobs with sbatch, squeue, scontrol and sinfo from this machine",
    );
  });

  it("is listed in the CLI's help", async () => {
    expect((await canal(["--help"], repoRoot)).stdout).toContain("targets [NAME]");
  });
});
