// Runs: listed a page at a time, read with their steps, logs and metrics; canceled and rerun
// through the runner's own functions, as `canal cancel` and `canal rerun` do.
import { cancelRun, judgeRun, planRerun } from "@canal/runner";
import type { ServerOptions } from "./context.js";
import { decodeCursor, encodeCursor } from "./cursor.js";
import { ApiError } from "./errors.js";
import { runEvents } from "./events.js";
import { type Route, route } from "./route.js";
import { RunWatchers } from "./run-watch.js";
import {
  CancelAnswer,
  CancelBody,
  Experiments,
  LogPage,
  LogQuery,
  Metrics,
  RerunBody,
  RunDetail,
  RunLogQuery,
  RunPage,
  RunParams,
  RunsQuery,
  Started,
  StepLogParams,
} from "./schemas.js";
import { shownRun, started, startedBy } from "./shown.js";

export function runsRoutes(options: ServerOptions): Route[] {
  const { workspace } = options;
  const { metadata } = workspace;
  // One poller per followed run, whatever the number of its event streams.
  const watchers = new RunWatchers({
    metadata,
    pollMs: options.pollMs ?? 250,
    ...(options.liveState ? { liveState: options.liveState } : {}),
  });
  return [
    route({
      method: "get",
      path: "/runs",
      role: "viewer",
      summary: "List runs, newest first, a page at a time (keyset: pass `next` as `cursor`)",
      query: RunsQuery,
      errors: ["CANAL_API_INVALID_REQUEST"],
      answers: { 200: { description: "One page of runs", schema: RunPage } },
      async handle({ query, c }) {
        const before = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
        // One more than asked: whether there is a next page, in the same one query.
        const runs = await metadata.listRuns({
          limit: query.limit + 1,
          ...(before ? { before } : {}),
          ...(query.pipeline !== undefined ? { pipeline: query.pipeline } : {}),
          ...(query.experiment !== undefined ? { experiment: query.experiment } : {}),
          ...(query.user !== undefined ? { startedBy: query.user } : {}),
          ...(query.status !== undefined ? { status: query.status } : {}),
        });
        const page = runs.slice(0, query.limit);
        const last = page[page.length - 1];
        return c.json({
          runs: page.map(shownRun),
          ...(runs.length > query.limit && last ? { next: encodeCursor(last) } : {}),
        });
      },
    }),
    route({
      method: "get",
      path: "/runs/{id}",
      role: "viewer",
      summary:
        "A run with its step runs, and its live state: interrupted when its driver is gone, a cancel request",
      params: RunParams,
      errors: ["CANAL_API_NOT_FOUND"],
      answers: { 200: { description: "The run and its steps", schema: RunDetail } },
      async handle({ params, c }) {
        const run = await metadata.getRun(params.id);
        const steps = await metadata.listStepRuns(run.id);
        const [control] = await metadata.readRunControl([run.id]);
        const live = judgeRun(run, control, options.liveState);
        return c.json({
          run: shownRun(run),
          state: {
            status: live.status,
            interrupted: live.interrupted,
            ...(live.reason ? { reason: live.reason } : {}),
            ...(live.cancel ? { cancel: live.cancel } : {}),
          },
          steps: steps.map(({ cacheComponents: _, ...step }) => step),
        });
      },
    }),
    route({
      method: "get",
      path: "/runs/{id}/logs",
      role: "viewer",
      summary: "The output of the process that drives the run (a detached run's driver), a page at a time",
      params: RunParams,
      query: RunLogQuery,
      errors: ["CANAL_API_NOT_FOUND"],
      answers: { 200: { description: "A page of chunks", schema: LogPage } },
      async handle({ params, query, c }) {
        const page = await metadata.readRunLog(params.id, query.from, query.limit);
        return c.json({
          ...page,
          chunks: page.chunks.filter((k) => !query.stream || k.stream === query.stream),
        });
      },
    }),
    route({
      method: "get",
      path: "/runs/{id}/steps/{step}/logs",
      role: "viewer",
      summary: "A step's stdout and stderr, a page at a time (`from` the last page's `next`)",
      params: StepLogParams,
      query: LogQuery,
      errors: ["CANAL_API_NOT_FOUND"],
      answers: { 200: { description: "A page of chunks of one attempt", schema: LogPage } },
      async handle({ params, query, c }) {
        const stepRun = await metadata.getStepRun(params.id, params.step, query.instance);
        let attempt = query.attempt;
        if (attempt === undefined) {
          const attempts = await metadata.listAttempts(stepRun.id);
          attempt = attempts[attempts.length - 1]?.number;
          if (attempt === undefined) return c.json({ chunks: [], next: 0 });
        }
        const page = await metadata.readLog(stepRun.id, attempt, query.from, query.limit);
        return c.json({
          attempt,
          next: page.next,
          chunks: page.chunks.filter((k) => !query.stream || k.stream === query.stream),
        });
      },
    }),
    route({
      method: "get",
      path: "/runs/{id}/metrics",
      role: "viewer",
      summary: "Every metric the run's steps logged",
      params: RunParams,
      errors: ["CANAL_API_NOT_FOUND"],
      answers: { 200: { description: "The metrics", schema: Metrics } },
      async handle({ params, c }) {
        await metadata.getRun(params.id);
        const metrics = await metadata.getMetrics({ runId: params.id });
        return c.json({ metrics: metrics.map(({ stepRunId: _, ...metric }) => metric) });
      },
    }),
    route({
      method: "get",
      path: "/runs/{id}/events",
      role: "viewer",
      summary:
        "Server-Sent Events: `step` at each step state change, `run` at each run state change, `end` once",
      description:
        "Every step's state is sent first, then each change as it is recorded; the stream ends with an `end` event once the run has ended (or its driver is gone).",
      params: RunParams,
      errors: ["CANAL_API_NOT_FOUND"],
      answers: { 200: { description: "An event stream", contentType: "text/event-stream" } },
      async handle({ params, c }) {
        const run = await metadata.getRun(params.id);
        return runEvents(c, watchers, run);
      },
    }),
    route({
      method: "post",
      path: "/runs/{id}/cancel",
      role: "launcher",
      summary: "Cancel a run (`canal cancel`): recorded for its driver, wherever it runs",
      params: RunParams,
      body: CancelBody,
      errors: ["CANAL_API_NOT_FOUND", "CANAL_API_CONFLICT", "CANAL_API_INVALID_REQUEST"],
      answers: {
        200: { description: "The run ended", schema: CancelAnswer },
        202: { description: "Requested; its driver has not ended it yet", schema: CancelAnswer },
      },
      async handle({ params, body, token, c }) {
        scopedOut(token);
        const outcome = await cancelRun(workspace, params.id, options.runtimes, {
          ...options.liveState,
          by: startedBy(token),
          ...(body.reason ? { reason: body.reason } : {}),
          // The answer does not wait long: a caller follows the run's events to its end.
          timeoutMs: 5_000,
        });
        if (outcome.kind === "already-ended")
          throw new ApiError(
            "CANAL_API_CONFLICT",
            `run ${params.id} is already ${outcome.run.status}; nothing to cancel`,
          );
        const done = outcome.kind === "stopped" || outcome.kind === "driver-gone";
        return c.json({ run: shownRun(outcome.run), outcome: outcome.kind }, done ? 200 : 202);
      },
    }),
    route({
      method: "post",
      path: "/runs/{id}/rerun",
      role: "launcher",
      summary:
        "Run a run again (`canal rerun`), from a step: it and what depends on it run regardless of the cache",
      params: RunParams,
      body: RerunBody,
      errors: ["CANAL_API_NOT_FOUND", "CANAL_API_INVALID_REQUEST"],
      answers: { 202: { description: "Started in the background", schema: Started } },
      async handle({ params, body, token, c }) {
        scopedOut(token);
        // Checked here (an unknown step is the caller's mistake); the driver plans it again.
        await planRerun(workspace, params.id, body.from);
        const runId = await options.launcher.rerun({
          runId: params.id,
          ...(body.from !== undefined ? { from: body.from } : {}),
          startedBy: startedBy(token),
        });
        return c.json(started(runId), 202);
      },
    }),
    route({
      method: "get",
      path: "/experiments",
      role: "viewer",
      summary: "The experiments runs are grouped under, newest first",
      answers: { 200: { description: "The experiments", schema: Experiments } },
      async handle({ c }) {
        return c.json({ experiments: await metadata.listExperiments() });
      },
    }),
  ];
}

/** An endpoint-scoped token starts runs of its endpoint and does nothing else to runs. */
function scopedOut(token: { endpoint?: string }): void {
  if (token.endpoint !== undefined)
    throw new ApiError(
      "CANAL_API_FORBIDDEN",
      `this token only starts runs of endpoint ${token.endpoint}; canceling or rerunning runs needs a launcher token without --endpoint`,
    );
}
