// Large-run benchmark (`npm run bench -- --large`; minutes): generates and compiles a chain of N
// TypeScript steps and a fan-out of N items (one script step mapped over a list parameter) for N =
// 1,000, 10,000 and 100,000, each compile in a fresh Node process; then runs the fan-out of each
// size on the local runtime (2 at a time) and re-runs it fully cached, in the same process and in a
// fresh one. Time and peak memory per size show whether the cost per step stays flat as the run
// grows (no scan of every step per step). Prints a table for people and one `BENCH {json}` line per
// measurement for scripts.
//
// Bars (issue 10): orchestrator peak memory under 1 GiB for the 100,000-step run; time per step
// linear in the step count after the fixed cost (compile and run at 100,000 within 2x the per-step
// cost at 10,000, where the fixed cost no longer dominates).
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { generateChain, generateFanOut, repo } from "./generate.mjs";

const sizes = (process.env.CANAL_BENCH_LARGE_SIZES ?? "1000,10000,100000").split(",").map(Number);
const round = (value, digits = 2) => Number(value.toFixed(digits));
const load = () => round(loadavg()[0], 2);

/** Compiles `dir/pipeline.ts` in a fresh Node process: seconds, IR bytes, peak resident memory. */
function compileChild(dir) {
  const child = `
    const { compile } = await import(${JSON.stringify(join(repo, "compiler/dist/index.js"))});
    const t0 = performance.now();
    const result = await compile({ entries: ["pipeline.ts"], cwd: ${JSON.stringify(dir)}, outDir: "out" });
    const seconds = (performance.now() - t0) / 1000;
    if (result.diagnostics.length) { console.error(JSON.stringify(result.diagnostics.slice(0, 3))); process.exit(1); }
    const [compiled] = result.pipelines;
    console.log(JSON.stringify({ seconds, dir: compiled.dir, peakMB: process.resourceUsage().maxRSS / 1024 }));
  `;
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", child], {
    cwd: dir,
    encoding: "utf8",
    maxBuffer: 16 * 1024 * 1024,
  });
  const result = JSON.parse(out.trim().split("\n").pop());
  return { ...result, irBytes: statSync(join(result.dir, "pipeline.pb")).size };
}

function runChild(options) {
  const t0 = performance.now();
  const out = execFileSync(
    process.execPath,
    [join(repo, "test/bench/run-child.mjs"), JSON.stringify(options)],
    { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
  );
  return { ...JSON.parse(out.trim().split("\n").pop()), processMs: performance.now() - t0 };
}

function expectAll(run, state, n, label) {
  if (run.status !== "succeeded" || run.states[state] !== n)
    throw new Error(
      `${label}: expected ${n} ${state}, got ${run.status} ${JSON.stringify(run.states)} ${run.error ?? ""}`,
    );
}

const rows = [];
function emit(row) {
  rows.push(row);
  console.log(`BENCH ${JSON.stringify(row)}`);
}

export async function main() {
  const temps = [];
  const temp = (name) => {
    const dir = mkdtempSync(join(tmpdir(), `canal-large-bench-${name}-`));
    temps.push(dir);
    return dir;
  };
  try {
    for (const n of sizes) {
      for (const shape of ["chain", "fan-out"]) {
        const dir = temp(`${shape}-${n}`);
        if (shape === "chain") generateChain(dir, n);
        else generateFanOut(dir, n);
        const loadBefore = load();
        const compiled = compileChild(dir);
        emit({
          bench: "large-compile",
          shape,
          steps: n,
          seconds: round(compiled.seconds, 3),
          msPerStep: round((compiled.seconds * 1000) / n, 3),
          irBytesPerStep: round(compiled.irBytes / n, 1),
          peakMB: round(compiled.peakMB, 0),
          load: [loadBefore, load()],
        });
        if (shape === "chain") {
          rmSync(dir, { recursive: true, force: true });
          continue;
        }
        const workspace = join(dir, "ws");
        mkdirSync(workspace);
        const loadRun = load();
        const { cold, cached, peakMB } = runChild({
          mode: "cold",
          artifactDir: compiled.dir,
          workspace,
          reruns: 1,
        });
        expectAll(cold, "succeeded", n, `fan-out ${n}`);
        expectAll(cached, "cached", n, `fan-out ${n} re-run`);
        const fresh = runChild({ mode: "rerun", artifactDir: compiled.dir, workspace });
        expectAll(fresh.rerun, "cached", n, `fan-out ${n} re-run process`);
        emit({
          bench: "large-run",
          shape: "fan-out",
          steps: n,
          wallMs: round(cold.ms, 0),
          msPerStep: round(cold.ms / n, 3),
          cachedMs: round(cached.ms, 0),
          cachedMsPerStep: round(cached.ms / n, 3),
          rerunProcessMs: round(fresh.processMs, 0),
          peakMB: round(peakMB, 0),
          rerunProcessPeakMB: round(fresh.peakMB, 0),
          load: [loadRun, load()],
        });
        rmSync(dir, { recursive: true, force: true });
      }
    }
  } finally {
    for (const dir of temps) rmSync(dir, { recursive: true, force: true });
  }

  const pad = (value, width) => String(value).padStart(width);
  console.log("\nlarge compile: a chain of N TypeScript steps, a fan-out of N items (fresh process each)");
  console.log("  shape     steps   seconds  ms/step  IR B/step  peak MB  load");
  for (const r of rows.filter((row) => row.bench === "large-compile"))
    console.log(
      `  ${r.shape.padEnd(7)} ${pad(r.steps, 7)}  ${pad(r.seconds.toFixed(2), 8)}  ${pad(r.msPerStep.toFixed(2), 7)}  ${pad(r.irBytesPerStep.toFixed(1), 9)}  ${pad(r.peakMB, 7)}  ${r.load.join("/")}`,
    );
  console.log("\nlarge run: the fan-out of N trivial script steps on the local runtime, 2 at a time");
  console.log("    steps   wall s  ms/step  cached s  cached ms/step  re-run process s  peak MB  load");
  for (const r of rows.filter((row) => row.bench === "large-run"))
    console.log(
      `  ${pad(r.steps, 7)} ${pad((r.wallMs / 1000).toFixed(1), 8)}  ${pad(r.msPerStep.toFixed(2), 7)}  ${pad((r.cachedMs / 1000).toFixed(2), 8)}  ${pad(r.cachedMsPerStep.toFixed(3), 14)}  ${pad((r.rerunProcessMs / 1000).toFixed(2), 16)}  ${pad(r.peakMB, 7)}  ${r.load.join("/")}`,
    );

  // The bars, on the largest size against the one below it.
  const [below, largest] = sizes.slice(-2);
  const bars = [];
  const runAt = (n) => rows.find((row) => row.bench === "large-run" && row.steps === n);
  const big = runAt(largest);
  bars.push({
    bar: `orchestrator peak memory on the ${largest}-step run under 1 GiB`,
    value: big.peakMB,
    limit: 1024,
    unit: "MB",
  });
  if (below !== undefined && largest !== undefined && below !== largest) {
    const small = runAt(below);
    const ratio = (key) => big[key] / small[key];
    bars.push({
      bar: `run ms/step at ${largest} within 2x of ${below}`,
      value: round(ratio("msPerStep")),
      limit: 2,
      unit: "x",
    });
    bars.push({
      bar: `cached re-run ms/step at ${largest} within 2x of ${below}`,
      value: round(ratio("cachedMsPerStep")),
      limit: 2,
      unit: "x",
    });
    for (const shape of ["chain", "fan-out"]) {
      const at = (n) =>
        rows.find((row) => row.bench === "large-compile" && row.shape === shape && row.steps === n);
      bars.push({
        bar: `${shape} compile ms/step at ${largest} within 2x of ${below}`,
        value: round(at(largest).msPerStep / at(below).msPerStep),
        limit: 2,
        unit: "x",
      });
    }
  }
  console.log("\nbars:");
  for (const bar of bars) {
    const met = bar.value < bar.limit;
    console.log(
      `  ${met ? "PASS" : "MISS"}  ${bar.bar}: ${bar.value} ${bar.unit} (limit ${bar.limit} ${bar.unit})`,
    );
    console.log(`BENCH ${JSON.stringify({ bench: "large-bar", ...bar, met })}`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
