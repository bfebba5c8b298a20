import { CanalError, type Problem, problemsMessage } from "@canal/ir/errors";

/**
 * Parameter values a run cannot start with. `problems` names each parameter (its `path`: the
 * parameter's name, or the `-p` text that is not name=value) with what is wrong and the fix.
 */
export class ParameterError extends CanalError<"CANAL_PARAMETER_INVALID"> {
  override name = "ParameterError";
  /** A message alone is one problem with no path; `heading` introduces two or more problems. */
  constructor(problems: string | readonly Problem[], heading?: string) {
    const listed = typeof problems === "string" ? [{ path: "", message: problems }] : problems;
    super("CANAL_PARAMETER_INVALID", problemsMessage(listed, listed.length > 1 ? heading : undefined), {
      problems: listed,
    });
  }
}

/** An IR whose steps cannot be planned for the parameters given (a condition or binding that does not fit). */
export class PlanError extends CanalError<"CANAL_PLAN_INVALID"> {
  override name = "PlanError";
  constructor(message: string) {
    super("CANAL_PLAN_INVALID", message);
  }
}

/** A step's Python environment could not be built. */
export class EnvironmentError extends CanalError<"CANAL_ENV_BUILD_FAILED"> {
  override name = "EnvironmentError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("CANAL_ENV_BUILD_FAILED", message, options);
  }
}
