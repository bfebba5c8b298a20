// A run's graph as the web UI draws it, for both sides: the nodes and edges of a pipeline version's
// steps (a fan-out one node until it is expanded), the ELK graph they are laid out as, and the
// laid-out graph in the compact form the server answers and the page draws. The page lays a graph
// out in its Web Worker; the server lays out each version's graph with every fan-out collapsed
// (the one the page shows first) in a worker of its own, so that the page need not. Both use this
// module, so the two layouts are the same. No DOM and no Node here: the UI's bundle imports it.
import type { ElkExtendedEdge, ElkNode } from "elkjs/lib/elk-api.js";

export const NODE_WIDTH = 170;
export const NODE_HEIGHT = 44;

/**
 * Bumped whenever what a layout is made of changes (the options below, the shape, the compact
 * form): a layout kept for a version under another revision is not this one's.
 */
export const LAYOUT_REVISION = "1";

/** Above this many nodes a graph is laid out with less effort: seconds saved, crossings a little worse. */
export const LARGE_GRAPH = 300;

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

export interface GraphShape {
  nodes: GraphNode[];
  edges: Array<[string, string]>;
}

/**
 * The nodes and edges of a version's steps as shown: each fan-out in `expanded` as one node per
 * instance (`instancesOf` gives them, in order), every other fan-out as one node.
 */
export function graphShape(
  irSteps: IrStep[],
  expanded: ReadonlySet<string> = new Set(),
  instancesOf: (stepId: string) => number[] = () => [],
): GraphShape {
  const nodesOf = new Map<string, GraphNode[]>();
  const byId = new Map(irSteps.map((s) => [s.id, s]));
  for (const step of irSteps) {
    if (!step.fanOut) nodesOf.set(step.id, [{ id: step.id, stepId: step.id, instance: -1, fanOut: false }]);
    else if (!expanded.has(step.id)) nodesOf.set(step.id, [{ id: step.id, stepId: step.id, fanOut: true }]);
    else
      nodesOf.set(
        step.id,
        instancesOf(step.id).map((instance) => ({
          id: `${step.id}[${instance}]`,
          stepId: step.id,
          instance,
          fanOut: true,
        })),
      );
  }
  const edges = new Set<string>();
  const link = (from: string, to: string) => {
    const a = nodesOf.get(from) ?? [];
    const b = nodesOf.get(to) ?? [];
    const sameFanOut = byId.get(from)?.fanOut && byId.get(from)?.fanOut === byId.get(to)?.fanOut;
    if (sameFanOut && expanded.has(from) && expanded.has(to)) {
      for (const x of a) for (const y of b) if (x.instance === y.instance) edges.add(`${x.id}\n${y.id}`);
      return;
    }
    for (const x of a) for (const y of b) edges.add(`${x.id}\n${y.id}`);
  };
  for (const step of irSteps) {
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

/**
 * A made-up pipeline's steps, for laying out while nobody waits (ELK's code compiled before a real
 * graph comes): `n` steps in layers of `width`, each fed by one step of the layer before.
 */
export function warmUpSteps(n: number, width: number): IrStep[] {
  return Array.from({ length: n }, (_, i) => {
    const layer = Math.floor(i / width);
    const from = (layer - 1) * width + ((i * 7) % width);
    return {
      id: `w${i}`,
      inputs: layer === 0 ? [] : [{ name: "in", binding: { output: { step: `w${from}` } } }],
    };
  });
}

/** The graph ELK is given for a shape. */
export function elkGraph({ nodes, edges }: GraphShape): ElkNode {
  return {
    id: "root",
    layoutOptions: {
      "elk.algorithm": "layered",
      "elk.direction": "RIGHT",
      "elk.edgeRouting": "SPLINES",
      "elk.layered.spacing.nodeNodeBetweenLayers": "40",
      "elk.spacing.nodeNode": "16",
      ...(nodes.length > LARGE_GRAPH
        ? { "elk.layered.thoroughness": "1", "elk.layered.compaction.postCompaction.strategy": "NONE" }
        : {}),
    },
    children: nodes.map((n) => ({ id: n.id, width: NODE_WIDTH, height: NODE_HEIGHT })),
    edges: edges.map(([from, to], i) => ({ id: `e${i}`, sources: [from], targets: [to] })),
  };
}

/** A laid-out graph: each node's top-left corner, each edge's path as x,y pairs one after another. */
export interface GraphLayout {
  revision: string;
  width: number;
  height: number;
  nodes: Array<{ id: string; x: number; y: number }>;
  edges: Array<{ from: string; to: string; points: number[] }>;
}

const round = (value: number | undefined) => Math.round((value ?? 0) * 10) / 10;

/** ELK's answer in the compact form: a tenth of a pixel is as fine as a drawing needs. */
export function compactLayout(laidOut: ElkNode): GraphLayout {
  return {
    revision: LAYOUT_REVISION,
    width: round(laidOut.width),
    height: round(laidOut.height),
    nodes: (laidOut.children ?? []).map((n) => ({ id: n.id, x: round(n.x), y: round(n.y) })),
    edges: ((laidOut.edges ?? []) as ElkExtendedEdge[]).map((e) => ({
      from: e.sources[0] ?? "",
      to: e.targets[0] ?? "",
      points: (e.sections ?? []).flatMap((s) =>
        [s.startPoint, ...(s.bendPoints ?? []), s.endPoint].flatMap((p) => [round(p.x), round(p.y)]),
      ),
    })),
  };
}

/** Whether a layout is of exactly this shape's nodes (a layout of another graph is never drawn). */
export function layoutFits(layout: GraphLayout, { nodes }: GraphShape): boolean {
  if (layout.revision !== LAYOUT_REVISION || layout.nodes.length !== nodes.length) return false;
  const ids = new Set(nodes.map((n) => n.id));
  return layout.nodes.every((n) => ids.delete(n.id)) && ids.size === 0;
}
