// One Canal run measurement in a process of its own, so that its peak memory is the orchestrator's
// alone: `node run-child.mjs '{"mode": …}'` prints one JSON line.
//
//   cold     a run on a fresh workspace, then fully cached re-runs in this process (the workspace
//            and the runtime opened afresh each time, so no in-memory state carries over); the
//            best of `reruns` is reported
//   rerun    one run that the cache should answer entirely (the parent times the whole process)
//   memory   one run while the resident set is sampled, for its growth over the run
import { join } from "node:path";
import { repo } from "./generate.mjs";

const { runPipeline } = await import(join(repo, "packages/runner/dist/index.js"));
const { LocalRuntime } = await import(join(repo, "runtimes/local/dist/index.js"));
const { openWorkspace } = await import(join(repo, "packages/store/dist/index.js"));

const options = JSON.parse(process.argv[2]);

async function runOnce() {
  const workspace = await openWorkspace(options.workspace);
  const runtime = new LocalRuntime({ cacheDir: join(options.workspace, ".canal/cache"), maxParallel: 2 });
  const t0 = performance.now();
  try {
    const { run, summary } = await runPipeline({
      workspace,
      artifactDir: options.artifactDir,
      runtime,
      maxParallel: 2,
    });
    const ms = performance.now() - t0;
    const states = {};
    for (const state of Object.values(summary.steps)) states[state] = (states[state] ?? 0) + 1;
    const output = Object.values(summary.outputs)[0];
    // The last line of the output says the steps ran in order and all of them ran.
    const lastLine =
      output && "digest" in output && !output.directory
        ? (await workspace.blobs.get(output.digest)).toString("utf8").trim().split("\n").pop()
        : undefined;
    return { ms, status: run.status, error: run.error, states, lastLine };
  } finally {
    await runtime.close();
    await workspace.close();
  }
}

const mb = (bytes) => bytes / (1024 * 1024);
let result;
if (options.mode === "cold") {
  const cold = await runOnce();
  let cached;
  for (let i = 0; i < (options.reruns ?? 1); i++) {
    const again = await runOnce();
    if (!cached || again.ms < cached.ms) cached = again;
  }
  result = { cold, cached };
} else if (options.mode === "rerun") {
  result = { rerun: await runOnce() };
} else {
  const before = process.memoryUsage.rss();
  let max = before;
  const timer = setInterval(() => {
    max = Math.max(max, process.memoryUsage.rss());
  }, 5);
  const peakBefore = process.resourceUsage().maxRSS * 1024;
  const run = await runOnce();
  clearInterval(timer);
  const peakAfter = process.resourceUsage().maxRSS * 1024;
  // The lifetime peak only says something about the run when the run raised it.
  if (peakAfter > peakBefore) max = Math.max(max, peakAfter);
  result = { run, baselineMB: mb(before), growthMB: mb(max - before) };
}
result.peakMB = process.resourceUsage().maxRSS / 1024;
console.log(JSON.stringify(result));
