import { Layouts } from "./dist/layouts.js";

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
const l = new Layouts();
let t = performance.now();
if (process.argv[2] !== "cold") {
  await l.warm();
  console.log("warm", Math.round(performance.now() - t));
}
for (const d of ["a", "b", "c"]) {
  t = performance.now();
  const out = await l.of(d, () => steps);
  console.log(d, Math.round(performance.now() - t), JSON.stringify(out).length);
}
await l.close();
