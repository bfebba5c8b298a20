import ELK from "elkjs/lib/elk.bundled.js";
import { elkGraph, graphShape } from "./dist/graph-shape.js";

const WIDTH = 100;
const steps = Array.from({ length: 1000 }, (_, i) => {
  const layer = Math.floor(i / WIDTH);
  const from =
    layer === 0
      ? []
      : [...new Set([(layer - 1) * WIDTH + (i % WIDTH), (layer - 1) * WIDTH + ((i * 7) % WIDTH)])];
  return {
    id: `s${i}`,
    inputs: from.map((j, k) => ({ name: `in${k}`, binding: { output: { step: `s${j}` } } })),
  };
});
const base = elkGraph(graphShape(steps));
const variants = {
  current: {},
  polyline: { "elk.edgeRouting": "POLYLINE" },
  orth: { "elk.edgeRouting": "ORTHOGONAL" },
  simple: { "elk.layered.nodePlacement.strategy": "SIMPLE" },
  lp: { "elk.layered.layering.strategy": "LONGEST_PATH" },
  nogreedy: { "elk.layered.crossingMinimization.greedySwitch.type": "OFF" },
  large: {
    "elk.edgeRouting": "POLYLINE",
    "elk.layered.crossingMinimization.greedySwitch.type": "OFF",
    "elk.layered.nodePlacement.strategy": "SIMPLE",
    "elk.layered.layering.strategy": "LONGEST_PATH",
  },
  bk: { "elk.layered.nodePlacement.strategy": "BRANDES_KOEPF" },
};
const elk = new ELK();
for (let r = 0; r < 3; r++)
  for (const [name, o] of Object.entries(variants)) {
    const g = structuredClone(base);
    Object.assign(g.layoutOptions, o);
    const t = performance.now();
    await elk.layout(g);
    if (r > 0) console.log(r, name, Math.round(performance.now() - t));
  }
