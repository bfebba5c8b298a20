import { framedHash } from "@canal/ir";
import { ts } from "ts-morph";

// ---------------------------------------------------------------------------------------------
// Normalisation. Source is hashed as its syntax tree, never as text: the tree holds no comments,
// whitespace or line breaks, string literals are taken by value (so quote style is free), and
// numbers by value. Every token is kept, so the tree stays exact (`a\n(b)` is one call, `a;\n(b)`
// two statements), except what a formatter may add or drop without changing meaning: a statement's
// or type member's closing `;`/`,`, a list's trailing comma, an arrow function's parameter parens,
// and quotes around a property name. Redundant parentheses elsewhere do count: `(a?.b).c` and
// `a?.b.c` differ, so parentheses are not meaning-free in general.
// ---------------------------------------------------------------------------------------------

export const K = ts.SyntaxKind;
export const kindNames = new Map<number, string>();
for (const [name, value] of Object.entries(K)) {
  // The first name of a kind is its own; later ones are range markers such as FirstStatement.
  if (typeof value === "number" && !kindNames.has(value)) kindNames.set(value, name);
}

const plainName = /^[A-Za-z_$][\w$]*$/;
const namedMembers = new Set([
  K.PropertyAssignment,
  K.PropertyDeclaration,
  K.MethodDeclaration,
  K.PropertySignature,
  K.MethodSignature,
  K.GetAccessor,
  K.SetAccessor,
  K.EnumMember,
]);

function isNameOf(node: ts.Node, parent: ts.Node | undefined): boolean {
  return !!parent && namedMembers.has(parent.kind) && (parent as ts.NamedDeclaration).name === node;
}

export type Skip = (node: ts.Node) => boolean;

function leaf(node: ts.Node, parent: ts.Node | undefined): string | undefined {
  switch (node.kind) {
    case K.Identifier:
      return `i:${(node as ts.Identifier).text}`;
    case K.PrivateIdentifier:
      return `p:${(node as ts.PrivateIdentifier).text}`;
    case K.StringLiteral: {
      const text = (node as ts.StringLiteral).text;
      return isNameOf(node, parent) && plainName.test(text) ? `i:${text}` : `s:${text}`;
    }
    case K.NumericLiteral: {
      const text = (node as ts.NumericLiteral).text;
      const value = Number(text);
      return `n:${Number.isNaN(value) ? text : String(value)}`;
    }
    case K.BigIntLiteral:
    case K.RegularExpressionLiteral:
      return `l:${(node as ts.LiteralLikeNode).text}`;
    case K.NoSubstitutionTemplateLiteral:
    case K.TemplateHead:
    case K.TemplateMiddle:
    case K.TemplateTail: {
      // Raw text: a tag such as String.raw sees escapes as written.
      const template = node as ts.TemplateLiteralLikeNode;
      return `t:${template.rawText ?? template.text}`;
    }
    case K.JsxText:
      return (node as ts.JsxText).containsOnlyTriviaWhiteSpaces ? "" : `x:${(node as ts.JsxText).text}`;
  }
  if (node.kind <= K.LastToken) return `k:${ts.tokenToString(node.kind) ?? kindNames.get(node.kind)}`;
  return undefined;
}

function droppable(child: ts.Node, node: ts.Node, last: boolean): boolean {
  const kind = child.kind;
  if (kind === K.OpenParenToken || kind === K.CloseParenToken) {
    return ts.isArrowFunction(node);
  }
  if (!last) return false;
  if (kind === K.SemicolonToken) return true;
  return kind === K.CommaToken && (node.kind === K.SyntaxList || ts.isTypeElement(node));
}

/** Appends the normalised form of `node` to `out`, as framed fields. */
export function encode(node: ts.Node, sf: ts.SourceFile, out: string[], skip?: Skip, parent?: ts.Node): void {
  if (skip?.(node)) return;
  const token = leaf(node, parent ?? node.parent);
  if (token !== undefined) {
    if (token) out.push(token);
    return;
  }
  const children = node.getChildren(sf).filter((child) => !ts.isJSDoc(child));
  out.push(`(${kindNames.get(node.kind)}`);
  children.forEach((child, index) => {
    if (!droppable(child, node, index === children.length - 1)) encode(child, sf, out, skip, node);
  });
  out.push(")");
}

// ---------------------------------------------------------------------------------------------
// What runs. Types are erased when TypeScript is compiled, so type annotations, interfaces, type
// aliases, `declare` statements, `import type` and `export type` can change no step's behaviour:
// they are never followed (a step's own signature is still hashed as written). An import that is
// not `import type` is followed even when its names serve only as types, since with
// verbatimModuleSyntax the module is still loaded.
// ---------------------------------------------------------------------------------------------

function isErased(node: ts.Node): boolean {
  if (ts.isTypeNode(node) || ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node)) return true;
  if (ts.isTypeParameterDeclaration(node)) return true;
  return ts.canHaveModifiers(node) && !!ts.getModifiers(node)?.some((m) => m.kind === K.DeclareKeyword);
}

/** Calls `visit` on every node of `node` that survives compilation. */
export function visitValues(node: ts.Node, visit: (node: ts.Node) => void, skip?: Skip): void {
  if (skip?.(node)) return;
  visit(node);
  if (ts.isHeritageClause(node)) {
    // `extends Base` evaluates Base; `implements I` is a type.
    if (node.token === K.ExtendsKeyword && ts.isClassLike(node.parent)) {
      for (const type of node.types) visitValues(type.expression, visit, skip);
    }
    return;
  }
  ts.forEachChild(node, (child) => {
    if (!isErased(child)) visitValues(child, visit, skip);
  });
}

export interface ModuleReference {
  specifier: string;
  usage: ts.StringLiteralLike;
}

/** A module a node loads: a static or dynamic import, re-export, or require() with a literal name. */
export function moduleReference(node: ts.Node): ModuleReference | undefined {
  let specifier: ts.Expression | undefined;
  if (ts.isImportDeclaration(node) && !node.importClause?.isTypeOnly) specifier = node.moduleSpecifier;
  else if (ts.isExportDeclaration(node) && !node.isTypeOnly) specifier = node.moduleSpecifier;
  else if (
    ts.isImportEqualsDeclaration(node) &&
    !node.isTypeOnly &&
    ts.isExternalModuleReference(node.moduleReference)
  ) {
    specifier = node.moduleReference.expression;
  } else if (ts.isCallExpression(node)) {
    const callee = node.expression;
    const dynamic = callee.kind === K.ImportKeyword;
    if (dynamic || (ts.isIdentifier(callee) && callee.text === "require")) specifier = node.arguments[0];
  }
  // A computed specifier (import(name)) cannot be followed statically: list such files in hashPaths.
  return specifier && ts.isStringLiteralLike(specifier)
    ? { specifier: specifier.text, usage: specifier }
    : undefined;
}

interface ModuleInfo {
  sha256: string;
  references: ModuleReference[];
}

/** Keyed by the parsed file: a new parse of an edited file is a new key, so this never goes stale. */
const modules = new WeakMap<ts.SourceFile, ModuleInfo>();

export function moduleInfo(sf: ts.SourceFile): ModuleInfo {
  let info = modules.get(sf);
  if (!info) {
    const fields: string[] = [];
    encode(sf, sf, fields);
    const references: ModuleReference[] = [];
    visitValues(sf, (node) => {
      const reference = moduleReference(node);
      if (reference) references.push(reference);
    });
    info = { sha256: framedHash("canal.code.module.v1", fields), references };
    modules.set(sf, info);
  }
  return info;
}
