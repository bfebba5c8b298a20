// A run: its state, parameters and outputs, and its graph with each step's state kept live by the
// run's event stream; the panel of the step picked is step-panel.ts.
import { api, mayLaunch, type Run, type Session, type StepRun, stepKey } from "./api.js";
import { type GraphLayout, type GraphNode, type IrStep, RunGraph } from "./dag.js";
import { h, shown, statusBadge, took, when } from "./dom.js";
import { alertOf, rerun } from "./run-actions.js";
import { type Shown, valueLink } from "./run-values.js";
import { stepPanel } from "./step-panel.js";

const ENDED = new Set(["succeeded", "failed", "canceled"]);

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

function fact(name: string, value: string) {
  return [h("dt", {}, name), h("dd", {}, value)];
}
