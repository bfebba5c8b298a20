// Runs side by side, two or more (`/compare?runs=ID,ID,ID`, or `?a=ID&b=ID`): their parameters,
// the last value of each metric with a chart of each across the runs, and each step's state,
// whether its cache key was the same in all of them and, for two runs, which of its code files
// changed.
import { ApiFailure, api, query, type Run, type StepRun, stepKey } from "./api.js";
import { runCharts } from "./chart.js";
import { metricCharts, type RunMetric } from "./chart-data.js";
import { append, h, shown, statusBadge } from "./dom.js";

/** What `GET /compare` says of a step of two runs; read only for its changed code files. */
interface TwoRunSteps {
  steps: Array<{ stepId: string; instance: number; codeFiles: Array<{ path: string; change: string }> }>;
}

/** The runs of a compare page's address: `runs=ID,ID,…`, else `a` and `b`; repeats left out. */
export function comparedRuns(params: URLSearchParams): string[] {
  const runs = params.get("runs");
  const ids = runs !== null ? runs.split(",") : [params.get("a") ?? "", params.get("b") ?? ""];
  return [...new Set(ids.map((id) => id.trim()))].filter((id) => id !== "");
}

const same = (values: unknown[]) => values.every((v) => JSON.stringify(v) === JSON.stringify(values[0]));

export async function comparePage(main: HTMLElement, ids: string[]): Promise<void> {
  document.body.dataset.page = "compare";
  if (ids.length < 2) {
    main.append(
      h("p", {}, "Tick two runs or more in ", h("a", { href: "/" }, "the runs list"), " to compare them."),
    );
    return;
  }
  // One read names every run that is not there; the runs' own reads follow.
  let lastValues: Array<{ run: Run; metrics: RunMetric[] }>;
  try {
    ({ runs: lastValues } = await api<{ runs: Array<{ run: Run; metrics: RunMetric[] }> }>(
      `/metrics${query({ runs: ids.join(",") })}`,
    ));
  } catch (error) {
    if (error instanceof ApiFailure && error.status === 404)
      throw new Error(`Cannot compare ${ids.join(", ")}: ${error.message}`);
    throw error;
  }
  const [details, two] = await Promise.all([
    Promise.all(ids.map((id) => api<{ run: Run; steps: StepRun[] }>(`/runs/${encodeURIComponent(id)}`))),
    ids.length === 2 ? api<TwoRunSteps>(`/compare${query({ a: ids[0], b: ids[1] })}`) : undefined,
  ]);
  const runs = details.map((d) => d.run);
  const metricsOf = new Map(lastValues.map((r) => [r.run.id, r.metrics]));
  const ordered = runs.map((run) => ({ run, metrics: metricsOf.get(run.id) ?? [] }));

  const head = (...first: string[]) =>
    h(
      "tr",
      {},
      ...first.map((t) => h("th", {}, t)),
      ...runs.map((r) => h("th", { "data-run": r.id }, h("a", { href: `/runs/${r.id}` }, r.id))),
    );
  const cells = (values: unknown[]) => values.map((v) => h("td", {}, h("code", {}, shown(v))));

  const parameterNames = [...new Set(runs.flatMap((r) => Object.keys(r.parameters)))].sort();
  const metricRows = new Map<string, { step: string; name: string }>();
  for (const { metrics } of ordered)
    for (const m of metrics)
      metricRows.set(`${stepKey(m)}\u0000${m.name}`, { step: stepKey(m), name: m.name });
  const lastValue = (metrics: RunMetric[], step: string, name: string) =>
    metrics.find((m) => stepKey(m) === step && m.name === name)?.value;

  const stepKeys = [...new Set(details.flatMap((d) => d.steps.map(stepKey)))];
  const stepOf = details.map((d) => new Map(d.steps.map((s) => [stepKey(s), s])));
  const codeFiles = new Map((two?.steps ?? []).map((s) => [stepKey(s), s.codeFiles]));
  const cause = (s: StepRun | undefined) =>
    s ? h("span", {}, statusBadge(s.status), s.reusedFrom ? ` from ${s.reusedFrom.runId}` : "") : "—";
  const charts = metricCharts(ordered);

  append(main, [
    h("h1", {}, `Compare ${runs.length} runs`),
    h(
      "table",
      { class: "compare", id: "compare-runs" },
      head(""),
      h(
        "tr",
        {},
        h("th", {}, "Pipeline"),
        ...runs.map((r) => h("td", {}, `${r.pipeline} v${r.pipelineVersion}`)),
      ),
      h("tr", {}, h("th", {}, "Status"), ...runs.map((r) => h("td", {}, statusBadge(r.status)))),
    ),
    h("h2", {}, "Parameters"),
    h(
      "table",
      { class: "compare", id: "compare-parameters" },
      head("Parameter"),
      ...parameterNames.map((name) => {
        const values = runs.map((r) => r.parameters[name]);
        return h(
          "tr",
          { class: same(values) ? "same" : "differs", "data-parameter": name },
          h("th", {}, name),
          ...cells(values),
        );
      }),
    ),
    h("h2", {}, "Metrics"),
    h(
      "table",
      { class: "compare", id: "compare-metrics" },
      head("Step", "Metric"),
      ...[...metricRows.values()]
        .sort((a, b) => a.step.localeCompare(b.step) || a.name.localeCompare(b.name))
        .map(({ step, name }) => {
          const values = ordered.map((r) => lastValue(r.metrics, step, name));
          return h(
            "tr",
            { class: same(values) ? "same" : "differs", "data-step": step, "data-metric": name },
            h("td", {}, step),
            h("th", {}, name),
            ...cells(values),
          );
        }),
    ),
    charts.length === 0
      ? null
      : h(
          "section",
          { class: "metric-charts", id: "compare-charts" },
          h("p", { class: "hint" }, `Left to right: ${runs.map((r) => r.id).join(", ")}`),
          runCharts(charts),
        ),
    h("h2", {}, "Steps and the cache"),
    h(
      "table",
      { class: "compare", id: "compare-steps" },
      h(
        "tr",
        {},
        h("th", {}, "Step"),
        ...runs.map((r) => h("th", {}, r.id)),
        h("th", {}, "Cache key"),
        two ? h("th", {}, "Changed code files") : null,
      ),
      ...stepKeys.map((key) => {
        const steps = stepOf.map((byKey) => byKey.get(key));
        const keys = steps.map((s) => s?.cacheKey);
        const files = codeFiles.get(key) ?? [];
        return h(
          "tr",
          { "data-step": key },
          h("th", {}, key),
          ...steps.map((s) => h("td", {}, cause(s))),
          h("td", {}, keys[0] !== undefined && same(keys) ? "same" : "differs"),
          two
            ? h("td", {}, files.length === 0 ? "" : files.map((f) => `${f.path} (${f.change})`).join(", "))
            : null,
        );
      }),
    ),
  ]);
}
