import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Diagnostic } from "./model.js";

/**
 * A diagnostic as a compiler prints it:
 *
 *   examples/iris/pipeline.ts:42:29 - error CANAL1003: step `score` input `table` expects Table …
 *
 *     42     const { predictions } = this.score(best, prepped);
 *                                               ~~~~
 *     hint: pass a Table or change the input's type
 */
export function formatDiagnostic(diagnostic: Diagnostic, projectRoot: string): string {
  const { file, line, column } = diagnostic.location;
  const lines = [
    `${file}:${line}:${column} - ${diagnostic.severity} ${diagnostic.code}: ${diagnostic.message}`,
  ];
  const source = sourceLine(resolve(projectRoot, file), line);
  if (source !== undefined) {
    const gutter = String(line);
    lines.push(
      "",
      `  ${gutter}  ${source}`,
      `  ${" ".repeat(gutter.length)}  ${" ".repeat(Math.max(0, column - 1))}^`,
    );
  }
  if (diagnostic.hint) lines.push(`  hint: ${diagnostic.hint}`);
  return lines.join("\n");
}

function sourceLine(path: string, line: number): string | undefined {
  try {
    return readFileSync(path, "utf8").split(/\r?\n/)[line - 1]?.replace(/\t/g, " ");
  } catch {
    return undefined;
  }
}

/** Whether a compile produced errors (warnings do not count). */
export function hasErrors(result: { diagnostics: Diagnostic[] }): boolean {
  return result.diagnostics.some((d) => d.severity === "error");
}
