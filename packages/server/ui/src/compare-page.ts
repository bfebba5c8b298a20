// Two runs side by side: their parameters, the last value of each metric, and each step's state,
// whether its cache key was the same and which of its code files changed.
import { api, query, type Run } from "./api.js";
import { h, shown, statusBadge } from "./dom.js";

interface Comparison {
  runs: Run[];
  parameters: Array<{ name: string; a?: unknown; b?: unknown; same: boolean }>;
  metrics: Array<{ stepId: string; instance: number; name: string; a?: unknown; b?: unknown }>;
  steps: Array<{
    stepId: string;
    instance: number;
    a?: { status: string; reusedFrom?: string };
    b?: { status: string; reusedFrom?: string };
    sameKey: boolean;
    codeFiles: Array<{ path: string; change: string }>;
  }>;
}

const key = (s: { stepId: string; instance: number }) =>
  s.instance >= 0 ? `${s.stepId}[${s.instance}]` : s.stepId;

export async function comparePage(main: HTMLElement, a: string, b: string): Promise<void> {
  document.body.dataset.page = "compare";
  if (!a || !b) {
    main.append(h("p", {}, "Tick two runs in ", h("a", { href: "/" }, "the runs list"), " to compare them."));
    return;
  }
  const c = await api<Comparison>(`/compare${query({ a, b })}`);
  const [ra, rb] = c.runs as [Run, Run];
  const head = (...first: string[]) =>
    h(
      "tr",
      {},
      ...first.map((t) => h("th", {}, t)),
      h("th", {}, h("a", { href: `/runs/${ra.id}` }, ra.id)),
      h("th", {}, h("a", { href: `/runs/${rb.id}` }, rb.id)),
    );
  const cause = (side?: { status: string; reusedFrom?: string }) =>
    side ? h("span", {}, statusBadge(side.status), side.reusedFrom ? ` from ${side.reusedFrom}` : "") : "—";
  main.append(
    h("h1", {}, "Compare runs"),
    h(
      "table",
      { class: "compare", id: "compare-runs" },
      head(""),
      h(
        "tr",
        {},
        h("th", {}, "Pipeline"),
        h("td", {}, `${ra.pipeline} v${ra.pipelineVersion}`),
        h("td", {}, `${rb.pipeline} v${rb.pipelineVersion}`),
      ),
      h(
        "tr",
        {},
        h("th", {}, "Status"),
        h("td", {}, statusBadge(ra.status)),
        h("td", {}, statusBadge(rb.status)),
      ),
    ),
    h("h2", {}, "Parameters"),
    h(
      "table",
      { class: "compare", id: "compare-parameters" },
      head("Parameter"),
      ...c.parameters.map((p) =>
        h(
          "tr",
          { class: p.same ? "same" : "differs", "data-parameter": p.name },
          h("th", {}, p.name),
          h("td", {}, h("code", {}, shown(p.a))),
          h("td", {}, h("code", {}, shown(p.b))),
        ),
      ),
    ),
    h("h2", {}, "Metrics"),
    h(
      "table",
      { class: "compare", id: "compare-metrics" },
      head("Step", "Metric"),
      ...c.metrics.map((m) =>
        h(
          "tr",
          { class: JSON.stringify(m.a) === JSON.stringify(m.b) ? "same" : "differs" },
          h("td", {}, key(m)),
          h("th", {}, m.name),
          h("td", {}, h("code", {}, shown(m.a))),
          h("td", {}, h("code", {}, shown(m.b))),
        ),
      ),
    ),
    h("h2", {}, "Steps and the cache"),
    h(
      "table",
      { class: "compare", id: "compare-steps" },
      h("tr", {}, ...["Step", ra.id, rb.id, "Cache key", "Changed code files"].map((t) => h("th", {}, t))),
      ...c.steps.map((s) =>
        h(
          "tr",
          { "data-step": key(s) },
          h("th", {}, key(s)),
          h("td", {}, cause(s.a)),
          h("td", {}, cause(s.b)),
          h("td", {}, s.sameKey ? "same" : "differs"),
          h(
            "td",
            {},
            s.codeFiles.length === 0 ? "" : s.codeFiles.map((f) => `${f.path} (${f.change})`).join(", "),
          ),
        ),
      ),
    ),
  );
}
