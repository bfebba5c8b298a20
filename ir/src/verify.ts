import { IrError } from "./errors.js";
import { environmentId, pipelineHash, stepHash } from "./hashes.js";
import {
  envNameProblem,
  fileNameProblem,
  isDigest,
  nameProblem,
  relativePathProblem,
  shownName,
} from "./names.js";
import { COLUMN_TYPES } from "./table-schema.js";
import { type Binding, DATA_ACCESS, type Pipeline, type Type } from "./types.js";

/**
 * Checks a decoded pipeline before anything trusts it: every name against the compiler's rules,
 * every reference to a step, parameter, fan-out, environment or blob against what the pipeline
 * holds, and every content hash (each environment id, each step hash, the pipeline hash)
 * recomputed with the functions the compiler wrote them with. An artifact edited after compiling
 * (a command string, an environment, a name) or damaged on disk fails here, naming the part, and
 * is never run: its recorded hashes would otherwise let it share cache entries with the genuine one.
 */
export function verifyPipeline(pipeline: Pipeline, origin = "pipeline.pb"): void {
  const fix = "recompile it with `canal compile`";
  const invalid = (what: string, value: unknown, problem: string): never => {
    throw new IrError(
      "CANAL_IR_NAME_INVALID",
      `${origin}: ${what} ${shownName(value)} ${problem}; the compiler never writes such a name, so the artifact was edited or damaged: ${fix}`,
    );
  };
  const broken = (problem: string): never => {
    throw new IrError(
      "CANAL_IR_CORRUPT",
      `${origin}: ${problem}; the artifact was edited or damaged after it was compiled: ${fix}`,
    );
  };
  const name = (what: string, value: unknown): void => {
    const problem = nameProblem(value);
    if (problem) invalid(what, value, problem);
  };

  name("the pipeline name", pipeline.name);
  const blobs = new Set<string>();
  for (const blob of pipeline.blobs ?? []) {
    if (!isDigest(blob.sha256)) invalid("blob", blob.sha256, "is not a sha256 digest");
    blobs.add(blob.sha256);
  }
  const blobRef = (what: string, digest: unknown): void => {
    if (!isDigest(digest)) invalid(what, digest, "is not a sha256 digest");
    if (!blobs.has(digest as string)) broken(`${what} ${digest} is not among the artifact's blobs`);
  };

  const parameters = unique(pipeline.parameters, (p) => p.name, "parameter", name, broken);
  for (const parameter of pipeline.parameters) {
    if (parameter.defaultArtifact?.blob)
      blobRef(`parameter \`${parameter.name}\` default`, parameter.defaultArtifact.blob);
    // The name becomes the file a step reads (`in/raw/wine.csv`): it must be one plain file name.
    const data = parameter.defaultData;
    if (data) {
      const where = `parameter \`${parameter.name}\` default`;
      if (data.dataset !== undefined) name(`${where} dataset`, data.dataset);
      if (data.datastore !== undefined) name(`${where} datastore`, data.datastore);
      if ((data.dataset === undefined) === (data.datastore === undefined))
        broken(
          `${where} names ${data.dataset === undefined ? "neither a dataset nor a datastore" : "both a dataset and a datastore"}`,
        );
      if (data.access !== undefined && !DATA_ACCESS.includes(data.access))
        invalid(`${where} access`, data.access, `is not one of ${DATA_ACCESS.join(", ")}`);
      if (data.path) {
        const problem = relativePathProblem(data.path.replace(/\/$/, ""));
        if (problem) invalid(`${where} datastore path`, data.path, problem);
      }
    }
    const fileName = parameter.defaultArtifact?.name;
    if (fileName !== undefined) {
      const problem = fileNameProblem(fileName);
      if (problem) invalid(`parameter \`${parameter.name}\` default file name`, fileName, problem);
    }
  }
  const environments = new Set<string>();
  for (const environment of pipeline.environments ?? []) {
    if (!isDigest(environment.id)) invalid("environment id", environment.id, "is not a sha256 digest");
    for (const variable of environment.variables ?? []) {
      const problem = envNameProblem(variable.name);
      if (problem) invalid(`environment ${environment.id.slice(0, 12)} variable`, variable.name, problem);
    }
    const { id, ...content } = environment;
    if (environmentId(content) !== id) broken(`environment ${id.slice(0, 12)} does not match its id`);
    environments.add(id);
  }
  const fanOuts = unique(pipeline.fanOuts ?? [], (f) => f.id, "fan-out", name, broken);
  for (const fanOut of pipeline.fanOuts ?? []) {
    name(`fan-out \`${fanOut.id}\` item`, fanOut.itemName);
    if ("parameter" in fanOut && fanOut.parameter !== undefined && !parameters.has(fanOut.parameter))
      broken(
        `fan-out \`${fanOut.id}\` reads parameter ${shownName(fanOut.parameter)}, which the pipeline lacks`,
      );
  }

  const steps = unique(pipeline.steps, (s) => s.id, "step id", name, broken);
  const outputsOf = new Map<string, Set<string>>();
  for (const step of pipeline.steps) {
    outputsOf.set(
      step.id,
      unique(step.outputs, (o) => o.name, `step \`${step.id}\` output`, name, broken),
    );
  }
  const binding = (where: string, value: Binding): void => {
    const ref = "output" in value ? value.output : "collect" in value ? value.collect : undefined;
    if (ref && !outputsOf.get(ref.step)?.has(ref.output))
      broken(
        `${where} reads ${shownName(`${ref.step}.${ref.output}`)}, which no step of the pipeline produces`,
      );
    if ("parameter" in value && value.parameter !== undefined && !parameters.has(value.parameter))
      broken(`${where} reads parameter ${shownName(value.parameter)}, which the pipeline lacks`);
    if ("fanOutItem" in value && value.fanOutItem !== undefined && !fanOuts.has(value.fanOutItem))
      broken(`${where} reads fan-out ${shownName(value.fanOutItem)}, which the pipeline lacks`);
  };
  for (const step of pipeline.steps) {
    const subject = `step \`${step.id}\``;
    name(`${subject} name`, step.name);
    unique(step.inputs, (i) => i.name, `${subject} input`, name, broken);
    for (const input of step.inputs) binding(`${subject} input \`${input.name}\``, input.binding);
    for (const input of step.inputs) tableColumns(`${subject} input \`${input.name}\``, input.type, broken);
    for (const output of step.outputs)
      tableColumns(`${subject} output \`${output.name}\``, output.type, broken);
    if (step.environment && !environments.has(step.environment))
      broken(`${subject} names environment ${shownName(step.environment)}, which the pipeline lacks`);
    if (step.fanOut && !fanOuts.has(step.fanOut))
      broken(`${subject} belongs to fan-out ${shownName(step.fanOut)}, which the pipeline lacks`);
    for (const after of step.after ?? [])
      if (!steps.has(after)) broken(`${subject} runs after ${shownName(after)}, which the pipeline lacks`);
    for (const condition of step.conditions ?? [])
      if (!parameters.has(condition.parameter))
        broken(`${subject} has a condition on ${shownName(condition.parameter)}, which the pipeline lacks`);
    if (step.code) {
      blobRef(`${subject} code bundle`, step.code.bundle);
      name(`${subject} export`, step.code.exportName);
      if (step.code.member) name(`${subject} member`, step.code.member);
    }
    if (step.script) blobRef(`${subject} source snapshot`, step.script.snapshot);
    if (
      (step.kind === "SCRIPT") !== Boolean(step.script) ||
      (step.kind === "TYPESCRIPT") !== Boolean(step.code)
    )
      broken(`${subject} is a ${step.kind} step without its ${step.kind === "SCRIPT" ? "script" : "code"}`);
    if (stepHash(step) !== step.hash) broken(`${subject} does not match its recorded hash`);
  }
  for (const output of pipeline.outputs ?? []) {
    name("pipeline output", output.name);
    const destination = output.destination;
    if (destination) {
      const where = `pipeline output \`${output.name}\` destination`;
      name(`${where} datastore`, destination.datastore);
      if (destination.register) name(`${where} dataset`, destination.register);
      const problem = relativePathProblem(destination.path.replaceAll("{run}", "run").replace(/\/$/, ""));
      if (destination.path === "" || problem)
        invalid(`${where} path`, destination.path, problem ?? "is empty");
    }
    binding(`pipeline output \`${output.name}\``, output.binding);
  }
  for (const file of pipeline.source?.files ?? []) {
    const problem = relativePathProblem(file.path);
    if (problem) invalid("source file", file.path, problem);
    if (!isDigest(file.sha256))
      invalid(`source file ${shownName(file.path)} digest`, file.sha256, "is not a sha256 digest");
  }
  if (pipelineHash(pipeline) !== pipeline.hash) broken("the pipeline does not match its recorded hash");
}

/** A declared table schema's columns: named once each, non-empty and printable, of a known type. */
function tableColumns(where: string, type: Type | undefined, broken: (problem: string) => never): void {
  if (!type) return;
  if ("list" in type) {
    tableColumns(where, type.list.element, broken);
    return;
  }
  if (!("artifact" in type) || !type.artifact.table) return;
  const seen = new Set<string>();
  for (const column of type.artifact.table.columns) {
    const name: unknown = column.name;
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
    if (typeof name !== "string" || name === "" || name.length > 1024 || /[\u0000-\u001f\u007f]/.test(name))
      broken(`${where} has a table column named ${shownName(name)}`);
    if (seen.has(name as string)) broken(`${where} has table column ${shownName(name)} twice`);
    seen.add(name as string);
    if (!(COLUMN_TYPES as readonly string[]).includes(column.type))
      broken(`${where} table column ${shownName(name)} has type ${shownName(column.type)}`);
  }
}

function unique<T>(
  items: readonly T[],
  key: (item: T) => string,
  what: string,
  name: (what: string, value: unknown) => void,
  broken: (problem: string) => never,
): Set<string> {
  const seen = new Set<string>();
  for (const item of items) {
    const value = key(item);
    name(what, value);
    if (seen.has(value)) broken(`${what} ${shownName(value)} appears twice`);
    seen.add(value);
  }
  return seen;
}
