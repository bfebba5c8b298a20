// Run control as data: a run is canceled by a request recorded in the store, which the process
// driving it watches for; that process writes a heartbeat (host, pid, time) every few seconds, and
// a run still marked running whose heartbeat is stale was interrupted. Everything here goes
// through the MetadataStore alone, so `canal cancel`, a server and a second machine sharing the
// store all control runs the same way.
import { hostname, userInfo } from "node:os";
import type {
  CancelRequest,
  DriverHeartbeat,
  MetadataStore,
  Run,
  RunControl,
  RunStatus,
  StepRun,
  Workspace,
} from "@canal/store";
import { endLeftovers } from "./leftovers.js";
import type { RuntimeRegistry } from "./runtimes.js";

/** How often a driver writes its heartbeat, by default ($CANAL_HEARTBEAT_MS). */
export const HEARTBEAT_INTERVAL_MS = 5_000;
/**
 * How old a heartbeat may be before its run counts as interrupted, by default
 * ($CANAL_HEARTBEAT_STALE_MS). A reader never judges sooner than three of the intervals the
 * driver promised, so a driver set to beat slowly is not called dead by a reader's default.
 */
export const HEARTBEAT_STALE_MS = 30_000;
/** How often a driver reads the store for a cancel request, where the store cannot notify. */
export const CANCEL_POLL_MS = 500;

/** How run control is timed and who this process is; every field has a default (see `controlSettings`). */
export interface ControlSettings {
  heartbeatMs: number;
  staleMs: number;
  pollMs: number;
  /** This machine's name as runs record it. */
  host: string;
}

function positive(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return value !== undefined && Number.isFinite(n) && n > 0 ? n : fallback;
}

/**
 * The settings from the environment: `CANAL_HEARTBEAT_MS`, `CANAL_HEARTBEAT_STALE_MS`,
 * `CANAL_CANCEL_POLL_MS`, and `CANAL_HOSTNAME` (default `os.hostname()`) for the host a driver
 * records: two workspaces on one machine can act as two machines.
 */
export function controlSettings(
  env: NodeJS.ProcessEnv = process.env,
  given: Partial<ControlSettings> = {},
): ControlSettings {
  return {
    heartbeatMs: given.heartbeatMs ?? positive(env.CANAL_HEARTBEAT_MS, HEARTBEAT_INTERVAL_MS),
    staleMs: given.staleMs ?? positive(env.CANAL_HEARTBEAT_STALE_MS, HEARTBEAT_STALE_MS),
    pollMs: given.pollMs ?? positive(env.CANAL_CANCEL_POLL_MS, CANCEL_POLL_MS),
    host: given.host ?? (env.CANAL_HOSTNAME || hostname()),
  };
}

/** Who starts a run or asks for a cancel: the workspace config's `user`, else the OS user. */
export function userName(configured?: string): string {
  if (configured) return configured;
  try {
    return userInfo().username;
  } catch {
    // A user with no entry in the password database (some containers).
    return "unknown";
  }
}

/** Who asks, as a cancel request records it: `user@host`. */
export function requester(settings: ControlSettings = controlSettings(), user?: string): string {
  return `${userName(user)}@${settings.host}`;
}

/**
 * When a process with a pid started on this machine (ms since the epoch), null when there is none,
 * undefined when the system cannot tell: the local runtime's `processStartedAt`.
 */
export type ProcessStartedAt = (pid: number) => number | null | undefined;

/** How a run's live state is judged. */
export interface LiveStateOptions {
  settings?: ControlSettings;
  /**
   * Lets a reader on the driver's own machine tell at once that the driver process is gone (no
   * process with its pid, or one started after the run: the pid was given to another), instead of
   * waiting for its heartbeat to go stale. Only read, never signalled; on another host it is not used.
   */
  processStartedAt?: ProcessStartedAt;
}

/** Who drives a run and whether it is still alive, as its heartbeat says. */
export interface DriverState {
  host?: string;
  pid?: number;
  /** When it last beat; absent for a run recorded before heartbeats were. */
  heartbeatAt?: number;
  /**
   * For a run still marked running or queued: how long ago its driver beat (or, without a
   * heartbeat, the run started). An ended run's record stays as it is, so this is left out.
   */
  ageMs?: number;
  /** For a run still marked running or queued: its heartbeat is stale, or its process is known to have ended. */
  gone?: boolean;
}

/** A run as it is now: its record, what controls it, and whether its driver is alive. */
export interface LiveRun {
  run: Run;
  /** The run's status, or "interrupted" for a run marked running or queued whose driver is gone. */
  status: RunStatus | "interrupted";
  interrupted: boolean;
  /** Still going: marked running or queued, its driver alive. */
  live: boolean;
  driver?: DriverState;
  cancel?: CancelRequest;
  /** For an interrupted run: why it counts as one, in words. */
  reason?: string;
}

/** A run's live state with its steps. */
export interface RunState extends LiveRun {
  steps: StepRun[];
}

// The boot time /proc gives is whole seconds: a start time read from it may be late by up to one.
const START_TIME_SLACK_MS = 2000;

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function marked(run: Run): boolean {
  return run.status === "running" || run.status === "queued";
}

/**
 * What this machine can tell of the process of heartbeat `beat`: "ended" when no process has its
 * pid or the one that has it started after the run (the pid was given to another), "alive", or
 * "unknown" on another host or where processes cannot be read (no `processStartedAt`).
 */
export function driverProcess(
  run: Run,
  beat: DriverHeartbeat | undefined,
  options: LiveStateOptions = {},
): "alive" | "ended" | "unknown" {
  const host = (options.settings ?? controlSettings()).host;
  if (!beat || !options.processStartedAt || beat.host !== host) return "unknown";
  const at = options.processStartedAt(beat.pid);
  if (at === undefined) return "unknown";
  return at === null || at > run.createdAt + START_TIME_SLACK_MS ? "ended" : "alive";
}

/**
 * Judges one run from its record and its control record (`readRunControl`). A stale heartbeat
 * is one older than the settings' `staleMs`, or three of the driver's own intervals if longer. A
 * run recorded before heartbeats (no heartbeat at all) is judged by the time since it started.
 */
export function judgeRun(run: Run, control: RunControl | undefined, options: LiveStateOptions = {}): LiveRun {
  const settings = options.settings ?? controlSettings();
  const beat = control?.heartbeat;
  const base = { run, ...(control?.cancel ? { cancel: control.cancel } : {}) };
  if (!marked(run)) {
    // Who drove it, as the record says: nothing that changes with the time it is read.
    const driver = beat ? { driver: { host: beat.host, pid: beat.pid, heartbeatAt: beat.at } } : {};
    return { ...base, status: run.status, interrupted: false, live: false, ...driver };
  }
  let driver: DriverState;
  let reason: string | undefined;
  if (beat) {
    const stale = beat.ageMs > Math.max(settings.staleMs, 3 * beat.intervalMs);
    const ended = !stale && driverProcess(run, beat, { ...options, settings }) === "ended";
    driver = {
      host: beat.host,
      pid: beat.pid,
      heartbeatAt: beat.at,
      ageMs: beat.ageMs,
      gone: stale || ended,
    };
    if (stale)
      reason = `its driver process ${beat.pid} on ${beat.host} sent no heartbeat for ${seconds(beat.ageMs)}`;
    else if (ended) reason = `its driver process ${beat.pid} ended on ${beat.host}`;
  } else {
    // Recorded before heartbeats were (or in the moment before the first one).
    const ageMs = Math.max(0, Date.now() - (run.startedAt ?? run.createdAt));
    driver = { ...(run.pid ? { pid: run.pid } : {}), ageMs, gone: ageMs > settings.staleMs };
    if (driver.gone)
      reason = `its driver${run.pid ? ` process ${run.pid}` : ""} recorded no heartbeat in ${seconds(ageMs)}`;
  }
  const interrupted = Boolean(driver.gone);
  return {
    ...base,
    status: interrupted ? "interrupted" : run.status,
    interrupted,
    live: !interrupted,
    driver,
    ...(reason ? { reason } : {}),
  };
}

/** The live state of many runs: one read of their control records for all of them. */
export async function liveRuns(
  store: MetadataStore,
  runs: Run[],
  options: LiveStateOptions = {},
): Promise<LiveRun[]> {
  const control = new Map((await store.readRunControl(runs.map((r) => r.id))).map((c) => [c.runId, c]));
  return runs.map((run) => judgeRun(run, control.get(run.id), options));
}

/** Run `runId` as it is now, with its steps (throws RunNotFoundError when there is none). */
export async function runState(
  store: MetadataStore,
  runId: string,
  options: LiveStateOptions = {},
): Promise<RunState> {
  const run = await store.getRun(runId);
  const [control] = await store.readRunControl([runId]);
  const steps = await store.listStepRuns(runId);
  return { ...judgeRun(run, control, options), steps };
}

/** What the driving process holds while a run goes: stop it once the run's end is recorded. */
export interface DriverControl {
  /** The cancel request, once one was seen. */
  readonly canceled: CancelRequest | undefined;
  /** Stops acting on cancel requests (the steps are done; only the run's end is left to record). */
  stopWatching(): void;
  /** Stops the heartbeat too. */
  stop(): void;
}

/**
 * Starts the driving process's side of run control for run `runId`: writes the first heartbeat
 * now and then one every `heartbeatMs`, and calls `onCancelRequest` once when a cancel request
 * is recorded (notified by the store where it can, else read every `pollMs`; a request recorded
 * before this is called is seen before it returns). Timers do not keep the process alive, and
 * nothing here runs per step. A heartbeat or poll that fails (the store locked past its timeout)
 * is tried again at the next tick; a heartbeat missed for longer than the stale threshold makes
 * readers call the run interrupted, which is what it then is to them.
 */
export async function startDriverControl(
  store: MetadataStore,
  runId: string,
  options: { settings?: ControlSettings; onCancelRequest(request: CancelRequest): void },
): Promise<DriverControl> {
  const settings = options.settings ?? controlSettings();
  const beat = () =>
    store.recordHeartbeat(runId, { host: settings.host, pid: process.pid, intervalMs: settings.heartbeatMs });
  await beat();
  const heartbeat = setInterval(() => void beat().catch(() => {}), settings.heartbeatMs);
  heartbeat.unref();
  let canceled: CancelRequest | undefined;
  let watching = true;
  let polling: NodeJS.Timeout | undefined;
  let unwatch: (() => void) | undefined;
  const stopWatching = () => {
    watching = false;
    clearInterval(polling);
    unwatch?.();
    unwatch = undefined;
  };
  const seen = (request: CancelRequest) => {
    if (!watching) return;
    canceled = request;
    stopWatching();
    options.onCancelRequest(request);
  };
  if (store.watchCancelRequests) unwatch = store.watchCancelRequests(runId, seen);
  // Read once now, for a request recorded before this process started watching, and then polled
  // where the store cannot notify.
  const poll = async () => {
    const [control] = await store.readRunControl([runId]);
    if (control?.cancel) seen(control.cancel);
  };
  await poll().catch((error) => {
    clearInterval(heartbeat);
    stopWatching();
    throw error;
  });
  if (watching && !store.watchCancelRequests) {
    polling = setInterval(() => void poll().catch(() => {}), settings.pollMs);
    polling.unref();
  }
  return {
    get canceled() {
      return canceled;
    },
    stopWatching,
    stop: () => {
      clearInterval(heartbeat);
      stopWatching();
    },
  };
}

/** Who canceled a run and why, in words: "`canal cancel` by ana@laptop: wrong data". */
export function cancelRequestText(request: CancelRequest): string {
  return `\`canal cancel\`${request.by ? ` by ${request.by}` : ""}${request.reason ? `: ${request.reason}` : ""}`;
}

/** How `cancelRun` ended. */
export type CancelOutcome =
  /** The run had already ended; nothing was recorded. */
  | { kind: "already-ended"; run: Run }
  /** Recorded; not waited for (`wait: false`). */
  | { kind: "requested"; run: Run; request: CancelRequest }
  /** The driver ended the run (canceled, or it had just finished otherwise). */
  | { kind: "stopped"; run: Run; request: CancelRequest }
  /**
   * Its driver was gone: what it left running on its targets was ended (`ended`; `problems` names
   * the targets that could not be asked) and the run recorded as canceled.
   */
  | {
      kind: "driver-gone";
      run: Run;
      request: CancelRequest;
      ended: string[];
      problems: string[];
      reason?: string;
    }
  /** The driver is alive but did not end the run in time; the request stays recorded for it. */
  | { kind: "timed-out"; run: Run; request: CancelRequest; driver?: DriverState };

export interface CancelOptions extends LiveStateOptions {
  /** Who asks (default `user@host`). */
  by?: string;
  reason?: string;
  /** Wait for the run to end (default true). */
  wait?: boolean;
  /** How long to wait for a live driver (default the stale threshold plus 30 s). */
  timeoutMs?: number;
  /** How often to look while waiting (default 200 ms). */
  pollMs?: number;
}

/**
 * Cancels run `runId` through the store alone: records a cancel request, which the process
 * driving the run acts on wherever it runs, then (unless `wait: false`) waits for the run's end.
 * When the driver is gone (its heartbeat stale, or its process ended on this machine), ends what
 * the run left running on the workspace's targets and records the run as canceled.
 */
export async function cancelRun(
  workspace: Workspace,
  runId: string,
  runtimes: RuntimeRegistry,
  options: CancelOptions = {},
): Promise<CancelOutcome> {
  const { metadata } = workspace;
  const settings = options.settings ?? controlSettings();
  const judge = { ...options, settings };
  const run = await metadata.getRun(runId);
  if (!marked(run)) return { kind: "already-ended", run };
  const request = await metadata.requestCancel(runId, {
    by: options.by ?? requester(settings, workspace.config.user),
    ...(options.reason ? { reason: options.reason } : {}),
  });
  if (options.wait === false) return { kind: "requested", run, request };
  const deadline = Date.now() + (options.timeoutMs ?? settings.staleMs + 30_000);
  const pollMs = options.pollMs ?? 200;
  for (;;) {
    const [state] = await liveRuns(metadata, [await metadata.getRun(runId)], judge);
    const now = state as LiveRun;
    if (!marked(now.run)) return { kind: "stopped", run: now.run, request };
    if (now.interrupted) {
      const { ended, problems } = await endLeftovers(workspace, runId, now.run.runtime, runtimes);
      const canceled = await metadata.updateRun(runId, {
        status: "canceled",
        endedAt: Date.now(),
        error: "canceled after its driver process ended",
      });
      return {
        kind: "driver-gone",
        run: canceled,
        request,
        ended,
        problems,
        ...(now.reason ? { reason: now.reason } : {}),
      };
    }
    if (Date.now() >= deadline)
      return { kind: "timed-out", run: now.run, request, ...(now.driver ? { driver: now.driver } : {}) };
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
