/**
 * Canal's HTTP API (`canal serve`): runs with their steps, logs, metrics and outputs, run events
 * as Server-Sent Events, pipelines, experiments, and published pipeline endpoints that start runs,
 * every route but `/api/v1/health` behind a bearer token of a role. The OpenAPI document is at
 * `/api/v1/openapi.json`. The server runs the workspace's schedules and data triggers
 * (`Scheduler`): each slot fires at most once across servers sharing the store. See docs/server.md.
 *
 * @example
 * ```ts
 * import { startServer, createToken } from "@canal/server";
 * const { secret } = await createToken(workspace.metadata, { role: "viewer" });
 * const server = await startServer({ workspace, launcher, runtimes, port: 0 });
 * await fetch(`${server.url}/api/v1/runs`, { headers: { authorization: `Bearer ${secret}` } });
 * await server.close();
 * ```
 */
export { createApp } from "./app.js";
export type { Launcher, ServerOptions, StartRequest } from "./context.js";
export type { EndpointRunRequest } from "./endpoints-routes.js";
export { endpointBodySchema, parametersOf, startEndpointRun } from "./endpoints-routes.js";
export type { ApiErrorCode, ErrorBody, ScheduleErrorCode } from "./errors.js";
export { API_STATUS, ApiError, ScheduleError } from "./errors.js";
export type { GraphLayout, GraphNode, GraphShape, IrStep } from "./graph-shape.js";
export { compactLayout, elkGraph, graphShape, LAYOUT_REVISION } from "./graph-shape.js";
export { LAYOUTS_KEPT, Layouts } from "./layouts.js";
export type { ListenOptions, RunningServer } from "./listen.js";
export { DEFAULT_HOST, DEFAULT_PORT, isLoopback, startServer } from "./listen.js";
export { CATCH_UP, checkCron, nextSlot } from "./schedule-cron.js";
export type { ScheduleChange, ScheduleInput } from "./schedule-define.js";
export {
  changeSchedule,
  DEFAULT_DEBOUNCE_MS,
  DEFAULT_PATHS_PARAM,
  DEFAULT_TIMEZONE,
  defineSchedule,
  SCHEDULED_TIME_PARAM,
  schedulePipeline,
} from "./schedule-define.js";
export type { Clock, Fire, FireRequest, SchedulerOptions } from "./scheduler.js";
export {
  CATCH_UP_LIMIT,
  endpointFire,
  PATHS_LIMIT,
  Scheduler,
  systemClock,
  tickParameters,
} from "./scheduler.js";
export { shownSchedule, shownTick } from "./schedules-routes.js";
export { SESSION_COOKIE, SignIns } from "./signin.js";
export { allows, createToken, hashToken, TOKEN_ROLES } from "./tokens.js";
