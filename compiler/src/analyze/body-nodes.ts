// The shapes of nodes the pipeline body reader (body.ts) recognizes beyond literals.
import { Node } from "ts-morph";
import { unwrap } from "./literal.js";

/** Strips what does not change a value in the body: parentheses, `await`, `!`, `satisfies`, `as const`. */
export function strip(node: Node): Node {
  let current = unwrap(node);
  while (Node.isAwaitExpression(current) || Node.isNonNullExpression(current))
    current = unwrap(current.getExpression());
  return current;
}

export function isEmptyArray(node: Node): boolean {
  let current = node;
  while (
    Node.isParenthesizedExpression(current) ||
    Node.isAsExpression(current) ||
    Node.isSatisfiesExpression(current)
  ) {
    current = current.getExpression();
  }
  return Node.isArrayLiteralExpression(current) && current.getElements().length === 0;
}

export function isGlobalPromise(node: Node): boolean {
  if (!Node.isIdentifier(node) || node.getText() !== "Promise") return false;
  const declaration = node.getSymbol()?.getDeclarations()[0];
  if (!declaration) return false;
  return node
    .getProject()
    .getProgram()
    .compilerObject.isSourceFileDefaultLibrary(declaration.getSourceFile().compilerNode);
}
