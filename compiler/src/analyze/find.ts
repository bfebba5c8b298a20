import { basename } from "node:path";
import {
  type CallExpression,
  type ClassDeclaration,
  type Decorator,
  type MethodDeclaration,
  Node,
  type SourceFile,
  type VariableDeclaration,
} from "ts-morph";
import { constDeclaration, unwrap } from "./literal.js";
import type { Reporter } from "./report.js";
import { decoratorPath, resolveAlias, sdkPath } from "./sdk.js";

export interface PipelineDeclaration {
  method: MethodDeclaration;
  classDeclaration: ClassDeclaration;
  decorator: Decorator;
  /** The decorator's options argument, when it is called. */
  options?: Node;
}

/** A callee resolved to a step declaration. */
export type StepReference =
  | {
      form: "method";
      node: MethodDeclaration;
      classDeclaration: ClassDeclaration;
      kind: "TYPESCRIPT" | "SCRIPT";
      options?: Node;
    }
  | {
      form: "function";
      node: VariableDeclaration;
      call: CallExpression;
      kind: "TYPESCRIPT" | "SCRIPT";
      options?: Node;
      signature?: Node;
    };

const stepDecorators: Record<string, "TYPESCRIPT" | "SCRIPT"> = {
  step: "TYPESCRIPT",
  "step.script": "SCRIPT",
};
const stepFunctions: Record<string, "TYPESCRIPT" | "SCRIPT"> = {
  "step.fn": "TYPESCRIPT",
  "step.script.fn": "SCRIPT",
};

/** Every class method of the file decorated with the SDK's `pipeline`. */
export function findPipelines(sourceFile: SourceFile): PipelineDeclaration[] {
  const found: PipelineDeclaration[] = [];
  for (const classDeclaration of sourceFile.getClasses()) {
    for (const method of classDeclaration.getMethods()) {
      for (const decorator of method.getDecorators()) {
        const resolved = decoratorPath(decorator);
        if (resolved?.path !== "pipeline") continue;
        found.push(
          resolved.options
            ? { method, classDeclaration, decorator, options: resolved.options }
            : { method, classDeclaration, decorator },
        );
      }
    }
  }
  return found;
}

/** The step decorator of a method, if it has one. */
function stepDecorator(
  method: MethodDeclaration,
): { kind: "TYPESCRIPT" | "SCRIPT"; options?: Node } | undefined {
  for (const decorator of method.getDecorators()) {
    const resolved = decoratorPath(decorator);
    const kind = resolved && stepDecorators[resolved.path];
    if (kind) return resolved.options ? { kind, options: resolved.options } : { kind };
  }
  return undefined;
}

/** The `step.fn(...)` / `step.script.fn(...)` call initialising a variable, through const aliases. */
function stepFunctionCall(
  declaration: VariableDeclaration,
): { call: CallExpression; kind: "TYPESCRIPT" | "SCRIPT" } | undefined {
  let initializer = declaration.getInitializer();
  for (let depth = 0; initializer && depth < 8; depth++) {
    const value = unwrap(initializer);
    if (Node.isCallExpression(value)) {
      const path = sdkPath(value.getExpression());
      const kind = path === undefined ? undefined : stepFunctions[path];
      return kind ? { call: value, kind } : undefined;
    }
    if (!Node.isIdentifier(value)) return undefined;
    initializer = constDeclaration(value)?.getInitializer();
  }
  return undefined;
}

/**
 * The declarations a callee name stands for, through aliases and object properties that hold a
 * step (`export const steps = { train }` then `steps.train(...)`).
 */
function calleeDeclarations(nameNode: Node): Node[] {
  let declarations = resolveAlias(nameNode.getSymbol())?.getDeclarations() ?? [];
  for (let depth = 0; depth < 8; depth++) {
    const [first] = declarations;
    let next: Node | undefined;
    if (Node.isShorthandPropertyAssignment(first)) next = first.getNameNode();
    else if (Node.isPropertyAssignment(first)) next = first.getInitializer();
    if (!next) return declarations;
    const value = unwrap(next);
    const symbol = Node.isShorthandPropertyAssignment(first) ? first.getValueSymbol() : value.getSymbol();
    if (!Node.isIdentifier(value) && !Node.isPropertyAccessExpression(value)) return declarations;
    declarations = resolveAlias(symbol)?.getDeclarations() ?? [];
  }
  return declarations;
}

/**
 * Resolves what a call in a pipeline body calls, by symbol: a method decorated with `@step` or
 * `@step.script` (in the class, a base class or another module), or a variable initialised with
 * `step.fn(...)` / `step.script.fn(...)`, however it was imported or re-exported.
 */
export function resolveStep(call: CallExpression): StepReference | undefined {
  const callee = unwrap(call.getExpression());
  const nameNode = Node.isPropertyAccessExpression(callee) ? callee.getNameNode() : callee;
  for (const declaration of calleeDeclarations(nameNode)) {
    if (Node.isMethodDeclaration(declaration)) {
      const decorator = stepDecorator(declaration);
      const classDeclaration = declaration.getParent();
      if (decorator && Node.isClassDeclaration(classDeclaration)) {
        return { form: "method", node: declaration, classDeclaration, ...decorator };
      }
    }
    if (Node.isVariableDeclaration(declaration)) {
      const found = stepFunctionCall(declaration);
      if (!found) continue;
      const args = found.call.getArguments();
      const options = args.length > 1 ? args[0] : undefined;
      const signature = args.length > 1 ? args[1] : args[0];
      return {
        form: "function",
        node: declaration,
        call: found.call,
        kind: found.kind,
        ...(options ? { options } : {}),
        ...(signature ? { signature } : {}),
      };
    }
  }
  return undefined;
}

/**
 * The name under which a class or variable is exported from its module, or undefined (reported
 * once per declaration as CANAL1014: a runtime imports steps from the bundle by export name).
 */
export class Exports {
  private readonly names = new Map<Node, string | undefined>();

  constructor(private readonly reporter: Reporter) {}

  /** @param described the declaration in words: "class `Iris`, which holds pipeline `iris`," */
  nameOf(declaration: ClassDeclaration | VariableDeclaration, described: string): string | undefined {
    if (this.names.has(declaration)) return this.names.get(declaration);
    const sourceFile = declaration.getSourceFile();
    let name: string | undefined;
    for (const [exported, declarations] of sourceFile.getExportedDeclarations()) {
      if (declarations.includes(declaration)) {
        name = exported;
        break;
      }
    }
    this.names.set(declaration, name);
    if (name === undefined) {
      const nameNode = declaration.getNameNode() ?? declaration;
      const what = Node.isClassDeclaration(declaration) ? "class" : "const";
      const shown = declaration.getName() ?? "default";
      this.reporter.error(
        "CANAL1014",
        nameNode,
        `${described} is not exported from ${basename(sourceFile.getFilePath())}; a runtime loads pipelines and steps from the bundle by export name`,
        `write \`export ${what} ${shown}\``,
      );
    }
    return name;
  }
}
