import type { Condition, ConditionOp } from "@canal/ir";
import { canonicalJson } from "@canal/ir";
import { Node, SyntaxKind } from "ts-morph";
import { evaluateLiteral, unwrap } from "./literal.js";
import type { Reporter } from "./report.js";
import type { Value } from "./values.js";

const comparisons: Partial<Record<SyntaxKind, ConditionOp>> = {
  [SyntaxKind.EqualsEqualsEqualsToken]: "EQ",
  [SyntaxKind.ExclamationEqualsEqualsToken]: "NE",
  [SyntaxKind.LessThanToken]: "LT",
  [SyntaxKind.LessThanEqualsToken]: "LE",
  [SyntaxKind.GreaterThanToken]: "GT",
  [SyntaxKind.GreaterThanEqualsToken]: "GE",
};

/** `3 < x` is `x > 3`. */
const mirrored: Record<ConditionOp, ConditionOp> = {
  TRUTHY: "TRUTHY",
  FALSY: "FALSY",
  EQ: "EQ",
  NE: "NE",
  LT: "GT",
  LE: "GE",
  GT: "LT",
  GE: "LE",
};

/** What the `else` branch requires. */
const negated: Record<ConditionOp, ConditionOp> = {
  TRUTHY: "FALSY",
  FALSY: "TRUTHY",
  EQ: "NE",
  NE: "EQ",
  LT: "GE",
  LE: "GT",
  GT: "LE",
  GE: "LT",
};

export function negate(condition: Condition): Condition {
  return { ...condition, op: negated[condition.op] };
}

const conditionForms =
  "`if (param)`, `if (!param)`, `if (param === literal)` (or !==, <, <=, >, >=), joined with &&";

/**
 * Reads an `if` condition as conditions on pipeline parameters (all must hold). Step outputs are
 * only known at run time, so a condition may only test parameters and their fields.
 *
 * @param operand evaluates a sub-expression of the body to what it stands for
 */
export function readConditions(
  reporter: Reporter,
  expression: Node,
  operand: (node: Node) => Value | undefined,
): Condition[] | undefined {
  const node = unwrap(expression);
  if (
    Node.isBinaryExpression(node) &&
    node.getOperatorToken().getKind() === SyntaxKind.AmpersandAmpersandToken
  ) {
    const left = readConditions(reporter, node.getLeft(), operand);
    const right = readConditions(reporter, node.getRight(), operand);
    return left && right ? [...left, ...right] : undefined;
  }
  if (Node.isPrefixUnaryExpression(node) && node.getOperatorToken() === SyntaxKind.ExclamationToken) {
    const parameter = parameterOperand(reporter, node.getOperand(), operand);
    return parameter && [{ ...parameter, op: "FALSY" }];
  }
  if (Node.isBinaryExpression(node)) {
    const op = comparisons[node.getOperatorToken().getKind()];
    if (!op) {
      reporter.error(
        "CANAL1002",
        node.getOperatorToken(),
        `the operator \`${node.getOperatorToken().getText()}\` is not allowed in a pipeline condition`,
        `write conditions as ${conditionForms}`,
      );
      return undefined;
    }
    const leftLiteral = evaluateLiteral(node.getLeft());
    const [subject, literalNode, actualOp] = leftLiteral.ok
      ? [node.getRight(), node.getLeft(), mirrored[op]]
      : [node.getLeft(), node.getRight(), op];
    const parameter = parameterOperand(reporter, subject, operand);
    const literal = evaluateLiteral(literalNode);
    if (!literal.ok) {
      reporter.error(
        "CANAL1002",
        literalNode,
        `\`${literalNode.getText()}\` is not a literal: a pipeline condition compares a parameter with a literal`,
        `write conditions as ${conditionForms}`,
      );
      return undefined;
    }
    return parameter && [{ ...parameter, op: actualOp, valueJson: canonicalJson(literal.value) }];
  }
  const parameter = parameterOperand(reporter, node, operand);
  return parameter && [{ ...parameter, op: "TRUTHY" }];
}

function parameterOperand(
  reporter: Reporter,
  node: Node,
  operand: (node: Node) => Value | undefined,
): Omit<Condition, "op"> | undefined {
  const before = reporter.count;
  const value = operand(unwrap(node));
  if (value?.kind === "parameter") {
    return value.path.length > 0 ? { parameter: value.name, path: value.path } : { parameter: value.name };
  }
  if (reporter.count > before) return undefined;
  const what =
    value?.kind === "output" || value?.kind === "result"
      ? "a step output, which is only known at run time"
      : value?.kind === "item"
        ? "a fan-out item"
        : "not a pipeline parameter";
  reporter.error(
    "CANAL1002",
    node,
    `\`if\` can only test pipeline parameters; \`${node.getText()}\` is ${what}`,
    `write conditions as ${conditionForms}; to branch on a step's result, do it inside a step`,
  );
  return undefined;
}
