/**
 * Canal's compiler: reads TypeScript pipelines statically (ts-morph, the TypeScript checker) and
 * writes self-contained, content-hashed artifacts.
 *
 * @example
 * ```ts
 * import { compile, formatDiagnostic } from "@canal/compiler";
 * const result = await compile({ entries: ["examples/iris/pipeline.ts"], outDir: "canal-out" });
 * for (const d of result.diagnostics) console.error(formatDiagnostic(d, result.projectRoot));
 * ```
 */

export { parseDuration } from "@canal/ir";
export type { CompiledPipeline, CompileOptions, CompileResult } from "./compile.js";
export type { CodeHashErrorCode } from "./errors.js";
export { BundleError, CodeHashError } from "./errors.js";
export { formatDiagnostic, hasErrors } from "./format.js";
export { compile } from "./load.js";
export type { Diagnostic, DiagnosticCode } from "./model.js";
export { COMPILER_VERSION, MIN_RUNTIME_VERSION } from "./version.js";
