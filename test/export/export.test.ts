import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { compile, hasErrors } from "@canal/compiler";
import type { Pipeline } from "@canal/ir";
import { argoWorkflow, exportPipeline, kubernetesJobs } from "@canal/runtime-kubernetes";
import { Workflow } from "@kubernetes-models/argo-workflows/argoproj.io/v1alpha1/Workflow";
import { Job } from "kubernetes-models/batch/v1/Job";
import { beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { canal } from "../canal.js";
import { copyIris, makeProject, repoRoot } from "../helpers.js";

// The schemas: kubernetes-models ships the Kubernetes OpenAPI definitions and
// @kubernetes-models/argo-workflows the Argo Workflows ones, each compiled into ajv validators.

/** Validates one manifest against its kind's schema; returns the schema's complaints. */
function schemaProblems(manifest: Record<string, unknown>): string[] {
  try {
    if (manifest.kind === "Job") new Job(manifest as never).validate();
    else if (manifest.kind === "Workflow") new Workflow(manifest as never).validate();
    else return [`no schema for kind ${String(manifest.kind)}`];
    return [];
  } catch (error) {
    return [(error as Error).message];
  }
}

function documents(yaml: string): Record<string, unknown>[] {
  return parseAllDocuments(yaml).map((d) => d.toJSON() as Record<string, unknown>);
}

async function compiled(
  dir: string,
  entry = "pipeline.ts",
): Promise<{ pipeline: Pipeline; artifact: string }> {
  const result = await compile({ entries: [join(dir, entry)], outDir: join(dir, "build") });
  expect(hasErrors(result), JSON.stringify(result.diagnostics)).toBe(false);
  const [first] = result.pipelines;
  return { pipeline: first?.pipeline as Pipeline, artifact: first?.dir as string };
}

type Json = Record<string, any>;

let iris: { pipeline: Pipeline; artifact: string; dir: string };
let gpu: { pipeline: Pipeline; artifact: string; dir: string };
beforeAll(async () => {
  const irisDir = copyIris();
  iris = { ...(await compiled(irisDir)), dir: irisDir };
  const gpuDir = makeProject({ from: join(repoRoot, "test/targets/fixtures/gpu") });
  gpu = { ...(await compiled(gpuDir)), dir: gpuDir };
});

describe("kubernetes export", () => {
  it("the schemas catch a broken manifest", () => {
    const [job] = kubernetesJobs(gpu.pipeline).jobs as Json[];
    expect(schemaProblems(job as Json)).toEqual([]);
    const broken = structuredClone(job) as Json;
    broken.spec.backoffLimit = "two";
    delete broken.spec.template.spec.containers[0].name;
    expect(schemaProblems(broken)[0]).toMatch(
      /backoffLimit must be integer.*containers\/0 must have required property name/,
    );
    const workflow = structuredClone(argoWorkflow(gpu.pipeline).workflow) as Json;
    workflow.spec.templates[0].dag.tasks[1].dependencies = "prepare";
    expect(schemaProblems(workflow)[0]).toMatch(/dependencies must be array/);
  });

  it("writes one valid Job per step instance of the flagship, fan-outs expanded", async () => {
    const result = await canal(
      ["export", iris.artifact, "--to", "kubernetes", "--image", "registry.local/canal:1"],
      iris.dir,
    );
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const jobs = documents(result.stdout) as Json[];
    // prepare, profile, train ×4 (the default regularization), compare, score.
    expect(jobs.map((j) => j.metadata.annotations["canal.dev/instance"])).toEqual([
      "prepare",
      "profile",
      "train[0]",
      "train[1]",
      "train[2]",
      "train[3]",
      "compare",
      "score",
    ]);
    for (const job of jobs) expect(schemaProblems(job)).toEqual([]);
    const train = jobs[3] as Json;
    expect(train.metadata.labels["canal.dev/wave"]).toBe("1");
    expect(train.spec.backoffLimit).toBe(1);
    const pod = train.spec.template.spec;
    expect(pod.restartPolicy).toBe("Never");
    expect(pod.activeDeadlineSeconds).toBe(600);
    expect(pod.containers[0].image).toBe("registry.local/canal:1");
    expect(pod.containers[0].resources).toEqual({
      requests: { cpu: "1", memory: "1Gi" },
      limits: { memory: "1Gi" },
    });
    expect(pod.containers[0].command).toEqual([
      "canal",
      "exec",
      `/canal/artifacts/${iris.pipeline.hash}`,
      "--step",
      "train",
      "--index",
      "1",
      "--data",
      `/canal/runs/iris-${iris.pipeline.hash.slice(0, 8)}`,
      "-p",
      "regularization=[0.01,0.1,1,10]",
      "-p",
      "testFraction=0.3",
      "-p",
      "seed=7",
    ]);
    expect(result.stdout).toMatch(/^# Canal pipeline iris [0-9a-f]{64}: 8 Jobs in 4 waves/);

    const fewer = documents(
      exportPipeline(iris.pipeline, "kubernetes", { parameters: { regularization: [1] } }),
    );
    expect(fewer.map((j: Json) => j.metadata.annotations["canal.dev/instance"])).toContain("train[0]");
    expect(fewer).toHaveLength(5);
  });

  it("gives a GPU step nvidia.com/gpu limits, its GPU type as a node selector and its own image", () => {
    const jobs = documents(exportPipeline(gpu.pipeline, "kubernetes", { namespace: "ml" })) as Json[];
    for (const job of jobs) expect(schemaProblems(job)).toEqual([]);
    const train = jobs.filter((j) => j.metadata.labels["canal.dev/step"] === "train");
    expect(train).toHaveLength(2);
    const pod = (train[0] as Json).spec.template.spec;
    expect((train[0] as Json).metadata.namespace).toBe("ml");
    expect(pod.containers[0].resources).toEqual({
      requests: { cpu: "8", memory: "16Gi" },
      limits: { memory: "16Gi", "nvidia.com/gpu": "2" },
    });
    expect(pod.nodeSelector).toEqual({ "canal.dev/gpu-type": "a100" });
    expect(pod.tolerations).toEqual([{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }]);
    expect(pod.containers[0].image).toBe("pytorch/pytorch:2.3.0-cuda12.1-cudnn8-runtime");
    expect(pod.containers[0].env).toEqual([{ name: "OMP_NUM_THREADS", value: "8" }]);
    expect(pod.activeDeadlineSeconds).toBe(7200);
    expect((train[0] as Json).spec.backoffLimit).toBe(2);
    const pick = jobs.find((j) => j.metadata.labels["canal.dev/step"] === "pick") as Json;
    expect(pick.spec.template.spec.containers[0].resources).toBeUndefined();
    expect(pick.spec.template.spec.nodeSelector).toBeUndefined();
  });
});

describe("declared variables", () => {
  it("reads a step's passEnv from a Secret in Jobs and Workflows, never writing a value", async () => {
    const dir = makeProject({
      files: {
        "pipeline.ts": [
          'import { context, File, pipeline, step } from "@canal/sdk";',
          'import { writeFile } from "node:fs/promises";',
          "export class Tokens {",
          '  @step({ passEnv: ["EXPORT_TEST_TOKEN"] })',
          "  async use(): Promise<{ out: File }> {",
          '    const out = context().outputPath("out");',
          '    await writeFile(out, process.env.EXPORT_TEST_TOKEN ?? "");',
          "    return { out: new File(out) };",
          "  }",
          '  @pipeline({ name: "tokens" })',
          "  async run() {",
          "    return await this.use();",
          "  }",
          "}",
          "",
        ].join("\n"),
      },
    });
    const { pipeline } = await compiled(dir);
    process.env.EXPORT_TEST_TOKEN = "export-secret-value";
    try {
      const secretRef = (name: string) => ({
        name: "EXPORT_TEST_TOKEN",
        valueFrom: { secretKeyRef: { name, key: "EXPORT_TEST_TOKEN", optional: true } },
      });
      const jobsYaml = exportPipeline(pipeline, "kubernetes", {});
      expect(jobsYaml).not.toContain("export-secret-value");
      const [job] = documents(jobsYaml) as Json[];
      expect(schemaProblems(job as Json)).toEqual([]);
      expect((job as Json).spec.template.spec.containers[0].env).toEqual([secretRef("canal-env")]);
      const argoYaml = exportPipeline(pipeline, "argo", { envSecret: "team-env" });
      expect(argoYaml).not.toContain("export-secret-value");
      const [workflow] = documents(argoYaml) as Json[];
      expect(schemaProblems(workflow as Json)).toEqual([]);
      const template = (workflow as Json).spec.templates.find((t: Json) => t.container);
      expect(template.container.env).toEqual([secretRef("team-env")]);
    } finally {
      delete process.env.EXPORT_TEST_TOKEN;
    }
  });
});

describe("argo export", () => {
  it("writes one valid Workflow for the flagship: a DAG with fan-out over a parameter and fan-in", async () => {
    const out = join(iris.dir, "iris-argo.yaml");
    const result = await canal(
      ["export", iris.artifact, "--to", "argo", "--out", "iris-argo.yaml", "--namespace", "ml"],
      iris.dir,
    );
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("wrote iris-argo.yaml");
    const [workflow, ...rest] = documents(readFileSync(out, "utf8")) as Json[];
    expect(rest).toEqual([]);
    expect(schemaProblems(workflow as Json)).toEqual([]);
    const spec = (workflow as Json).spec;
    expect((workflow as Json).metadata).toMatchObject({ generateName: "iris-", namespace: "ml" });
    expect(spec.arguments.parameters).toEqual([
      { name: "regularization", value: "[0.01,0.1,1,10]" },
      { name: "testFraction", value: "0.3" },
      { name: "seed", value: "7" },
    ]);
    const tasks = spec.templates[0].dag.tasks as Json[];
    const byName = Object.fromEntries(tasks.map((t) => [t.name, t]));
    expect(Object.keys(byName)).toEqual(["prepare", "profile", "train", "compare", "score"]);
    expect(byName.train?.dependencies).toEqual(["prepare"]);
    expect(byName.train?.withParam).toBe("{{workflow.parameters.regularization}}");
    expect(byName.compare?.dependencies).toEqual(["train"]);
    expect(byName.score?.dependencies).toEqual(["compare", "prepare"]);
    const train = (spec.templates as Json[]).find((t) => t.name === "train") as Json;
    expect(train.retryStrategy).toEqual({ limit: 1, retryPolicy: "Always" });
    expect(train.activeDeadlineSeconds).toBe(600);
    expect(train.inputs.parameters.map((p: Json) => p.name)).toEqual([
      "regularization",
      "testFraction",
      "seed",
      "item",
    ]);
    expect(train.container.command).toContain("{{inputs.parameters.item}}");
    expect(train.container.resources).toEqual({
      requests: { cpu: "1", memory: "1Gi" },
      limits: { memory: "1Gi" },
    });
  });

  it("gives GPU templates their limits and node selector, and iterates a literal with withItems", () => {
    const { workflow } = argoWorkflow(gpu.pipeline, { gpuTypeLabel: "cloud.google.com/gke-accelerator" });
    expect(schemaProblems(workflow)).toEqual([]);
    const spec = (workflow as Json).spec;
    const train = (spec.templates as Json[]).find((t) => t.name === "train") as Json;
    expect(train.container.resources.limits["nvidia.com/gpu"]).toBe("2");
    expect(train.nodeSelector).toEqual({ "cloud.google.com/gke-accelerator": "a100" });
    expect(train.retryStrategy.limit).toBe(2);
    const evaluate = (spec.templates[0].dag.tasks as Json[]).find((t) => t.name === "evaluate") as Json;
    expect(evaluate.withItems).toEqual([1, 2]);
    expect(evaluate.dependencies).toEqual(["pick"]);
  });

  it("writes the same bytes for the same artifact", async () => {
    for (const format of ["kubernetes", "argo"]) {
      const first = await canal(["export", gpu.artifact, "--to", format], gpu.dir);
      const again = await canal(["export", gpu.artifact, "--to", format], gpu.dir);
      expect(first.status).toBe(0);
      expect(again.stdout).toBe(first.stdout);
    }
    // A recompile in another directory gives the same artifact, so the same manifests.
    const elsewhere = makeProject({ from: join(repoRoot, "test/targets/fixtures/gpu") });
    const recompiled = await compiled(elsewhere);
    expect(exportPipeline(recompiled.pipeline, "argo")).toBe(exportPipeline(gpu.pipeline, "argo"));
  });

  it("answers a bad format or a missing artifact with the fix", async () => {
    const bad = await canal(["export", gpu.artifact, "--to", "nomad"], gpu.dir);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("--to takes kubernetes or argo, not nomad");
    const none = await canal(["export", "nowhere", "--to", "argo"], gpu.dir);
    expect(none.status).toBe(1);
    expect(existsSync(join(gpu.dir, "nowhere"))).toBe(false);
  });
});

describe("export --json", () => {
  it("writes the same manifests as one JSON List, the notes on stderr", async () => {
    for (const to of ["kubernetes", "argo"]) {
      const yaml = await canal(["export", iris.artifact, "--to", to], iris.dir);
      const json = await canal(["export", iris.artifact, "--to", to, "--json"], iris.dir);
      expect(json.status).toBe(0);
      const list = JSON.parse(json.stdout);
      expect(list).toMatchObject({ apiVersion: "v1", kind: "List" });
      expect(list.items).toEqual(documents(yaml.stdout));
      for (const item of list.items) expect(schemaProblems(item)).toEqual([]);
      const notes = yaml.stdout.split("\n").filter((line) => line.startsWith("#"));
      expect(json.stderr.trimEnd().split("\n")).toEqual(notes);
    }
  });
});
