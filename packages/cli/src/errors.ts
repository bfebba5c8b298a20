import { CanalError, isCanalError, type Problem } from "@canal/ir/errors";

/** A usage mistake: printed with the command's help, exit status 2. */
export class UsageError extends CanalError<"CANAL_USAGE"> {
  override name = "UsageError";
  constructor(message: string) {
    super("CANAL_USAGE", message);
  }
}

/** A download that cannot be done as asked; the message names what exists or what to pass. */
export class DownloadError extends CanalError<
  "CANAL_DOWNLOAD_UNKNOWN_OUTPUT" | "CANAL_DOWNLOAD_TARGET_EXISTS" | "CANAL_DOWNLOAD_NO_OUTPUTS"
> {
  override name = "DownloadError";
}

/** A failed command as `--json` output gives it: `{"error": {name, code, message, problems}}`. */
export interface ErrorJson {
  error: { name: string; code?: string; message: string; problems: Problem[] };
}

/**
 * The one way the CLI shows a failure. A CanalError is its code, then its message, whose
 * problems each stand on their own line with their fix (see `problemsMessage`); any other error
 * (a bug, or a library's error Canal did not explain) is its message alone.
 */
export function errorText(command: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return isCanalError(error)
    ? `canal ${command}: ${error.code}: ${message}\n`
    : `canal ${command}: ${message}\n`;
}

/** The same failure as data, for `--json`: the code and each problem with its path and hint. */
export function errorJson(error: unknown): ErrorJson {
  if (isCanalError(error)) return { error: error.toJSON() };
  const name = error instanceof Error ? error.name : "Error";
  return { error: { name, message: error instanceof Error ? error.message : String(error), problems: [] } };
}
