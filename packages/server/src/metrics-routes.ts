// A metric across runs: the last value of each metric of each step of a pipeline's newest runs, or
// of runs named by id, in one read of the store whatever their number (a chart of `accuracy`
// over the last 50 runs, a comparison of many runs).
import type { ServerOptions } from "./context.js";
import { ApiError } from "./errors.js";
import { type Route, route } from "./route.js";
import { RunsMetrics, RunsMetricsQuery, runIdList } from "./schemas.js";
import { shownRun } from "./shown.js";

export function metricsRoutes(options: ServerOptions): Route[] {
  const { metadata } = options.workspace;
  return [
    route({
      method: "get",
      path: "/metrics",
      role: "viewer",
      summary: "The last value of each metric of each step, across a pipeline's newest runs or named runs",
      description:
        "`pipeline=NAME&limit=N` reads its newest N runs (at most 500); `runs=ID,ID,…` reads those runs (at most 500). `name` and `step` narrow it to one metric, one step. Runs come newest first, each with its metrics; a run that logged none has an empty list.",
      query: RunsMetricsQuery,
      errors: ["CANAL_API_INVALID_REQUEST", "CANAL_API_NOT_FOUND"],
      answers: { 200: { description: "The runs, newest first, with their metrics", schema: RunsMetrics } },
      async handle({ query, c }) {
        const narrow = {
          ...(query.name !== undefined ? { name: query.name } : {}),
          ...(query.step !== undefined ? { stepId: query.step } : {}),
        };
        let runs: Awaited<ReturnType<typeof metadata.lastMetrics>>;
        if (query.pipeline !== undefined) {
          const pipeline = query.pipeline;
          runs = await metadata.lastMetrics({ pipeline, limit: query.limit, ...narrow });
          if (runs.length === 0 && !(await metadata.listPipelines()).some((p) => p.name === pipeline))
            throw new ApiError(
              "CANAL_API_NOT_FOUND",
              `no pipeline \`${pipeline}\` in workspace ${metadata.workspace}; GET /api/v1/pipelines lists them`,
            );
        } else {
          const ids = runIdList(query.runs ?? "");
          runs = await metadata.lastMetrics({ runIds: ids, ...narrow });
          const found = new Set(runs.map((r) => r.run.id));
          const missing = ids.filter((id) => !found.has(id));
          if (missing.length > 0)
            throw new ApiError(
              "CANAL_API_NOT_FOUND",
              `no run ${missing.map((id) => `\`${id}\``).join(", ")} in workspace ${metadata.workspace}; GET /api/v1/runs lists them`,
            );
        }
        return c.json({
          runs: runs.map(({ run, metrics }) => ({
            run: shownRun(run),
            metrics: metrics.map(({ stepRunId: _, ...metric }) => metric),
          })),
        });
      },
    }),
  ];
}
