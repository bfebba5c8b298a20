// A run's graph: the pipeline version's steps as nodes, laid out by ELK (elkjs, in a Web Worker so
// a large graph never blocks the page) and drawn as SVG. A fanned-out step is one node with its
// count of instances until it is expanded into one node per instance.
import ELK from "elkjs/lib/elk-api.js";
import {
  compactLayout,
  elkGraph,
  type GraphLayout,
  type GraphNode,
  type GraphShape,
  graphShape,
  NODE_HEIGHT as HEIGHT,
  type IrStep,
  layoutFits,
  NODE_WIDTH as WIDTH,
  warmUpSteps,
} from "../../src/graph-shape.js";
import { type StepRun, stepKey } from "./api.js";
import { svg } from "./dom.js";

export type { GraphLayout, GraphNode, IrStep };

let engine: InstanceType<typeof ELK> | undefined;

/**
 * The one layout worker of the page, started on first use and kept across pages: ELK's code is
 * large, and a worker that has laid a graph out before lays the next one out several times faster.
 */
export function layoutEngine(): InstanceType<typeof ELK> {
  engine ??= new ELK({ workerUrl: "/ui/elk-worker.min.js" });
  return engine;
}

let warmed = 0;
/** Warm-ups waiting for a run page's first drawing. */
let afterDraw: Array<() => void> = [];

/**
 * Lays out a made-up graph of `n` steps in the worker while nothing else is asked of it, so that a
 * graph laid out here next (a fan-out expanded; a run page whose server sent no layout) finds ELK's
 * code compiled: a small one as the app starts, a few hundred steps while the runs list is shown.
 * Never while a run page waits for its graph: it draws the server's layout, and ELK compiling
 * meanwhile would only take the processor from it. So the warm-up starts once the page says which
 * it is (`data-page`), on a run page once its graph is drawn.
 */
export function warmUpLayout(n = 300): void {
  if (warmed >= n) return;
  warmed = n;
  const start = () => {
    void layoutEngine()
      .layout(elkGraph(graphShape(warmUpSteps(n, Math.max(6, Math.round(n / 10))))))
      .then(() => {
        document.body.dataset.layoutWarm = String(n);
      })
      .catch(() => undefined);
  };
  const placed = () => {
    const page = document.body.dataset.page;
    if (!page) return false;
    if (page === "run") afterDraw.push(start);
    else start();
    return true;
  };
  if (placed()) return;
  const watch = new MutationObserver(() => placed() && watch.disconnect());
  watch.observe(document.body, { attributes: true, attributeFilter: ["data-page"] });
}

/** The statuses of a node's instances, as one: the least advanced wins, failures first. */
export function overall(statuses: string[]): string {
  if (statuses.length === 0) return "queued";
  for (const s of ["failed", "canceled", "running", "queued"]) if (statuses.includes(s)) return s;
  if (statuses.every((s) => s === "cached")) return "cached";
  if (statuses.every((s) => s === "skipped")) return "skipped";
  return "succeeded";
}

export class RunGraph {
  readonly expanded = new Set<string>();
  /** Step runs by instance key (`train[2]`). */
  readonly steps = new Map<string, StepRun>();
  /** The same, by step id: a node's instances without a look at every step run. */
  readonly #byStep = new Map<string, Map<number, StepRun>>();
  /** The drawn nodes of each step id. */
  #groups = new Map<string, SVGGElement[]>();
  #irSteps: IrStep[] = [];
  /** How long the last layout took in the worker (with the worker's start, the first time). */
  elkMs = 0;

  setSteps(irSteps: IrStep[]): void {
    this.#irSteps = irSteps;
  }

  /** Records a step run's state; whether it is an instance not seen before. */
  setStep(step: StepRun): boolean {
    const key = stepKey(step);
    const known = this.steps.has(key);
    this.steps.set(key, step);
    let instances = this.#byStep.get(step.stepId);
    if (!instances) {
      instances = new Map();
      this.#byStep.set(step.stepId, instances);
    }
    instances.set(step.instance, step);
    return !known;
  }

  isFanOut(stepId: string): boolean {
    return Boolean(this.#irSteps.find((s) => s.id === stepId)?.fanOut);
  }

  instancesOf(stepId: string): StepRun[] {
    return [...this.steps.values()]
      .filter((s) => s.stepId === stepId)
      .sort((a, b) => a.instance - b.instance);
  }

  /** The nodes and edges of the graph as it is shown now (fan-outs collapsed unless expanded). */
  shape(): GraphShape {
    return graphShape(this.#irSteps, this.expanded, (stepId) =>
      this.instancesOf(stepId).map((s) => s.instance),
    );
  }

  statusOf(node: GraphNode): string {
    if (node.instance !== undefined) return this.steps.get(node.id)?.status ?? "queued";
    return overall(this.instancesOf(node.stepId).map((s) => s.status));
  }

  labelOf(node: GraphNode): string {
    if (node.instance !== undefined) return node.id;
    const all = this.instancesOf(node.stepId);
    const done = all.filter((s) => ["succeeded", "cached", "skipped"].includes(s.status)).length;
    return `${node.stepId} ×${all.length || "?"} (${done}/${all.length} done)`;
  }

  /**
   * Draws the graph as an <svg> with one <g class="node"> a node: with the server's layout when it
   * is of the graph shown now (it is of the graph with every fan-out collapsed), else laid out here
   * (in the worker).
   */
  async draw(onSelect: (node: GraphNode) => void, served?: GraphLayout): Promise<SVGSVGElement> {
    const shape = this.shape();
    const { nodes } = shape;
    const started = performance.now();
    const fits = served !== undefined && this.expanded.size === 0 && layoutFits(served, shape);
    const layout = fits ? served : compactLayout(await layoutEngine().layout(elkGraph(shape)));
    this.elkMs = fits ? 0 : Math.round(performance.now() - started);
    const width = layout.width + 20;
    const height = layout.height + 20;
    const root = svg("svg", {
      class: "dag",
      width,
      height,
      viewBox: `-10 -10 ${width} ${height}`,
      role: "img",
      "aria-label": "the run's steps",
    }) as SVGSVGElement;
    const edgeLayer = svg("g", { class: "edges" });
    for (const { points } of layout.edges) {
      if (points.length < 4) continue;
      let d = `M${points[0]},${points[1]}`;
      for (let i = 2; i < points.length; i += 2) d += ` L${points[i]},${points[i + 1]}`;
      edgeLayer.append(svg("path", { d, class: "edge" }));
    }
    root.append(edgeLayer);
    const byId = new Map(nodes.map((n) => [n.id, n]));
    this.#groups = new Map();
    for (const child of layout.nodes) {
      const node = byId.get(child.id) as GraphNode;
      const group = svg("g", {
        class: `node${node.fanOut && node.instance === undefined ? " fan-out" : ""}`,
        transform: `translate(${child.x},${child.y})`,
        "data-node": node.id,
        "data-step": node.stepId,
        "data-status": this.statusOf(node),
        tabindex: 0,
        role: "button",
      });
      const title = svg("title");
      title.textContent = node.id;
      const label = svg("text", { x: 10, y: 27 });
      label.textContent = this.labelOf(node);
      group.append(title, svg("rect", { width: WIDTH, height: HEIGHT, rx: 6 }), label);
      const drawn = this.#groups.get(node.stepId) ?? [];
      drawn.push(group as SVGGElement);
      this.#groups.set(node.stepId, drawn);
      group.addEventListener("click", () => onSelect(node));
      group.addEventListener("keydown", (event) => {
        if ((event as KeyboardEvent).key === "Enter") onSelect(node);
      });
      root.append(group);
    }
    // Once the page has been drawn and painted, and nothing else is asked of it.
    if (afterDraw.length > 0) {
      const waiting = afterDraw;
      afterDraw = [];
      const later = window.requestIdleCallback ?? ((f: () => void) => setTimeout(f, 200));
      later(() => {
        for (const start of waiting) start();
      });
    }
    root.dataset.laidOut = String(nodes.length);
    root.dataset.layout = fits ? "server" : "browser";
    return root;
  }

  /** Brings the drawn nodes of the given steps up to date (states, labels), without a new layout. */
  refresh(stepIds: Iterable<string>): void {
    for (const stepId of stepIds)
      for (const group of this.#groups.get(stepId) ?? []) {
        const id = group.dataset.node ?? "";
        const node: GraphNode =
          id === stepId && this.isFanOut(stepId) && !this.expanded.has(stepId)
            ? { id, stepId, fanOut: true }
            : { id, stepId, instance: this.steps.get(id)?.instance ?? -1, fanOut: this.isFanOut(stepId) };
        group.dataset.status = this.statusOf(node);
        const label = group.querySelector("text");
        if (label) label.textContent = this.labelOf(node);
      }
  }
}
