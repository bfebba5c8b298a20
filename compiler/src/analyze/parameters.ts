import { basename } from "node:path";
import type { DataAccess, Type as IrType, Parameter } from "@canal/ir";
import {
  canonicalJson,
  DATA_ACCESS,
  didYouMean,
  fileNameProblem,
  nameProblem,
  relativePathProblem,
} from "@canal/ir";
import { type MethodDeclaration, Node, type ParameterDeclaration } from "ts-morph";
import { acceptsValue, describeType } from "./compat.js";
import { evaluateLiteral, unwrap } from "./literal.js";
import { checkPath } from "./paths.js";
import { locationOf, type Reporter } from "./report.js";
import { artifactLineage, conversionMessage, toIrType } from "./types.js";

export interface PipelineParameters {
  parameters: Parameter[];
  /** Name -> IR type (undefined where the type was refused), for the body. */
  types: Map<string, IrType | undefined>;
  /** Artifact parameters with a local default: name -> absolute path. */
  datasetDefaults: Map<string, string>;
}

/** `@param name text` of the method's TSDoc, as the parameter's description. */
function describedParameters(method: MethodDeclaration): Map<string, string> {
  const descriptions = new Map<string, string>();
  for (const doc of method.getJsDocs()) {
    for (const tag of doc.getTags()) {
      if (!Node.isJSDocParameterTag(tag)) continue;
      const text = tag.getCommentText()?.trim().replace(/^-\s*/, "");
      if (text) descriptions.set(tag.getName(), text);
    }
  }
  return descriptions;
}

/**
 * The pipeline's parameters, read from the `@pipeline` method's signature: their IR types and
 * their defaults, which must be literals or, for artifacts, `Dataset.from("path")` and the like.
 */
export function readParameters(
  reporter: Reporter,
  method: MethodDeclaration,
  pipelineName: string,
): PipelineParameters {
  const result: PipelineParameters = { parameters: [], types: new Map(), datasetDefaults: new Map() };
  const descriptions = describedParameters(method);
  for (const declaration of method.getParameters()) {
    const nameNode = declaration.getNameNode();
    if (!Node.isIdentifier(nameNode) || declaration.isRestParameter()) {
      reporter.error(
        "CANAL1008",
        declaration,
        `pipeline \`${pipelineName}\` parameter \`${declaration.getText()}\` must be a plain name (no destructuring or rest)`,
        "declare one named parameter per value: run(data: Dataset, lr: number)",
      );
      continue;
    }
    const name = nameNode.getText();
    const subject = `pipeline \`${pipelineName}\` parameter \`${name}\``;
    const typeNode = declaration.getTypeNode();
    const converted = toIrType(declaration.getType(), declaration, {
      typeNode,
      optional: declaration.hasQuestionToken(),
    });
    if (!("type" in converted)) {
      const text = typeNode?.getText() ?? declaration.getType().getText(declaration);
      reporter.error(
        "CANAL1008",
        typeNode ?? nameNode,
        conversionMessage(subject, text, converted),
        converted.fix,
      );
      result.types.set(name, undefined);
      continue;
    }
    result.types.set(name, converted.type);
    const parameter: Parameter = {
      name,
      type: converted.type,
      location: locationOf(declaration, reporter.projectRoot),
    };
    const description = descriptions.get(name);
    if (description) parameter.description = description;
    const initializer = declaration.getInitializer();
    if (initializer)
      readDefault(reporter, declaration, initializer, subject, converted.type, parameter, result);
    result.parameters.push(parameter);
  }
  return result;
}

function readDefault(
  reporter: Reporter,
  declaration: ParameterDeclaration,
  initializer: Node,
  subject: string,
  type: IrType,
  parameter: Parameter,
  result: PipelineParameters,
): void {
  if ("artifact" in type) {
    const call = unwrap(initializer);
    const callee = Node.isCallExpression(call) ? unwrap(call.getExpression()) : undefined;
    const args = Node.isCallExpression(call) ? call.getArguments() : [];
    const argument = args[0];
    const path = argument ? evaluateLiteral(argument) : undefined;
    const method =
      Node.isPropertyAccessExpression(callee) && artifactLineage(call.getType()) !== undefined
        ? callee.getName()
        : undefined;
    const shown = describeType(type).replace(/<.*>$/, "");
    if ((method !== "from" && method !== "get") || !argument || !path?.ok || typeof path.value !== "string") {
      reporter.error(
        "CANAL1011",
        initializer,
        `${subject} has the default \`${initializer.getText()}\`; an artifact parameter's default must be \`${shown}.from("path")\` with a literal path, or \`${shown}.get("dataset")\``,
        `write ${declaration.getName()}: ${shown} = ${shown}.from("data/file.csv"), the path relative to this file, or ${shown}.get("name") for a registered dataset`,
      );
      return;
    }
    if (method === "get") {
      readDatasetDefault(reporter, subject, parameter, path.value, argument, args[1]);
      return;
    }
    const datastore = DATASTORE_PATH.exec(path.value);
    const options = args[1] ? readDataOptions(reporter, subject, args[1], [], datastore !== null) : {};
    if (!options) return;
    if (datastore) {
      const [, store, inside] = datastore as unknown as [string, string, string];
      const problem = inside === "" ? undefined : relativePathProblem(inside.replace(/\/$/, ""));
      if (problem) {
        reporter.error(
          "CANAL1017",
          argument,
          `${subject} default names \`${path.value}\`, a path of datastore \`${store}\` that ${problem}`,
          `name a path inside the datastore, relative to its root: ${store}:data/file.csv`,
        );
        return;
      }
      parameter.hasDefault = true;
      parameter.defaultData = { datastore: store, path: inside, ...mountOf(options) };
      return;
    }
    const checked = checkPath(reporter, path.value, argument, `${subject} default`);
    if (!checked) return;
    // A step sees the file under its own name (`in/raw/wine.csv`): one that cannot be a plain file
    // name everywhere is refused here rather than renamed behind the user's back.
    const fileName = basename(checked.absolute);
    const nameProblem = checked.directory ? undefined : fileNameProblem(fileName);
    if (nameProblem) {
      reporter.error(
        "CANAL1011",
        argument,
        `${subject} default names a file whose name ${JSON.stringify(fileName)} ${nameProblem}`,
        "rename the file to a plain name (letters, digits, spaces, dots) of at most 255 bytes",
      );
      return;
    }
    parameter.hasDefault = true;
    parameter.defaultArtifact = checked.directory
      ? { path: path.value, blob: "", directory: true }
      : { path: path.value, blob: "", name: fileName };
    result.datasetDefaults.set(parameter.name, checked.absolute);
    return;
  }
  const value = evaluateLiteral(initializer);
  if (!value.ok) {
    reporter.error(
      "CANAL1011",
      value.node,
      `${subject} has the default \`${initializer.getText()}\`, which is not a literal`,
      "write the default as a literal: a number, string or boolean, or an array or object of them",
    );
    return;
  }
  if (!acceptsValue(type, value.value)) {
    reporter.error(
      "CANAL1011",
      initializer,
      `${subject} has the default \`${initializer.getText()}\`, which is not a ${describeType(type)}`,
      `give a default of type ${describeType(type)}`,
    );
    return;
  }
  parameter.hasDefault = true;
  parameter.defaultJson = canonicalJson(value.value);
}

/** `raw:wine.csv`, `lake:images/`: a datastore's name (two characters or more, so never a drive letter) and a path in it. */
const DATASTORE_PATH = /^([A-Za-z][A-Za-z0-9_-]+):(.*)$/s;

/** `Table.get("wine")`, `Table.get("wine", { version: 3 })`: a registered dataset, resolved when a run is submitted. */
function readDatasetDefault(
  reporter: Reporter,
  subject: string,
  parameter: Parameter,
  name: string,
  argument: Node,
  options: Node | undefined,
): void {
  const problem = nameProblem(name);
  if (problem) {
    reporter.error(
      "CANAL1011",
      argument,
      `${subject} default names the dataset ${JSON.stringify(name)}, which ${problem}`,
      "name a registered dataset (`canal datasets` lists them)",
    );
    return;
  }
  const given = options ? readDataOptions(reporter, subject, options, ["version"], true) : {};
  if (!given) return;
  const version = given.version;
  if (
    version !== undefined &&
    (typeof version !== "number" || !Number.isInteger(version) || version < 1) &&
    options
  ) {
    reporter.error(
      "CANAL1011",
      options,
      `${subject} default \`${options.getText()}\` is not \`{ version: N }\` with a literal version number of 1 or more`,
      `write Table.get("${name}", { version: 3 }), or leave the version out for the newest version when a run is submitted`,
    );
    return;
  }
  parameter.hasDefault = true;
  parameter.defaultData = {
    dataset: name,
    ...(version === undefined ? {} : { version: version as number }),
    ...mountOf(given),
  };
}

/** `access: "mount"` is recorded; `download`, the default, is left out (so artifacts without it stay byte-identical). */
function mountOf(options: { access?: DataAccess }): { access?: DataAccess } {
  return options.access === "mount" ? { access: "mount" } : {};
}

/**
 * The literal options object of `X.get(name, { … })` or `X.from("store:path", { … })`: `access`
 * (one of DATA_ACCESS, and only for workspace data) and the keys in `keys`. Reports what is
 * wrong and returns undefined.
 */
function readDataOptions(
  reporter: Reporter,
  subject: string,
  options: Node,
  keys: string[],
  workspaceData: boolean,
): ({ access?: DataAccess } & Record<string, unknown>) | undefined {
  const value = evaluateLiteral(options);
  const given = value.ok ? value.value : undefined;
  const allowed = [...keys, "access"];
  const shown = allowed.map((k) => (k === "access" ? 'access: "download" | "mount"' : `${k}: N`)).join(", ");
  if (!given || typeof given !== "object" || Array.isArray(given)) {
    reporter.error(
      "CANAL1011",
      options,
      `${subject} default options \`${options.getText()}\` are not a literal object \`{ ${shown} }\``,
      `write the options as a literal object: { ${shown} }`,
    );
    return undefined;
  }
  const record = given as Record<string, unknown>;
  const unknown = Object.keys(record).find((k) => !allowed.includes(k));
  if (unknown !== undefined) {
    reporter.error(
      "CANAL1011",
      options,
      `${subject} default options have \`${unknown}\`, which is not an option here${didYouMean(unknown, allowed)}`,
      `the options are { ${shown} }`,
    );
    return undefined;
  }
  const access = record.access;
  if (access !== undefined && !DATA_ACCESS.includes(access as DataAccess)) {
    reporter.error(
      "CANAL1011",
      options,
      `${subject} default asks for access ${JSON.stringify(access)}, which is not one of ${DATA_ACCESS.map((a) => `"${a}"`).join(", ")}${typeof access === "string" ? didYouMean(access, DATA_ACCESS) : ""}`,
      'write access: "mount" to read the data in place, or access: "download" (the default) for a copy of its own',
    );
    return undefined;
  }
  if (access === "mount" && !workspaceData) {
    reporter.error(
      "CANAL1011",
      options,
      `${subject} default asks for access "mount", but names a file shipped in the artifact, which a step always gets a copy of`,
      'mount workspace data: a registered dataset (X.get("name", { access: "mount" })) or a datastore path (X.from("raw:data/", { access: "mount" }))',
    );
    return undefined;
  }
  return record as { access?: DataAccess } & Record<string, unknown>;
}
