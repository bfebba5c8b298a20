import {
  DURATION_FORM,
  type Environment,
  MEMORY_FORM,
  nameProblem,
  type OutputDestination,
  parseDuration,
  parseMemory,
  type Resources,
  type RetryPolicy,
  relativePathProblem,
} from "@canal/ir";
import { Node } from "ts-morph";
import { readEnvironment } from "./env.js";
import { constDeclaration, evaluateLiteral, propertyName, propertyValue, unwrap } from "./literal.js";
import { type CheckedPath, checkPath } from "./paths.js";
import type { Reporter } from "./report.js";

/** A path option as written and where it resolved. */
export interface PathOption extends CheckedPath {
  written: string;
  node: Node;
}

export interface StepOptionValues {
  name?: string;
  description?: string;
  environment?: Environment;
  compute?: string;
  resources?: Resources;
  retry?: RetryPolicy;
  timeoutMs?: number;
  noReuse?: boolean;
  hashPaths: PathOption[];
  after: Array<{ name: string; node: Node }>;
  /** Variables of the run's environment the step reads, sorted, each once. */
  passEnv?: string[];
  source?: PathOption;
  run?: { command: string; node: Node };
}

export interface PipelineOptionValues {
  name?: string;
  description?: string;
  /** Output destinations by pipeline output name, with the node each was written at. */
  outputs?: Map<string, { destination: OutputDestination; node: Node }>;
}

const stepKeys = [
  "name",
  "description",
  "env",
  "compute",
  "resources",
  "retries",
  "timeout",
  "reuse",
  "hashPaths",
  "after",
  "passEnv",
];
const scriptKeys = [...stepKeys, "source", "run"];
const pipelineKeys = ["name", "description", "outputs"];
const resourceKeys = ["cpu", "memory", "gpu", "gpuType"];

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const nameForm = "a string of letters, digits, '_', '.' or '-' starting with a letter or '_'";

const isCount = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 0;

/** The object literal holding options: written in place, or a module-level const. */
function optionsObject(node: Node): Node | undefined {
  let current = unwrap(node);
  for (let depth = 0; depth < 8 && Node.isIdentifier(current); depth++) {
    const initializer = constDeclaration(current)?.getInitializer();
    if (!initializer) return undefined;
    current = unwrap(initializer);
  }
  return Node.isObjectLiteralExpression(current) ? current : undefined;
}

type Property = { name: string; value: Node; property: Node };

function properties(reporter: Reporter, node: Node, subject: string, keys: string[]): Property[] | undefined {
  const object = optionsObject(node);
  if (!object || !Node.isObjectLiteralExpression(object)) {
    reporter.error(
      "CANAL1011",
      node,
      `${subject} options must be an object literal, or a module-level const holding one`,
      'write the options in place: { retries: 2, timeout: "1h" }',
    );
    return undefined;
  }
  const found: Property[] = [];
  for (const property of object.getProperties()) {
    const name = propertyName(property);
    const value = propertyValue(property);
    if (name === undefined || !value) {
      reporter.error(
        "CANAL1011",
        property,
        `${subject} options must be plain \`key: value\` properties; \`${property.getText()}\` is not`,
        "write each option as key: literal",
      );
    } else if (!keys.includes(name)) {
      reporter.error(
        "CANAL1011",
        property,
        `${subject} has an unknown option \`${name}\`; the options are ${keys.join(", ")}`,
        `remove \`${name}\` or use one of ${keys.join(", ")}`,
      );
    } else {
      found.push({ name, value, property });
    }
  }
  return found;
}

/** Reads `@pipeline({...})` options. */
export function readPipelineOptions(
  reporter: Reporter,
  node: Node | undefined,
  subject: string,
): PipelineOptionValues {
  const values: PipelineOptionValues = {};
  if (!node) return values;
  for (const { name, value } of properties(reporter, node, subject, pipelineKeys) ?? []) {
    if (name === "outputs") {
      values.outputs = readOutputDestinations(reporter, value, subject);
      continue;
    }
    const evaluated = evaluateLiteral(value);
    const text = evaluated.ok ? evaluated.value : undefined;
    const valid = typeof text === "string" && (name !== "name" || NAME.test(text));
    if (!valid) {
      const form = name === "name" ? nameForm : "a string literal";
      reporter.error(
        "CANAL1011",
        value,
        `${subject} option \`${name}\` must be ${form}`,
        `write ${name}: "..." with ${form}`,
      );
    } else if (name === "name") values.name = text;
    else values.description = text;
  }
  return values;
}

const DESTINATION = /^([A-Za-z][A-Za-z0-9_-]+):(.+)$/s;

/** `outputs: { best: { to: "lake:models/{run}/", register: "wine-model" } }`, each entry checked. */
function readOutputDestinations(
  reporter: Reporter,
  node: Node,
  subject: string,
): Map<string, { destination: OutputDestination; node: Node }> {
  const found = new Map<string, { destination: OutputDestination; node: Node }>();
  const evaluated = evaluateLiteral(node);
  const entries =
    evaluated.ok &&
    evaluated.value !== null &&
    typeof evaluated.value === "object" &&
    !Array.isArray(evaluated.value)
      ? Object.entries(evaluated.value as Record<string, unknown>)
      : undefined;
  const form = '{ best: { to: "lake:models/{run}/", register: "wine-model" } }';
  if (!entries) {
    reporter.error(
      "CANAL1011",
      node,
      `${subject} option \`outputs\` must be an object literal`,
      `write outputs: ${form}`,
    );
    return found;
  }
  for (const [output, entry] of entries) {
    const given = entry as { to?: unknown; register?: unknown } | null;
    const keys = given && typeof given === "object" ? Object.keys(given) : [];
    const to = typeof given?.to === "string" ? DESTINATION.exec(given.to) : null;
    const path = to?.[2] ?? "";
    const problem = to ? relativePathProblem(path.replaceAll("{run}", "run").replace(/\/$/, "")) : undefined;
    const placeholder = /\{(?!run\})[^}]*\}/.exec(path)?.[0];
    const register = given?.register;
    const registerProblem =
      register === undefined
        ? undefined
        : typeof register === "string"
          ? nameProblem(register)
          : "is not a string";
    const unknown = keys.find((k) => k !== "to" && k !== "register");
    const message = unknown
      ? `has an unknown key \`${unknown}\`; the keys are to, register`
      : !to
        ? `needs \`to: "DATASTORE:PATH"\`, a datastore and a path in it`
        : problem
          ? `names the path \`${path}\`, which ${problem}`
          : placeholder
            ? `has the placeholder ${placeholder}; the only one is {run}, the run's id`
            : registerProblem
              ? `registers the dataset ${JSON.stringify(register)}, which ${registerProblem}`
              : undefined;
    if (message) {
      reporter.error(
        "CANAL1011",
        node,
        `${subject} option \`outputs.${output}\` ${message}`,
        `write outputs: ${form}`,
      );
      continue;
    }
    const destination: OutputDestination = { datastore: to?.[1] as string, path };
    if (typeof register === "string") destination.register = register;
    found.set(output, { destination, node });
  }
  return found;
}

/**
 * Reads a step's options from its decorator or `step.fn` argument without running anything.
 * Every option that is not a literal of an accepted form is reported; the others are kept.
 */
export function readStepOptions(
  reporter: Reporter,
  node: Node | undefined,
  subject: string,
  kind: "TYPESCRIPT" | "SCRIPT",
): StepOptionValues {
  const values: StepOptionValues = { hashPaths: [], after: [] };
  if (!node) return values;
  const keys = kind === "SCRIPT" ? scriptKeys : stepKeys;
  const found = properties(reporter, node, subject, keys);
  if (!found) return values;
  for (const { name, value } of found) readStepOption(reporter, subject, name, value, values);
  if (kind === "SCRIPT") {
    for (const required of ["source", "run"] as const) {
      if (!found.some((p) => p.name === required)) {
        reporter.error(
          "CANAL1011",
          node,
          `${subject} needs the option \`${required}\``,
          required === "source"
            ? 'add source: "./dir" (relative to this file)'
            : 'add run: "python main.py {input} {output}"',
        );
      }
    }
  }
  return values;
}

function readStepOption(
  reporter: Reporter,
  subject: string,
  name: string,
  node: Node,
  values: StepOptionValues,
): void {
  const option = `${subject} option \`${name}\``;
  if (name === "env") {
    const environment = readEnvironment(reporter, node, option);
    if (environment) values.environment = environment;
    return;
  }
  const evaluated = evaluateLiteral(node);
  const bad = (form: string, example: string) => {
    const shown = evaluated.ok ? ` is \`${JSON.stringify(evaluated.value)}\`; it` : " is not a literal; it";
    reporter.error(
      "CANAL1011",
      evaluated.ok ? node : evaluated.node,
      `${option}${shown} must be ${form}`,
      `write e.g. ${name}: ${example}`,
    );
  };
  const value = evaluated.ok ? evaluated.value : undefined;
  switch (name) {
    case "source":
      if (typeof value !== "string" || value === "")
        bad("a directory path relative to this file", '"./src/prep"');
      else {
        const checked = checkPath(reporter, value, node, option, "directory");
        if (checked) values.source = { ...checked, written: value, node };
      }
      return;
    case "run":
      if (typeof value === "string" && value.trim() !== "") values.run = { command: value, node };
      else
        bad("a command string with {placeholders} for inputs and outputs", '"python main.py {data} {model}"');
      return;
    case "name":
      if (typeof value === "string" && NAME.test(value)) {
        values.name = value;
      } else bad(nameForm, '"train-model"');
      return;
    case "description":
    case "compute":
      if (typeof value === "string") values[name] = value;
      else bad("a string literal", name === "compute" ? '"gpu"' : '"what the step does"');
      return;
    case "reuse":
      if (typeof value === "boolean") {
        if (!value) values.noReuse = true;
      } else bad("true or false", "false");
      return;
    case "timeout": {
      const ms = parseDuration(value);
      if (ms === undefined) bad(DURATION_FORM, '"30m"');
      else values.timeoutMs = ms;
      return;
    }
    case "retries":
      readRetries(value, values, bad);
      return;
    case "resources":
      readResources(reporter, subject, node, values);
      return;
    case "hashPaths":
    case "after":
      readNameList(reporter, option, name, node, values);
      return;
    case "passEnv":
      readPassEnv(reporter, option, node, values);
      return;
  }
}

const VARIABLE = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Set by Canal for every step: a step cannot take them from the run's environment. */
const CANAL_SET = new Set(["PYTHONPATH", "PYTHONUNBUFFERED"]);

function readPassEnv(reporter: Reporter, option: string, node: Node, values: StepOptionValues): void {
  const fix = 'write e.g. passEnv: ["SEED", "HF_HOME"]';
  const elements = arrayElements(node);
  if (!elements) {
    reporter.error("CANAL1011", node, `${option} must be an array of environment variable names`, fix);
    return;
  }
  const names = new Set<string>();
  for (const element of elements) {
    const evaluated = evaluateLiteral(element);
    const name = evaluated.ok && typeof evaluated.value === "string" ? evaluated.value : undefined;
    if (name === undefined || !VARIABLE.test(name)) {
      reporter.error(
        "CANAL1011",
        element,
        `${option}: \`${element.getText()}\` is not an environment variable name (letters, digits and '_', not starting with a digit)`,
        fix,
      );
    } else if (name.startsWith("CANAL_") || CANAL_SET.has(name)) {
      reporter.error(
        "CANAL1011",
        element,
        `${option}: ${name} is set by Canal for every step and cannot be taken from the run's environment`,
        name.startsWith("CANAL_")
          ? "remove it from passEnv: CANAL_* names are Canal's own; give your variable another name"
          : "remove it from passEnv; to add to the Python path, ship the code in the step's source or environment",
      );
    } else names.add(name);
  }
  if (names.size) values.passEnv = [...names].sort();
}

/** The elements of an array literal written in place or held by a module-level const. */
function arrayElements(node: Node): Node[] | undefined {
  let current = unwrap(node);
  for (let depth = 0; depth < 8 && Node.isIdentifier(current); depth++) {
    const initializer = constDeclaration(current)?.getInitializer();
    if (!initializer) return undefined;
    current = unwrap(initializer);
  }
  return Node.isArrayLiteralExpression(current) ? current.getElements() : undefined;
}

function readNameList(
  reporter: Reporter,
  option: string,
  name: "hashPaths" | "after",
  node: Node,
  values: StepOptionValues,
): void {
  const form = name === "after" ? "an array of step names" : "an array of paths relative to this file";
  const example = name === "after" ? '["prepare"]' : '["./config.yaml"]';
  const elements = arrayElements(node);
  if (!elements) {
    reporter.error("CANAL1011", node, `${option} must be ${form}`, `write e.g. ${name}: ${example}`);
    return;
  }
  for (const element of elements) {
    const evaluated = evaluateLiteral(element);
    if (!evaluated.ok || typeof evaluated.value !== "string" || evaluated.value === "") {
      reporter.error(
        "CANAL1011",
        element,
        `${option} must be ${form}; \`${element.getText()}\` is not a string literal`,
        `write e.g. ${name}: ${example}`,
      );
      continue;
    }
    if (name === "after") {
      values.after.push({ name: evaluated.value, node: element });
    } else {
      const checked = checkPath(reporter, evaluated.value, element, option);
      if (checked) values.hashPaths.push({ ...checked, written: evaluated.value, node: element });
    }
  }
}

function readResources(reporter: Reporter, subject: string, node: Node, values: StepOptionValues): void {
  const option = `${subject} option \`resources\``;
  const found = properties(reporter, node, option, resourceKeys);
  if (!found) return;
  const resources: Resources = {};
  for (const { name, value: valueNode } of found) {
    const evaluated = evaluateLiteral(valueNode);
    const value = evaluated.ok ? evaluated.value : undefined;
    const bad = (form: string, example: string) =>
      reporter.error(
        "CANAL1011",
        valueNode,
        `${option} \`${name}\` must be ${form}`,
        `write e.g. ${name}: ${example}`,
      );
    if (name === "cpu") {
      if (typeof value === "number" && value > 0) resources.cpu = value;
      else bad("a positive number of cores", "2");
    } else if (name === "memory") {
      const bytes = parseMemory(value);
      if (bytes === undefined) bad(MEMORY_FORM, '"8Gi"');
      else resources.memoryBytes = bytes;
    } else if (name === "gpu") {
      if (isCount(value)) resources.gpu = value;
      else bad("a non-negative integer", "1");
    } else if (typeof value === "string" && value !== "") {
      resources.gpuType = value;
    } else bad("a string literal", '"a100"');
  }
  if (Object.keys(resources).length > 0) values.resources = resources;
}

function readRetries(
  value: unknown,
  values: StepOptionValues,
  bad: (form: string, example: string) => void,
): void {
  const form = "a non-negative integer, or { max: integer, backoff?: duration }";
  if (isCount(value)) {
    values.retry = { maxRetries: value };
    return;
  }
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    const backoff = record.backoff === undefined ? undefined : parseDuration(record.backoff);
    const known = Object.keys(record).every((k) => k === "max" || k === "backoff");
    if (known && isCount(record.max) && (record.backoff === undefined || backoff !== undefined)) {
      values.retry =
        backoff === undefined ? { maxRetries: record.max } : { maxRetries: record.max, backoffMs: backoff };
      return;
    }
  }
  bad(form, '{ max: 3, backoff: "30s" }');
}
