import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync } from "node:fs";
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
