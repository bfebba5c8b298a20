import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { Project, ts } from "ts-morph";
import type { ReadLog } from "../read-log.js";

/** Used when the entry has no tsconfig.json above it: what `canal init` writes. */
const defaultCompilerOptions: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true,
  esModuleInterop: true,
  skipLibCheck: true,
};

/**
 * Analysis only reads the program: options that make a program emit or tie it to a build graph
 * (composite projects report every file outside `include` as an error) do not apply.
 */
const analysisOverrides: ts.CompilerOptions = {
  noEmit: true,
  composite: false,
  incremental: false,
  declaration: false,
  declarationMap: false,
  sourceMap: false,
};

function nearestAncestorWith(start: string, fileName: string): string | undefined {
  let dir = resolve(start);
  for (;;) {
    if (existsSync(join(dir, fileName))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * The root that locations and escaping paths are measured against: the nearest directory above
 * the entry holding package-lock.json (a workspace root), else package.json, else the entry's own
 * directory.
 *
 * @example
 * ```ts
 * findProjectRoot("/repo/examples/iris/pipeline.ts"); // "/repo" when /repo has package-lock.json
 * ```
 */
export function findProjectRoot(entry: string): string {
  const start = dirname(resolve(entry));
  return (
    nearestAncestorWith(start, "package-lock.json") ?? nearestAncestorWith(start, "package.json") ?? start
  );
}

/**
 * A ts-morph project for the entry files: compiler options from the tsconfig.json nearest to the
 * first entry (strict ES2022/NodeNext defaults without one), holding the entries and every file
 * they import. With `reads`, the program reads through it (see read-log.ts).
 */
export function createProject(entries: string[], projectRoot: string, reads?: ReadLog): Project {
  const first = entries[0] ? resolve(projectRoot, entries[0]) : projectRoot;
  const configDir = nearestAncestorWith(dirname(first), "tsconfig.json");
  const fileSystem = reads?.fileSystem;
  const make = () =>
    configDir
      ? new Project({
          tsConfigFilePath: join(configDir, "tsconfig.json"),
          skipAddingFilesFromTsConfig: true,
          compilerOptions: analysisOverrides,
          ...(fileSystem ? { fileSystem } : {}),
        })
      : new Project({
          compilerOptions: { ...defaultCompilerOptions, ...analysisOverrides },
          ...(fileSystem ? { fileSystem } : {}),
        });
  const project = reads ? reads.configuring(make) : make();
  for (const entry of entries) project.addSourceFileAtPath(resolve(projectRoot, entry));
  project.resolveSourceFileDependencies();
  return project;
}
