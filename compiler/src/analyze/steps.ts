import {
  didYouMean,
  type Environment,
  type Type as IrType,
  nameProblem,
  type Output,
  parseCommandTemplate,
} from "@canal/ir";
import { Node, type ParameterDeclaration, SymbolFlags, type Type } from "ts-morph";
import type { StepDefinition } from "../model.js";
import { defaultNodeEnvironment, defaultPythonEnvironment } from "./env.js";
import type { Exports, StepReference } from "./find.js";
import { constDeclaration, unwrap } from "./literal.js";
import { type Reporter, relativePath } from "./report.js";
import { readStepOptions, type StepOptionValues } from "./step-options.js";
import { artifactLineage, conversionMessage, toIrType } from "./types.js";

export interface StepInput {
  name: string;
  /** Undefined when the declared type has no IR form (already reported). */
  type: IrType | undefined;
  optional: boolean;
  node: ParameterDeclaration;
}

/** Everything the body analysis needs to know about one step definition. */
export interface StepInfo {
  definition: StepDefinition;
  inputs: StepInput[];
  outputs: Output[];
  options: StepOptionValues;
  environment: Environment;
  /** Whether reading the definition reported anything: a pipeline using it yields no model. */
  failed: boolean;
}

type FunctionLike = Node & {
  getParameters(): ParameterDeclaration[];
  getReturnType(): Type;
  getReturnTypeNode(): Node | undefined;
};

function isFunctionLike(node: Node | undefined): node is FunctionLike {
  return (
    Node.isArrowFunction(node) ||
    Node.isFunctionExpression(node) ||
    Node.isFunctionDeclaration(node) ||
    Node.isMethodDeclaration(node)
  );
}

/** The function a `step.fn(...)` wraps: written in place, or a function or const it names. */
function signatureFunction(node: Node | undefined): FunctionLike | undefined {
  let current = node ? unwrap(node) : undefined;
  for (let depth = 0; depth < 8 && current && Node.isIdentifier(current); depth++) {
    const declaration = current.getSymbol()?.getValueDeclaration();
    if (Node.isFunctionDeclaration(declaration)) return declaration;
    const initializer = constDeclaration(current)?.getInitializer();
    current = initializer ? unwrap(initializer) : undefined;
  }
  return isFunctionLike(current) ? current : undefined;
}

/** `Promise<T>` -> T: async steps produce what they resolve to. */
function awaited(type: Type): Type {
  const symbol = type.getSymbol();
  if (symbol?.getName() === "Promise") return type.getTypeArguments()[0] ?? type;
  return type;
}

/**
 * Reads step definitions once each (a step called from several places or pipelines is analysed
 * once, and its diagnostics are reported once).
 */
export class StepCatalog {
  private readonly infos = new Map<Node, StepInfo>();

  constructor(
    private readonly reporter: Reporter,
    private readonly exports: Exports,
  ) {}

  get(reference: StepReference): StepInfo {
    const cached = this.infos.get(reference.node);
    if (cached) return cached;
    const before = this.reporter.count;
    const info = this.read(reference);
    info.failed = this.reporter.count > before || info.definition.exportName === "";
    this.infos.set(reference.node, info);
    return info;
  }

  private read(reference: StepReference): StepInfo {
    const file = reference.node.getSourceFile().getFilePath();
    const fileKey = relativePath(this.reporter.projectRoot, file);
    const declaredName = reference.node.getName();
    const provisional = `step \`${declaredName}\``;
    const options = readStepOptions(this.reporter, reference.options, provisional, reference.kind);
    const name = options.name ?? declaredName;
    const subject = `step \`${name}\``;

    let key: string;
    let exportName: string | undefined;
    let member: string | undefined;
    let fn: FunctionLike | undefined;
    if (reference.form === "method") {
      const className = reference.classDeclaration.getName() ?? "default";
      key = `${fileKey}#${className}.${declaredName}`;
      member = declaredName;
      exportName = this.exports.nameOf(
        reference.classDeclaration,
        `class \`${className}\`, which holds ${subject},`,
      );
      fn = reference.node;
    } else {
      key = `${fileKey}#${declaredName}`;
      exportName = this.exports.nameOf(reference.node, subject);
      fn = signatureFunction(reference.signature);
      if (!fn) {
        this.reporter.error(
          "CANAL1010",
          reference.signature ?? reference.call,
          `${subject}: its signature cannot be read from \`${(reference.signature ?? reference.call).getText().slice(0, 40)}\``,
          "pass the step's function written in place: step.fn(async (data: Table): Promise<Model> => { ... })",
        );
      }
    }

    const inputs = fn ? this.readInputs(fn, subject) : [];
    const outputs = fn ? this.readOutputs(fn, subject) : [];
    if (reference.kind === "SCRIPT" && options.run)
      this.checkPlaceholders(options.run, inputs, outputs, subject);

    const environment =
      options.environment ??
      (reference.kind === "SCRIPT" ? defaultPythonEnvironment() : defaultNodeEnvironment());
    const definition: StepDefinition = {
      key,
      name,
      kind: reference.kind,
      declaration:
        reference.form === "method"
          ? {
              form: "method",
              node: reference.node,
              className: reference.classDeclaration.getName() ?? "default",
            }
          : { form: "function", node: reference.node },
      file,
      exportName: exportName ?? "",
      hashPaths: options.hashPaths.map((p) => p.absolute),
    };
    if (member) definition.member = member;
    if (options.source) {
      definition.source = options.source.absolute;
      definition.sourceAsWritten = options.source.written;
    }
    if (options.run) definition.command = options.run.command;
    return {
      definition,
      inputs,
      outputs,
      options,
      environment,
      failed: false,
    };
  }

  private readInputs(fn: FunctionLike, subject: string): StepInput[] {
    const inputs: StepInput[] = [];
    for (const parameter of fn.getParameters()) {
      const nameNode = parameter.getNameNode();
      if (!Node.isIdentifier(nameNode) || parameter.isRestParameter()) {
        this.reporter.error(
          "CANAL1010",
          parameter,
          `${subject}: parameter \`${parameter.getText()}\` must be a plain name (no destructuring or rest)`,
          "declare one named parameter per input: train(data: Table, lr: number)",
        );
        continue;
      }
      const name = nameNode.getText();
      const optional = parameter.isOptional() || parameter.hasInitializer();
      const typeNode = parameter.getTypeNode();
      const converted = toIrType(parameter.getType(), parameter, { typeNode, optional });
      let type: IrType | undefined;
      if ("type" in converted) type = converted.type;
      else {
        const text = typeNode?.getText() ?? parameter.getType().getText(parameter);
        this.reporter.error(
          "CANAL1010",
          typeNode ?? parameter,
          conversionMessage(`${subject} input \`${name}\``, text, converted),
          converted.fix,
        );
      }
      inputs.push({ name, type, optional, node: parameter });
    }
    return inputs;
  }

  /**
   * Outputs come from the declared result: an object type names each output, a single artifact
   * or value is the output "output", void has none.
   */
  private readOutputs(fn: FunctionLike, subject: string): Output[] {
    const returnTypeNode = fn.getReturnTypeNode();
    const at = returnTypeNode ?? fn;
    const type = awaited(fn.getReturnType());
    let typeNode = returnTypeNode;
    if (Node.isTypeReference(typeNode) && typeNode.getTypeName().getText() === "Promise") {
      typeNode = typeNode.getTypeArguments()[0];
    }
    if (type.isVoid() || type.isUndefined()) return [];
    const text = typeNode?.getText() ?? type.getText(fn);
    const single = (): Output[] => {
      const converted = toIrType(type, at, { typeNode: Node.isTypeNode(typeNode) ? typeNode : undefined });
      if ("type" in converted) return [{ name: "output", type: converted.type }];
      this.reporter.error(
        "CANAL1010",
        at,
        conversionMessage(`${subject} output`, text, converted),
        converted.fix,
      );
      return [];
    };
    const plainObject =
      type.isObject() &&
      !type.isArray() &&
      !type.isReadonlyArray() &&
      !type.isTuple() &&
      type.getCallSignatures().length === 0 &&
      artifactLineage(type) === undefined &&
      ((type.getSymbol()?.getFlags() ?? 0) & SymbolFlags.Class) === 0;
    if (!plainObject) return single();
    const outputs: Output[] = [];
    for (const property of type.getProperties()) {
      const declaration = property.getValueDeclaration();
      const fieldNode = Node.isPropertySignature(declaration) ? declaration.getTypeNode() : undefined;
      const where = fieldNode ?? at;
      const converted = toIrType(property.getTypeAtLocation(at), at, { typeNode: fieldNode });
      const outputSubject = `${subject} output \`${property.getName()}\``;
      if (!("type" in converted)) {
        const fieldText = fieldNode?.getText() ?? property.getTypeAtLocation(at).getText(at);
        this.reporter.error(
          "CANAL1010",
          where,
          conversionMessage(outputSubject, fieldText, converted),
          converted.fix,
        );
      } else if (property.isOptional()) {
        this.reporter.error(
          "CANAL1010",
          where,
          `${outputSubject} is optional: every output must be produced`,
          "make the output required, or split the step",
        );
      } else if (nameProblem(property.getName())) {
        // Output names become file names: the loader refuses what this refuses (`nameProblem`).
        this.reporter.error(
          "CANAL1010",
          where,
          `${outputSubject}: the name ${nameProblem(property.getName())}`,
          "name the output like a variable: letters, digits and '_'",
        );
      } else {
        outputs.push({ name: property.getName(), type: converted.type });
      }
    }
    return outputs;
  }

  /**
   * Reads the command as the shell will (@canal/ir command-template): every placeholder must name
   * an input or output, and none may stand where a value could become shell syntax (CANAL1019).
   * Placeholders inside quotes are fine: the runtimes fill them quoted for their context.
   */
  private checkPlaceholders(
    run: { command: string; node: Node },
    inputs: StepInput[],
    outputs: Output[],
    subject: string,
  ): void {
    const valid = [...inputs.map((i) => i.name), ...outputs.map((o) => o.name)];
    const raw = run.node.getText();
    // Offsets into the command map to the literal's text by finding each placeholder in order:
    // escapes in the literal make the two differ in length.
    let searchFrom = 0;
    const locate = (text: string) => {
      const at = raw.indexOf(text, searchFrom);
      if (at >= 0) searchFrom = at + text.length;
      return { start: Math.max(at, 0), length: at >= 0 ? text.length : undefined };
    };
    const parsed = parseCommandTemplate(run.command);
    const found = [
      ...parsed.parts.flatMap((p) => (p.kind === "placeholder" ? [{ offset: p.offset, name: p.name }] : [])),
      ...parsed.problems.map((problem) => ({ offset: problem.offset, problem, name: problem.name })),
    ].sort((a, b) => a.offset - b.offset);
    for (const item of found) {
      const place = item.name ? locate(`{${item.name}}`) : { start: 0, length: undefined };
      if ("problem" in item && item.problem) {
        this.reporter.error(
          "CANAL1019",
          run.node,
          `${subject} option \`run\` ${item.problem.reason}`,
          item.problem.fix,
          place.start,
          place.length,
        );
        continue;
      }
      const name = item.name as string;
      if (valid.includes(name)) continue;
      this.reporter.error(
        "CANAL1005",
        run.node,
        `${subject} option \`run\` has the placeholder {${name}}, which names no input or output of the step; the valid names are ${valid.map((v) => `{${v}}`).join(", ") || "none"}${didYouMean(name, valid, (v) => `{${v}}`)}`,
        `use one of ${valid.map((v) => `{${v}}`).join(", ") || "the step's inputs and outputs"}, or add a parameter \`${name}\` to the step`,
        place.start,
        place.length,
      );
    }
  }
}
