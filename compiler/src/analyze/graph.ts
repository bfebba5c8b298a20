import type { Binding, Step } from "@canal/ir";
import { alg, Graph } from "@dagrejs/graphlib";

function sourceStep(binding: Binding): string | undefined {
  if ("output" in binding) return binding.output.step;
  if ("collect" in binding) return binding.collect.step;
  return undefined;
}

/** The step graph: an edge from each step to every step that reads its outputs or runs `after` it. */
export function stepGraph(steps: Step[]): Graph {
  const graph = new Graph({ directed: true });
  for (const step of steps) graph.setNode(step.id);
  for (const step of steps) {
    for (const input of step.inputs) {
      const from = sourceStep(input.binding);
      if (from !== undefined && graph.hasNode(from)) graph.setEdge(from, step.id);
    }
    for (const before of step.after ?? []) if (graph.hasNode(before)) graph.setEdge(before, step.id);
  }
  return graph;
}

/** Each cycle as step ids in the order they depend on each other, starting from the earliest in the body. */
export function cycles(graph: Graph, order: string[]): string[][] {
  // The common case, no cycle, is settled without recursion: graphlib's cycle search recurses once
  // per step of a chain and overflows the stack on 10,000-step pipelines. Only the steps that a
  // topological sort cannot place (those on or behind a cycle) are searched for cycles.
  const placed = new Set(topologicalOrder(graph, order));
  if (placed.size === order.length) return [];
  const rank = new Map(order.map((id, index) => [id, index]));
  const rest = new Graph({ directed: true });
  for (const id of order) if (!placed.has(id)) rest.setNode(id);
  for (const edge of graph.edges())
    if (rest.hasNode(edge.v) && rest.hasNode(edge.w)) rest.setEdge(edge.v, edge.w);
  return alg.findCycles(rest).map((cycle) => {
    // findCycles lists a cycle's nodes in no particular rotation; walk the edges from the first
    // step of the body so the message reads in dependency order.
    const members = new Set(cycle);
    const start = [...cycle].sort((a, b) => (rank.get(a) ?? 0) - (rank.get(b) ?? 0))[0] as string;
    const path = [start];
    let current = start;
    while (path.length < cycle.length) {
      const next = (rest.successors(current) ?? [])
        .filter((s) => members.has(s) && !path.includes(s))
        .sort((a, b) => (rank.get(a) ?? 0) - (rank.get(b) ?? 0))[0];
      if (next === undefined) break;
      path.push(next);
      current = next;
    }
    return path.length === cycle.length ? path : cycle;
  });
}

/** A binary min-heap of step ids by their position in the body. */
class ByRank {
  private readonly items: string[] = [];
  constructor(private readonly rank: Map<string, number>) {}
  get size(): number {
    return this.items.length;
  }
  private less(i: number, j: number): boolean {
    return (this.rank.get(this.items[i] as string) ?? 0) < (this.rank.get(this.items[j] as string) ?? 0);
  }
  private swap(i: number, j: number): void {
    const t = this.items[i] as string;
    this.items[i] = this.items[j] as string;
    this.items[j] = t;
  }
  push(id: string): void {
    this.items.push(id);
    for (let i = this.items.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }
  pop(): string {
    const top = this.items[0] as string;
    const last = this.items.pop() as string;
    if (this.items.length > 0) {
      this.items[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < this.items.length && this.less(l, m)) m = l;
        if (r < this.items.length && this.less(r, m)) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return top;
  }
}

/** Steps in topological order; among steps ready at once, the one called first in the body goes first. */
export function topologicalOrder(graph: Graph, order: string[]): string[] {
  const rank = new Map(order.map((id, index) => [id, index]));
  const waiting = new Map(order.map((id) => [id, (graph.predecessors(id) ?? []).length]));
  const ready = new ByRank(rank);
  for (const id of order) if (waiting.get(id) === 0) ready.push(id);
  const sorted: string[] = [];
  while (ready.size > 0) {
    const id = ready.pop();
    sorted.push(id);
    for (const next of graph.successors(id) ?? []) {
      const left = (waiting.get(next) ?? 0) - 1;
      waiting.set(next, left);
      if (left === 0) ready.push(next);
    }
  }
  return sorted;
}
