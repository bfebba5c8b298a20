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
  const rank = new Map(order.map((id, index) => [id, index]));
  return alg.findCycles(graph).map((cycle) => {
    // findCycles lists a cycle's nodes in no particular rotation; walk the edges from the first
    // step of the body so the message reads in dependency order.
    const members = new Set(cycle);
    const start = [...cycle].sort((a, b) => (rank.get(a) ?? 0) - (rank.get(b) ?? 0))[0] as string;
    const path = [start];
    let current = start;
    while (path.length < cycle.length) {
      const next = (graph.successors(current) ?? [])
        .filter((s) => members.has(s) && !path.includes(s))
        .sort((a, b) => (rank.get(a) ?? 0) - (rank.get(b) ?? 0))[0];
      if (next === undefined) break;
      path.push(next);
      current = next;
    }
    return path.length === cycle.length ? path : cycle;
  });
}

/** Steps in topological order; among steps ready at once, the one called first in the body goes first. */
export function topologicalOrder(graph: Graph, order: string[]): string[] {
  const rank = new Map(order.map((id, index) => [id, index]));
  const waiting = new Map(order.map((id) => [id, (graph.predecessors(id) ?? []).length]));
  const ready = order.filter((id) => waiting.get(id) === 0);
  const sorted: string[] = [];
  while (ready.length > 0) {
    ready.sort((a, b) => (rank.get(a) ?? 0) - (rank.get(b) ?? 0));
    const id = ready.shift() as string;
    sorted.push(id);
    for (const next of graph.successors(id) ?? []) {
      const left = (waiting.get(next) ?? 0) - 1;
      waiting.set(next, left);
      if (left === 0) ready.push(next);
    }
  }
  return sorted;
}
