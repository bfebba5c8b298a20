// The scheduler of `canal serve`: it reads the schedules from the store, and for each slot that
// came due records a tick (fired with its run, skipped, missed or failed). A slot fires at most
// once whatever the number of servers and restarts: its tick is inserted if absent (`claimTick`),
// and only the scheduler whose insert wrote it starts the run. Time comes from a clock, so tests
// drive it without waiting.
import { hostname } from "node:os";
import type { Pipeline } from "@canal/ir";
import { openDatastore, type Schedule, type ScheduleTick, type Workspace } from "@canal/store";
import type { Cron } from "croner";
import type { Launcher } from "./context.js";
import { startEndpointRun } from "./endpoints-routes.js";
import { checkCron, nextSlot, slotsBetween } from "./schedule-cron.js";
import { isText, SCHEDULED_TIME_PARAM } from "./schedule-define.js";

/** The slots one pass fires or records at most per schedule; older ones are counted in one missed tick. */
export const CATCH_UP_LIMIT = 100;
/**
 * A tick claimed this long ago whose run never started belongs to a server that stopped in
 * between: it is recorded as failed (and never fired again: at most once).
 */
export const STALE_CLAIM_MS = 10 * 60_000;
/** The most changed paths one data trigger run is given; the tick records them all the same. */
export const PATHS_LIMIT = 1000;

export interface Clock {
  now(): number;
  /** Resolves after `ms`, or at once when `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const timer = setTimeout(done, Math.max(0, ms));
      function done() {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      }
      signal.addEventListener("abort", done, { once: true });
    }),
};

/** What a tick asks to start: the schedule's run for slot `scheduledAt` (and a data trigger's paths). */
export interface FireRequest {
  schedule: Schedule;
  scheduledAt: number;
  paths?: string[];
}

/** Starts the run of a tick and resolves with its id. */
export type Fire = (request: FireRequest) => Promise<string>;

export interface SchedulerOptions {
  workspace: Workspace;
  /** How a tick's run starts. Default `endpointFire` over `launcher`. */
  fire?: Fire;
  launcher?: Launcher;
  clock?: Clock;
  /** The longest wait between two reads of the schedules: an edit made elsewhere is seen within it. Default 1 s. */
  pollMs?: number;
  /** How often a data trigger lists its datastore. Default 10 s. */
  dataPollMs?: number;
  /**
   * A slot reached later than this after it came due (the machine slept, the store was away)
   * follows the catch-up policy, as one from before the scheduler started does. Default 60 s.
   */
  lateAfterMs?: number;
  host?: string;
  pid?: number;
  log?: (line: string) => void;
}

/**
 * The parameters of a tick's run: the schedule's own, the slot's time as `scheduled_time` when the
 * pipeline declares it (a string: ISO 8601 in UTC; a number: milliseconds since the epoch), and a
 * data trigger's changed paths in its paths parameter (a string[], or a string: one per line).
 */
export function tickParameters(pipeline: Pipeline, request: FireRequest): Record<string, unknown> {
  const parameters: Record<string, unknown> = { ...request.schedule.parameters };
  const time = pipeline.parameters.find((p) => p.name === SCHEDULED_TIME_PARAM);
  if (time)
    parameters[time.name] = isText(time.type)
      ? new Date(request.scheduledAt).toISOString()
      : request.scheduledAt;
  const pathsParam = request.schedule.pathsParam;
  const paths = pathsParam ? pipeline.parameters.find((p) => p.name === pathsParam) : undefined;
  if (paths && request.paths) {
    const given = request.paths.slice(0, PATHS_LIMIT);
    parameters[paths.name] = isText(paths.type) ? given.join("\n") : given;
  }
  return parameters;
}

/** Ticks start runs of the schedule's endpoint, as `POST /endpoints/NAME/runs` does, by `schedule:NAME`. */
export function endpointFire(workspace: Workspace, launcher: Launcher): Fire {
  return (request) =>
    startEndpointRun(
      { workspace, launcher },
      {
        endpoint: request.schedule.endpoint,
        parameters: (pipeline) => tickParameters(pipeline, request),
        ...(request.schedule.experiment !== undefined ? { experiment: request.schedule.experiment } : {}),
        startedBy: `schedule:${request.schedule.name}`,
      },
    );
}

interface DataState {
  files?: Record<string, string>;
  /** Changes seen and not yet fired: since when, the last change, the paths. */
  pending?: { since: number; last: number; paths: string[] };
}

type Plan = { at: number; status: "fire" | "skipped" | "missed"; reason?: string };

export class Scheduler {
  private readonly clock: Clock;
  private readonly fire: Fire;
  private readonly pollMs: number;
  private readonly dataPollMs: number;
  private readonly lateAfterMs: number;
  private readonly host: string;
  private readonly pid: number;
  /** Slots up to this time came due before this scheduler ran: the catch-up policy decides them. */
  readonly startedAt: number;
  private readonly listedAt = new Map<number, number>();
  private readonly sweptAt = new Map<number, number>();
  private readonly crons = new Map<string, Cron>();
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(private readonly options: SchedulerOptions) {
    this.clock = options.clock ?? systemClock;
    const launcher = options.launcher;
    if (!options.fire && !launcher) throw new Error("a Scheduler needs `fire` or `launcher`");
    this.fire = options.fire ?? endpointFire(options.workspace, launcher as Launcher);
    this.pollMs = options.pollMs ?? 1000;
    this.dataPollMs = options.dataPollMs ?? 10_000;
    this.lateAfterMs = options.lateAfterMs ?? 60_000;
    this.host = options.host ?? hostname();
    this.pid = options.pid ?? process.pid;
    this.startedAt = this.clock.now();
  }

  /** Runs passes until `stop`: each waits for the next slot due, or `pollMs` at most. */
  start(): void {
    this.loop ??= (async () => {
      while (!this.abort.signal.aborted) {
        let wait = this.pollMs;
        try {
          wait = await this.evaluate();
        } catch (error) {
          this.options.log?.(`scheduler: ${error instanceof Error ? error.message : String(error)}`);
        }
        if (this.abort.signal.aborted) break;
        await this.clock.sleep(wait, this.abort.signal);
      }
    })();
  }

  /** Ends the loop once the pass in progress (and a run it is starting) has ended. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  /** One pass over every schedule. Resolves with how long to wait before the next. */
  async evaluate(): Promise<number> {
    let wait = this.pollMs;
    for (const schedule of await this.options.workspace.metadata.listSchedules()) {
      try {
        await this.sweep(schedule);
        const next =
          schedule.kind === "cron" ? await this.evaluateCron(schedule) : await this.evaluateData(schedule);
        if (next !== undefined) wait = Math.min(wait, next);
      } catch (error) {
        this.options.log?.(
          `scheduler: schedule ${schedule.name}: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
    return Math.max(0, wait);
  }

  /** Records the stale claims of a schedule as failed: once at start, then every STALE_CLAIM_MS. */
  private async sweep(schedule: Schedule): Promise<void> {
    const now = this.clock.now();
    const last = this.sweptAt.get(schedule.id);
    if (last !== undefined && now - last < STALE_CLAIM_MS) return;
    this.sweptAt.set(schedule.id, now);
    const { metadata } = this.options.workspace;
    for (const tick of await metadata.listTicks(schedule.id, { limit: 100 }))
      if (tick.status === "claimed" && now - tick.claimedAt > STALE_CLAIM_MS)
        await metadata.finishTick(tick.id, {
          status: "failed",
          error: `the scheduler that claimed this slot (${tick.host ?? "?"} pid ${tick.pid ?? "?"}) stopped before its run started; the slot is not fired again`,
          at: now,
        });
  }

  private cron(schedule: Schedule): Cron {
    const key = `${schedule.cron}\u0000${schedule.timezone}`;
    let cron = this.crons.get(key);
    if (!cron) {
      cron = checkCron(schedule.cron as string, schedule.timezone as string);
      this.crons.set(key, cron);
    }
    return cron;
  }

  /** The slots of a cron schedule due now, each fired, skipped or missed; the time to its next slot. */
  private async evaluateCron(schedule: Schedule): Promise<number | undefined> {
    const now = this.clock.now();
    const cron = this.cron(schedule);
    const slots = slotsBetween(cron, Math.max(schedule.cursorAt, schedule.anchorAt), now, CATCH_UP_LIMIT);
    if (slots.total > 0) {
      const plans = this.plan(schedule, slots.latest, now);
      if (slots.dropped !== undefined)
        plans.unshift({
          at: slots.dropped,
          status: schedule.paused ? "skipped" : "missed",
          reason: `this and ${slots.total - slots.latest.length - 1} earlier slots came due ${schedule.paused ? "while paused" : "while no scheduler ran"}, beyond the ${CATCH_UP_LIMIT} a pass deals with one by one`,
        });
      for (const plan of plans) await this.carryOut(schedule, plan);
      await this.options.workspace.metadata.advanceSchedule(schedule.id, schedule.revision, {
        cursorAt: slots.latest[slots.latest.length - 1] as number,
      });
    }
    const next = nextSlot(cron, now);
    return next === undefined ? undefined : next - now;
  }

  /**
   * What becomes of each slot: paused ones are skipped; those from before this scheduler ran, or
   * reached long after they came due, follow the catch-up policy; the others fire.
   */
  private plan(schedule: Schedule, slots: number[], now: number): Plan[] {
    if (schedule.paused)
      return slots.map((at) => ({ at, status: "skipped", reason: "the schedule is paused" }));
    const isLate = (at: number) => at <= this.startedAt || now - at > this.lateAfterMs;
    const late = slots.filter(isLate);
    const onTime = slots.filter((at) => !isLate(at));
    const plans: Plan[] = [];
    const missedReason =
      "no scheduler was running when it came due (or it reached the slot over a minute late)";
    if (schedule.catchUp === "all") for (const at of late) plans.push({ at, status: "fire" });
    else if (schedule.catchUp === "latest")
      for (const [i, at] of late.entries())
        plans.push(
          i === late.length - 1
            ? { at, status: "fire" }
            : {
                at,
                status: "skipped",
                reason: `${missedReason}; catch-up latest fires only the latest such slot`,
              },
        );
    else
      for (const at of late) plans.push({ at, status: "missed", reason: `${missedReason} (catch-up none)` });
    for (const at of onTime) plans.push({ at, status: "fire" });
    return plans;
  }

  private async carryOut(
    schedule: Schedule,
    plan: Plan,
    paths?: string[],
  ): Promise<ScheduleTick | undefined> {
    const { metadata } = this.options.workspace;
    const tick = await metadata.claimTick({
      scheduleId: schedule.id,
      scheduledAt: plan.at,
      status: plan.status === "fire" ? "claimed" : plan.status,
      ...(plan.reason !== undefined ? { reason: plan.reason } : {}),
      ...(paths ? { paths } : {}),
      host: this.host,
      pid: this.pid,
      at: this.clock.now(),
    });
    // Another scheduler recorded this slot first: it is that one's to fire.
    if (!tick || plan.status !== "fire") return tick;
    try {
      const runId = await this.fire({ schedule, scheduledAt: plan.at, ...(paths ? { paths } : {}) });
      return await metadata.finishTick(tick.id, { status: "fired", runId, at: this.clock.now() });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.options.log?.(
        `scheduler: schedule ${schedule.name}: the run of ${new Date(plan.at).toISOString()} failed to start: ${message}`,
      );
      return metadata.finishTick(tick.id, { status: "failed", error: message, at: this.clock.now() });
    }
  }

  /**
   * A data trigger: lists its path (every `dataPollMs`), adds what changed since the last listing
   * to its pending batch, and once nothing changed for `debounceMs` fires one run for the batch.
   * The listing and the batch are the schedule's state, moved on by compare-and-set, so of
   * several servers one takes each batch; its tick's slot is when the batch's first change was seen.
   */
  private async evaluateData(schedule: Schedule): Promise<number | undefined> {
    if (schedule.paused) return undefined;
    const now = this.clock.now();
    const listed = this.listedAt.get(schedule.id);
    if (listed !== undefined && now - listed < this.dataPollMs) return this.dataPollMs - (now - listed);
    this.listedAt.set(schedule.id, now);
    const state = JSON.parse(schedule.state ?? "{}") as DataState;
    const store = await openDatastore(this.options.workspace, schedule.datastore as string);
    let files: Record<string, string>;
    try {
      files = Object.fromEntries(
        (await store.listVersions(schedule.path)).map((e) => [e.path, `${e.size}:${e.version}`]),
      );
    } finally {
      await store.close();
    }
    const { metadata } = this.options.workspace;
    if (state.files === undefined) {
      await metadata.advanceSchedule(schedule.id, schedule.revision, { state: JSON.stringify({ files }) });
      return this.dataPollMs;
    }
    const known = state.files;
    const changed = Object.keys(files).filter((path) => known[path] !== files[path]);
    let pending = state.pending;
    if (changed.length)
      pending = {
        since: pending?.since ?? now,
        last: now,
        paths: [...new Set([...(pending?.paths ?? []), ...changed])].sort(),
      };
    const settled =
      pending && changed.length === 0 && now - pending.last >= (schedule.debounceMs ?? 0)
        ? pending
        : undefined;
    const removed = Object.keys(known).some((path) => !(path in files));
    if (!changed.length && !settled && !removed) return this.dataPollMs;
    const next: DataState = { files, ...(pending && !settled ? { pending } : {}) };
    const won = await metadata.advanceSchedule(schedule.id, schedule.revision, {
      state: JSON.stringify(next),
    });
    if (won && settled) await this.carryOut(schedule, { at: settled.since, status: "fire" }, settled.paths);
    return this.dataPollMs;
  }
}
