// Start-up benchmark: how long the `canal` command takes to start and finish when there is next to
// nothing to do, side by side with `node -e 0` measured in the same run: `canal --help`, `canal
// runs`, and fully cached runs of the flagship (every step reused) from its compiled artifact and
// from its entry file (the compile cache gives the artifact). Prints a table for people and one
// `BENCH {json}` line per measurement for scripts.
//
// Reference (issue 9, same 2-core machine): `node -e 0` ≈ 60 ms; before each command loaded only
// what it uses, `canal --help` took 1.8 s, `canal runs` 2.0 s, a cached run of the artifact 1.6 s
// and of the entry file 3.3 s. Bars: --help and runs within 150 ms of `node -e 0`; the cached
// artifact run under 400 ms; the cached entry-file run under 1 s.
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { repo } from "./generate.mjs";

const REPEATS = Number(process.env.CANAL_BENCH_STARTUP_REPEATS ?? 9);
const canal = join(repo, "packages/cli/dist/main.js");
const round = (value, digits = 1) => Number(value.toFixed(digits));
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Wall milliseconds of one run of `node ARGS` in `cwd`; throws if it fails or does not say `expect`. */
function once(args, cwd, expect) {
  const t0 = performance.now();
  const result = spawnSync(process.execPath, args, {
    cwd,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  const ms = performance.now() - t0;
  if (result.status !== 0)
    throw new Error(`node ${args.join(" ")} failed (${result.status}): ${result.stderr}`);
  if (expect && !expect.test(result.stdout))
    throw new Error(`node ${args.join(" ")} printed ${JSON.stringify(result.stdout.slice(-400))}`);
  return ms;
}

/** The flagship as a project of its own (as test/helpers.ts copyIris), a workspace with its runs. */
function flagship() {
  const dir = mkdtempSync(join(tmpdir(), "canal-startup-bench-"));
  cpSync(join(repo, "examples/iris"), dir, {
    recursive: true,
    filter: (src) => !/\/(node_modules|dist|canal-out|\.canal)(\/|$)/.test(src),
  });
  mkdirSync(join(dir, "node_modules/@canal"), { recursive: true });
  symlinkSync(join(repo, "packages/sdk"), join(dir, "node_modules/@canal/sdk"));
  symlinkSync(join(repo, "node_modules/@types"), join(dir, "node_modules/@types"));
  symlinkSync(join(repo, "node_modules/zod"), join(dir, "node_modules/zod"));
  const base = JSON.parse(readFileSync(join(repo, "tsconfig.base.json"), "utf8"));
  const compilerOptions = {
    ...base.compilerOptions,
    composite: false,
    declaration: false,
    declarationMap: false,
    noEmit: true,
  };
  writeFileSync(
    join(dir, "tsconfig.json"),
    `${JSON.stringify({ compilerOptions, include: ["pipeline.ts", "src"] })}\n`,
  );
  return dir;
}

export async function main() {
  const dir = flagship();
  try {
    once([canal, "init"], dir);
    // Its raw data, as a user registers it before the first run (test/helpers.ts IRIS_REGISTER).
    once(
      [
        canal,
        "datasets",
        "register",
        "iris",
        "--from",
        "raw:iris.csv",
        "--table",
        "--schema",
        "iris.schema.json",
      ],
      dir,
      /^registered iris version 1/,
    );
    once([canal, "compile", "pipeline.ts", "--out", "canal-out"], dir, /^compiled iris/);
    // The first runs do the work (and fill the compile cache); every run measured after is cached.
    once([canal, "run", "canal-out/iris"], dir, /succeeded/);
    once([canal, "run", "pipeline.ts"], dir, /succeeded/);
    const cached = /succeeded in [\d.]+s \(\d+ cached\)\n/;
    const commands = [
      { name: "node -e 0", args: ["-e", "0"] },
      { name: "canal --help", args: [canal, "--help"], expect: /Usage: canal/, overNode: 150 },
      { name: "canal runs", args: [canal, "runs"], expect: /succeeded/, overNode: 150 },
      {
        name: "canal run canal-out/iris (cached)",
        args: [canal, "run", "canal-out/iris"],
        expect: cached,
        under: 400,
      },
      {
        name: "canal run pipeline.ts (cached)",
        args: [canal, "run", "pipeline.ts"],
        expect: cached,
        under: 1000,
      },
    ];
    // Rounds interleave the commands, so a busy moment of this shared machine falls on all alike.
    const samples = new Map(commands.map((c) => [c.name, []]));
    for (let round = 0; round < REPEATS; round++) {
      for (const c of commands) samples.get(c.name).push(once(c.args, dir, c.expect));
    }
    const nodeMs = median(samples.get("node -e 0"));
    const rows = commands.map((c) => {
      const ms = median(samples.get(c.name));
      const limit = c.overNode !== undefined ? nodeMs + c.overNode : c.under;
      return {
        bench: "startup",
        command: c.name,
        ms: round(ms),
        overNodeMs: round(ms - nodeMs),
        minMs: round(Math.min(...samples.get(c.name))),
        ...(limit !== undefined ? { limitMs: round(limit), met: ms < limit } : {}),
      };
    });
    for (const row of rows) console.log(`BENCH ${JSON.stringify(row)}`);

    console.log(`\nstart-up: median of ${REPEATS} runs each, interleaved (ms)`);
    console.log("  command                               median  over node    min  bar");
    for (const r of rows) {
      const bar = r.limitMs === undefined ? "" : `${r.met ? "PASS" : "MISS"} < ${r.limitMs}`;
      console.log(
        `  ${r.command.padEnd(36)} ${String(r.ms).padStart(7)} ${String(r.overNodeMs).padStart(10)} ${String(r.minMs).padStart(6)}  ${bar}`,
      );
    }
    console.log(
      "reference (issue 9, this machine): node -e 0 ≈ 60 ms; before: --help 1.8 s, runs 2.0 s, cached artifact run 1.6 s, cached entry-file run 3.3 s",
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
