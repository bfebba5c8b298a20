// One reader of the store per followed run, shared by every event stream of that run: each tick
// reads the run and its step runs once, whatever the number of clients, and each stream sends
// its client what changed since what it last sent. 50 clients of a run cost the store what one
// costs (docs/performance.md, "Following a run").
import { judgeRun, type LiveStateOptions } from "@canal/runner";
import type { MetadataStore, Run, StepRun } from "@canal/store";
import { ended } from "./shown.js";

/** Every how many reads the driver's heartbeat is looked at too: a run whose driver died ends its streams. */
const CONTROL_EVERY = 20;

/** What one read of the store found. */
export interface RunSnapshot {
  /** 1 for the first read, then one more each read: a stream waits for one newer than it handled. */
  tick: number;
  run: Run;
  steps: StepRun[];
  /** Set once the run's driver is judged gone while its record says it goes on. */
  interrupted?: { reason?: string };
}

export interface RunSubscription {
  /**
   * The latest snapshot newer than `tick` (at once if there is one), `undefined` once this
   * subscription is closed. Rejects with the error of a failed read: the run's streams end.
   */
  next(tick: number): Promise<RunSnapshot | undefined>;
  close(): void;
}

interface Waiter {
  /** The subscription waiting. */
  owner: object;
  tick: number;
  resolve(snapshot: RunSnapshot | undefined): void;
  reject(error: unknown): void;
}

interface Watch {
  subscribers: number;
  latest?: RunSnapshot;
  failure?: { error: unknown };
  waiting: Waiter[];
  /** Ends the wait before the next read (the last subscriber left). */
  wake?: () => void;
  timer?: NodeJS.Timeout;
}

export interface RunWatchersOptions {
  metadata: MetadataStore;
  /** Between the end of one read and the start of the next. */
  pollMs: number;
  liveState?: LiveStateOptions;
}

/** The runs being followed, each read by one poller while it has subscribers. */
export class RunWatchers {
  private readonly watches = new Map<string, Watch>();

  constructor(private readonly options: RunWatchersOptions) {}

  subscribe(runId: string): RunSubscription {
    const found = this.watches.get(runId);
    const shared: Watch = found ?? { subscribers: 0, waiting: [] };
    shared.subscribers++;
    if (!found) {
      this.watches.set(runId, shared);
      void this.poll(runId, shared);
    }
    let closed = false;
    const owner = {};
    return {
      next: (tick) =>
        new Promise<RunSnapshot | undefined>((resolve, reject) => {
          if (closed) return resolve(undefined);
          shared.waiting.push({ owner, tick, resolve, reject });
          settle(shared);
        }),
      close: () => {
        if (closed) return;
        closed = true;
        shared.subscribers--;
        // Its own wait ends now; the others' stay.
        shared.waiting = shared.waiting.filter((w) => {
          if (w.owner !== owner) return true;
          w.resolve(undefined);
          return false;
        });
        if (shared.subscribers === 0) {
          if (this.watches.get(runId) === shared) this.watches.delete(runId);
          clearTimeout(shared.timer);
          shared.wake?.();
        }
      },
    };
  }

  private async poll(runId: string, watch: Watch): Promise<void> {
    const { metadata, pollMs, liveState } = this.options;
    for (let tick = 1; watch.subscribers > 0; tick++) {
      let final = false;
      try {
        // The run is read before its steps: once it reads ended, the steps read after are final.
        const run = await metadata.getRun(runId);
        const steps = await metadata.listStepRuns(runId);
        const snapshot: RunSnapshot = { tick, run, steps };
        if (ended(run)) final = true;
        else if (tick % CONTROL_EVERY === 0) {
          const [control] = await metadata.readRunControl([runId]);
          const live = judgeRun(run, control, liveState);
          if (live.interrupted) {
            snapshot.interrupted = live.reason ? { reason: live.reason } : {};
            final = true;
          }
        }
        watch.latest = snapshot;
      } catch (error) {
        watch.failure = { error };
        final = true;
      }
      settle(watch);
      if (final) break;
      await new Promise<void>((resolve) => {
        watch.wake = resolve;
        watch.timer = setTimeout(resolve, pollMs);
      });
    }
    // An ended run's subscribers keep its last snapshot; a new one reads it afresh.
    if (this.watches.get(runId) === watch) this.watches.delete(runId);
  }
}

/** Hands the latest snapshot (or the failure) to every wait it is newer for. */
function settle(watch: Watch): void {
  const { latest, failure } = watch;
  watch.waiting = watch.waiting.filter((w) => {
    if (failure) w.reject(failure.error);
    else if (latest && latest.tick > w.tick) w.resolve(latest);
    else return true;
    return false;
  });
}
