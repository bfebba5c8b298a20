import {
  type Condition,
  canonicalJson,
  type Parameter,
  type Pipeline,
  pipelineEdges,
  type Step,
} from "@canal/ir";
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
  valueParameters,
  volume,
} from "./common.js";
import { ExportError } from "./errors.js";

export interface ArgoExport {
  workflow: Record<string, unknown>;
  notes: string[];
}

/** Argo names tasks and templates with letters, digits and '-'. */
function taskName(stepId: string): string {
  return stepId.replace(/[^A-Za-z0-9-]/g, "-");
}

/** A parameter value as Argo carries it: text, JSON for anything but a string. */
function parameterText(value: unknown): string {
  return typeof value === "string" ? value : canonicalJson(value);
}

function workflowParameter(parameter: Parameter, given: Record<string, unknown>): Record<string, unknown> {
  const value =
    parameter.name in given
      ? parameterText(given[parameter.name])
      : parameter.hasDefault
        ? parameterText(JSON.parse(parameter.defaultJson ?? "null"))
        : undefined;
  return {
    name: parameter.name,
    ...(value !== undefined ? { value } : {}),
    ...(parameter.description ? { description: parameter.description } : {}),
  };
}

/** `{{workflow.parameters.cfg}}`, or a JSONPath into it for `cfg.model.lrs`. */
function parameterReference(name: string, path: string[] | undefined): string {
  if (!path?.length) return `{{workflow.parameters.${name}}}`;
  return `{{=jsonpath(workflow.parameters['${name}'], '$.${path.join(".")}')}}`;
}

/** A step's conditions as an Argo `when` expression (govaluate), typed from the parameter. */
function whenExpression(pipeline: Pipeline, step: Step): string | undefined {
  const conditions = step.conditions ?? [];
  if (conditions.length === 0) return undefined;
  return conditions.map((c) => conditionExpression(pipeline, step, c)).join(" && ");
}

function conditionExpression(pipeline: Pipeline, step: Step, condition: Condition): string {
  const parameter = pipeline.parameters.find((p) => p.name === condition.parameter);
  const type = parameter?.type;
  const primitive =
    type && "primitive" in type ? type.primitive : type && "enum" in type ? "ENUM" : undefined;
  if (condition.path?.length || !primitive) {
    throw new ExportError(
      `step \`${step.id}\` runs only when \`${condition.parameter}${condition.path?.length ? `.${condition.path.join(".")}` : ""}\` holds, ` +
        "which an Argo `when` cannot test; export Kubernetes Jobs instead (conditions are decided at export time there), " +
        "or make the condition test a number, string or boolean parameter",
    );
  }
  const quoted = primitive === "STRING" || primitive === "ENUM";
  const reference = quoted
    ? `'{{workflow.parameters.${condition.parameter}}}'`
    : `{{workflow.parameters.${condition.parameter}}}`;
  const literal = (json: string | undefined) => {
    const value = JSON.parse(json ?? "null") as unknown;
    return typeof value === "string" ? `'${value.replace(/'/g, "\\'")}'` : String(value);
  };
  const truthy = primitive === "BOOLEAN" ? "true" : quoted ? "''" : "0";
  switch (condition.op) {
    case "TRUTHY":
      return primitive === "BOOLEAN" ? `${reference} == true` : `${reference} != ${truthy}`;
    case "FALSY":
      return primitive === "BOOLEAN" ? `${reference} == false` : `${reference} == ${truthy}`;
    default: {
      const ops = { EQ: "==", NE: "!=", LT: "<", LE: "<=", GT: ">", GE: ">=" } as const;
      return `${reference} ${ops[condition.op]} ${literal(condition.valueJson)}`;
    }
  }
}

/**
 * One argoproj.io/v1alpha1 Workflow: a DAG template whose tasks are the steps (dependencies from
 * the IR's edges; a fan-out as `withParam` over a parameter or `withItems` over a literal; a
 * condition as `when`), and one container template per step with its retries (`retryStrategy`),
 * timeout (`activeDeadlineSeconds`, per attempt), resources, GPU placement and its inputs as
 * template parameters. Pipeline parameters become workflow parameters, so `argo submit -p` sets
 * them per run.
 *
 * Steps pass artifacts through the shared volume rather than Argo artifacts: Argo cannot hand a
 * fan-in step the outputs of every iteration of a fanned-out task, and the volume needs no
 * artifact repository configured in the cluster.
 */
export function argoWorkflow(pipeline: Pipeline, options: ExportOptions = {}): ArgoExport {
  const settings = settingsOf(pipeline, options);
  const given = options.parameters ?? {};
  const known = new Set(pipeline.parameters.map((p) => p.name));
  for (const name of Object.keys(given)) {
    if (!known.has(name)) {
      throw new ExportError(
        `pipeline ${pipeline.name} has no parameter \`${name}\`; its parameters are ${[...known].join(", ") || "none"}`,
      );
    }
  }
  const parameters = valueParameters(pipeline);
  const upstream = new Map<string, Set<string>>();
  for (const edge of pipelineEdges(pipeline)) {
    upstream.set(edge.to, (upstream.get(edge.to) ?? new Set()).add(edge.from));
  }
  const fanOuts = new Map((pipeline.fanOuts ?? []).map((f) => [f.id, f]));
  const tasks = pipeline.steps.map((step) => {
    const fanOut = step.fanOut ? fanOuts.get(step.fanOut) : undefined;
    const when = whenExpression(pipeline, step);
    const dependencies = [...(upstream.get(step.id) ?? [])].map(taskName).sort();
    const args = parameters.map((p) => ({ name: p.name, value: `{{workflow.parameters.${p.name}}}` }));
    if (fanOut) args.push({ name: "item", value: "{{item}}" });
    return {
      name: taskName(step.id),
      template: taskName(step.id),
      ...(dependencies.length ? { dependencies } : {}),
      ...(args.length ? { arguments: { parameters: args } } : {}),
      ...(fanOut && "parameter" in fanOut
        ? { withParam: parameterReference(fanOut.parameter, fanOut.parameterPath) }
        : {}),
      ...(fanOut && "literalJson" in fanOut
        ? { withItems: JSON.parse(fanOut.literalJson) as unknown[] }
        : {}),
      ...(when ? { when } : {}),
    };
  });
  const templates = [
    { name: "pipeline", dag: { tasks } },
    ...pipeline.steps.map((step) => stepTemplate(pipeline, step, settings)),
  ];
  const { volumes } = volume(settings);
  const workflow = {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "Workflow",
    metadata: {
      generateName: `${objectName(pipeline.name, 50)}-`,
      ...(settings.namespace ? { namespace: settings.namespace } : {}),
      labels: { ...MANAGED_BY, "canal.dev/pipeline": objectName(pipeline.name) },
      annotations: { "canal.dev/pipeline-hash": pipeline.hash },
    },
    spec: {
      entrypoint: "pipeline",
      ...(parameters.length
        ? { arguments: { parameters: parameters.map((p) => workflowParameter(p, given)) } }
        : {}),
      volumes,
      templates,
    },
  };
  const namespace = settings.namespace ? ` -n ${settings.namespace}` : "";
  const notes = [
    `Canal pipeline ${pipeline.name} ${pipeline.hash}: ${pipeline.steps.length} steps as one Argo Workflow.`,
    `Before submitting: copy the artifact to ${artifactPath(pipeline)} on the volume claim ${settings.volumeClaim}.`,
    `Submit: argo submit${namespace} FILE${parameters.length ? ` [-p NAME=VALUE]... (parameters: ${parameters.map((p) => p.name).join(", ")})` : ""}`,
  ];
  return { workflow, notes };
}

function stepTemplate(pipeline: Pipeline, step: Step, settings: Settings): Record<string, unknown> {
  const parameters = valueParameters(pipeline);
  const inputs = parameters.map((p) => ({ name: p.name }));
  if (step.fanOut) inputs.push({ name: "item" });
  const resources = resourceRequirements(step);
  const variables = environmentVariables(pipeline, step, settings);
  const { volumeMounts } = volume(settings);
  const retries = step.retry?.maxRetries ?? 0;
  const command = [
    "canal",
    "exec",
    artifactPath(pipeline),
    "--step",
    step.id,
    ...(step.fanOut ? ["--item", "{{inputs.parameters.item}}"] : []),
    "--data",
    `${MOUNT}/runs/{{workflow.name}}`,
    ...parameters.flatMap((p) => ["-p", `${p.name}={{inputs.parameters.${p.name}}}`]),
  ];
  return {
    name: taskName(step.id),
    ...(inputs.length ? { inputs: { parameters: inputs } } : {}),
    metadata: { labels: { ...MANAGED_BY, "canal.dev/step": objectName(step.id) } },
    ...(retries > 0
      ? {
          retryStrategy: {
            limit: retries,
            retryPolicy: "Always",
            ...(step.retry?.backoffMs ? { backoff: { duration: `${seconds(step.retry.backoffMs)}s` } } : {}),
          },
        }
      : {}),
    ...(step.timeoutMs ? { activeDeadlineSeconds: seconds(step.timeoutMs) } : {}),
    ...gpuPlacement(step, settings),
    container: {
      // Argo names a template's container "main" itself, but the Container schema requires a name.
      name: "main",
      image: imageOf(pipeline, step, settings),
      command,
      ...(variables.length ? { env: variables } : {}),
      ...(Object.keys(resources).length ? { resources } : {}),
      volumeMounts,
    },
  };
}
