import { existsSync, readFileSync } from "node:fs";
import { isBuiltin } from "node:module";
import { dirname, extname, relative, resolve, sep } from "node:path";
import { framedHash } from "@canal/ir";
import { type Project, ts } from "ts-morph";
import { CodeHashError } from "./errors.js";
import { type InstalledPackage, type Lockfile, packageEntry, packageName } from "./lockfile.js";
import type { CodeIdentity, StepDefinition } from "./model.js";
import { type StepSlice, type StepUnits, stepSlice } from "./slice.js";
import {
  hashedContent,
  isInside,
  pathsIdentity,
  realpath,
  sha256,
  sortedEntries,
  walkFiles,
} from "./snapshot.js";

export { CodeHashError } from "./errors.js";
export type { CodeIdentity } from "./model.js";

export interface CodeHashContext {
  project: Project;
  projectRoot: string;
  lockfile: Lockfile;
}

// ---------------------------------------------------------------------------------------------
// Normalisation. Source is hashed as its syntax tree, never as text: the tree holds no comments,
// whitespace or line breaks, string literals are taken by value (so quote style is free), and
// numbers by value. Every token is kept, so the tree stays exact (`a\n(b)` is one call, `a;\n(b)`
// two statements), except what a formatter may add or drop without changing meaning: a statement's
// or type member's closing `;`/`,`, a list's trailing comma, an arrow function's parameter parens,
// and quotes around a property name. Redundant parentheses elsewhere do count: `(a?.b).c` and
// `a?.b.c` differ, so parentheses are not meaning-free in general.
// ---------------------------------------------------------------------------------------------

const K = ts.SyntaxKind;
const kindNames = new Map<number, string>();
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

type Skip = (node: ts.Node) => boolean;

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
function encode(node: ts.Node, sf: ts.SourceFile, out: string[], skip?: Skip, parent?: ts.Node): void {
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
function visitValues(node: ts.Node, visit: (node: ts.Node) => void, skip?: Skip): void {
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

interface ModuleReference {
  specifier: string;
  usage: ts.StringLiteralLike;
}

/** A module a node loads: a static or dynamic import, re-export, or require() with a literal name. */
function moduleReference(node: ts.Node): ModuleReference | undefined {
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

function moduleInfo(sf: ts.SourceFile): ModuleInfo {
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

// ---------------------------------------------------------------------------------------------
// The step's own file: only the step and what it reaches, so editing another step there leaves
// this one's hash alone. Units are top-level statements, single variable declarations, and for a
// method step the members of its class one by one, plus the class itself without its members
// (decorators, `extends`), its constructor and static blocks, which run before any method does.
// ---------------------------------------------------------------------------------------------

class StepSource implements StepUnits {
  readonly units = new Set<ts.Node>();
  readonly imports = new Set<ts.Node>();
  readonly references: ModuleReference[] = [];
  private readonly queue: ts.Node[] = [];
  private readonly checker: ts.TypeChecker;
  readonly sf: ts.SourceFile;
  readonly stepNode: ts.Node;
  readonly cls: ts.ClassLikeDeclaration | undefined;
  readonly ownVariable: ts.VariableDeclaration | undefined;
  private allMembers = false;

  constructor(def: StepDefinition, project: Project) {
    this.checker = project.getTypeChecker().compilerObject;
    if (def.declaration.form === "method") {
      const method = def.declaration.node.compilerNode;
      this.stepNode = method;
      this.cls = ts.isClassLike(method.parent) ? method.parent : undefined;
    } else {
      this.ownVariable = def.declaration.node.compilerNode;
      this.stepNode = stepFunctionOf(this.ownVariable);
    }
    this.sf = this.stepNode.getSourceFile();
    this.include(this.stepNode);
    if (this.cls) {
      this.include(this.cls);
      for (const member of this.cls.members) {
        if (ts.isConstructorDeclaration(member) || ts.isClassStaticBlockDeclaration(member))
          this.include(member);
      }
    }
    for (const statement of this.sf.statements) {
      const reference =
        ts.isImportDeclaration(statement) && !statement.importClause && moduleReference(statement);
      if (reference) {
        this.references.push(reference);
        this.imports.add(statement);
      } else if (!loadsNothing.has(statement.kind)) {
        this.include(statement);
      }
    }
    for (let unit = this.queue.pop(); unit; unit = this.queue.pop()) this.walk(unit);
  }

  private include(unit: ts.Node): void {
    if (this.units.has(unit)) return;
    this.units.add(unit);
    this.queue.push(unit);
  }

  private skipFor(unit: ts.Node): Skip | undefined {
    if (unit === this.cls) return (node) => ts.isClassElement(node) && node.parent === unit;
    if (unit === this.stepNode) return (node) => ts.isDecorator(node) && node.parent === unit;
    return undefined;
  }

  private walk(unit: ts.Node): void {
    visitValues(unit, (node) => this.visit(node), this.skipFor(unit));
  }

  private visit(node: ts.Node): void {
    const reference = moduleReference(node);
    if (reference && !ts.isImportDeclaration(node) && !ts.isExportDeclaration(node))
      this.references.push(reference);
    if (node.kind === K.ThisKeyword && this.cls && !this.allMembers && escapes(node)) {
      // `this` handed on or indexed by a computed key: any member may be used.
      this.allMembers = true;
      for (const member of this.cls.members) this.include(member);
    }
    if (ts.isIdentifier(node) || ts.isPrivateIdentifier(node) || isLiteralElementKey(node)) {
      for (const symbol of this.symbolsAt(node)) this.reach(symbol);
    }
  }

  private symbolsAt(node: ts.Node): ts.Symbol[] {
    const parent = node.parent;
    const found: Array<ts.Symbol | undefined> = [this.checker.getSymbolAtLocation(node)];
    if (ts.isShorthandPropertyAssignment(parent) && parent.name === node) {
      found.push(this.checker.getShorthandAssignmentValueSymbol(parent));
    }
    if (ts.isBindingElement(parent) && ts.isObjectBindingPattern(parent.parent)) {
      const key = parent.propertyName ?? parent.name;
      if (key === node && (ts.isIdentifier(key) || ts.isStringLiteral(key))) {
        found.push(this.checker.getTypeAtLocation(parent.parent).getProperty(key.text));
      }
    }
    return found.filter((symbol): symbol is ts.Symbol => symbol !== undefined);
  }

  private reach(symbol: ts.Symbol): void {
    for (const decl of symbol.declarations ?? []) {
      if (decl.getSourceFile() !== this.sf) continue;
      const importing = symbol.flags & ts.SymbolFlags.Alias ? importOf(decl) : undefined;
      if (importing) {
        this.imports.add(importing);
        const reference = moduleReference(importing);
        if (reference) this.references.push(reference);
        continue;
      }
      const unit = this.unitOf(decl);
      if (unit) this.include(unit);
    }
  }

  private unitOf(decl: ts.Node): ts.Node | undefined {
    if (this.cls && (decl === this.cls || ts.findAncestor(decl, (n) => n === this.cls))) {
      return ts.findAncestor(decl, (n) => n.parent === this.cls && ts.isClassElement(n)) ?? this.cls;
    }
    let top: ts.Node = decl;
    while (top.parent && !ts.isSourceFile(top.parent)) top = top.parent;
    if (!top.parent) return undefined;
    if (ts.isVariableStatement(top)) {
      const variable = ts.findAncestor(decl, (n) => ts.isVariableDeclaration(n) && n.parent.parent === top);
      // The step variable's own initializer is the step: its options are config, hashed elsewhere.
      return variable === this.ownVariable ? undefined : (variable ?? top);
    }
    return ts.isImportDeclaration(top) || ts.isExportDeclaration(top) ? undefined : top;
  }

  /** The framed fields of the units, in source order. */
  fields(): string[] {
    const fields: string[] = [];
    for (const unit of [...this.units].sort((a, b) => a.pos - b.pos || b.end - a.end)) {
      fields.push(`unit:${kindNames.get(unit.kind)}`);
      if (ts.isVariableDeclaration(unit)) fields.push(`var:${declarationKeyword(unit)}`);
      encode(
        unit,
        this.sf,
        fields,
        unit === this.cls || unit === this.stepNode ? this.skipFor(unit) : undefined,
      );
    }
    return fields;
  }
}

/** The function a `step.fn(options?, fn)` initializer declares (the options are config). */
function stepFunctionOf(variable: ts.VariableDeclaration): ts.Node {
  let init: ts.Node | undefined = variable.initializer;
  while (
    init &&
    (ts.isParenthesizedExpression(init) || ts.isAsExpression(init) || ts.isSatisfiesExpression(init))
  ) {
    init = init.expression;
  }
  if (init && ts.isCallExpression(init)) return init.arguments[init.arguments.length - 1] ?? init;
  return init ?? variable;
}

/** Top-level statements that only declare; any other (a call, an assignment) runs on every load. */
const loadsNothing = new Set([
  K.FunctionDeclaration,
  K.ClassDeclaration,
  K.VariableStatement,
  K.InterfaceDeclaration,
  K.TypeAliasDeclaration,
  K.EnumDeclaration,
  K.ModuleDeclaration,
  K.ImportDeclaration,
  K.ImportEqualsDeclaration,
  K.ExportDeclaration,
  K.ExportAssignment,
  K.EmptyStatement,
]);

function escapes(self: ts.Node): boolean {
  const parent = self.parent;
  if (ts.isPropertyAccessExpression(parent)) return parent.expression !== self;
  return !(ts.isElementAccessExpression(parent) && isLiteralKey(parent.argumentExpression));
}

function isLiteralKey(node: ts.Node): boolean {
  return ts.isStringLiteralLike(node) || ts.isNumericLiteral(node);
}

function isLiteralElementKey(node: ts.Node): boolean {
  return (
    isLiteralKey(node) && ts.isElementAccessExpression(node.parent) && node.parent.argumentExpression === node
  );
}

function importOf(decl: ts.Node): ts.Node | undefined {
  return ts.findAncestor(
    decl,
    (n) =>
      ts.isImportDeclaration(n) ||
      (ts.isImportEqualsDeclaration(n) && ts.isExternalModuleReference(n.moduleReference)),
  );
}

function declarationKeyword(variable: ts.VariableDeclaration): string {
  const flags = variable.parent.flags;
  if ((flags & ts.NodeFlags.AwaitUsing) === ts.NodeFlags.AwaitUsing) return "await using";
  if (flags & ts.NodeFlags.Using) return "using";
  if (flags & ts.NodeFlags.Const) return "const";
  return flags & ts.NodeFlags.Let ? "let" : "var";
}

// ---------------------------------------------------------------------------------------------
// Other modules: whole files, since loading a module evaluates all of it, followed through every
// import they make. Bare specifiers that do not resolve to project source are packages, entered by
// their locked version (and the versions of what they depend on).
// ---------------------------------------------------------------------------------------------

const scriptFile = /\.(?:[cm]?[jt]s|[jt]sx)$/;
const declarationFile = /\.d\.([cm]?)ts$/;

class CodeGraph {
  readonly entries = new Map<string, string>();
  private readonly root: string;
  private readonly seen = new Set<string>();
  private readonly parsed = new Map<string, ts.SourceFile>();
  private readonly options: ts.CompilerOptions;
  private readonly host: ts.ModuleResolutionHost;

  constructor(
    private readonly ctx: CodeHashContext,
    private readonly owner: string,
  ) {
    this.root = realpath(ctx.projectRoot);
    this.options = ctx.project.getCompilerOptions();
    this.host = ctx.project.getModuleResolutionHost();
  }

  relative(path: string): string {
    return relative(this.root, realpath(path)).split(sep).join("/").normalize("NFC");
  }

  private isLocal(path: string): boolean {
    const real = realpath(path);
    return isInside(this.root, real) && !relative(this.root, real).split(sep).includes("node_modules");
  }

  follow(from: ts.SourceFile, reference: ModuleReference): void {
    const { specifier } = reference;
    if (isBuiltin(specifier) || /^[a-z][a-z+.-]+:/i.test(specifier)) return; // Node's own, or a URL
    const mode = ts.getModeForUsageLocation(from, reference.usage, this.options);
    const resolution = ts.resolveModuleName(
      specifier,
      from.fileName,
      this.options,
      this.host,
      undefined,
      undefined,
      mode,
    );
    const resolved = resolution.resolvedModule?.resolvedFileName;
    const name = packageName(specifier);
    if (resolved && this.isLocal(resolved) && !(name && declarationFile.test(resolved))) {
      this.addFile(resolved);
      return;
    }
    if (name) {
      const pkg = this.ctx.lockfile.resolve(name, from.fileName);
      if (pkg) this.addPackage(pkg);
      else if (resolved && this.isLocal(resolved)) this.addFile(resolved);
      else {
        // Installing it, or adding it to the lockfile, must change the hash.
        const missing = this.ctx.lockfile.path ? "not in the lockfile" : "not installed";
        this.entries.set(`npm:${name} (${missing})`, framedHash("canal.npm-package.v1", [name]));
      }
      return;
    }
    const target = resolved ?? resolve(dirname(from.fileName), specifier);
    if (!existsSync(target)) return; // unresolvable: the type check reports it
    if (!isInside(this.root, realpath(target))) {
      throw new CodeHashError(
        "CANAL_PATH_ESCAPES",
        `${this.owner}: ${this.relative(from.fileName)} imports "${specifier}", which is outside the project root ${this.root}`,
        "move the module into the project, or depend on it as a package",
      );
    }
    this.addFile(target);
  }

  /** A local file: a module is hashed whole and followed; any other file by its bytes. */
  private addFile(path: string): void {
    const declaration = declarationFile.exec(path);
    // A local .d.ts describes a sibling JavaScript file, which is what runs; alone it is only types.
    const file = declaration ? path.replace(declarationFile, `.${declaration[1]}js`) : path;
    if (declaration && !existsSync(file)) return;
    const real = realpath(file);
    if (this.seen.has(real)) return;
    this.seen.add(real);
    if (!scriptFile.test(real)) {
      this.entries.set(this.relative(real), sha256(hashedContent(readFileSync(real))));
      return;
    }
    const sf = this.sourceFile(real);
    const info = moduleInfo(sf);
    this.entries.set(this.relative(real), info.sha256);
    for (const reference of info.references) this.follow(sf, reference);
  }

  /** The program's parse when the file is in it; a parse of our own for, say, a .js file outside it. */
  private sourceFile(path: string): ts.SourceFile {
    const inProject = this.ctx.project.getSourceFile(path);
    if (inProject) return inProject.compilerNode;
    let sf = this.parsed.get(path);
    if (!sf) {
      const format = ts.getImpliedNodeFormatForFile(path, undefined, this.host, this.options);
      const kind = /x$/.test(extname(path)) ? ts.ScriptKind.TSX : ts.ScriptKind.Unknown;
      const target = { languageVersion: ts.ScriptTarget.Latest, impliedNodeFormat: format };
      sf = ts.createSourceFile(path, readFileSync(path, "utf8"), target, true, kind);
      this.parsed.set(path, sf);
    }
    return sf;
  }

  addPackage(pkg: InstalledPackage): void {
    const key = `pkg:${pkg.location}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    if (pkg.linkTarget) {
      // Linked (workspace or file:) package that does not resolve to project source, e.g. to its
      // built .d.ts: its files are what changes, so they are hashed, minus its node_modules.
      const inside = this.isLocal(pkg.linkTarget);
      const base = inside ? this.relative(pkg.linkTarget) : `link:${pkg.name}`;
      const walkRoot = inside ? this.ctx.projectRoot : pkg.linkTarget;
      const skipDirectories = new Set(["node_modules"]);
      for (const file of walkFiles(pkg.linkTarget, walkRoot, this.owner, { skipDirectories })) {
        this.entries.set(base ? `${base}/${file.path}` : file.path, file.sha256);
      }
    } else {
      // The installed files by content too: a patch in node_modules keeps the lockfile's claim.
      const entry = packageEntry(pkg, this.ctx.lockfile.contentDigest(pkg));
      this.entries.set(entry.path, entry.sha256);
    }
    for (const dependency of this.ctx.lockfile.dependenciesOf(pkg)) this.addPackage(dependency);
  }
}

/**
 * The code identity of a TypeScript step: its own code (a method's signature and body, or the
 * function given to `step.fn`), the declarations of its file that it reaches through the checker's
 * symbols, every local module it imports transitively (whole), the locked versions and installed
 * content of the packages those reach, and its hashPaths. Decorator and `step.fn` options are left out: they are config,
 * hashed with the step. Paths are relative to the project root, so any checkout hashes alike.
 *
 * @example
 * ```ts
 * const { hash, files } = typescriptStepIdentity(definition, { project, projectRoot, lockfile: readLockfile(projectRoot) });
 * // files: [{ path: "npm:lodash@4.17.21", ... }, { path: "pipeline.ts#Iris.train", ... }, { path: "src/features.ts", ... }]
 * ```
 */
export function typescriptStepIdentity(def: StepDefinition, ctx: CodeHashContext): CodeIdentity {
  return typescriptStepCode(def, ctx).identity;
}

/** A TypeScript step's code identity, and its own file cut down to what that identity covers. */
export function typescriptStepCode(
  def: StepDefinition,
  ctx: CodeHashContext,
): { identity: CodeIdentity; slice: StepSlice | undefined } {
  const owner = `step \`${def.name}\``;
  const source = new StepSource(def, ctx.project);
  const graph = new CodeGraph(ctx, owner);
  const sf = def.declaration.node.getSourceFile().compilerNode;
  const label =
    def.declaration.form === "method"
      ? `${def.declaration.className}.${def.declaration.node.getName()}`
      : def.declaration.node.getName();
  graph.entries.set(
    `${graph.relative(sf.fileName)}#${label}`,
    framedHash("canal.code.step.v1", source.fields()),
  );
  for (const reference of source.references) graph.follow(sf, reference);
  for (const file of pathsIdentity(def.hashPaths, ctx.projectRoot, owner))
    graph.entries.set(file.path, file.sha256);
  const files = sortedEntries(graph.entries);
  const hash = framedHash(
    "canal.code.typescript.v1",
    files.flatMap((file) => [file.path, file.sha256]),
  );
  return { identity: { hash, files }, slice: stepSlice(source, def.exportName) };
}
