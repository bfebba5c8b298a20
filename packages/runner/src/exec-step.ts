import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { type Binding, canonicalJson, didYouMean, type Pipeline, readArtifact } from "@canal/ir";
import {
  type AttemptHooks,
  type AttemptResult,
  artifactBlobPath,
  type BindingOrigin,
  type BindingPlan,
  bindingOrigin,
  declaredValues,
  instancesByStep,
  isArtifactType,
  materializeSnapshot,
  outputField,
  outputTargets,
  outputType,
  PlanError,
  parseParameterArgs,
  planInstances,
  type Runtime,
  resolveParameters,
  type StepInstance,
  type StepTask,
  type TaskInput,
  type TaskOutput,
  tableInputProblem,
} from "@canal/runtime-core";
import { ExecError } from "./errors.js";

/**
 * One step instance run on its own, with no orchestrator and no store: what a Kubernetes Job or an
 * Argo task runs (`canal exec`). Steps hand each other their outputs through a run directory every
 * instance sees (a shared volume):
 *
 *   <data>/<instance>/outputs/<output>   an artifact (file or directory) or a value (JSON)
 *   <data>/<instance>/done               written last, once every output is in place
 *
 * `<instance>` is the step id, or "train[2]" for an iteration of a fan-out.
 */
export interface ExecStepOptions {
  artifactDir: string;
  /** The step id. */
  step: string;
  /** Which iteration of the step's fan-out. */
  index?: number;
  /** Or the iteration's item as text (Argo's `{{item}}`): the first iteration with that item. */
  item?: string;
  /** The run directory. */
  dataDir: string;
  /** Parameter values as text, by name (`-p name=value`), read by each parameter's type. */
  parameters: Record<string, string>;
  runtime: Runtime;
  hooks: AttemptHooks;
}

const outputPath = (dataDir: string, key: string, output: string) => join(dataDir, key, "outputs", output);

function findInstance(pipeline: Pipeline, instances: StepInstance[], options: ExecStepOptions): StepInstance {
  const mine = instances.filter((i) => i.step.id === options.step);
  if (mine.length === 0) {
    const known = pipeline.steps.map((s) => s.id).join(", ");
    throw new ExecError(
      pipeline.steps.some((s) => s.id === options.step)
        ? `step \`${options.step}\` does not run for these parameters (its conditions do not hold)`
        : `pipeline ${pipeline.name} has no step \`${options.step}\`; its steps are ${known}${didYouMean(
            options.step,
            pipeline.steps.map((s) => s.id),
          )}`,
    );
  }
  if (!mine[0]?.step.fanOut) return mine[0] as StepInstance;
  if (options.index !== undefined) {
    const found = mine.find((i) => i.index === options.index);
    if (!found)
      throw new ExecError(
        `step \`${options.step}\` has ${mine.length} iterations; --index ${options.index} is none of them`,
      );
    return found;
  }
  if (options.item !== undefined) {
    const text = options.item;
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {}
    // Argo writes a string item bare and anything else as JSON.
    const found = mine.find((i) => i.item === text || canonicalJson(i.item) === canonicalJson(parsed));
    if (!found)
      throw new ExecError(`step \`${options.step}\` has no iteration over the item ${options.item}`);
    return found;
  }
  throw new ExecError(
    `step \`${options.step}\` fans out: say which iteration with --index N or --item VALUE`,
  );
}

/**
 * A step output a downstream input reads: an artifact path, or the value in its JSON file (the
 * field the binding names, as `canal run` reads it).
 */
function upstreamInput(
  pipeline: Pipeline,
  dataDir: string,
  origin: Extract<BindingOrigin, { kind: "output" }>,
  key: string,
): TaskInput {
  const { step, output } = origin;
  const file = outputPath(dataDir, key, output);
  if (!existsSync(join(dataDir, key, "done"))) {
    throw new ExecError(
      `step ${key} has not finished in ${dataDir}: run it first (its output \`${output}\` is missing)`,
    );
  }
  const type = outputType(pipeline.steps, step, output);
  if (type && isArtifactType(type))
    return { kind: "artifact", path: file, directory: statSync(file).isDirectory() };
  return { kind: "value", value: outputField(JSON.parse(readFileSync(file, "utf8")), { ...origin, key }) };
}

/** Runs one step instance; its outputs land in the run directory. */
export async function execStep(options: ExecStepOptions): Promise<AttemptResult> {
  const artifactDir = resolve(options.artifactDir);
  const dataDir = resolve(options.dataDir);
  const pipeline = readArtifact(artifactDir).pipeline;
  // Read by each parameter's type, as `canal run` reads them.
  const pairs = Object.entries(options.parameters).map(([name, text]) => `${name}=${text}`);
  const { values, artifacts } = resolveParameters(pipeline, parseParameterArgs(pairs, pipeline));
  let instances: StepInstance[];
  try {
    instances = planInstances(pipeline, values).instances;
  } catch (error) {
    if (error instanceof PlanError) throw new ExecError(error.message);
    throw error;
  }
  const instance = findInstance(pipeline, instances, options);
  const { step } = instance;
  const instanceDir = join(dataDir, instance.key);
  rmSync(instanceDir, { recursive: true, force: true });
  mkdirSync(join(instanceDir, "outputs"), { recursive: true });

  // The same bindings as `canal run`: a parameter is a value when it has one, else an artifact.
  const plan: BindingPlan = {
    byStep: instancesByStep(instances),
    parameters: values,
    isArtifactParameter: (name) => !(name in values),
  };
  const artifactParameter = (name: string): TaskInput => {
    const given = artifacts[name];
    if (!given || "digest" in given || "data" in given)
      throw new ExecError(`parameter \`${name}\` needs a path: pass -p ${name}=PATH`);
    if ("path" in given) {
      const path = resolve(given.path);
      return { kind: "artifact", path, directory: statSync(path).isDirectory() };
    }
    // The step's own copy, as every input is: a step that changes it must not change the artifact.
    const path = join(dataDir, "parameters", name);
    if (!given.directory) {
      // Under its own name, as on every runtime (`parameters/raw/wine.csv`); checked when the
      // artifact was loaded.
      const file = given.name ? join(path, given.name) : path;
      if (!existsSync(file)) {
        mkdirSync(dirname(file), { recursive: true });
        copyFileSync(artifactBlobPath(artifactDir, given.blob), file);
        chmodSync(file, 0o644);
      }
      return { kind: "artifact", path: file, directory: false };
    }
    if (!existsSync(path)) materializeSnapshot(artifactDir, given.blob, path);
    return { kind: "artifact", path, directory: true };
  };
  const inputFor = (binding: Binding): TaskInput | undefined => {
    const origin = bindingOrigin(binding, instance, plan);
    switch (origin.kind) {
      case "output":
        return origin.key === undefined ? undefined : upstreamInput(pipeline, dataDir, origin, origin.key);
      case "collect": {
        const each = origin.keys.map((key) =>
          upstreamInput(
            pipeline,
            dataDir,
            { kind: "output", step: origin.step, key, output: origin.output },
            key,
          ),
        );
        if (each.every((i) => i.kind === "artifact"))
          return { kind: "artifacts", paths: each.map((i) => i.path) };
        return { kind: "value", value: each.map((i) => (i.kind === "value" ? i.value : undefined)) };
      }
      case "artifact-parameter":
        return artifactParameter(origin.name);
      case "value":
        return { kind: "value", value: origin.value };
      case "none":
        return undefined;
    }
  };
  const inputs: Record<string, TaskInput> = {};
  try {
    for (const input of step.inputs) {
      const value = inputFor(input.binding);
      if (value) inputs[input.name] = value;
      else if (!input.optional)
        throw new ExecError(`step ${instance.key}: input \`${input.name}\` has no value`);
    }
  } catch (error) {
    if (error instanceof PlanError) throw new ExecError(error.message);
    throw error;
  }
  const outputs = outputTargets(step, (name) => outputPath(dataDir, instance.key, name));
  const task: StepTask = {
    runId: basename(dataDir),
    stepKey: instance.key,
    attempt: 1,
    artifactDir,
    step,
    environment: pipeline.environments?.find((e) => e.id === step.environment),
    inputs,
    outputs,
    workDir: join(instanceDir, "work"),
    metricsFile: join(instanceDir, "metrics.jsonl"),
    // A Kubernetes Job or Argo task gets the step's declared variables in its own environment.
    variables: declaredValues(step, process.env),
  };
  mkdirSync(task.workDir, { recursive: true });
  // As under `canal run`: a table without a declared column fails before the command starts.
  const tableProblem = await tableInputProblem(instance.key, step, inputs);
  if (tableProblem) return { status: "failed", error: tableProblem, retryable: false };
  const result = await options.runtime.execute(task, options.hooks);
  if (result.status !== "succeeded") return result;
  for (const output of step.outputs) {
    const target = outputs[output.name] as TaskOutput;
    if (target.kind === "value") {
      if (output.name in result.values) writeFileSync(target.path, canonicalJson(result.values[output.name]));
      continue;
    }
    const returned = result.returned[output.name];
    if (returned && resolve(returned) !== target.path) {
      rmSync(target.path, { recursive: true, force: true });
      cpSync(returned, target.path, { recursive: true });
    }
    if (!existsSync(target.path)) {
      return {
        status: "failed",
        error: `step ${instance.key} wrote no output \`${output.name}\` (expected at ${target.path})`,
        retryable: false,
      };
    }
  }
  writeFileSync(join(instanceDir, "done"), `${instance.key}\n`);
  return result;
}
