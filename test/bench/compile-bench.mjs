// Compile benchmark: generates chain pipelines of N calls of a TypeScript step and compiles each in
// a fresh Node process (so peak memory is that compile's alone). Prints a table for people and one
// `BENCH {json}` line per size for scripts.
//
// Reference (issue #2, same 2-core machine): Kubeflow Pipelines' compiler takes 6.6 s for a
// 1,000-step chain, writes 1,445 bytes of YAML per step and peaks at 117 MB. Bars for Canal:
// 1,000 steps < 1.6 s, < 150 bytes of IR per step, < 400 MB; 10,000 steps compile, ~linearly.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { generateChain, repo } from "./generate.mjs";

const sizes = (process.env.CANAL_BENCH_SIZES ?? "10,1000,10000").split(",").map(Number);

function measure(n) {
  const dir = mkdtempSync(join(tmpdir(), `canal-bench-${n}-`));
  try {
    generateChain(dir, n);
    const child = `
      const { compile } = await import(${JSON.stringify(join(repo, "compiler/dist/index.js"))});
      const { statSync } = await import("node:fs");
      const t0 = performance.now();
      const result = await compile({ entries: ["pipeline.ts"], cwd: ${JSON.stringify(dir)}, outDir: "out" });
      const seconds = (performance.now() - t0) / 1000;
      if (result.diagnostics.length) { console.error(JSON.stringify(result.diagnostics.slice(0, 3))); process.exit(1); }
      const [compiled] = result.pipelines;
      const irBytes = statSync(compiled.dir + "/pipeline.pb").size;
      console.log(JSON.stringify({ seconds, irBytes, blobBytes: compiled.bytes, steps: compiled.pipeline.steps.length,
        peakMB: process.resourceUsage().maxRSS / 1024 }));
    `;
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", child], {
      cwd: dir,
      encoding: "utf8",
    });
    return JSON.parse(out.trim().split("\n").pop());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function main() {
  const rows = [];
  for (const n of sizes) {
    const r = measure(n);
    const row = {
      bench: "compile-chain",
      steps: n,
      seconds: Number(r.seconds.toFixed(3)),
      msPerStep: Number(((r.seconds * 1000) / n).toFixed(3)),
      irBytesPerStep: Number((r.irBytes / n).toFixed(1)),
      codeBytes: r.blobBytes,
      peakMB: Number(r.peakMB.toFixed(0)),
    };
    rows.push(row);
    console.log(`BENCH ${JSON.stringify(row)}`);
  }
  console.log(
    "\ncompile: chain of N calls of one TypeScript step (Kubeflow reference at 1,000: 6.6 s, 1,445 B/step, 117 MB)",
  );
  console.log("   steps   seconds  ms/step  IR B/step  code bytes  peak MB");
  for (const r of rows) {
    console.log(
      `${String(r.steps).padStart(8)}  ${r.seconds.toFixed(3).padStart(8)}  ${r.msPerStep.toFixed(2).padStart(7)}  ${r.irBytesPerStep.toFixed(1).padStart(9)}  ${String(r.codeBytes).padStart(10)}  ${String(r.peakMB).padStart(7)}`,
    );
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
