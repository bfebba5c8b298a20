import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";

export const repoRoot = resolve(import.meta.dirname, "..");

/**
 * A copy of the flagship example as its own project in a temp directory (with @canal/sdk linked
 * in), so tests can edit sources freely and compare against a pristine copy.
 */
export function copyIris(): string {
  const dir = mkdtempSync(join(tmpdir(), "canal-iris-"));
  cpSync(join(repoRoot, "examples/iris"), dir, {
    recursive: true,
    filter: (src) => !/\/(node_modules|dist|canal-out)(\/|$)/.test(src),
  });
  mkdirSync(join(dir, "node_modules/@canal"), { recursive: true });
  symlinkSync(join(repoRoot, "packages/sdk"), join(dir, "node_modules/@canal/sdk"));
  symlinkSync(join(repoRoot, "node_modules/@types"), join(dir, "node_modules/@types"));
  // A standalone project: the example's own tsconfig extends the repository's base.
  const base = JSON.parse(readFileSync(join(repoRoot, "tsconfig.base.json"), "utf8"));
  const options = { ...base.compilerOptions, composite: false, declaration: false, declarationMap: false, noEmit: true };
  writeFileSync(join(dir, "tsconfig.json"), `${JSON.stringify({ compilerOptions: options, include: ["pipeline.ts", "src"] }, null, 2)}\n`);
  return dir;
}

/** Every file under a directory with its bytes, keyed by relative path. */
export function treeBytes(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (current: string) => {
    for (const name of readdirSync(current).sort()) {
      const path = join(current, name);
      if (statSync(path).isDirectory()) walk(path);
      else files.set(relative(dir, path), readFileSync(path));
    }
  };
  walk(dir);
  return files;
}
