// A run's events as Server-Sent Events. The store is read by the run's one poller (run-watch.ts),
// shared by every stream of the run; each stream sends what changed since what it sent. Every
// step's state first, so a client that connects late still knows them all; `end` once the run
// has ended.
import type { Run, StepRun } from "@canal/store";
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import type { RunWatchers } from "./run-watch.js";
import { ended, shownRun } from "./shown.js";

/** A comment line at least this often keeps proxies from closing an idle stream. */
const KEEPALIVE_MS = 15_000;

function stepEvent(step: StepRun) {
  return {
    runId: step.runId,
    stepRunId: step.id,
    stepId: step.stepId,
    instance: step.instance,
    status: step.status,
    ...(step.error ? { error: step.error } : {}),
    at: step.endedAt ?? step.startedAt ?? step.createdAt,
  };
}

export function runEvents(c: Context, watchers: RunWatchers, first: Run): Response {
  return streamSSE(c, async (stream) => {
    const subscription = watchers.subscribe(first.id);
    stream.onAbort(() => subscription.close());
    try {
      const seen = new Map<number, string>();
      let runState = "";
      let id = 0;
      let quietSince = Date.now();
      const send = async (event: string, data: unknown) => {
        quietSince = Date.now();
        await stream.writeSSE({ event, data: JSON.stringify(data), id: String(++id) });
      };
      for (let tick = 0; ; ) {
        const snapshot = await subscription.next(tick);
        if (!snapshot) return;
        tick = snapshot.tick;
        const { run, steps } = snapshot;
        for (const step of steps) {
          if (seen.get(step.id) === step.status) continue;
          seen.set(step.id, step.status);
          await send("step", stepEvent(step));
        }
        if (run.status !== runState) {
          runState = run.status;
          await send("run", shownRun(run));
        }
        if (snapshot.interrupted) {
          const { reason } = snapshot.interrupted;
          await send("end", { runId: run.id, status: "interrupted", ...(reason ? { error: reason } : {}) });
          return;
        }
        if (ended(run)) {
          await send("end", {
            runId: run.id,
            status: run.status,
            ...(run.error ? { error: run.error } : {}),
          });
          return;
        }
        if (Date.now() - quietSince > KEEPALIVE_MS) {
          quietSince = Date.now();
          await stream.write(": keep-alive\n\n");
        }
      }
    } finally {
      subscription.close();
    }
  });
}
