import { CanalError, type Problem } from "@canal/ir";

/** The stable codes of the server's answers; each has one HTTP status (docs/errors.md). */
export const API_STATUS = {
  CANAL_API_UNAUTHORIZED: 401,
  CANAL_API_FORBIDDEN: 403,
  CANAL_API_NOT_FOUND: 404,
  CANAL_API_INVALID_REQUEST: 400,
  CANAL_API_PATH_INVALID: 400,
  CANAL_API_BODY_TOO_LARGE: 413,
  CANAL_API_CONFLICT: 409,
  CANAL_API_PARAMETERS_INVALID: 422,
  CANAL_API_SCHEDULE_INVALID: 422,
  CANAL_API_RUN_NOT_STARTED: 500,
  CANAL_API_INTERNAL: 500,
} as const;

export type ApiErrorCode = keyof typeof API_STATUS;

/**
 * A request the server refuses: its code (and so its HTTP status) and a message that names what
 * was wrong and what to send instead. Never carries a token or a header's value.
 */
export class ApiError extends CanalError<ApiErrorCode> {
  override name = "ApiError";
  get status(): (typeof API_STATUS)[ApiErrorCode] {
    return API_STATUS[this.code];
  }
  constructor(code: ApiErrorCode, message: string, problems: Problem[] = []) {
    super(code, message, { problems });
  }
}

/** The body of every error answer: `{"error": {"code", "message", "problems"}}`. */
export interface ErrorBody {
  error: { code: string; message: string; problems: Problem[] };
}

/** The codes of a schedule that cannot be made as given (docs/server.md, docs/errors.md). */
export type ScheduleErrorCode =
  | "CANAL_SCHEDULE_CRON_INVALID"
  | "CANAL_SCHEDULE_TIMEZONE_INVALID"
  | "CANAL_SCHEDULE_INVALID"
  | "CANAL_SCHEDULE_NOT_FOUND";

/**
 * A schedule refused when it is made or edited: its message names the field (`cron`, `timezone`,
 * `debounce`…) and the fix; each problem has its path. The API answers it as 422
 * CANAL_API_SCHEDULE_INVALID (404 for CANAL_SCHEDULE_NOT_FOUND), the CLI by its own code.
 */
export class ScheduleError extends CanalError<ScheduleErrorCode> {
  override name = "ScheduleError";
  constructor(code: ScheduleErrorCode, message: string, problems: Problem[] = []) {
    super(code, message, { problems });
  }
}
