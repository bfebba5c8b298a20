// The runs, newest first, a page at a time: one API call a page (the API's keyset cursor), with
// filters by pipeline, status, experiment and who started them. Runs ticked (two or more) can be
// compared. Filtered by pipeline, the page charts the last value of each metric across the
// pipeline's newest runs (`GET /metrics`, read once per pipeline while the page stays open), a
// point per run that opens it.
import { api, query, type Run } from "./api.js";
import { runCharts } from "./chart.js";
import { metricCharts, type RunMetric } from "./chart-data.js";
import { warmUpLayout } from "./dag.js";
import { append, h, statusBadge, took, when } from "./dom.js";
import { go } from "./nav.js";

const STATUSES = ["", "queued", "running", "succeeded", "failed", "canceled"];

export async function runsPage(main: HTMLElement, params: URLSearchParams) {
  document.body.dataset.page = "runs";
  const filters = {
    pipeline: params.get("pipeline") ?? "",
    status: params.get("status") ?? "",
    experiment: params.get("experiment") ?? "",
    user: params.get("user") ?? "",
  };
  const cursor = params.get("cursor") ?? undefined;
  const limit = params.get("limit") ?? undefined;
  // The cursors of the pages before this one, so "Newer" goes back without the API paging backwards.
  const back = params.getAll("back");
  const [page, pipelines, experiments] = await Promise.all([
    api<{ runs: Run[]; next?: string }>(`/runs${query({ ...filters, cursor, limit: limit ?? 50 })}`),
    api<{ pipelines: Array<{ name: string }> }>("/pipelines"),
    api<{ experiments: Array<{ name: string }> }>("/experiments"),
  ]);
  const select = (name: keyof typeof filters, options: string[]) =>
    h(
      "select",
      { name, "aria-label": name },
      ...["", ...options.filter((o) => o !== "")].map((o) =>
        h("option", { value: o, selected: o === filters[name] }, o === "" ? `any ${name}` : o),
      ),
    );
  const form = h(
    "form",
    {
      class: "filters",
      onchange: () => apply(),
      onsubmit: (event: Event) => {
        event.preventDefault();
        apply();
      },
    },
    select(
      "pipeline",
      pipelines.pipelines.map((p) => p.name),
    ),
    select("status", STATUSES),
    select(
      "experiment",
      experiments.experiments.map((e) => e.name),
    ),
    h("input", { name: "user", placeholder: "started by", value: filters.user, "aria-label": "user" }),
  );
  function apply() {
    const data = new FormData(form);
    go(`/${query({ ...Object.fromEntries([...data.entries()].map(([k, v]) => [k, String(v)])), limit })}`);
  }
  const compare = h("button", { type: "button", disabled: true, id: "compare" }, "Compare ticked runs");
  const ticked = new Set<string>();
  compare.addEventListener("click", () => go(`/compare${query({ runs: [...ticked].join(",") })}`));
  const rows = page.runs.map((run) =>
    h(
      "tr",
      { "data-run": run.id },
      h(
        "td",
        {},
        h("input", {
          type: "checkbox",
          "aria-label": `compare ${run.id}`,
          onchange: (event: Event) => {
            const box = event.target as HTMLInputElement;
            if (box.checked) ticked.add(run.id);
            else ticked.delete(run.id);
            compare.disabled = ticked.size < 2;
          },
        }),
      ),
      h("td", {}, h("a", { href: `/runs/${run.id}` }, run.id)),
      h("td", {}, `${run.pipeline} v${run.pipelineVersion}`),
      h("td", {}, statusBadge(run.status)),
      h("td", {}, run.experiment),
      h("td", {}, run.startedBy ?? ""),
      h("td", {}, when(run.createdAt)),
      h("td", {}, took(run.startedAt, run.endedAt)),
    ),
  );
  const pageLink = (label: string, c: string | undefined, b: string[]) => {
    const search = new URLSearchParams(query({ ...filters, limit, cursor: c }));
    for (const x of b) search.append("back", x);
    const text = search.toString();
    return h("a", { href: `/${text ? `?${text}` : ""}`, class: "button" }, label);
  };
  const previous = back.length > 0 ? back[back.length - 1] : undefined;
  const charts = filters.pipeline ? metricsAcrossRuns(filters.pipeline) : null;
  append(main, [
    h("h1", {}, "Runs"),
    form,
    charts,
    h(
      "table",
      { class: "runs" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ...["", "Run", "Pipeline", "Status", "Experiment", "Started by", "Created", "Took"].map((t) =>
            h("th", {}, t),
          ),
        ),
      ),
      h("tbody", {}, ...rows),
    ),
    page.runs.length === 0 ? h("p", {}, "No runs match.") : null,
    h(
      "nav",
      { class: "pager" },
      compare,
      cursor !== undefined
        ? pageLink("Newer", previous === "" ? undefined : previous, back.slice(0, -1))
        : null,
      page.next ? pageLink("Older", page.next, [...back, cursor ?? ""]) : null,
    ),
  ]);
  // The run page opened from here finds the layout worker ready.
  const idle = setTimeout(warmUpLayout, 300);
  return () => {
    clearTimeout(idle);
    // Leaving the runs page (the address is the next page's already): back on it, the metrics are read again.
    if (location.pathname !== "/" && location.pathname !== "/runs") charted = undefined;
  };
}

interface PipelineMetrics {
  runs: Array<{ run: Run; metrics: RunMetric[] }>;
}

/**
 * The metrics of the pipeline charted last: read once while the runs page stays open, since they
 * depend on the pipeline alone, not on the page of runs or the other filters shown.
 */
let charted: { pipeline: string; answer: Promise<PipelineMetrics> } | undefined;

function metricsOf(pipeline: string): Promise<PipelineMetrics> {
  if (charted?.pipeline === pipeline) return charted.answer;
  const answer = api<PipelineMetrics>(`/metrics${query({ pipeline, limit: CHARTED_RUNS })}`);
  charted = { pipeline, answer };
  // A failure is not kept: the next draw asks again.
  answer.catch(() => {
    if (charted?.answer === answer) charted = undefined;
  });
  return answer;
}

/** How many of a pipeline's newest runs its charts cover. */
const CHARTED_RUNS = 50;

/**
 * The charts of a pipeline's metrics across its newest runs, drawn into the section returned when
 * the API answers (`data-state` says when: `loaded`, or `failed` with the API's message shown).
 * No metric, no chart.
 */
function metricsAcrossRuns(pipeline: string): HTMLElement {
  const section = h("section", { class: "metric-charts", id: "metric-charts", "data-state": "loading" });
  metricsOf(pipeline).then(
    ({ runs }) => {
      // Oldest first, left to right.
      const charts = metricCharts([...runs].reverse());
      if (charts.length > 0)
        section.replaceChildren(
          h("h2", {}, `Metrics across the last ${runs.length} runs of ${pipeline}`),
          runCharts(charts),
        );
      section.dataset.state = "loaded";
    },
    (error: Error) => {
      section.replaceChildren(
        h(
          "p",
          { class: "error", role: "alert" },
          `The metrics of ${pipeline} could not be read: ${error.message}`,
        ),
      );
      section.dataset.state = "failed";
    },
  );
  return section;
}
