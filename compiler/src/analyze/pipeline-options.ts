import { nameProblem, type OutputDestination, relativePathProblem } from "@canal/ir";
import type { Node } from "ts-morph";
import { evaluateLiteral } from "./literal.js";
import { NAME, nameForm, properties } from "./option-properties.js";
import type { Reporter } from "./report.js";

export interface PipelineOptionValues {
  name?: string;
  description?: string;
  /** Output destinations by pipeline output name, with the node each was written at. */
  outputs?: Map<string, { destination: OutputDestination; node: Node }>;
}

const pipelineKeys = ["name", "description", "outputs"];

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
