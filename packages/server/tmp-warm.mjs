import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { elkGraph, graphShape } from "./dist/graph-shape.js";

const elkPath = createRequire(import.meta.url).resolve("elkjs/lib/elk.bundled.js");
const code = `const { parentPort, workerData } = require("node:worker_threads"); const ELK = require(workerData.elk); const elk = new ELK();
parentPort.on("message", (m) => elk.layout(m.graph).then((l) => parentPort.postMessage({ id: m.id }), (e) => parentPort.postMessage({ id: m.id, error: String(e && e.message || e) })));`;
const mk = (n, W) =>
  elkGraph(
    graphShape(
      Array.from({ length: n }, (_, i) => {
        const layer = Math.floor(i / W);
        const from =
          layer === 0 ? [] : [...new Set([(layer - 1) * W + (i % W), (layer - 1) * W + ((i * 7) % W)])];
        return {
          id: `s${i}`,
          inputs: from.map((j, k) => ({ name: `in${k}`, binding: { output: { step: `s${j}` } } })),
        };
      }),
    ),
  );
const [young, ...warm] = process.argv.slice(2).map(Number);
const w = new Worker(code, {
  eval: true,
  workerData: { elk: elkPath },
  ...(young ? { resourceLimits: { maxYoungGenerationSizeMb: young } } : {}),
});
const run = (g) =>
  new Promise((res) => {
    w.once("message", res);
    w.postMessage({ id: 1, graph: g });
  });
let t = performance.now();
for (const n of warm) await run(mk(n, Math.max(10, n / 10)));
const warmMs = Math.round(performance.now() - t);
const out = [];
for (let r = 0; r < 3; r++) {
  t = performance.now();
  await run(mk(1000, 100));
  out.push(Math.round(performance.now() - t));
}
console.log(`young ${young} warm ${warm} took ${warmMs}; then 1000: ${out}`);
await w.terminate();
