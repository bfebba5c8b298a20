import type { CompileOptions, CompileResult } from "./compile.js";

/**
 * Compiles pipeline source into artifacts (see `compile.ts`). The package loads TypeScript,
 * ts-morph and esbuild on the first compile rather than when it is imported, so a command that
 * imports the compiler but does not compile (or finds the result in the compile cache) starts at
 * once.
 */
export async function compile(options: CompileOptions): Promise<CompileResult> {
  return (await import("./compile.js")).compile(options);
}
