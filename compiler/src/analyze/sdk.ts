import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { type Symbol as MorphSymbol, Node, type SourceFile, type StringLiteral } from "ts-morph";

const SDK_PACKAGE = "@canal/sdk";
const packageNameByDir = new Map<string, string | undefined>();

/** The name of the npm package that owns a file, read from its nearest package.json. */
function owningPackage(file: string): string | undefined {
  const visited: string[] = [];
  let dir = dirname(file);
  let name: string | undefined;
  for (;;) {
    if (packageNameByDir.has(dir)) {
      name = packageNameByDir.get(dir);
      break;
    }
    visited.push(dir);
    const manifest = join(dir, "package.json");
    if (existsSync(manifest)) {
      try {
        name = (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name;
      } catch {
        name = undefined;
      }
      break;
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  for (const d of visited) packageNameByDir.set(d, name);
  return name;
}

/** Follows import/export aliases to the symbol that declares the value. */
export function resolveAlias(symbol: MorphSymbol | undefined): MorphSymbol | undefined {
  let current = symbol;
  for (let i = 0; current?.isAlias() && i < 32; i++) current = current.getAliasedSymbol();
  return current;
}

export function isSdkSymbol(symbol: MorphSymbol | undefined): boolean {
  const declaration = symbol?.getDeclarations()[0];
  return (
    declaration !== undefined && owningPackage(declaration.getSourceFile().getFilePath()) === SDK_PACKAGE
  );
}

/**
 * The SDK export an expression denotes, as a dotted path ("step", "step.script.fn", "env.python",
 * "pipeline"), found through the checker: renamed imports, re-exports and local `const` aliases
 * resolve to the same path, while a user's own `step` does not.
 */
export function sdkPath(expression: Node, depth = 0): string | undefined {
  if (depth > 16) return undefined;
  if (Node.isParenthesizedExpression(expression)) return sdkPath(expression.getExpression(), depth + 1);
  if (Node.isPropertyAccessExpression(expression)) {
    const base = sdkPath(expression.getExpression(), depth + 1);
    if (base === undefined) return undefined;
    return base === "" ? expression.getName() : `${base}.${expression.getName()}`;
  }
  if (!Node.isIdentifier(expression)) return undefined;
  const symbol = resolveAlias(expression.getSymbol());
  if (!symbol) return undefined;
  // A namespace import (`import * as canal`) denotes the SDK module itself: the root of paths.
  if (isSdkSymbol(symbol)) return Node.isSourceFile(symbol.getDeclarations()[0]) ? "" : symbol.getName();
  const declaration = symbol.getValueDeclaration();
  if (
    Node.isVariableDeclaration(declaration) &&
    declaration.getVariableStatement()?.getDeclarationKind() === "const"
  ) {
    const initializer = declaration.getInitializer();
    if (initializer && (Node.isIdentifier(initializer) || Node.isPropertyAccessExpression(initializer))) {
      return sdkPath(initializer, depth + 1);
    }
  }
  return undefined;
}

/** The SDK path of a decorator, whether written bare (`@step`) or called (`@step({...})`). */
export function decoratorPath(decorator: Node): { path: string; options?: Node } | undefined {
  if (!Node.isDecorator(decorator)) return undefined;
  const expression = decorator.getExpression();
  if (Node.isCallExpression(expression)) {
    const path = sdkPath(expression.getExpression());
    return path === undefined ? undefined : { path, options: expression.getArguments()[0] };
  }
  const path = sdkPath(expression);
  return path === undefined ? undefined : { path };
}

/**
 * The module specifier of the file's first import of the SDK that does not resolve (the package is
 * not installed where the file can see it), or undefined.
 */
export function unresolvedSdkImport(sourceFile: SourceFile): StringLiteral | undefined {
  for (const declaration of [...sourceFile.getImportDeclarations(), ...sourceFile.getExportDeclarations()]) {
    if (declaration.getModuleSpecifierValue() !== SDK_PACKAGE) continue;
    if (declaration.getModuleSpecifierSourceFile() === undefined) return declaration.getModuleSpecifier();
  }
  return undefined;
}
