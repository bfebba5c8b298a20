import { relative, sep } from "node:path";
import type { SourceLocation } from "@canal/ir";
import { Node, type SourceFile } from "ts-morph";
import type { Diagnostic, DiagnosticCode } from "../model.js";
import type { ReadLog } from "../read-log.js";

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

/** Each file's newline positions, in order: found once per parse of the file. */
const newlines = new WeakMap<object, number[]>();

/**
 * The 1-based line and column of `pos` in `sourceFile`, as ts-morph's getLineAndColumnAtPos gives
 * them (lines end at "\n"; a column counts from the last "\n" or "\r"). That one counts the
 * newlines from the file's start on every call: a location for each of a pipeline's N step calls
 * made compiling a 100,000-step chain quadratic. Here a line is a binary search.
 */
export function lineAndColumn(sourceFile: SourceFile, pos: number): { line: number; column: number } {
  const text = sourceFile.getFullText();
  let breaks = newlines.get(sourceFile.compilerNode);
  if (!breaks) {
    breaks = [];
    for (let at = text.indexOf("\n"); at !== -1; at = text.indexOf("\n", at + 1)) breaks.push(at);
    newlines.set(sourceFile.compilerNode, breaks);
  }
  // The number of newlines before pos.
  let low = 0;
  let high = breaks.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if ((breaks[mid] as number) < pos) low = mid + 1;
    else high = mid;
  }
  let start = pos;
  while (start > 0) {
    const previous = text.charCodeAt(start - 1);
    if (previous === 10 || previous === 13) break;
    start--;
  }
  return { line: low + 1, column: pos - start + 1 };
}

export function locationOf(node: Node, projectRoot: string, offset = 0): SourceLocation {
  const sourceFile = node.getSourceFile();
  const { line, column } = lineAndColumn(sourceFile, node.getStart() + offset);
  return { file: relativePath(projectRoot, sourceFile.getFilePath()), line, column };
}

/** Collects every diagnostic of one analysis; nothing stops at the first error. */
export class Reporter {
  private readonly reported: Reported[] = [];
  private acknowledged = 0;

  /** Every project path the analysis named and found (absolute): what the compile read besides TypeScript. */
  readonly pathsRead = new Set<string>();

  constructor(
    readonly projectRoot: string,
    /** Where the paths the pipeline names are noted, for the compile cache. */
    readonly reads?: ReadLog,
  ) {}

  /**
   * Reports at `node`; `offset`/`length` narrow the span to part of the node's text (a
   * placeholder inside a string literal).
   */
  error(code: DiagnosticCode, node: Node, message: string, hint: string, offset = 0, length?: number): void {
    const start = node.getStart() + offset;
    const end = length === undefined ? node.getEnd() : start + length;
    this.errorAt(code, node.getSourceFile(), start, end, message, hint);
    // TypeScript reports a property's bad value at the property's name: a diagnostic about the
    // value explains that error too.
    const parent = node.getParent();
    if (offset === 0 && Node.isPropertyAssignment(parent) && parent.getInitializer() === node) {
      const last = this.reported[this.reported.length - 1] as Reported;
      last.start = parent.getStart();
    }
  }

  /** Reports at a span of a file. */
  errorAt(
    code: DiagnosticCode,
    sourceFile: SourceFile,
    start: number,
    end: number,
    message: string,
    hint: string,
  ): void {
    const { line, column } = lineAndColumn(sourceFile, start);
    const file = relativePath(this.projectRoot, sourceFile.getFilePath());
    this.reported.push({
      diagnostic: { code, severity: "error", message, hint, location: { file, line, column } },
      file: sourceFile.getFilePath(),
      start,
      end,
    });
  }

  /** A diagnostic about a whole file (nothing to point at in it). */
  fileError(code: DiagnosticCode, sourceFile: SourceFile, message: string, hint: string): void {
    this.errorAt(code, sourceFile, 0, 0, message, hint);
  }

  /** Whether a Canal diagnostic already covers part of this span. */
  covers(file: string, start: number, end: number): boolean {
    return this.reported.some(
      (r) =>
        r.file === file &&
        r.start <= Math.max(end, start + 1) - 1 &&
        start <= Math.max(r.end, r.start + 1) - 1,
    );
  }

  /**
   * Notes the use of a value whose error was already reported: it counts as reported, so that
   * code checking `count` neither reports it again nor takes the value for a silent gap.
   */
  acknowledge(): void {
    this.acknowledged += 1;
  }

  /** Grows with every report (and acknowledgement); compare two readings to see if any came. */
  get count(): number {
    return this.reported.length + this.acknowledged;
  }

  all(): Diagnostic[] {
    return this.reported.map((r) => r.diagnostic);
  }
}
