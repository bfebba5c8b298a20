// A run's graph: the pipeline version's steps as nodes, laid out by ELK (elkjs, in a Web Worker so
// a large graph never blocks the page) and drawn as SVG. A fanned-out step is one node with its
// count of instances until it is expanded into one node per instance.
import ELK, { type ElkNode } from "elkjs/lib/elk-api.js";
import { type StepRun, stepKey } from "./api.js";
import { svg } from "./dom.js";

const WIDTH = 170;
const HEIGHT = 44;

/** A large graph is laid out with less effort: seconds saved, crossings a little worse. */
const LARGE = {
  "elk.algorithm": "layered",
  "elk.direction": "RIGHT",
  "elk.edgeRouting": "POLYLINE",
  "elk.layered.thoroughness": "1",
  "elk.layered.crossingMinimization.greedySwitch.type": "OFF",
  "elk.layered.nodePlacement.strategy": "SIMPLE",
  "elk.layered.layering.strategy": "LONGEST_PATH",
};

/** What the graph reads of a step of the readable IR. */
export interface IrStep {
  id: string;
  name?: string;
  fanOut?: string;
  after?: string[];
  inputs?: Array<{ name: string; binding?: { output?: { step?: string }; collect?: { step?: string } } }>;
}

export interface GraphNode {
  /** The node's id: a step id, or `step[i]` for an instance of an expanded fan-out. */
  id: string;
  stepId: string;
  /** -1 for a step that is not fanned out; undefined for a collapsed fan-out. */
  instance?: number;
  fanOut: boolean;
}

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

/**
 * Lays out a made-up graph of `n` steps in the worker while nothing else is asked of it: a small
 * one as the app starts (done before the first page has read the API), a few hundred steps while
 * the runs list is shown, so that the run page opened next finds ELK's code compiled.
 */
export function warmUpLayout(n = 300): void {
  if (warmed >= n) return;
  warmed = n;
  const children = Array.from({ length: n }, (_, i) => ({ id: `w${i}`, width: WIDTH, height: HEIGHT }));
  const edges = children
    .slice(Math.ceil(n / 10))
    .map((c, i) => ({ id: `e${i}`, sources: [`w${i}`], targets: [c.id] }));
  void layoutEngine()
    .layout({ id: "warm-up", layoutOptions: LARGE, children, edges })
    .then(() => {
      document.body.dataset.layoutWarm = String(n);
    })
    .catch(() => undefined);
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
  readonly #elk: InstanceType<typeof ELK> = layoutEngine();
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
  shape(): { nodes: GraphNode[]; edges: Array<[string, string]> } {
    const nodesOf = new Map<string, GraphNode[]>();
    const byId = new Map(this.#irSteps.map((s) => [s.id, s]));
    for (const step of this.#irSteps) {
      if (!step.fanOut) nodesOf.set(step.id, [{ id: step.id, stepId: step.id, instance: -1, fanOut: false }]);
      else if (!this.expanded.has(step.id))
        nodesOf.set(step.id, [{ id: step.id, stepId: step.id, fanOut: true }]);
      else
        nodesOf.set(
          step.id,
          this.instancesOf(step.id).map((s) => ({
            id: stepKey(s),
            stepId: step.id,
            instance: s.instance,
            fanOut: true,
          })),
        );
    }
    const edges = new Set<string>();
    const link = (from: string, to: string) => {
      const a = nodesOf.get(from) ?? [];
      const b = nodesOf.get(to) ?? [];
      const sameFanOut = byId.get(from)?.fanOut && byId.get(from)?.fanOut === byId.get(to)?.fanOut;
      if (sameFanOut && this.expanded.has(from) && this.expanded.has(to)) {
        for (const x of a) for (const y of b) if (x.instance === y.instance) edges.add(`${x.id}\n${y.id}`);
        return;
      }
      for (const x of a) for (const y of b) edges.add(`${x.id}\n${y.id}`);
    };
    for (const step of this.#irSteps) {
      const from = new Set<string>(step.after ?? []);
      for (const input of step.inputs ?? []) {
        const source = input.binding?.output?.step ?? input.binding?.collect?.step;
        if (source) from.add(source);
      }
      for (const source of from) if (byId.has(source)) link(source, step.id);
    }
    return {
      nodes: [...nodesOf.values()].flat(),
      edges: [...edges].map((e) => e.split("\n") as [string, string]),
    };
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

  /** Lays the graph out (in the worker) and draws it as an <svg> with one <g class="node"> a node. */
  async draw(onSelect: (node: GraphNode) => void): Promise<SVGSVGElement> {
    const { nodes, edges } = this.shape();
    const big = nodes.length > 300;
    const graph: ElkNode = {
      id: "root",
      layoutOptions: {
        "elk.algorithm": "layered",
        "elk.direction": "RIGHT",
        "elk.edgeRouting": "SPLINES",
        "elk.layered.spacing.nodeNodeBetweenLayers": "40",
        "elk.spacing.nodeNode": "16",
        // A large graph is laid out with less effort: seconds saved, crossings a little worse.
        ...(big
          ? { "elk.layered.thoroughness": "1", "elk.layered.compaction.postCompaction.strategy": "NONE" }
          : {}),
      },
      children: nodes.map((n) => ({ id: n.id, width: WIDTH, height: HEIGHT })),
      edges: edges.map(([from, to], i) => ({ id: `e${i}`, sources: [from], targets: [to] })),
    };
    const started = performance.now();
    const layout = await this.#elk.layout(graph);
    this.elkMs = Math.round(performance.now() - started);
    const width = (layout.width ?? 0) + 20;
    const height = (layout.height ?? 0) + 20;
    const root = svg("svg", {
      class: "dag",
      width,
      height,
      viewBox: `-10 -10 ${width} ${height}`,
      role: "img",
      "aria-label": "the run's steps",
    }) as SVGSVGElement;
    const edgeLayer = svg("g", { class: "edges" });
    for (const edge of layout.edges ?? [])
      for (const section of edge.sections ?? []) {
        const points = [section.startPoint, ...(section.bendPoints ?? []), section.endPoint];
        edgeLayer.append(
          svg("path", { d: `M${points.map((p) => `${p.x},${p.y}`).join(" L")}`, class: "edge" }),
        );
      }
    root.append(edgeLayer);
    const byId = new Map(nodes.map((n) => [n.id, n]));
    this.#groups = new Map();
    for (const child of layout.children ?? []) {
      const node = byId.get(child.id) as GraphNode;
      const group = svg("g", {
        class: `node${node.fanOut && node.instance === undefined ? " fan-out" : ""}`,
        transform: `translate(${child.x ?? 0},${child.y ?? 0})`,
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
    root.dataset.laidOut = String(nodes.length);
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
