import { CanalError } from "@canal/ir";

export type CodeHashErrorCode =
  | "CANAL_PATH_MISSING"
  | "CANAL_PATH_ESCAPES"
  | "CANAL_NOT_A_DIRECTORY"
  | "CANAL_SYMLINK_BROKEN"
  | "CANAL_LOCKFILE_INVALID"
  | "CANAL_LOCKFILE_UNSUPPORTED";

/**
 * A step's code or files could not be hashed. `message` says what, naming the step and the path,
 * and ends with the fix; `problem` and `hint` hold the two halves for a diagnostic.
 */
export class CodeHashError extends CanalError<CodeHashErrorCode> {
  override name = "CodeHashError";
  constructor(
    code: CodeHashErrorCode,
    readonly problem: string,
    readonly hint: string,
  ) {
    super(code, `${problem}; ${hint}`);
  }
}

/** esbuild could not bundle a TypeScript step. */
export class BundleError extends CanalError<"CANAL_BUNDLE_FAILED"> {
  override name = "BundleError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("CANAL_BUNDLE_FAILED", message, options);
  }
}
