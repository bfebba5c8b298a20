// Schedules and data triggers of endpoints (docs/server.md): made, listed, shown with their recent
// ticks, edited, paused, resumed and deleted, as `canal schedules` does. A launcher token scoped
// to an endpoint manages only that endpoint's schedules.
import type { ApiToken, Schedule, ScheduleTick } from "@canal/store";
import type { ServerOptions } from "./context.js";
import { findEndpoint } from "./endpoints-routes.js";
import { ApiError } from "./errors.js";
import { type Route, route } from "./route.js";
import { checkCron, nextSlot } from "./schedule-cron.js";
import { changeSchedule, defineSchedule } from "./schedule-define.js";
import {
  NewScheduleBody,
  ScheduleDetail,
  ScheduleEditBody,
  ScheduleParams,
  ScheduleQuery,
  Schedule as ScheduleSchema,
  Schedules,
} from "./service-schemas.js";
import { startedBy } from "./shown.js";

/** A schedule as the API shows it: its state (a data trigger's listing) stays inside. */
export function shownSchedule(schedule: Schedule, now = Date.now()) {
  const { id: _, state: __, revision: ___, ...shown } = schedule;
  let next: number | undefined;
  if (schedule.kind === "cron" && !schedule.paused) {
    try {
      next = nextSlot(
        checkCron(schedule.cron as string, schedule.timezone as string),
        Math.max(now, schedule.cursorAt),
      );
    } catch {}
  }
  return { ...shown, ...(next !== undefined ? { next } : {}) };
}

export function shownTick(tick: ScheduleTick) {
  const { id: _, scheduleId: __, pid: ___, ...shown } = tick;
  return shown;
}

function scoped(token: ApiToken, endpoint: string): void {
  if (token.endpoint !== undefined && token.endpoint !== endpoint)
    throw new ApiError(
      "CANAL_API_FORBIDDEN",
      `this token only manages endpoint ${token.endpoint}, not the schedules of ${endpoint}`,
    );
}

export function schedulesRoutes(options: ServerOptions): Route[] {
  const { workspace } = options;
  const { metadata } = workspace;
  const schedule = async (name: string): Promise<Schedule> => {
    const found = await metadata.getSchedule(name);
    if (found) return found;
    const known = (await metadata.listSchedules()).map((s) => s.name);
    throw new ApiError(
      "CANAL_API_NOT_FOUND",
      `no schedule ${name} in this workspace; ${known.length ? `its schedules are ${known.join(", ")}` : "make one with POST /api/v1/schedules or `canal schedules create ENDPOINT --cron …`"}`,
    );
  };
  return [
    route({
      method: "get",
      path: "/schedules",
      role: "viewer",
      summary: "The schedules and data triggers, by name",
      answers: { 200: { description: "The schedules", schema: Schedules } },
      async handle({ c }) {
        return c.json({ schedules: (await metadata.listSchedules()).map((s) => shownSchedule(s)) });
      },
    }),
    route({
      method: "post",
      path: "/schedules",
      role: "launcher",
      summary: "Make a schedule (cron in a time zone) or a data trigger (onChange) of an endpoint",
      body: NewScheduleBody,
      errors: [
        "CANAL_API_NOT_FOUND",
        "CANAL_API_SCHEDULE_INVALID",
        "CANAL_API_CONFLICT",
        "CANAL_API_INVALID_REQUEST",
      ],
      answers: { 201: { description: "The schedule", schema: ScheduleSchema } },
      async handle({ body, token, c }) {
        scoped(token, body.endpoint);
        await findEndpoint(metadata, body.endpoint);
        const made = await metadata.createSchedule(
          await defineSchedule(workspace, { ...body, createdBy: startedBy(token) }),
        );
        return c.json(shownSchedule(made), 201);
      },
    }),
    route({
      method: "get",
      path: "/schedules/{name}",
      role: "viewer",
      summary: "A schedule with its recent ticks, newest first",
      params: ScheduleParams,
      query: ScheduleQuery,
      errors: ["CANAL_API_NOT_FOUND"],
      answers: { 200: { description: "The schedule and its ticks", schema: ScheduleDetail } },
      async handle({ params, query, c }) {
        const found = await schedule(params.name);
        const ticks = await metadata.listTicks(found.id, { limit: query.limit });
        return c.json({ schedule: shownSchedule(found), ticks: ticks.map(shownTick) });
      },
    }),
    route({
      method: "patch",
      path: "/schedules/{name}",
      role: "launcher",
      summary:
        "Edit a schedule, pause or resume it; a new cron or zone starts from now (no slot before the edit fires), a resume fires no slot of the pause",
      params: ScheduleParams,
      body: ScheduleEditBody,
      errors: ["CANAL_API_NOT_FOUND", "CANAL_API_SCHEDULE_INVALID", "CANAL_API_INVALID_REQUEST"],
      answers: { 200: { description: "The schedule", schema: ScheduleSchema } },
      async handle({ params, body, token, c }) {
        const found = await schedule(params.name);
        scoped(token, found.endpoint);
        const update = await changeSchedule(workspace, found, body);
        return c.json(shownSchedule((await metadata.updateSchedule(found.name, update)) ?? found));
      },
    }),
    route({
      method: "delete",
      path: "/schedules/{name}",
      role: "launcher",
      summary: "Delete a schedule with its ticks (runs it started stay)",
      params: ScheduleParams,
      errors: ["CANAL_API_NOT_FOUND"],
      answers: { 200: { description: "The deleted schedule", schema: ScheduleSchema } },
      async handle({ params, token, c }) {
        const found = await schedule(params.name);
        scoped(token, found.endpoint);
        await metadata.deleteSchedule(found.name);
        return c.json(shownSchedule(found));
      },
    }),
  ];
}
