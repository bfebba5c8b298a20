// One step run as the UI's step panel shows it (attempts, inputs, outputs, the cache decision and
// why), its inputs and outputs as downloads, and two runs side by side. Each answer is a fixed
// number of store reads, whatever the number of steps.
import { explainStepRuns, type WhyReport, whyLines } from "@canal/runner";
import type { MetadataStore, Run, StepRun, StoredValue } from "@canal/store";
import type { ServerOptions } from "./context.js";
import { ApiError } from "./errors.js";
import { downloadValue, insidePath } from "./outputs-routes.js";
import { type Route, route } from "./route.js";
import {
  CompareQuery,
  Comparison,
  OutputQuery,
  StepDetail,
  StepFileParams,
  StepParams,
  StepQuery,
} from "./schemas.js";
import { shownRun } from "./shown.js";

type Shown = {
  name: string;
  kind: "file" | "directory" | "files" | "value";
  digest?: string;
  value?: unknown;
  size?: number;
};

function shownValue(name: string, value: StoredValue): Shown {
  if ("json" in value) return { name, kind: "value", value: JSON.parse(value.json) as unknown };
  if ("digests" in value) return { name, kind: "files", size: value.digests.length };
  return { name, kind: value.directory ? "directory" : "file", digest: value.digest };
}

/** Whether the step reused the cache, and why it did or did not: what `canal why` says of it. */
async function cacheDecision(
  metadata: MetadataStore,
  run: Run,
  step: StepRun,
): Promise<{ decision: "reused" | "ran" | "no-key" | "pending"; why: string[]; run?: string }> {
  const [report] = (await explainStepRuns(metadata, run, [step])) as [WhyReport];
  const waiting = step.status === "queued" || step.status === "running";
  const decision =
    report.reason === "cached"
      ? "reused"
      : report.reason === "no-key"
        ? waiting
          ? "pending"
          : "no-key"
        : "ran";
  return { decision, why: whyLines(report, run), ...(report.run ? { run: report.run } : {}) };
}

/** The last value of each metric of each step instance. */
function lastMetrics(
  metrics: Array<{ stepId: string; instance: number; name: string; value: unknown; sequence: number }>,
) {
  const last = new Map<
    string,
    { stepId: string; instance: number; name: string; value: unknown; sequence: number }
  >();
  for (const m of metrics) {
    const key = `${m.stepId}\0${m.instance}\0${m.name}`;
    const seen = last.get(key);
    if (!seen || seen.sequence <= m.sequence) last.set(key, m);
  }
  return last;
}

const instanceKey = (s: { stepId: string; instance: number }) => `${s.stepId}\0${s.instance}`;

export function stepsRoutes(options: ServerOptions): Route[] {
  const { metadata, blobs } = options.workspace;
  const routes: Route[] = [
    route({
      method: "get",
      path: "/runs/{id}/steps/{step}",
      role: "viewer",
      summary: "One step run: its attempts, inputs, outputs, and the cache decision with why",
      params: StepParams,
      query: StepQuery,
      errors: ["CANAL_API_NOT_FOUND"],
      answers: { 200: { description: "The step run", schema: StepDetail } },
      async handle({ params, query, c }) {
        const run = await metadata.getRun(params.id);
        const full = await metadata.getStepRun(params.id, params.step, query.instance);
        const { cacheComponents: _, ...step } = full;
        const [attempts, inputs, outputs, cache] = await Promise.all([
          metadata.listAttempts(step.id),
          metadata.getInputs(step.id),
          metadata.getOutputs(step.id),
          cacheDecision(metadata, run, full),
        ]);
        return c.json({
          step,
          attempts: attempts.map(({ stdoutDigest: _o, stderrDigest: _e, ...a }) => a),
          inputs: Object.entries(inputs).map(([name, value]) => shownValue(name, value)),
          outputs: Object.entries(outputs).map(([name, value]) => shownValue(name, value)),
          cache,
        });
      },
    }),
    route({
      method: "get",
      path: "/compare",
      role: "viewer",
      summary:
        "Two runs side by side: parameters, metrics, each step's cache decision and changed code files",
      query: CompareQuery,
      errors: ["CANAL_API_NOT_FOUND"],
      answers: { 200: { description: "The comparison", schema: Comparison } },
      async handle({ query, c }) {
        const runs = await Promise.all([metadata.getRun(query.a), metadata.getRun(query.b)]);
        const [stepsA, stepsB, metricsA, metricsB] = await Promise.all([
          metadata.listStepRuns(query.a),
          metadata.listStepRuns(query.b),
          metadata.getMetrics({ runId: query.a }),
          metadata.getMetrics({ runId: query.b }),
        ]);
        const [ra, rb] = runs;
        const names = [...new Set([...Object.keys(ra.parameters), ...Object.keys(rb.parameters)])].sort();
        const parameters = names.map((name) => {
          const a = ra.parameters[name];
          const b = rb.parameters[name];
          return { name, a, b, same: JSON.stringify(a) === JSON.stringify(b) };
        });
        const lastA = lastMetrics(metricsA);
        const lastB = lastMetrics(metricsB);
        const metricKeys = [...new Set([...lastA.keys(), ...lastB.keys()])].sort();
        const metrics = metricKeys.map((key) => {
          const m = (lastA.get(key) ?? lastB.get(key)) as { stepId: string; instance: number; name: string };
          return {
            stepId: m.stepId,
            instance: m.instance,
            name: m.name,
            ...(lastA.has(key) ? { a: lastA.get(key)?.value } : {}),
            ...(lastB.has(key) ? { b: lastB.get(key)?.value } : {}),
          };
        });
        const byB = new Map(stepsB.map((s) => [instanceKey(s), s]));
        const keys = [...new Set([...stepsA.map(instanceKey), ...stepsB.map(instanceKey)])];
        const byA = new Map(stepsA.map((s) => [instanceKey(s), s]));
        const side = (s: StepRun | undefined) =>
          s
            ? {
                status: s.status,
                ...(s.cacheKey ? { cacheKey: s.cacheKey } : {}),
                ...(s.reusedFrom ? { reusedFrom: s.reusedFrom.runId } : {}),
              }
            : undefined;
        const steps = keys.map((key) => {
          const a = byA.get(key);
          const b = byB.get(key);
          const any = (a ?? b) as StepRun;
          const filesA = new Map((a?.cacheComponents?.codeFiles ?? []).map((f) => [f.path, f.sha256]));
          const filesB = new Map((b?.cacheComponents?.codeFiles ?? []).map((f) => [f.path, f.sha256]));
          const changedFiles = [...new Set([...filesA.keys(), ...filesB.keys()])]
            .filter((path) => filesA.get(path) !== filesB.get(path))
            .sort()
            .map((path) => ({
              path,
              change: !filesA.has(path) ? "added" : !filesB.has(path) ? "removed" : "changed",
            }));
          return {
            stepId: any.stepId,
            instance: any.instance,
            ...(a ? { a: side(a) } : {}),
            ...(b ? { b: side(b) } : {}),
            sameKey: Boolean(a?.cacheKey && a.cacheKey === b?.cacheKey),
            codeFiles: a?.cacheComponents && b?.cacheComponents ? changedFiles : [],
          };
        });
        return c.json({ runs: runs.map(shownRun), parameters, metrics, steps });
      },
    }),
  ];
  for (const side of ["inputs", "outputs"] as const)
    routes.push(
      route({
        method: "get",
        path: `/runs/{id}/steps/{step}/${side}/{name}`,
        role: "viewer",
        summary: `Download one of a step run's ${side}: a file's bytes; a directory's listing, or with \`path\` a file in it`,
        params: StepFileParams,
        query: StepQuery.extend(OutputQuery.shape),
        errors: ["CANAL_API_NOT_FOUND", "CANAL_API_PATH_INVALID"],
        answers: { 200: { description: "The bytes, a directory listing, or a value as JSON" } },
        async handle({ params, query, c }) {
          const step = await metadata.getStepRun(params.id, params.step, query.instance);
          const values =
            side === "inputs" ? await metadata.getInputs(step.id) : await metadata.getOutputs(step.id);
          const value = values[params.name];
          if (!value)
            throw new ApiError(
              "CANAL_API_NOT_FOUND",
              `step ${params.step} of run ${params.id} has no ${side === "inputs" ? "input" : "output"} \`${params.name}\`; its ${side} are ${Object.keys(values).join(", ") || "none"}`,
            );
          const names = query.path === undefined ? undefined : insidePath(query.path);
          return downloadValue(c, blobs, params.name, value, names);
        },
      }),
    );
  return routes;
}
