/**
 * The one family every error Canal raises for a user belongs to: a `CanalError` carries a stable
 * `code` (`CANAL_…`: scripts match on it, never on the text), a `name` (its class's) and, where
 * several things are wrong at once, the list of `problems`, each naming where it is and its fix.
 * This module imports nothing of the package, so any module may import it.
 *
 * @example
 * ```ts
 * import { isCanalError } from "@canal/ir";
 * try { await run(); } catch (error) {
 *   if (isCanalError(error) && error.code === "CANAL_PARAMETER_INVALID") for (const p of error.problems) console.log(p.path);
 * }
 * ```
 */

/** One thing wrong: where (`path`, as a key path: `lr`, `targets.gpu`), what (`message`) and the fix. */
export interface Problem {
  /** Where the problem is, as data: a key path into the input it was found in ("" for the whole). */
  path: string;
  /** What is wrong, in words that name the place as a user knows it. */
  message: string;
  /** How to fix it. */
  hint?: string;
}

/** A problem as one line: its message, then its fix. */
export function problemText(problem: Problem): string {
  return problem.hint ? `${problem.message}; ${problem.hint}` : problem.message;
}

/**
 * A message that lists `problems`: one problem alone is its own line, several are listed below
 * `heading` (or one line each when there is none).
 */
export function problemsMessage(problems: readonly Problem[], heading?: string): string {
  if (heading) return `${heading}\n${problems.map((p) => `  - ${problemText(p)}`).join("\n")}`;
  return problems.map(problemText).join("\n");
}

// The brand survives two copies of @canal/ir in one process, where `instanceof` would not.
const BRAND = Symbol.for("canal.error");

export interface CanalErrorOptions {
  /** The problems the message lists (see `problemsMessage`). */
  problems?: readonly Problem[];
  /** The error this one explains. */
  cause?: unknown;
}

/** The base of every error Canal raises for a user: a stable `code`, a `name`, and its problems. */
export class CanalError<Code extends string = string> extends Error {
  override name = "CanalError";
  /** Each thing wrong, as data; empty when the message says it all. */
  readonly problems: readonly Problem[];

  constructor(
    readonly code: Code,
    message: string,
    options: CanalErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.problems = options.problems ?? [];
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** The error as data, for `--json` output and logs. */
  toJSON(): { name: string; code: string; message: string; problems: Problem[] } {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      problems: this.problems.map((p) => ({ ...p })),
    };
  }
}

/** True for any CanalError, even one made by another copy of this package. */
export function isCanalError(error: unknown): error is CanalError {
  return (
    error instanceof CanalError ||
    (typeof error === "object" && error !== null && (error as { [BRAND]?: unknown })[BRAND] === true)
  );
}

/** An IR that cannot be read or is not one Canal made. */
export class IrError extends CanalError<
  "CANAL_IR_INVALID" | "CANAL_IR_CORRUPT" | "CANAL_IR_TOO_NEW" | "CANAL_IR_NAME_INVALID"
> {
  override name = "IrError";
}

export type ArtifactErrorCode =
  | "CANAL_ARTIFACT_NOT_FOUND"
  | "CANAL_ARTIFACT_UNREADABLE"
  | "CANAL_ARTIFACT_BLOB_MISSING"
  | "CANAL_ARTIFACT_BLOB_CORRUPT";

/** A compiled artifact that is missing, unreadable, or whose blobs are missing or damaged. */
export class ArtifactError extends CanalError<ArtifactErrorCode> {
  override name = "ArtifactError";
}

/** A name in an IR that would make a path outside the folder it belongs in. */
export class PathEscapeError extends CanalError<"CANAL_PATH_OUTSIDE_ROOT"> {
  override name = "PathEscapeError";
  /** `shown`: the path's segments, each as `shownName` shows it. */
  constructor(root: string, shown: readonly string[]) {
    super(
      "CANAL_PATH_OUTSIDE_ROOT",
      `refusing the path ${shown.join(" / ")} below ${root}: it names a place outside that folder; ` +
        "the artifact holds a name the compiler never writes: recompile it with `canal compile`",
    );
  }
}

export interface TemplateProblem {
  /** Character offset into the template, and the length of the text at fault. */
  offset: number;
  length: number;
  /** The placeholder's name, when the problem is a placeholder's place. */
  name?: string;
  /** What is wrong, to follow "the command …". */
  reason: string;
  /** How to fix it. */
  fix: string;
}

/** A script step's command that cannot be filled safely: it is never run. */
export class CommandTemplateError extends CanalError<"CANAL_COMMAND_TEMPLATE_INVALID"> {
  override name = "CommandTemplateError";
  constructor(readonly templateProblems: TemplateProblem[]) {
    const first = templateProblems[0] as TemplateProblem;
    super(
      "CANAL_COMMAND_TEMPLATE_INVALID",
      `the command template ${first.reason} (at character ${first.offset + 1}); ${first.fix}` +
        (templateProblems.length > 1 ? ` (and ${templateProblems.length - 1} more problem(s))` : ""),
      {
        problems: templateProblems.map((p) => ({
          path: `character ${p.offset + 1}`,
          message: `the command template ${p.reason}`,
          hint: p.fix,
        })),
      },
    );
  }
}
