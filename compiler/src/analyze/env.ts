import { readFileSync } from "node:fs";
import type { Environment, EnvVar } from "@canal/ir";
import { environmentId, envNameProblem } from "@canal/ir";
import { Node } from "ts-morph";
import { constDeclaration, evaluateLiteral, propertyName, propertyValue, unwrap } from "./literal.js";
import { checkPath } from "./paths.js";
import type { Reporter } from "./report.js";
import { sdkPath } from "./sdk.js";

const envForms =
  'a reference to a module-level `env.python({...})`, `env.node({...})` or `env.image("...")` with literal arguments, or such a call written in place';

const allowedKeys: Record<Environment["kind"], string[]> = {
  PYTHON: ["version", "requirements", "packages", "variables"],
  NODE: ["version", "variables"],
  IMAGE: ["variables"],
};

/** The Node.js environment a TypeScript step without `env` runs in. */
export function defaultNodeEnvironment(): Environment {
  return withId({ kind: "NODE" });
}

/** The Python environment a script step without `env` runs in (the runtime's interpreter). */
export function defaultPythonEnvironment(): Environment {
  return withId({ kind: "PYTHON" });
}

function withId(environment: Omit<Environment, "id">): Environment {
  return { id: environmentId(environment), ...environment };
}

/** Finds the `env.*(...)` call an option points at, through constants and imports. */
function environmentCall(node: Node): Node | undefined {
  let current = unwrap(node);
  for (let depth = 0; depth < 16; depth++) {
    if (Node.isCallExpression(current)) return current;
    if (!Node.isIdentifier(current)) return undefined;
    const initializer = constDeclaration(current)?.getInitializer();
    if (!initializer) return undefined;
    current = unwrap(initializer);
  }
  return undefined;
}

/**
 * Reads an environment statically (it is never evaluated) and computes its id; a requirements
 * file is read here so that editing it makes a new environment.
 *
 * @param subject the option naming it, for messages: "step `train` option `env`".
 */
export function readEnvironment(reporter: Reporter, node: Node, subject: string): Environment | undefined {
  const call = environmentCall(node);
  const path = call && Node.isCallExpression(call) ? sdkPath(call.getExpression()) : undefined;
  const kind =
    path === "env.python"
      ? "PYTHON"
      : path === "env.node"
        ? "NODE"
        : path === "env.image"
          ? "IMAGE"
          : undefined;
  if (!call || !Node.isCallExpression(call) || !kind) {
    reporter.error(
      "CANAL1011",
      node,
      `${subject} must be ${envForms}`,
      'declare it as `const python = env.python({ requirements: "requirements.txt" })`',
    );
    return undefined;
  }
  const args = call.getArguments();
  const environment: Omit<Environment, "id"> = { kind };
  const before = reporter.count;
  let optionsNode = args[0];
  if (kind === "IMAGE") {
    const image = args[0] ? evaluateLiteral(args[0]) : undefined;
    if (!image?.ok || typeof image.value !== "string" || image.value === "") {
      reporter.error(
        "CANAL1011",
        args[0] ?? call,
        `${subject}: env.image needs the image name as a string literal`,
        'write e.g. env.image("python:3.12-slim")',
      );
    } else {
      environment.image = image.value;
    }
    optionsNode = args[1];
  }
  if (optionsNode) {
    const options = unwrap(optionsNode);
    if (!Node.isObjectLiteralExpression(options)) {
      reporter.error(
        "CANAL1011",
        optionsNode,
        `${subject}: the environment's options must be an object literal`,
        `use ${envForms}`,
      );
    } else {
      for (const property of options.getProperties())
        readEnvironmentProperty(reporter, property, subject, environment);
    }
  }
  if (reporter.count > before) return undefined;
  return withId(environment);
}

function readEnvironmentProperty(
  reporter: Reporter,
  property: Node,
  subject: string,
  environment: Omit<Environment, "id">,
): void {
  const name = propertyName(property);
  const valueNode = propertyValue(property);
  const allowed = allowedKeys[environment.kind];
  if (name === undefined || !valueNode || !allowed.includes(name)) {
    reporter.error(
      "CANAL1011",
      property,
      `${subject}: unknown ${environment.kind.toLowerCase()} environment option \`${name ?? property.getText()}\`; the options are ${allowed.join(", ")}`,
      `remove it, or use one of ${allowed.join(", ")}`,
    );
    return;
  }
  const evaluated = evaluateLiteral(valueNode);
  const value = evaluated.ok ? evaluated.value : undefined;
  const bad = (forms: string) =>
    reporter.error(
      "CANAL1011",
      valueNode,
      `${subject}: environment option \`${name}\` must be ${forms}`,
      `write ${name} as ${forms}`,
    );
  if (name === "version") {
    if (typeof value === "string" && value !== "") {
      if (environment.kind === "PYTHON") environment.pythonVersion = value;
      else environment.nodeVersion = value;
    } else bad(environment.kind === "PYTHON" ? 'a version string like "3.12"' : 'a version string like "20"');
  } else if (name === "requirements") {
    if (typeof value !== "string" || value === "") {
      bad('a path string like "requirements.txt"');
      return;
    }
    const checked = checkPath(reporter, value, valueNode, `${subject} requirements`, "file");
    if (!checked) return;
    environment.requirementsPath = value;
    environment.requirements = readFileSync(checked.absolute, "utf8").replace(/\r\n?/g, "\n");
  } else if (name === "packages") {
    if (Array.isArray(value) && value.every((p) => typeof p === "string"))
      environment.packages = value as string[];
    else bad('an array of requirement strings like ["scikit-learn>=1.4"]');
  } else if (name === "variables") {
    const entries =
      value && typeof value === "object" && !Array.isArray(value) ? Object.entries(value) : undefined;
    if (!entries?.every(([key, v]) => typeof v === "string" && !envNameProblem(key))) {
      bad('an object of string values with variable names as keys, like { HF_HOME: "/cache" }');
      return;
    }
    const variables: EnvVar[] = entries
      .map(([key, v]) => ({ name: key, value: v as string }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    environment.variables = variables;
  }
}
