import { Node, SyntaxKind, VariableDeclarationKind } from "ts-morph";
import { resolveAlias } from "./sdk.js";

export type Evaluated = { ok: true; value: unknown } | { ok: false; node: Node };

/** Strips what does not change a value: parentheses, `as const`, `satisfies T`. */
export function unwrap(node: Node): Node {
  let current = node;
  for (;;) {
    if (Node.isParenthesizedExpression(current) || Node.isSatisfiesExpression(current)) {
      current = current.getExpression();
    } else if (Node.isAsExpression(current) && current.getTypeNode()?.getText() === "const") {
      current = current.getExpression();
    } else {
      return current;
    }
  }
}

/**
 * The `const` declaration an identifier refers to, through imports, re-exports and `{ shorthand }`
 * properties; undefined for anything that could change (let, var, parameters).
 */
export function constDeclaration(identifier: Node): import("ts-morph").VariableDeclaration | undefined {
  let symbol = identifier.getSymbol();
  const parent = identifier.getParent();
  if (Node.isShorthandPropertyAssignment(parent) && parent.getNameNode() === identifier)
    symbol = parent.getValueSymbol();
  const declaration = resolveAlias(symbol)?.getValueDeclaration();
  if (!Node.isVariableDeclaration(declaration)) return undefined;
  const statement = declaration.getVariableStatement();
  if (statement?.getDeclarationKind() !== VariableDeclarationKind.Const) return undefined;
  return declaration;
}

/** Whether a declaration sits at the top level of its module (not inside a function or class). */
export function isModuleLevel(declaration: Node): boolean {
  return (
    declaration.getFirstAncestor(
      (a) => Node.isFunctionLikeDeclaration(a) || Node.isClassDeclaration(a) || Node.isClassExpression(a),
    ) === undefined
  );
}

/**
 * Reads a value written as literals: strings, numbers (negative too), booleans, null, arrays and
 * objects of them, `as const`, and references to module-level constants holding such a value.
 * Never runs anything; the first node that is not a literal is returned instead.
 */
export function evaluateLiteral(node: Node, depth = 0): Evaluated {
  const expression = unwrap(node);
  if (depth > 32) return { ok: false, node: expression };
  if (Node.isStringLiteral(expression) || Node.isNoSubstitutionTemplateLiteral(expression)) {
    return { ok: true, value: expression.getLiteralValue() };
  }
  if (Node.isNumericLiteral(expression)) return { ok: true, value: expression.getLiteralValue() };
  if (Node.isTrueLiteral(expression)) return { ok: true, value: true };
  if (Node.isFalseLiteral(expression)) return { ok: true, value: false };
  if (Node.isNullLiteral(expression)) return { ok: true, value: null };
  if (Node.isPrefixUnaryExpression(expression)) {
    const operand = unwrap(expression.getOperand());
    const operator = expression.getOperatorToken();
    if (
      Node.isNumericLiteral(operand) &&
      (operator === SyntaxKind.MinusToken || operator === SyntaxKind.PlusToken)
    ) {
      const value = operand.getLiteralValue();
      return { ok: true, value: operator === SyntaxKind.MinusToken ? -value : value };
    }
    return { ok: false, node: expression };
  }
  if (Node.isArrayLiteralExpression(expression)) {
    const values: unknown[] = [];
    for (const element of expression.getElements()) {
      const inner = evaluateLiteral(element, depth + 1);
      if (!inner.ok) return inner;
      values.push(inner.value);
    }
    return { ok: true, value: values };
  }
  if (Node.isObjectLiteralExpression(expression)) {
    const value: Record<string, unknown> = {};
    for (const property of expression.getProperties()) {
      const entry = literalProperty(property, depth);
      if (!entry.ok) return entry;
      value[entry.name] = entry.value;
    }
    return { ok: true, value };
  }
  if (Node.isIdentifier(expression)) {
    const declaration = constDeclaration(expression);
    const initializer = declaration?.getInitializer();
    if (declaration && initializer && isModuleLevel(declaration)) {
      const inner = evaluateLiteral(initializer, depth + 1);
      return inner.ok ? inner : { ok: false, node: expression };
    }
  }
  return { ok: false, node: expression };
}

/** The static name of an object literal property (`a`, `"a"`, `1`), if it has one. */
export function propertyName(property: Node): string | undefined {
  if (!(Node.isPropertyAssignment(property) || Node.isShorthandPropertyAssignment(property)))
    return undefined;
  const name = property.getNameNode();
  if (Node.isIdentifier(name)) return name.getText();
  if (
    Node.isStringLiteral(name) ||
    Node.isNumericLiteral(name) ||
    Node.isNoSubstitutionTemplateLiteral(name)
  ) {
    return String(name.getLiteralValue());
  }
  return undefined;
}

/** The node holding a property's value: the initializer, or the name of a `{ shorthand }`. */
export function propertyValue(property: Node): Node | undefined {
  if (Node.isPropertyAssignment(property)) return property.getInitializer();
  if (Node.isShorthandPropertyAssignment(property)) return property.getNameNode();
  return undefined;
}

function literalProperty(
  property: Node,
  depth: number,
): { ok: true; name: string; value: unknown } | { ok: false; node: Node } {
  const name = propertyName(property);
  const valueNode = propertyValue(property);
  if (name === undefined || !valueNode) return { ok: false, node: property };
  const inner = evaluateLiteral(valueNode, depth + 1);
  return inner.ok ? { ok: true, name, value: inner.value } : inner;
}
