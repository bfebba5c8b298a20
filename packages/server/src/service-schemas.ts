// The request and answer shapes of what \`canal serve\` keeps beside runs: endpoints, API tokens and
// schedules (see schemas.ts).
import { z } from "zod";
import { CATCH_UP } from "./schedule-cron.js";

export const EndpointVersion = z.object({
  version: z.number().int(),
  pipeline: z.string(),
  pipelineVersion: z.number().int(),
  pipelineHash: z.string(),
  publishedBy: z.string().optional(),
  publishedAt: z.number(),
});
export const Endpoint = z
  .object({
    name: z.string(),
    defaultVersion: z.number().int(),
    createdAt: z.number(),
    versions: z.array(EndpointVersion),
  })
  .meta({ id: "Endpoint" });
export const Endpoints = z.object({ endpoints: z.array(Endpoint) }).meta({ id: "Endpoints" });
export const EndpointParams = z.object({ name: z.string() });
export const DefaultVersionBody = z.object({ version: z.number().int().min(1) }).strict();

/** The body of `POST /endpoints/NAME/runs` whatever the pipeline: its parameters are each endpoint's own. */
export const EndpointRunBody = z
  .object({
    parameters: z.record(z.string(), z.unknown()).default({}),
    experiment: z.string().optional(),
    version: z.number().int().min(1).optional(),
  })
  .strict();

export const Token = z
  .object({
    id: z.string(),
    role: z.enum(["viewer", "launcher", "admin"]),
    endpoint: z.string().optional(),
    name: z.string().optional(),
    createdBy: z.string().optional(),
    createdAt: z.number(),
    revokedAt: z.number().optional(),
  })
  .meta({ id: "Token" });
export const Tokens = z.object({ tokens: z.array(Token) }).meta({ id: "Tokens" });
export const NewTokenBody = z
  .object({
    role: z.enum(["viewer", "launcher", "admin"]),
    endpoint: z.string().optional(),
    name: z.string().max(200).optional(),
  })
  .strict();
export const CreatedToken = z
  .object({ token: Token, secret: z.string().meta({ description: "Shown once; only its hash is kept" }) })
  .meta({ id: "CreatedToken" });
export const TokenParams = z.object({ id: z.string() });

export const Schedule = z
  .object({
    name: z.string(),
    endpoint: z.string(),
    kind: z.enum(["cron", "data"]).meta({ description: "cron: a schedule; data: a data trigger" }),
    cron: z.string().optional(),
    timezone: z.string().optional(),
    catchUp: z.enum(CATCH_UP),
    datastore: z.string().optional(),
    path: z.string().optional(),
    debounceMs: z.number().optional(),
    pathsParam: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()),
    experiment: z.string().optional(),
    paused: z.boolean(),
    anchorAt: z.number().meta({ description: "Slots at or before this never fire (made, edited, resumed)" }),
    cursorAt: z.number().meta({ description: "The latest slot dealt with" }),
    next: z.number().optional().meta({ description: "A cron schedule's next slot" }),
    createdBy: z.string().optional(),
    createdAt: z.number(),
    updatedAt: z.number(),
  })
  .meta({ id: "Schedule" });
export const Schedules = z.object({ schedules: z.array(Schedule) }).meta({ id: "Schedules" });
export const ScheduleTick = z
  .object({
    scheduledAt: z.number(),
    status: z.enum(["claimed", "fired", "skipped", "missed", "failed"]),
    runId: z.string().optional(),
    reason: z.string().optional(),
    error: z.string().optional(),
    paths: z.array(z.string()).optional(),
    host: z.string().optional(),
    claimedAt: z.number(),
    endedAt: z.number().optional(),
  })
  .meta({ id: "ScheduleTick" });
export const ScheduleDetail = z
  .object({ schedule: Schedule, ticks: z.array(ScheduleTick) })
  .meta({ id: "ScheduleDetail" });
export const ScheduleParams = z.object({ name: z.string() });
export const ScheduleQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(20).meta({ description: "How many recent ticks" }),
});
const Debounce = z
  .union([z.string(), z.number()])
  .meta({ description: 'How long files stay unchanged before a batch fires: "60s" or milliseconds' });
export const NewScheduleBody = z
  .object({
    endpoint: z.string(),
    name: z.string().optional().meta({ description: "Default: the endpoint's name" }),
    cron: z.string().optional().meta({ description: '5 fields, or 6 with seconds first: "0 3 * * *"' }),
    timezone: z.string().optional().meta({ description: "IANA zone the cron is read in; default UTC" }),
    catchUp: z.enum(CATCH_UP).optional(),
    onChange: z.string().optional().meta({ description: "A data trigger: DATASTORE:PATH" }),
    debounce: Debounce.optional(),
    pathsParam: z.string().optional().meta({ description: "Default `changed`" }),
    parameters: z.record(z.string(), z.unknown()).optional(),
    experiment: z.string().optional(),
    paused: z.boolean().optional(),
  })
  .strict();
export const ScheduleEditBody = z
  .object({
    cron: z.string().optional(),
    timezone: z.string().optional(),
    catchUp: z.enum(CATCH_UP).optional(),
    debounce: Debounce.optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    experiment: z.string().nullable().optional(),
    paused: z.boolean().optional(),
  })
  .strict();
