// The panel of the step picked on a run's page: its attempts, timings, the cache decision and why,
// inputs and outputs to download, metrics, and stdout/stderr followed while it runs.
import { api, mayLaunch, query, type Run, type Session, type StepRun } from "./api.js";
import { lineChart } from "./chart.js";
import { h, shown, statusBadge, took, when } from "./dom.js";
import { rerun } from "./run-actions.js";
import { type Shown, valueLink } from "./run-values.js";

const STEP_ENDED = new Set(["succeeded", "failed", "canceled", "cached", "skipped"]);

interface StepDetail {
  step: StepRun;
  attempts: Array<{
    number: number;
    status: string;
    exitCode?: number;
    error?: string;
    startedAt: number;
    endedAt?: number;
  }>;
  inputs: Shown[];
  outputs: Shown[];
  cache: { decision: string; why: string[]; run?: string };
}

/** A step's metric points by name, each in the order logged. */
function byName(metrics: Array<{ name: string; value: unknown; sequence: number }>) {
  const names = new Map<string, Array<{ value: unknown; sequence: number }>>();
  for (const m of metrics) names.set(m.name, [...(names.get(m.name) ?? []), m]);
  for (const points of names.values()) points.sort((a, b) => a.sequence - b.sequence);
  return [...names];
}

/** A metric logged more than once, as a small line chart of its numeric values in the order logged. */
function chart(name: string, points: Array<{ value: unknown }>): SVGElement | string {
  const values = points.map((p) => p.value).filter((v): v is number => typeof v === "number");
  if (values.length < 2) return "";
  return lineChart(
    values.map((value, i) => ({ series: name, x: i, y: value, title: `${name} #${i + 1} = ${value}` })),
    { label: name },
  );
}

/** The panel of one step instance; returns what stops following its logs. */
export function stepPanel(
  panel: HTMLElement,
  run: Run,
  stepId: string,
  instance: number,
  session: Session,
): () => void {
  let stopped = false;
  const key = instance >= 0 ? `${stepId}[${instance}]` : stepId;
  const base = `/runs/${encodeURIComponent(run.id)}/steps/${encodeURIComponent(stepId)}`;
  const info = h("div", { class: "step-info" });
  const metrics = h("div", { class: "metrics" });
  const log = h("pre", { class: "log", id: "step-log", "aria-label": "stdout and stderr" });
  panel.replaceChildren(h("h2", {}, key), info, metrics, h("h3", {}, "Output"), log);
  let from = 0;
  let attempt: number | undefined;
  let status = "queued";
  let timer: ReturnType<typeof setTimeout> | undefined;

  const drawInfo = async () => {
    const d = await api<StepDetail>(`${base}${query({ instance })}`);
    status = d.step.status;
    const files = (side: "inputs" | "outputs", list: Shown[]) =>
      list.length === 0
        ? null
        : h(
            "div",
            {},
            h("h3", {}, side === "inputs" ? "Inputs" : "Outputs"),
            h(
              "ul",
              { class: side },
              ...list.map((v) =>
                h(
                  "li",
                  {},
                  valueLink(v, `/api/v1${base}/${side}/${encodeURIComponent(v.name)}${query({ instance })}`),
                ),
              ),
            ),
          );
    info.replaceChildren(
      h("p", {}, statusBadge(d.step.status), " ", took(d.step.startedAt, d.step.endedAt)),
      d.step.error ? h("pre", { class: "error" }, d.step.error) : "",
      h(
        "div",
        { class: `cache cache-${d.cache.decision}`, id: "cache-decision" },
        h("h3", {}, "Cache"),
        h(
          "p",
          {},
          d.cache.decision === "reused"
            ? "Reused from the cache"
            : d.cache.decision === "ran"
              ? "Ran (cache not reused)"
              : d.cache.decision === "pending"
                ? "Not decided yet"
                : "No cache key",
        ),
        h("ul", { class: "why" }, ...d.cache.why.map((w) => h("li", {}, w))),
      ),
      d.attempts.length === 0
        ? ""
        : h(
            "table",
            { class: "attempts" },
            h("caption", {}, "Attempts"),
            h("tr", {}, ...["#", "Status", "Exit", "Started", "Took"].map((t) => h("th", {}, t))),
            ...d.attempts.map((a) =>
              h(
                "tr",
                {},
                h("td", {}, a.number),
                h("td", {}, a.status),
                h("td", {}, a.exitCode ?? ""),
                h("td", {}, when(a.startedAt)),
                h("td", {}, took(a.startedAt, a.endedAt)),
              ),
            ),
          ),
      files("inputs", d.inputs) ?? "",
      files("outputs", d.outputs) ?? "",
      mayLaunch(session)
        ? h(
            "button",
            { type: "button", id: "rerun-from", onclick: () => rerun(run.id, stepId) },
            `Rerun from ${stepId}`,
          )
        : "",
    );
    if (STEP_ENDED.has(status)) {
      const { metrics: all } = await api<{
        metrics: Array<{ name: string; value: unknown; stepId: string; instance: number; sequence: number }>;
      }>(`/runs/${encodeURIComponent(run.id)}/metrics`);
      const mine = all.filter((m) => m.stepId === stepId && m.instance === instance);
      metrics.replaceChildren(
        mine.length === 0
          ? ""
          : h(
              "table",
              { class: "metrics-table" },
              h("caption", {}, "Metrics"),
              ...byName(mine).map(([name, points]) =>
                h(
                  "tr",
                  { "data-metric": name },
                  h("th", {}, name),
                  h("td", {}, h("code", {}, shown(points[points.length - 1]?.value))),
                  h("td", {}, points.length > 1 ? chart(name, points) : ""),
                ),
              ),
            ),
      );
    }
  };

  let busy = false;
  let again = false;
  /** Reads the log on from where it was; one read at a time, a request meanwhile runs after it. */
  const kick = () => {
    clearTimeout(timer);
    if (busy) again = true;
    else void tail();
  };
  const tail = async () => {
    if (stopped) return;
    busy = true;
    try {
      const page = await api<{
        chunks: Array<{ stream: string; text: string }>;
        next: number;
        attempt?: number;
      }>(`${base}/logs${query({ instance, from, limit: 500 })}`);
      if (page.attempt !== undefined && page.attempt !== attempt) {
        if (attempt !== undefined) log.replaceChildren();
        attempt = page.attempt;
        if (from > 0 && page.chunks.length === 0) from = 0;
      }
      for (const chunk of page.chunks) log.append(h("span", { class: chunk.stream }, chunk.text));
      if (page.chunks.length > 0) log.scrollTop = log.scrollHeight;
      from = page.next;
      const more = page.chunks.length === 500;
      // Followed while the step can still write; a finished step's log is read to its end once.
      if (more || again || !STEP_ENDED.has(status)) timer = setTimeout(kick, more || again ? 0 : 700);
    } catch {
      timer = setTimeout(kick, 2000);
    } finally {
      busy = false;
      again = false;
    }
  };

  const onStep = (event: Event) => {
    if ((event as CustomEvent<string>).detail !== key) return;
    void drawInfo().then(kick);
  };
  document.addEventListener("canal-step", onStep);
  void drawInfo().then(kick);
  return () => {
    stopped = true;
    clearTimeout(timer);
    document.removeEventListener("canal-step", onStep);
  };
}
