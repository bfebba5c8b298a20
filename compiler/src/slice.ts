import { ts } from "ts-morph";

/** What a TypeScript step's code hash covers in the step's own file. */
export interface StepUnits {
  sf: ts.SourceFile;
  /** Top-level statements, single variable declarations and class members the hash covers. */
  units: ReadonlySet<ts.Node>;
  /** The import declarations the step reaches, and the file's side-effect imports. */
  imports: ReadonlySet<ts.Node>;
  /** The step's method, or the function its `step.fn` declares. */
  stepNode: ts.Node;
  /** The class of a method step. */
  cls: ts.ClassLikeDeclaration | undefined;
  /** The variable a `step.fn` value is declared as. */
  ownVariable: ts.VariableDeclaration | undefined;
}

/** The step's own file cut down to what its code hash covers, exporting the step under `exportName`. */
export interface StepSlice {
  /** TypeScript source: the reached imports and units in source order, then one export. */
  text: string;
}

const plainName = /^[A-Za-z_$][\w$]*$/;

/**
 * Writes a quoted member name that is a plain identifier without its quotes (`{ "model": m }` as
 * `{ model: m }`), as the code hash reads it: the same property either way, and esbuild keeps quotes.
 */
const unquoteNames: ts.TransformerFactory<ts.Node> = (context) => {
  const visit = (node: ts.Node): ts.Node => {
    const named = node as ts.Node & { name?: ts.Node };
    if (
      named.name &&
      ts.isStringLiteral(named.name) &&
      plainName.test(named.name.text) &&
      (ts.isPropertyAssignment(node) ||
        ts.isPropertyDeclaration(node) ||
        ts.isMethodDeclaration(node) ||
        ts.isPropertySignature(node) ||
        ts.isMethodSignature(node) ||
        ts.isGetAccessorDeclaration(node) ||
        ts.isSetAccessorDeclaration(node) ||
        ts.isEnumMember(node))
    ) {
      const updated = ts.visitEachChild(node, visit, context);
      const name = ts.factory.createIdentifier(named.name.text);
      return ts.setOriginalNode(replaceName(updated, name), node);
    }
    return ts.visitEachChild(node, visit, context);
  };
  return (node) => ts.visitNode(node, visit) as ts.Node;
};

function replaceName(node: ts.Node, name: ts.Identifier): ts.Node {
  const f = ts.factory;
  if (ts.isPropertyAssignment(node)) return f.updatePropertyAssignment(node, name, node.initializer);
  if (ts.isPropertyDeclaration(node))
    return f.updatePropertyDeclaration(
      node,
      node.modifiers,
      name,
      node.questionToken ?? node.exclamationToken,
      node.type,
      node.initializer,
    );
  if (ts.isMethodDeclaration(node))
    return f.updateMethodDeclaration(
      node,
      node.modifiers,
      node.asteriskToken,
      name,
      node.questionToken,
      node.typeParameters,
      node.parameters,
      node.type,
      node.body,
    );
  if (ts.isGetAccessorDeclaration(node))
    return f.updateGetAccessorDeclaration(node, node.modifiers, name, node.parameters, node.type, node.body);
  if (ts.isSetAccessorDeclaration(node))
    return f.updateSetAccessorDeclaration(node, node.modifiers, name, node.parameters, node.body);
  if (ts.isEnumMember(node)) return f.updateEnumMember(node, name, node.initializer);
  return node; // signatures are types, which the bundle erases
}

/** Source printed from syntax trees: no comments, quoted plain member names unquoted. */
export function printCode(nodes: readonly ts.Node[], sf: ts.SourceFile): string {
  const printer = ts.createPrinter({ removeComments: true });
  const result = ts.transform([...nodes], [unquoteNames]);
  try {
    return result.transformed.map((node) => printer.printNode(ts.EmitHint.Unspecified, node, sf)).join("\n");
  } finally {
    result.dispose();
  }
}

const exportKeywords = new Set([ts.SyntaxKind.ExportKeyword, ts.SyntaxKind.DefaultKeyword]);

function withoutExport(modifiers: readonly ts.ModifierLike[] | undefined): ts.ModifierLike[] {
  return (modifiers ?? []).filter((modifier) => !exportKeywords.has(modifier.kind));
}

function withoutDecorators(modifiers: readonly ts.ModifierLike[] | undefined): ts.ModifierLike[] {
  return (modifiers ?? []).filter((modifier) => !ts.isDecorator(modifier));
}

function isExported(node: ts.Node): boolean {
  return (
    ts.canHaveModifiers(node) &&
    (ts.getModifiers(node) ?? []).some((modifier) => modifier.kind === ts.SyntaxKind.ExportKeyword)
  );
}

/**
 * The source a TypeScript step's bundle is built from: its own file holding only what the step's
 * code hash covers (the step itself without its decorator, the members and declarations it reaches,
 * the code that runs when the file loads, the imports it uses), so the bundle's bytes change exactly
 * when that hash does, and a step never runs code its key leaves out. Its class keeps its header,
 * constructor and static blocks; a `step.fn` value is the function alone, its options being config.
 * Undefined when the step is not declared by a top-level statement: the file is then bundled whole.
 */
export function stepSlice(step: StepUnits, exportName: string): StepSlice | undefined {
  const { sf, units, imports, stepNode, cls, ownVariable } = step;
  const f = ts.factory;
  let localName: string | undefined;
  const statements: ts.Statement[] = [];
  for (const statement of sf.statements) {
    if (imports.has(statement)) {
      statements.push(statement);
    } else if (statement === cls) {
      if (!ts.isClassDeclaration(cls)) return undefined;
      const name = cls.name ?? f.createIdentifier("CanalStepClass");
      localName = name.text;
      const members = cls.members
        .filter((member) => units.has(member))
        .map((member) =>
          member === stepNode && ts.isMethodDeclaration(member)
            ? f.replaceDecoratorsAndModifiers(member, withoutDecorators(member.modifiers))
            : member,
        );
      statements.push(
        f.updateClassDeclaration(
          cls,
          withoutExport(cls.modifiers),
          name,
          cls.typeParameters,
          cls.heritageClauses,
          members,
        ),
      );
    } else if (ts.isVariableStatement(statement)) {
      const declarations = statement.declarationList.declarations.flatMap((declaration) => {
        if (declaration === ownVariable) {
          if (!ts.isIdentifier(declaration.name)) return [];
          localName = declaration.name.text;
          return [
            f.updateVariableDeclaration(
              declaration,
              declaration.name,
              undefined,
              undefined,
              stepNode as ts.Expression,
            ),
          ];
        }
        return units.has(declaration) || units.has(statement) ? [declaration] : [];
      });
      if (declarations.length === 0) continue;
      statements.push(
        f.updateVariableStatement(
          statement,
          withoutExport(statement.modifiers),
          f.updateVariableDeclarationList(statement.declarationList, declarations),
        ),
      );
    } else if (units.has(statement)) {
      if (!isExported(statement)) statements.push(statement);
      else if (ts.isClassDeclaration(statement) && statement.name)
        statements.push(f.replaceDecoratorsAndModifiers(statement, withoutExport(statement.modifiers)));
      else if (ts.canHaveModifiers(statement) && (statement as ts.NamedDeclaration).name) {
        const modifiers = withoutExport(ts.getModifiers(statement)) as ts.Modifier[];
        statements.push(f.replaceModifiers(statement, modifiers) as ts.Statement);
      } else return undefined; // an anonymous default export: only the whole file keeps its meaning
    }
  }
  if (!localName) return undefined;
  return { text: `${printCode(statements, sf)}\nexport { ${localName} as ${exportName} };\n` };
}
