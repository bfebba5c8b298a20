import { builtinModules } from "node:module";
import { DiagnosticCategory, type SourceFile, ts } from "ts-morph";
import type { Reporter } from "./report.js";

const typeCheckHint = "fix the type error; `npx tsc --noEmit` reports the same";

const nodeTypesHint =
  'install Node\'s type declarations, `npm install -D @types/node`, and name them in tsconfig.json: `"types": ["node"]`';
/** "Cannot find name 'process' / 'node:fs'. Do you need to install type definitions for node?" */
const needsNodeTypes = new Set([2580, 2591, 2592]);

/** What to do about a TypeScript error: for a module that cannot be found, how to install it. */
function hintFor(code: number, text: string): string {
  if (needsNodeTypes.has(code)) return nodeTypesHint;
  const missing = code === 2307 ? /Cannot find module '([^']+)'/.exec(text)?.[1] : undefined;
  if (missing === undefined || missing.startsWith(".") || missing.startsWith("/")) return typeCheckHint;
  if (missing.startsWith("node:") || builtinModules.includes(missing.split("/")[0] as string))
    return nodeTypesHint;
  const name = missing.startsWith("@") ? missing.split("/").slice(0, 2).join("/") : missing.split("/")[0];
  return `install the package: \`npm install ${name}\` (and its types, if it ships none)`;
}

/**
 * Reports the TypeScript errors of the entry files as CANAL1016, except where a Canal diagnostic
 * already explains the same place (a step input bound to the wrong artifact is both a TS2345 and
 * a CANAL1003; the Canal message says more). Returns the files with TypeScript errors that no
 * Canal diagnostic explains: none of their pipelines can be compiled.
 */
export function reportTypeScriptErrors(reporter: Reporter, files: SourceFile[]): Set<SourceFile> {
  const failed = new Set<SourceFile>();
  for (const sourceFile of files) {
    const program = sourceFile.getProject().getProgram();
    const diagnostics = [
      ...program.getSyntacticDiagnostics(sourceFile),
      ...program.getSemanticDiagnostics(sourceFile),
    ];
    for (const diagnostic of diagnostics) {
      if (diagnostic.getCategory() !== DiagnosticCategory.Error) continue;
      const file = diagnostic.getSourceFile() ?? sourceFile;
      const start = diagnostic.getStart() ?? 0;
      const end = start + (diagnostic.getLength() ?? 0);
      // A covered error already fails the pipeline its Canal diagnostic belongs to.
      if (reporter.covers(file.getFilePath(), start, end)) continue;
      failed.add(sourceFile);
      const text = ts.flattenDiagnosticMessageText(diagnostic.compilerObject.messageText, "\n");
      reporter.errorAt(
        "CANAL1016",
        file,
        start,
        end,
        `TypeScript error TS${diagnostic.getCode()}: ${text}`,
        hintFor(diagnostic.getCode(), text),
      );
    }
  }
  return failed;
}
