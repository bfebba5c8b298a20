import { canonicalJson, type Pipeline, pipelineEdges } from "@canal/ir";
import { planInstances, resolveParameters, type StepInstance } from "@canal/runtime-core";
import {
  artifactPath,
  type ExportOptions,
  environmentVariables,
  gpuPlacement,
  imageOf,
  MANAGED_BY,
  MOUNT,
  objectName,
  resourceRequirements,
  type Settings,
  seconds,
  settings as settingsOf,
  volume,
} from "./common.js";

export interface JobsOptions extends ExportOptions {
  /** Names this run's Jobs and its data directory; default `<pipeline>-<hash prefix>`. */
  run?: string;
}

/** The Jobs of an export, and what a reader of the YAML must know about them. */
export interface JobsExport {
  jobs: Record<string, unknown>[];
  /** Lines for the head of the YAML: how to apply the Jobs, and what was fixed at export time. */
  notes: string[];
}

/** Each step's wave: 0 for steps needing nothing, else one more than the latest step it waits for. */
function waves(pipeline: Pipeline, running: Set<string>): Map<string, number> {
  const upstream = new Map<string, string[]>();
  for (const edge of pipelineEdges(pipeline)) {
    if (!running.has(edge.from) || !running.has(edge.to)) continue;
    upstream.set(edge.to, [...(upstream.get(edge.to) ?? []), edge.from]);
  }
  const wave = new Map<string, number>();
  // The IR lists steps in topological order, so every upstream step already has its wave.
  for (const step of pipeline.steps) {
    if (!running.has(step.id)) continue;
    const before = (upstream.get(step.id) ?? []).map((id) => wave.get(id) ?? 0);
    wave.set(step.id, before.length ? Math.max(...before) + 1 : 0);
  }
  return wave;
}

function argumentText(value: unknown): string {
  return typeof value === "string" ? value : canonicalJson(value);
}

/**
 * One batch/v1 Job per step instance. Jobs have neither loops nor dependencies, so the export
 * settles both: fan-outs are expanded over their items (literals, or the parameters' values: the
 * defaults unless given), conditions are decided on those values, and each Job is labelled with its
 * wave (`canal.dev/wave`), which the notes show how to apply in order. For a pipeline whose
 * parameters change per run, or to have the cluster do the ordering, export an Argo Workflow.
 *
 * Each Job's pod is one attempt: `backoffLimit` is the step's retries, the pod's
 * `activeDeadlineSeconds` its timeout, and the container runs `canal exec` on the artifact kept on
 * the shared volume.
 */
export function kubernetesJobs(pipeline: Pipeline, options: JobsOptions = {}): JobsExport {
  const settings = settingsOf(pipeline, options);
  const { values, artifacts } = resolveParameters(pipeline, options.parameters ?? {});
  const { instances, skipped } = planInstances(pipeline, values);
  const running = new Set(instances.map((i) => i.step.id));
  const wave = waves(pipeline, running);
  const run = objectName(options.run ?? `${pipeline.name}-${pipeline.hash.slice(0, 8)}`, 40);
  const parameterArgs: string[] = [];
  for (const parameter of pipeline.parameters) {
    const given = artifacts[parameter.name];
    if (parameter.name in values)
      parameterArgs.push("-p", `${parameter.name}=${argumentText(values[parameter.name])}`);
    else if (given && "path" in given) parameterArgs.push("-p", `${parameter.name}=${given.path}`);
  }
  const jobs = [...instances]
    .sort((a, b) => (wave.get(a.step.id) ?? 0) - (wave.get(b.step.id) ?? 0))
    .map((instance) =>
      job(pipeline, instance, settings, run, wave.get(instance.step.id) ?? 0, parameterArgs),
    );
  const lastWave = Math.max(0, ...wave.values());
  const namespace = settings.namespace ? ` -n ${settings.namespace}` : "";
  const notes = [
    `Canal pipeline ${pipeline.name} ${pipeline.hash}: ${jobs.length} Jobs in ${lastWave + 1} waves, run ${run}.`,
    `Before applying: copy the artifact to ${artifactPath(pipeline)} on the volume claim ${settings.volumeClaim}.`,
    "Apply the waves in order, each after the one before has completed:",
    `  for w in $(seq 0 ${lastWave}); do kubectl apply${namespace} -f FILE -l canal.dev/wave=$w &&`,
    `    kubectl wait${namespace} --for=condition=complete job -l canal.dev/run=${run},canal.dev/wave=$w --timeout=-1s; done`,
  ];
  const fanOuts = (pipeline.fanOuts ?? []).filter((f) => instances.some((i) => i.step.fanOut === f.id));
  for (const fanOut of fanOuts) {
    const source = "parameter" in fanOut ? `parameter ${fanOut.parameter}` : "a literal";
    const count = new Set(instances.filter((i) => i.step.fanOut === fanOut.id).map((i) => i.index)).size;
    notes.push(
      `Fan-out over ${fanOut.itemName} (${source}) expanded at export time into ${count} Jobs per step.`,
    );
  }
  if (skipped.length) {
    notes.push(
      `Left out, their conditions being false for these parameters: ${skipped.map((s) => s.id).join(", ")}.`,
    );
  }
  notes.push("Parameters were fixed at export time; export again with -p name=value to change them.");
  return { jobs, notes };
}

function job(
  pipeline: Pipeline,
  instance: StepInstance,
  settings: Settings,
  run: string,
  wave: number,
  parameterArgs: string[],
): Record<string, unknown> {
  const { step } = instance;
  const suffix = instance.index >= 0 ? `-${instance.index}` : "";
  const name = objectName(`${run}-${step.id}${suffix}`);
  const resources = resourceRequirements(step);
  const variables = environmentVariables(pipeline, step, settings);
  const { volumeMounts, volumes } = volume(settings);
  const command = [
    "canal",
    "exec",
    artifactPath(pipeline),
    "--step",
    step.id,
    ...(instance.index >= 0 ? ["--index", String(instance.index)] : []),
    "--data",
    `${MOUNT}/runs/${run}`,
    ...parameterArgs,
  ];
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name,
      ...(settings.namespace ? { namespace: settings.namespace } : {}),
      labels: {
        ...MANAGED_BY,
        "canal.dev/pipeline": objectName(pipeline.name),
        "canal.dev/run": run,
        "canal.dev/step": objectName(step.id),
        "canal.dev/wave": String(wave),
      },
      annotations: {
        "canal.dev/instance": instance.key,
        "canal.dev/step-hash": step.hash,
        "canal.dev/pipeline-hash": pipeline.hash,
      },
    },
    spec: {
      backoffLimit: step.retry?.maxRetries ?? 0,
      template: {
        metadata: { labels: { ...MANAGED_BY, "canal.dev/run": run, "canal.dev/step": objectName(step.id) } },
        spec: {
          restartPolicy: "Never",
          ...(step.timeoutMs ? { activeDeadlineSeconds: seconds(step.timeoutMs) } : {}),
          ...gpuPlacement(step, settings),
          containers: [
            {
              name: "step",
              image: imageOf(pipeline, step, settings),
              command,
              ...(variables.length ? { env: variables } : {}),
              ...(Object.keys(resources).length ? { resources } : {}),
              volumeMounts,
            },
          ],
          volumes,
        },
      },
    },
  };
}
