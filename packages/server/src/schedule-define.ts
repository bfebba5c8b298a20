// Making and editing a schedule: what the API's routes and `canal schedules` both call, so a
// schedule is checked the same way whichever made it. Everything that can be wrong is found when
// it is made (the cron, the zone, the endpoint, the parameters, the datastore), not at 3 a.m.
import {
  DURATION_FORM,
  isCanalError,
  nameProblem,
  type Parameter,
  type Pipeline,
  parseDuration,
  type Type,
} from "@canal/ir";
import {
  type CatchUp,
  type NewSchedule,
  openDatastore,
  parseDatastoreRef,
  type Schedule,
  type ScheduleUpdate,
  type Workspace,
} from "@canal/store";
import { checkParameters, endpointPipeline } from "./endpoints-routes.js";
import { ApiError, ScheduleError } from "./errors.js";
import { CATCH_UP, checkCron } from "./schedule-cron.js";

/** The parameter a run gets its slot's time in, when its pipeline declares it (a string: ISO 8601 UTC). */
export const SCHEDULED_TIME_PARAM = "scheduled_time";
/** The parameter a data trigger's run gets the changed paths in, unless `pathsParam` names another. */
export const DEFAULT_PATHS_PARAM = "changed";
export const DEFAULT_DEBOUNCE_MS = 60_000;
export const DEFAULT_TIMEZONE = "UTC";

/** A schedule as a person asks for it: a cron with a zone, or a datastore path to watch. */
export interface ScheduleInput {
  name?: string;
  endpoint: string;
  cron?: string;
  /** Default UTC. */
  timezone?: string;
  catchUp?: CatchUp;
  /** `DATASTORE:PATH`: a file, folder or glob whose changes start runs. */
  onChange?: string;
  /** How long files must stay unchanged before a batch fires: "60s" or milliseconds. Default 60s. */
  debounce?: string | number;
  pathsParam?: string;
  parameters?: Record<string, unknown>;
  experiment?: string;
  paused?: boolean;
  createdBy?: string;
}

/** What an edit changes; a cron or zone change re-anchors the schedule at the edit. */
export interface ScheduleChange {
  cron?: string;
  timezone?: string;
  catchUp?: CatchUp;
  debounce?: string | number;
  parameters?: Record<string, unknown>;
  experiment?: string | null;
  paused?: boolean;
}

const invalid = (path: string, message: string, hint: string) =>
  new ScheduleError("CANAL_SCHEDULE_INVALID", `${message}; ${hint}`, [{ path, message, hint }]);

/** Whether a parameter of this type takes text: a `string`. */
export function isText(type: Type): boolean {
  return "primitive" in type && type.primitive === "STRING";
}
function isTextList(type: Type): boolean {
  return "list" in type && isText(type.list.element);
}

/** A value of the parameter's type that stands for what the scheduler fills in at each tick. */
function placeholder(parameter: Parameter): unknown {
  if (isTextList(parameter.type)) return [];
  if ("primitive" in parameter.type && parameter.type.primitive === "NUMBER") return 0;
  return "";
}

function parseDebounce(value: string | number | undefined): number {
  if (value === undefined) return DEFAULT_DEBOUNCE_MS;
  const ms = parseDuration(value);
  if (ms === undefined)
    throw invalid(
      "debounce",
      `--debounce ${JSON.stringify(value)} is not a duration`,
      `give ${DURATION_FORM}`,
    );
  return ms;
}

function checkCatchUp(value: string | undefined): CatchUp | undefined {
  if (value === undefined) return undefined;
  if (!(CATCH_UP as readonly string[]).includes(value))
    throw invalid(
      "catchUp",
      `--catch-up ${JSON.stringify(value)} is not a catch-up policy`,
      "give none, latest or all",
    );
  return value as CatchUp;
}

/**
 * The parameters a schedule's runs get, checked against the endpoint's pipeline as a run checks
 * them, with what the scheduler fills in (the slot's time, the changed paths) standing in.
 */
function checkRunParameters(
  pipeline: Pipeline,
  parameters: Record<string, unknown>,
  experiment: string | undefined,
  pathsParam: string | undefined,
): void {
  const filled = new Map<string, Parameter>();
  const declared = (name: string) => pipeline.parameters.find((p) => p.name === name);
  const time = declared(SCHEDULED_TIME_PARAM);
  if (time) filled.set(time.name, time);
  if (pathsParam !== undefined) {
    const paths = declared(pathsParam);
    if (!paths || !(isText(paths.type) || isTextList(paths.type)))
      throw invalid(
        "pathsParam",
        `pipeline ${pipeline.name} ${paths ? `declares \`${pathsParam}\`, but not as a string or string[]` : `declares no parameter \`${pathsParam}\``}: a data trigger passes its run the changed paths in it`,
        `declare \`${pathsParam}: string[]\` (or a string: the paths one per line) in the pipeline, or name another with --paths-param NAME`,
      );
    filled.set(paths.name, paths);
  }
  for (const name of filled.keys())
    if (name in parameters)
      throw invalid(
        `parameters.${name}`,
        `parameter \`${name}\` is filled in by the schedule at each tick`,
        `leave -p ${name} out`,
      );
  const withFilled = { ...parameters };
  for (const [name, parameter] of filled) withFilled[name] = placeholder(parameter);
  try {
    checkParameters(pipeline, withFilled, experiment);
  } catch (error) {
    if (error instanceof ApiError && error.code === "CANAL_API_PARAMETERS_INVALID")
      throw new ScheduleError("CANAL_SCHEDULE_INVALID", error.message, [...error.problems]);
    throw error;
  }
}

/** The pipeline an endpoint's schedule runs; an unknown endpoint (or version) is a problem of the schedule's `endpoint`. */
export async function schedulePipeline(workspace: Workspace, endpoint: string): Promise<Pipeline> {
  try {
    return (await endpointPipeline(workspace, endpoint)).pipeline;
  } catch (error) {
    if (!(error instanceof ApiError && error.code === "CANAL_API_NOT_FOUND")) throw error;
    throw new ScheduleError("CANAL_SCHEDULE_INVALID", error.message, [
      { path: "endpoint", message: error.message, hint: "`canal endpoints` lists the endpoints" },
    ]);
  }
}

/** The datastore's files under `path` now, as a data trigger's first state: what is there never fires. */
export async function baselineState(workspace: Workspace, datastore: string, path: string): Promise<string> {
  const store = await openDatastore(workspace, datastore);
  try {
    const files = Object.fromEntries(
      (await store.listVersions(path)).map((entry) => [entry.path, `${entry.size}:${entry.version}`]),
    );
    return JSON.stringify({ files });
  } finally {
    await store.close();
  }
}

/** Checks a schedule as asked and makes the record to store; throws ScheduleError (or a 404 ApiError). */
export async function defineSchedule(workspace: Workspace, input: ScheduleInput): Promise<NewSchedule> {
  const name = input.name ?? input.endpoint;
  const nameIssue = nameProblem(name);
  if (nameIssue)
    throw invalid(
      "name",
      `schedule name ${JSON.stringify(name)} ${nameIssue}`,
      "use letters, digits, '.', '_' and '-' (--name N)",
    );
  if ((input.cron === undefined) === (input.onChange === undefined))
    throw invalid(
      input.cron === undefined ? "cron" : "onChange",
      input.cron === undefined
        ? "a schedule needs a cron or a datastore to watch"
        : "--cron and --on-change do not go together",
      'give --cron "0 3 * * *" [--tz ZONE] for a schedule, or --on-change DATASTORE:PATH for a data trigger',
    );
  const catchUp = checkCatchUp(input.catchUp);
  const base = {
    name,
    endpoint: input.endpoint,
    parameters: input.parameters ?? {},
    ...(input.experiment !== undefined ? { experiment: input.experiment } : {}),
    ...(input.paused ? { paused: true } : {}),
    ...(input.createdBy !== undefined ? { createdBy: input.createdBy } : {}),
  };
  if (input.cron !== undefined) {
    if (input.debounce !== undefined || input.pathsParam !== undefined)
      throw invalid(
        input.debounce !== undefined ? "debounce" : "pathsParam",
        `--${input.debounce !== undefined ? "debounce" : "paths-param"} is for a data trigger (--on-change), not a cron schedule`,
        "leave it out",
      );
    const timezone = input.timezone ?? DEFAULT_TIMEZONE;
    checkCron(input.cron, timezone);
    checkRunParameters(
      await schedulePipeline(workspace, input.endpoint),
      base.parameters,
      input.experiment,
      undefined,
    );
    return { ...base, kind: "cron", cron: input.cron, timezone, catchUp: catchUp ?? "none" };
  }
  if (input.timezone !== undefined || catchUp !== undefined)
    throw invalid(
      input.timezone !== undefined ? "timezone" : "catchUp",
      `--${input.timezone !== undefined ? "tz" : "catch-up"} is for a cron schedule, not a data trigger (--on-change)`,
      "leave it out",
    );
  const { datastore, path } = parseDatastoreRef(input.onChange as string);
  if (!datastore)
    throw invalid(
      "onChange",
      `--on-change ${JSON.stringify(input.onChange)} names no datastore`,
      "write it as DATASTORE:PATH, e.g. raw:incoming/**",
    );
  const debounceMs = parseDebounce(input.debounce);
  const pathsParam = input.pathsParam ?? DEFAULT_PATHS_PARAM;
  checkRunParameters(
    await schedulePipeline(workspace, input.endpoint),
    base.parameters,
    input.experiment,
    pathsParam,
  );
  let state: string;
  try {
    state = await baselineState(workspace, datastore, path);
  } catch (error) {
    if (!isCanalError(error) || !error.code.startsWith("CANAL_STORE_")) throw error;
    throw new ScheduleError("CANAL_SCHEDULE_INVALID", `--on-change ${input.onChange}: ${error.message}`, [
      {
        path: "onChange",
        message: error.message,
        hint: "`canal datastores` lists the datastores and checks each",
      },
    ]);
  }
  return { ...base, kind: "data", datastore, path, debounceMs, pathsParam, catchUp: "none", state };
}

/** Checks an edit of `schedule` and makes the update to store; a cron or zone change re-anchors at `at`. */
export async function changeSchedule(
  workspace: Workspace,
  schedule: Schedule,
  change: ScheduleChange,
  at = Date.now(),
): Promise<ScheduleUpdate> {
  const catchUp = checkCatchUp(change.catchUp);
  const update: ScheduleUpdate = { at };
  if (schedule.kind === "cron") {
    if (change.debounce !== undefined)
      throw invalid("debounce", "--debounce is for a data trigger, not a cron schedule", "leave it out");
    const cron = change.cron ?? (schedule.cron as string);
    const timezone = change.timezone ?? (schedule.timezone as string);
    if (change.cron !== undefined || change.timezone !== undefined) {
      checkCron(cron, timezone);
      // Slots of the old expression (or zone) before the edit never fire under the new one.
      if (cron !== schedule.cron || timezone !== schedule.timezone) update.reanchorAt = at;
      update.cron = cron;
      update.timezone = timezone;
    }
    if (catchUp !== undefined) update.catchUp = catchUp;
  } else {
    if (change.cron !== undefined || change.timezone !== undefined || catchUp !== undefined)
      throw invalid(
        change.cron !== undefined ? "cron" : change.timezone !== undefined ? "timezone" : "catchUp",
        "a data trigger has no cron, time zone or catch-up",
        "delete it and make a cron schedule instead",
      );
    if (change.debounce !== undefined) update.debounceMs = parseDebounce(change.debounce);
  }
  if (change.parameters !== undefined || change.experiment !== undefined) {
    const pipeline = await schedulePipeline(workspace, schedule.endpoint);
    const experiment =
      change.experiment === undefined ? schedule.experiment : (change.experiment ?? undefined);
    checkRunParameters(pipeline, change.parameters ?? schedule.parameters, experiment, schedule.pathsParam);
    if (change.parameters !== undefined) update.parameters = change.parameters;
    if (change.experiment !== undefined) update.experiment = change.experiment;
  }
  if (change.paused !== undefined && change.paused !== schedule.paused) {
    update.paused = change.paused;
    // A resume starts afresh: no slot of the pause fires, no change made during it either.
    if (!change.paused) {
      update.reanchorAt = at;
      if (schedule.kind === "data")
        update.state = await baselineState(workspace, schedule.datastore as string, schedule.path as string);
    }
  }
  return update;
}
