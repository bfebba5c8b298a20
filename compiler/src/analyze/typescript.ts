import { DiagnosticCategory, type SourceFile, ts } from "ts-morph";
import type { Reporter } from "./report.js";

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
        "fix the type error; `npx tsc --noEmit` reports the same",
      );
    }
  }
  return failed;
}
