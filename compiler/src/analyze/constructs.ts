import { Node, SyntaxKind } from "ts-morph";

/** What a pipeline body may hold, as a refused construct's message says. */
export const ALLOWED =
  "a pipeline body may hold `const` bindings (object destructuring too), step calls, literals, parameter references, `await`, fan-outs `arr.map((x) => ...)` and `for (const x of arr)`, `if` on parameters, and a final `return`";

const constructs: Partial<Record<SyntaxKind, string>> = {
  [SyntaxKind.WhileStatement]: "`while` loops",
  [SyntaxKind.DoStatement]: "`do…while` loops",
  [SyntaxKind.ForStatement]: "`for (;;)` loops",
  [SyntaxKind.ForInStatement]: "`for…in` loops",
  [SyntaxKind.SwitchStatement]: "`switch` statements",
  [SyntaxKind.TryStatement]: "`try` statements",
  [SyntaxKind.ThrowStatement]: "`throw` statements",
  [SyntaxKind.LabeledStatement]: "labeled statements",
  [SyntaxKind.BreakStatement]: "`break`",
  [SyntaxKind.ContinueStatement]: "`continue`",
  [SyntaxKind.FunctionDeclaration]: "function declarations",
  [SyntaxKind.ClassDeclaration]: "class declarations",
  [SyntaxKind.ConditionalExpression]: "conditional expressions (`a ? b : c`)",
  [SyntaxKind.ArrowFunction]: "functions outside `.map(...)`",
  [SyntaxKind.FunctionExpression]: "functions outside `.map(...)`",
  [SyntaxKind.NewExpression]: "`new` expressions",
  [SyntaxKind.ElementAccessExpression]: "indexing (`a[i]`)",
  [SyntaxKind.TemplateExpression]: "template strings with substitutions",
  [SyntaxKind.AsExpression]: "type assertions (`as T`)",
  [SyntaxKind.TypeAssertionExpression]: "type assertions (`<T>x`)",
  [SyntaxKind.ThisKeyword]: "`this` outside a step call",
  [SyntaxKind.SpreadElement]: "spread arguments (`...x`)",
  [SyntaxKind.DeleteExpression]: "`delete`",
  [SyntaxKind.TypeOfExpression]: "`typeof`",
  [SyntaxKind.PostfixUnaryExpression]: "`++` and `--`",
  [SyntaxKind.YieldExpression]: "`yield`",
  [SyntaxKind.TaggedTemplateExpression]: "tagged templates",
};

/** How a construct the pipeline body does not allow reads in a message. */
export function describeConstruct(node: Node): string {
  const known = constructs[node.getKind()];
  if (known) return `${known} (\`${snippet(node)}\`)`;
  if (Node.isBinaryExpression(node)) {
    return `the computed value \`${snippet(node)}\` (operator \`${node.getOperatorToken().getText()}\`)`;
  }
  if (Node.isPrefixUnaryExpression(node)) return `the computed value \`${snippet(node)}\``;
  return `\`${snippet(node)}\``;
}

function snippet(node: Node): string {
  const text = node.getText().replace(/\s+/g, " ");
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
