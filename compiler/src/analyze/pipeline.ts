import type { Environment, Pipeline, Step } from "@canal/ir";
import { IR_VERSION } from "@canal/ir";
import type { PipelineModel, StepDefinition } from "../model.js";
import { BodyReader } from "./body.js";
import type { StepCall } from "./calls.js";
import type { Exports, PipelineDeclaration } from "./find.js";
import { cycles, stepGraph, topologicalOrder } from "./graph.js";
import { readParameters } from "./parameters.js";
import { readPipelineOptions } from "./pipeline-options.js";
import { type Reporter, relativePath } from "./report.js";
import type { StepCatalog } from "./steps.js";

/** The runtime version that first understands IR version 1. */
const MIN_RUNTIME_VERSION = "0.1.0";

/** "IrisTraining" -> "iris-training", "HTTPJobs" -> "http-jobs". */
export function kebabCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1-$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1-$2")
    .replace(/[_\s]+/g, "-")
    .toLowerCase();
}

/** `after: ["prepare"]` -> the ids of every call of the step named prepare in this pipeline. */
function resolveAfter(reporter: Reporter, calls: StepCall[], pipelineName: string): void {
  const names = [...new Set(calls.map((c) => c.info.definition.name))];
  for (const call of calls) {
    const after: string[] = [];
    for (const entry of call.info.options.after) {
      const ids = calls.filter((c) => c.info.definition.name === entry.name).map((c) => c.id);
      if (ids.length === 0) {
        reporter.error(
          "CANAL1015",
          entry.node,
          `step \`${call.info.definition.name}\` option \`after\` names \`${entry.name}\`, which is not a step of pipeline \`${pipelineName}\`; its steps are ${names.map((n) => `\`${n}\``).join(", ")}`,
          "name a step this pipeline calls (its `name` option, or its method or variable name)",
        );
      }
      for (const id of ids) if (!after.includes(id)) after.push(id);
    }
    if (after.length > 0) call.step.after = after;
  }
}

/** Reads one `@pipeline` method into a model; undefined when anything about it is an error. */
export function readPipeline(
  reporter: Reporter,
  exports: Exports,
  catalog: StepCatalog,
  declaration: PipelineDeclaration,
  projectRoot: string,
): PipelineModel | undefined {
  const before = reporter.count;
  const { method, classDeclaration } = declaration;
  const className = classDeclaration.getName() ?? "default";
  const options = readPipelineOptions(
    reporter,
    declaration.options,
    `@pipeline of \`${className}.${method.getName()}\``,
  );
  const name = options.name ?? kebabCase(className);
  const exportName = exports.nameOf(
    classDeclaration,
    `class \`${className}\`, which holds pipeline \`${name}\`,`,
  );
  const parameters = readParameters(reporter, method, name);
  const body = new BodyReader(reporter, catalog, name, parameters.types).read(method);
  resolveAfter(reporter, body.calls, name);

  const steps = body.calls.map((c) => c.step);
  const ids = steps.map((s) => s.id);
  const graph = stepGraph(steps);
  for (const cycle of cycles(graph, ids)) {
    const first = body.calls.find((c) => c.id === cycle[0]);
    if (!first) continue;
    const chain = [...cycle, cycle[0]].map((id) => `\`${id}\``).join(" → ");
    reporter.error(
      "CANAL1006",
      first.node,
      `steps ${chain} form a cycle in pipeline \`${name}\`; no order can run them`,
      "remove an `after` entry (or a data dependency) so that no step waits for itself",
    );
  }
  const failed = reporter.count > before || exportName === undefined || body.calls.some((c) => c.info.failed);
  if (failed) return undefined;

  const byId = new Map(body.calls.map((c) => [c.id, c]));
  const ordered = topologicalOrder(graph, ids).map((id) => (byId.get(id) as StepCall).step);
  const environments = new Map<string, Environment>();
  const stepDefinitions = new Map<string, StepDefinition>();
  for (const call of body.calls) {
    environments.set(call.info.environment.id, call.info.environment);
    stepDefinitions.set(call.id, call.info.definition);
  }
  const sortedEnvironments = [...environments.values()].sort((a, b) =>
    a.id < b.id ? -1 : a.id > b.id ? 1 : 0,
  );
  const description = options.description ?? method.getJsDocs()[0]?.getDescription().trim();
  const pipeline: Pipeline = {
    irVersion: IR_VERSION,
    minRuntimeVersion: MIN_RUNTIME_VERSION,
    name,
    parameters: parameters.parameters,
    steps: ordered as Step[],
    environments: sortedEnvironments,
    blobs: [],
    source: { entry: relativePath(projectRoot, method.getSourceFile().getFilePath()) },
    compilerVersion: "",
    hash: "",
  };
  if (description) pipeline.description = description;
  if (body.fanOuts.length > 0) pipeline.fanOuts = body.fanOuts;
  if (body.outputs.length > 0) pipeline.outputs = body.outputs;
  for (const [output, { destination, node }] of options.outputs ?? []) {
    const target = pipeline.outputs?.find((o) => o.name === output);
    if (!target) {
      const names = (pipeline.outputs ?? []).map((o) => o.name);
      reporter.error(
        "CANAL1011",
        node,
        `pipeline \`${name}\` option \`outputs\` names \`${output}\`, which the pipeline does not return; its outputs are ${names.join(", ") || "none"}`,
        "name one of the outputs the pipeline method returns",
      );
      return undefined;
    }
    target.destination = destination;
  }
  return {
    pipeline,
    stepDefinitions,
    environments: new Map(sortedEnvironments.map((e) => [e.id, e])),
    datasetDefaults: parameters.datasetDefaults,
    entryFile: method.getSourceFile().getFilePath(),
    node: classDeclaration,
  };
}
