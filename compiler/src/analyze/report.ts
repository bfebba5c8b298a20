import { relative, sep } from "node:path";
import type { SourceLocation } from "@canal/ir";
import type { Node, SourceFile } from "ts-morph";
import type { Diagnostic, DiagnosticCode } from "../model.js";

/** A diagnostic plus the source span it covers, to tell which TypeScript errors it explains. */
interface Reported {
  diagnostic: Diagnostic;
  file: string;
  start: number;
  end: number;
}

export function relativePath(projectRoot: string, file: string): string {
  return relative(projectRoot, file).split(sep).join("/");
}

export function locationOf(node: Node, projectRoot: string, offset = 0): SourceLocation {
  const sourceFile = node.getSourceFile();
  const { line, column } = sourceFile.getLineAndColumnAtPos(node.getStart() + offset);
  return { file: relativePath(projectRoot, sourceFile.getFilePath()), line, column };
}

/** Collects every diagnostic of one analysis; nothing stops at the first error. */
export class Reporter {
  private readonly reported: Reported[] = [];

  constructor(readonly projectRoot: string) {}

  /**
   * Reports at `node`; `offset`/`length` narrow the span to part of the node's text (a
   * placeholder inside a string literal).
   */
  error(code: DiagnosticCode, node: Node, message: string, hint: string, offset = 0, length?: number): void {
    const start = node.getStart() + offset;
    const end = length === undefined ? node.getEnd() : start + length;
    this.reported.push({
      diagnostic: { code, severity: "error", message, hint, location: locationOf(node, this.projectRoot, offset) },
      file: node.getSourceFile().getFilePath(),
      start,
      end,
    });
  }

  /** A diagnostic about a whole file (nothing to point at in it). */
  fileError(code: DiagnosticCode, sourceFile: SourceFile, message: string, hint: string): void {
    this.reported.push({
      diagnostic: {
        code,
        severity: "error",
        message,
        hint,
        location: { file: relativePath(this.projectRoot, sourceFile.getFilePath()), line: 1, column: 1 },
      },
      file: sourceFile.getFilePath(),
      start: 0,
      end: 0,
    });
  }

  /** Whether a Canal diagnostic already covers part of this span. */
  covers(file: string, start: number, end: number): boolean {
    return this.reported.some(
      (r) => r.file === file && r.start <= Math.max(end, start + 1) - 1 && start <= Math.max(r.end, r.start + 1) - 1,
    );
  }

  get count(): number {
    return this.reported.length;
  }

  /** Diagnostics reported since `mark` (a former `count`). */
  since(mark: number): Diagnostic[] {
    return this.reported.slice(mark).map((r) => r.diagnostic);
  }

  all(): Diagnostic[] {
    return this.reported.map((r) => r.diagnostic);
  }
}
