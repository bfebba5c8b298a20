// A run: its state, parameters and outputs, its graph with each step's state kept live by the
// run's event stream, and the panel of the step picked: attempts, timings, the cache decision and
// why, inputs and outputs to download, metrics, and stdout/stderr followed while it runs.
import { api, mayLaunch, query, type Run, type Session, type StepRun, stepKey } from "./api.js";
import { lineChart } from "./chart.js";
import { type GraphLayout, type GraphNode, type IrStep, RunGraph } from "./dag.js";
import { h, shown, statusBadge, took, when } from "./dom.js";
import { go } from "./nav.js";

const ENDED = new Set(["succeeded", "failed", "canceled"]);
const STEP_ENDED = new Set(["succeeded", "failed", "canceled", "cached", "skipped"]);

interface Shown {
  name: string;
  kind: string;
  digest?: string;
  size?: number;
  value?: unknown;
}

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

export async function runPage(main: HTMLElement, runId: string, session: Session) {
  document.body.dataset.page = "run";
  const graph = new RunGraph();
  const detail = await api<{ run: Run; state: { status: string; reason?: string }; steps: StepRun[] }>(
    `/runs/${encodeURIComponent(runId)}`,
  );
  let run = detail.run;
  const versionPath = `/pipelines/${encodeURIComponent(run.pipeline)}/versions/${run.pipelineVersion}`;
  // The server's layout of the graph as first drawn, asked for beside the version: a page that draws
  // it has no ELK code to compile first. Without it (an older server, a failure) the page lays out.
  const served = api<GraphLayout>(`${versionPath}/layout`).catch(() => undefined);
  const version = await api<{ ir: { steps?: IrStep[] } }>(versionPath);
  document.body.dataset.fetchedAt = String(Math.round(performance.now()));
  graph.setSteps(version.ir.steps ?? []);
  for (const step of detail.steps) graph.setStep(step);

  const header = h("section", { class: "run-header" });
  const outputs = h("section", { class: "outputs" });
  const canvas = h("div", { class: "dag-box" });
  const panel = h("aside", { class: "step-panel", id: "step-panel" });
  let selected: GraphNode | undefined;
  let stopPanel: (() => void) | undefined;

  const drawHeader = () => {
    const actions = mayLaunch(session)
      ? [
          !ENDED.has(run.status)
            ? h(
                "button",
                {
                  type: "button",
                  id: "cancel",
                  onclick: async () => {
                    await api(`/runs/${run.id}/cancel`, { method: "POST", body: {} }).catch(alertOf);
                  },
                },
                "Cancel",
              )
            : null,
          h("button", { type: "button", id: "rerun", onclick: () => rerun(run.id) }, "Rerun"),
        ]
      : [];
    header.replaceChildren(
      h(
        "h1",
        {},
        `${run.pipeline} v${run.pipelineVersion} `,
        h("code", {}, run.id),
        " ",
        statusBadge(run.status),
      ),
      h(
        "dl",
        { class: "facts" },
        ...fact("Experiment", run.experiment),
        ...fact("Started by", run.startedBy ?? ""),
        ...fact("Runtime", run.runtime),
        ...fact("Created", when(run.createdAt)),
        ...fact("Took", took(run.startedAt, run.endedAt)),
        ...(run.error ? fact("Error", run.error) : []),
      ),
      h(
        "table",
        { class: "parameters" },
        h("caption", {}, "Parameters"),
        ...Object.entries(run.parameters).map(([name, value]) =>
          h("tr", {}, h("th", {}, name), h("td", {}, h("code", {}, shown(value)))),
        ),
      ),
      h("div", { class: "actions" }, ...actions),
    );
  };
  const drawOutputs = async () => {
    if (!ENDED.has(run.status)) return outputs.replaceChildren();
    const { outputs: list } = await api<{ outputs: Shown[] }>(`/runs/${run.id}/outputs`).catch(() => ({
      outputs: [] as Shown[],
    }));
    if (list.length === 0) return outputs.replaceChildren();
    outputs.replaceChildren(
      h("h2", {}, "Outputs"),
      h(
        "ul",
        {},
        ...list.map((o) =>
          h("li", {}, valueLink(o, `/api/v1/runs/${run.id}/outputs/${encodeURIComponent(o.name)}`)),
        ),
      ),
    );
  };

  let svgRoot: SVGSVGElement | undefined;
  const layout = async () => {
    const started = performance.now();
    svgRoot = await graph.draw(select, await served);
    canvas.replaceChildren(svgRoot);
    document.body.dataset.layoutMs = String(Math.round(performance.now() - started));
    document.body.dataset.elkMs = String(graph.elkMs);
  };
  const select = (node: GraphNode) => {
    selected = node;
    for (const g of svgRoot?.querySelectorAll("g.node.selected") ?? []) g.classList.remove("selected");
    svgRoot?.querySelector(`g.node[data-node="${CSS.escape(node.id)}"]`)?.classList.add("selected");
    stopPanel?.();
    stopPanel = undefined;
    if (node.instance === undefined) fanOutPanel(node);
    else stopPanel = stepPanel(panel, run, node.stepId, node.instance, session);
  };
  const fanOutPanel = (node: GraphNode) => {
    const instances = graph.instancesOf(node.stepId);
    panel.replaceChildren(
      h("h2", {}, `${node.stepId} (fanned out ×${instances.length})`),
      h(
        "button",
        {
          type: "button",
          id: "expand",
          onclick: async () => {
            graph.expanded.add(node.stepId);
            await layout();
          },
        },
        "Expand in the graph",
      ),
      h(
        "ul",
        {},
        ...instances.map((s) =>
          h(
            "li",
            {},
            h(
              "a",
              {
                href: "#",
                onclick: (event: Event) => {
                  event.preventDefault();
                  select({ id: stepKey(s), stepId: s.stepId, instance: s.instance, fanOut: true });
                },
              },
              stepKey(s),
            ),
            " ",
            statusBadge(s.status),
          ),
        ),
      ),
    );
  };

  drawHeader();
  main.append(header, h("div", { class: "run-body" }, canvas, panel), outputs);
  panel.append(
    h("p", { class: "hint" }, "Pick a step to see its attempts, logs, metrics and cache decision."),
  );
  await layout();
  void drawOutputs();
  document.body.dataset.readyAt = String(Math.round(performance.now()));
  document.body.dataset.ready = "run";

  // The run's events: every step's state first, then each change as the store records it. The
  // graph is brought up to date once a frame, however many events came in it.
  const events = new EventSource(`/api/v1/runs/${encodeURIComponent(run.id)}/events`);
  let relayout = false;
  const dirty = new Set<string>();
  let frame: number | undefined;
  const flush = () => {
    frame = undefined;
    if (relayout) {
      relayout = false;
      dirty.clear();
      void layout();
      return;
    }
    graph.refresh(dirty);
    dirty.clear();
  };
  events.addEventListener("step", (event) => {
    const data = JSON.parse((event as MessageEvent).data) as {
      stepRunId: number;
      stepId: string;
      instance: number;
      status: string;
      error?: string;
    };
    const key = stepKey(data);
    const known = graph.steps.get(key);
    if (known?.status === data.status) return;
    const added = graph.setStep({
      ...(known ?? { id: data.stepRunId, runId: run.id, createdAt: Date.now() }),
      stepId: data.stepId,
      instance: data.instance,
      status: data.status,
      ...(data.error ? { error: data.error } : {}),
    } as StepRun);
    if (added && graph.expanded.has(data.stepId)) relayout = true;
    dirty.add(data.stepId);
    frame ??= requestAnimationFrame(flush);
    if (selected && selected.stepId === data.stepId)
      document.dispatchEvent(new CustomEvent("canal-step", { detail: key }));
  });
  events.addEventListener("run", (event) => {
    run = JSON.parse((event as MessageEvent).data) as Run;
    drawHeader();
  });
  events.addEventListener("end", () => {
    events.close();
    void drawOutputs();
    document.body.dataset.ended = "true";
  });
  return () => {
    events.close();
    if (frame !== undefined) cancelAnimationFrame(frame);
    stopPanel?.();
  };
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

function fact(name: string, value: string) {
  return [h("dt", {}, name), h("dd", {}, value)];
}

function alertOf(error: unknown) {
  alert((error as Error).message);
}

async function rerun(runId: string, from?: string) {
  try {
    const started = await api<{ runId: string }>(`/runs/${runId}/rerun`, {
      method: "POST",
      body: from === undefined ? {} : { from },
    });
    go(`/runs/${started.runId}`);
  } catch (error) {
    alertOf(error);
  }
}

function valueLink(value: Shown, href: string): HTMLElement {
  if (value.kind === "value") return h("span", {}, `${value.name} = `, h("code", {}, shown(value.value)));
  const size =
    value.size === undefined
      ? ""
      : value.kind === "files"
        ? ` (${value.size} files)`
        : ` (${value.size} bytes)`;
  return h(
    "span",
    {},
    h("a", { href, download: value.kind === "file" ? "" : undefined, target: "_blank" }, value.name),
    ` ${value.kind}${size}`,
  );
}

/** The panel of one step instance; returns what stops following its logs. */
function stepPanel(
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
