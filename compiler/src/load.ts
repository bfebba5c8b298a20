import type { CompileOptions, CompileResult } from "./compile.js";

/**
 * Compiles pipeline source into artifacts (see `compile.ts`). The package loads TypeScript,
 * ts-morph and esbuild on the first compile rather than when it is imported, so a command that
 * imports the compiler but does not compile starts at once. With `cacheDir`, the compile goes
 * through the compile cache there (compile-cache.ts): unchanged sources give the artifacts of the
 * last compile without loading TypeScript at all.
 *
 * @example
 * ```ts
 * const result = await compile({ entries: ["pipeline.ts"], outDir: ".canal/build", cacheDir: ".canal/cache/compile" });
 * result.fromCache; // true when nothing the last compile read has changed
 * ```
 */
export async function compile(options: CompileOptions & { cacheDir?: string }): Promise<CompileResult> {
  const { cacheDir, ...rest } = options;
  if (cacheDir !== undefined) return (await import("./compile-cache.js")).cachedCompile(rest, cacheDir);
  return (await import("./compile.js")).compile(rest);
}
