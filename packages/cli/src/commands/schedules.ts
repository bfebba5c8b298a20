// `canal schedules`: schedules (a cron in a time zone) and data triggers (changes under a datastore
// path) of published endpoints, made and changed in the workspace's store. `canal serve` runs them.
import { parseArgs } from "node:util";
import { userName } from "@canal/runner";
import { parseParameterArgs } from "@canal/runtime-core";
import {
  CATCH_UP,
  CATCH_UP_LIMIT,
  changeSchedule,
  DEFAULT_PATHS_PARAM,
  DEFAULT_TIMEZONE,
  defineSchedule,
  SCHEDULED_TIME_PARAM,
  ScheduleError,
  schedulePipeline,
  shownSchedule,
  shownTick,
} from "@canal/server";
import type { CatchUp, Schedule, ScheduleTick, Workspace } from "@canal/store";
import { type Io, UsageError } from "../io.js";
import { withWorkspace } from "../workspace.js";

export const schedulesHelp = `Usage: canal schedules [--json]
       canal schedules create ENDPOINT --cron "0 3 * * *" [--tz ZONE] [--catch-up none|latest|all]
                              [-p name=value …] [--name N] [--experiment E] [--paused]
       canal schedules create ENDPOINT --on-change DATASTORE:PATH [--debounce 60s] [--paths-param NAME]
                              [-p name=value …] [--name N] [--experiment E] [--paused]
       canal schedules show NAME [--limit N] [--json]
       canal schedules edit NAME [--cron EXPR] [--tz ZONE] [--catch-up P] [--debounce D] [-p name=value …] [--experiment E]
       canal schedules pause|resume|delete NAME

Schedules start runs of a published endpoint (\`canal publish\`): at each slot of a cron expression
read in a time zone, or once files under a datastore path changed and then stayed unchanged for
the debounce. \`canal serve\` runs them (not with --no-scheduler); every slot is recorded as a tick:
fired (with its run), skipped, missed or failed. See docs/server.md.

  --cron EXPR        5 fields "minute hour day month weekday", or 6 with seconds first
  --tz ZONE          the IANA time zone the cron is read in (default ${DEFAULT_TIMEZONE})
  --catch-up P       slots that came due while no server ran: none (recorded as missed, the
                     default), latest (only the last fires), all (each fires, at most ${CATCH_UP_LIMIT})
  --on-change DS:PATH  a data trigger: a file, folder or glob of a datastore (canal.config.json)
  --debounce D       how long the files stay unchanged before one run takes the batch (default 60s)
  --paths-param NAME the parameter the changed paths are passed in (default ${DEFAULT_PATHS_PARAM}: the
                     pipeline declares it as string[], or string for one path a line)
  -p, --param name=value  a parameter of every run, read by its type as \`canal run -p\` reads it;
                     a pipeline parameter ${SCHEDULED_TIME_PARAM} is filled with each slot's time
  --name N           the schedule's name (default the endpoint's)
  --experiment E     the experiment its runs are recorded under
  --paused           make it paused (\`canal schedules resume NAME\` starts it)
  --limit N          how many recent ticks \`show\` prints (default 20)
  --json             print as JSON
`;

const iso = (ms: number) => new Date(ms).toISOString();

function trigger(schedule: Schedule): string {
  return schedule.kind === "cron"
    ? `cron "${schedule.cron}" ${schedule.timezone}, catch-up ${schedule.catchUp}`
    : `on change of ${schedule.datastore}:${schedule.path}, debounce ${(schedule.debounceMs ?? 0) / 1000}s, paths in ${schedule.pathsParam}`;
}

function scheduleLine(schedule: Schedule): string {
  const shown = shownSchedule(schedule);
  const state = schedule.paused ? "paused" : shown.next !== undefined ? `next ${iso(shown.next)}` : "active";
  return `${schedule.name}  -> ${schedule.endpoint}  ${trigger(schedule)}  ${state}\n`;
}

function tickLine(tick: ScheduleTick): string {
  const what = tick.runId ?? tick.error ?? tick.reason ?? "";
  const paths = tick.paths ? `  ${tick.paths.length} path${tick.paths.length === 1 ? "" : "s"}` : "";
  return `  ${iso(tick.scheduledAt)}  ${tick.status.padEnd(7)}  ${what}${paths}\n`;
}

async function found(workspace: Workspace, name: string | undefined, action: string): Promise<Schedule> {
  if (!name)
    throw new UsageError(`canal schedules ${action} needs a schedule's name; \`canal schedules\` lists them`);
  const schedule = await workspace.metadata.getSchedule(name);
  if (schedule) return schedule;
  const known = (await workspace.metadata.listSchedules()).map((s) => s.name);
  throw new ScheduleError(
    "CANAL_SCHEDULE_NOT_FOUND",
    `no schedule ${name} in this workspace; ${known.length ? `its schedules are ${known.join(", ")}` : "make one with `canal schedules create ENDPOINT --cron …`"}`,
  );
}

function catchUp(value: string | undefined): CatchUp | undefined {
  if (value !== undefined && !(CATCH_UP as readonly string[]).includes(value))
    throw new UsageError(`--catch-up takes none, latest or all, not ${value}`);
  return value as CatchUp | undefined;
}

/** `-p` pairs read by the types of the endpoint's pipeline, as `canal run -p` reads them. */
async function parameters(workspace: Workspace, endpoint: string, pairs: string[] | undefined) {
  if (!pairs?.length) return undefined;
  return parseParameterArgs(pairs, await schedulePipeline(workspace, endpoint));
}

export async function schedulesCommand(args: string[], io: Io): Promise<number> {
  const listing = args.length === 0 || (args[0] as string).startsWith("-");
  const action = listing ? "ls" : (args[0] as string);
  const { values, positionals } = parseArgs({
    args: listing ? args : args.slice(1),
    allowPositionals: true,
    options: {
      cron: { type: "string" },
      tz: { type: "string" },
      "catch-up": { type: "string" },
      "on-change": { type: "string" },
      debounce: { type: "string" },
      "paths-param": { type: "string" },
      param: { type: "string", short: "p", multiple: true },
      name: { type: "string" },
      experiment: { type: "string" },
      paused: { type: "boolean" },
      limit: { type: "string" },
      json: { type: "boolean" },
    },
  });
  const [target, extra] = positionals;
  if (extra !== undefined) throw new UsageError(`unexpected argument \`${extra}\``);
  const print = (json: unknown, text: string) =>
    io.stdout(values.json ? `${JSON.stringify(json, null, 2)}\n` : text);
  return withWorkspace(io, async (workspace) => {
    const { metadata } = workspace;
    if (action === "ls" || action === "list") {
      if (target !== undefined) throw new UsageError(`unexpected argument \`${target}\``);
      const schedules = await metadata.listSchedules();
      print(
        { schedules: schedules.map((s) => shownSchedule(s)) },
        schedules.length
          ? schedules.map(scheduleLine).join("")
          : 'no schedules; make one with `canal schedules create ENDPOINT --cron "0 3 * * *"`\n',
      );
      return 0;
    }
    if (action === "create") {
      if (!target)
        throw new UsageError("canal schedules create needs the endpoint (`canal endpoints` lists them)");
      const schedule = await metadata.createSchedule(
        await defineSchedule(workspace, {
          endpoint: target,
          ...(values.name !== undefined ? { name: values.name } : {}),
          ...(values.cron !== undefined ? { cron: values.cron } : {}),
          ...(values.tz !== undefined ? { timezone: values.tz } : {}),
          ...(values["catch-up"] !== undefined ? { catchUp: catchUp(values["catch-up"]) as CatchUp } : {}),
          ...(values["on-change"] !== undefined ? { onChange: values["on-change"] } : {}),
          ...(values.debounce !== undefined ? { debounce: values.debounce } : {}),
          ...(values["paths-param"] !== undefined ? { pathsParam: values["paths-param"] } : {}),
          ...(values.param?.length
            ? { parameters: (await parameters(workspace, target, values.param)) as Record<string, unknown> }
            : {}),
          ...(values.experiment !== undefined ? { experiment: values.experiment } : {}),
          ...(values.paused ? { paused: true } : {}),
          createdBy: userName(workspace.config.user),
        }),
      );
      print(shownSchedule(schedule), `schedule ${schedule.name}: ${scheduleLine(schedule)}`);
      return 0;
    }
    if (action === "show") {
      const schedule = await found(workspace, target, action);
      const limit = values.limit === undefined ? 20 : Number(values.limit);
      if (!Number.isInteger(limit) || limit < 1)
        throw new UsageError(`--limit takes a whole number ≥ 1, not ${values.limit}`);
      const ticks = await metadata.listTicks(schedule.id, { limit });
      const params = Object.entries(schedule.parameters)
        .map(([name, value]) => `  -p ${name}=${typeof value === "string" ? value : JSON.stringify(value)}\n`)
        .join("");
      print(
        { schedule: shownSchedule(schedule), ticks: ticks.map(shownTick) },
        scheduleLine(schedule) +
          params +
          (schedule.experiment ? `  experiment ${schedule.experiment}\n` : "") +
          `  made ${iso(schedule.createdAt)}${schedule.createdBy ? ` by ${schedule.createdBy}` : ""}, anchored ${iso(schedule.anchorAt)}\n` +
          (ticks.length ? `ticks, newest first:\n${ticks.map(tickLine).join("")}` : "no ticks yet\n"),
      );
      return 0;
    }
    if (action === "pause" || action === "resume" || action === "edit") {
      const schedule = await found(workspace, target, action);
      const change =
        action === "edit"
          ? {
              ...(values.cron !== undefined ? { cron: values.cron } : {}),
              ...(values.tz !== undefined ? { timezone: values.tz } : {}),
              ...(values["catch-up"] !== undefined
                ? { catchUp: catchUp(values["catch-up"]) as CatchUp }
                : {}),
              ...(values.debounce !== undefined ? { debounce: values.debounce } : {}),
              ...(values.param?.length
                ? {
                    parameters: {
                      ...schedule.parameters,
                      ...(await parameters(workspace, schedule.endpoint, values.param)),
                    },
                  }
                : {}),
              ...(values.experiment !== undefined ? { experiment: values.experiment } : {}),
            }
          : { paused: action === "pause" };
      if (Object.keys(change).length === 0)
        throw new UsageError(
          "canal schedules edit needs something to change: --cron, --tz, --catch-up, --debounce, -p or --experiment",
        );
      const updated = (await metadata.updateSchedule(
        schedule.name,
        await changeSchedule(workspace, schedule, change),
      )) as Schedule;
      print(shownSchedule(updated), `schedule ${updated.name}: ${scheduleLine(updated)}`);
      return 0;
    }
    if (action === "delete") {
      const schedule = await found(workspace, target, action);
      await metadata.deleteSchedule(schedule.name);
      print(shownSchedule(schedule), `schedule ${schedule.name} deleted (the runs it started stay)\n`);
      return 0;
    }
    throw new UsageError(
      `unknown action \`${action}\`; the actions are create, show, edit, pause, resume and delete (none lists)`,
    );
  });
}
