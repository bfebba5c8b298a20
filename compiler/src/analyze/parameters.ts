import { basename } from "node:path";
import type { Type as IrType, Parameter } from "@canal/ir";
import { canonicalJson, fileNameProblem, nameProblem, relativePathProblem } from "@canal/ir";
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
      parameter.defaultData = { datastore: store, path: inside };
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
  let version: number | undefined;
  if (options) {
    const value = evaluateLiteral(options);
    const given = value.ok ? (value.value as { version?: unknown }) : undefined;
    const keys = given && typeof given === "object" && !Array.isArray(given) ? Object.keys(given) : undefined;
    const fits =
      keys?.every((k) => k === "version") === true &&
      (given?.version === undefined ||
        (typeof given.version === "number" && Number.isInteger(given.version) && given.version >= 1));
    if (!fits) {
      reporter.error(
        "CANAL1011",
        options,
        `${subject} default \`${options.getText()}\` is not \`{ version: N }\` with a literal version number of 1 or more`,
        `write Table.get("${name}", { version: 3 }), or leave the options out for the newest version when a run is submitted`,
      );
      return;
    }
    version = given?.version as number | undefined;
  }
  parameter.hasDefault = true;
  parameter.defaultData = version === undefined ? { dataset: name } : { dataset: name, version };
}
