import type { Project } from "ts-morph";
import { ts } from "ts-morph";
import type { StepDefinition } from "../model.js";
import type { StepUnits } from "../slice.js";
import {
  encode,
  K,
  kindNames,
  type ModuleReference,
  moduleReference,
  type Skip,
  visitValues,
} from "./syntax.js";

// ---------------------------------------------------------------------------------------------
// The step's own file: only the step and what it reaches, so editing another step there leaves
// this one's hash alone. Units are top-level statements, single variable declarations, and for a
// method step the members of its class one by one, plus the class itself without its members
// (decorators, `extends`), its constructor and static blocks, which run before any method does.
// ---------------------------------------------------------------------------------------------

export class StepSource implements StepUnits {
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
