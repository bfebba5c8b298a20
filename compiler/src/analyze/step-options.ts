import {
  DURATION_FORM,
  type Environment,
  MEMORY_FORM,
  parseDuration,
  parseMemory,
  type Resources,
  type RetryPolicy,
} from "@canal/ir";
import { Node } from "ts-morph";
import { readEnvironment } from "./env.js";
import { constDeclaration, evaluateLiteral, unwrap } from "./literal.js";
import { NAME, nameForm, properties } from "./option-properties.js";
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
const resourceKeys = ["cpu", "memory", "gpu", "gpuType"];

const isCount = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 0;

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
