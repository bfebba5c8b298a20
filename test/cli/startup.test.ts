import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { makeProject, repoRoot } from "../helpers.js";

// Each command loads only what it uses (issue 9): no TypeScript, ts-morph or esbuild unless it
// compiles, no Docker client (dockerode, ssh2, grpc) unless a docker target runs, no Kubernetes
// export unless it exports. The built `canal` runs as a user runs it, in a child process, with a
// preload that lists every module it loads, so a static import of the compiler or a runtime put
// back into the command table, a command module or a barrel file fails here; so does a cached
// `canal run pipeline.ts` that loads TypeScript.
const main = join(repoRoot, "packages/cli/dist/main.js");
const tracer = join(import.meta.dirname, "module-trace.mjs");

const heavy: Record<string, RegExp> = {
  typescript: /\/node_modules\/typescript\//,
  "ts-morph": /\/node_modules\/(ts-morph|@ts-morph\/common)\//,
  esbuild: /\/node_modules\/esbuild\//,
  dockerode: /\/node_modules\/(dockerode|docker-modem)\//,
  ssh2: /\/node_modules\/ssh2\//,
  grpc: /\/node_modules\/@grpc\//,
  "the AWS SDK": /\/node_modules\/(@aws-sdk|@smithy)\//,
  kubernetes: /\/node_modules\/(yaml|kubernetes-models|@kubernetes-models)\//,
  "the compiler": /\/compiler\/dist\/(compile\.js|analyze\/|bundle\.js|code-hash(\.js|\/)|read-log\.js)/,
};

/** Runs the built `canal ARGS` in `cwd`; returns its output and the heavy packages it loaded. */
function traced(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  const trace = join(mkdtempSync(join(tmpdir(), "canal-trace-")), "modules");
  const result = spawnSync(process.execPath, ["--import", tracer, main, ...args], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, ...env, CANAL_MODULE_TRACE: trace },
  });
  const modules = readFileSync(trace, "utf8").split("\n").filter(Boolean);
  rmSync(join(trace, ".."), { recursive: true, force: true });
  const loaded = Object.keys(heavy).filter((name) => modules.some((m) => heavy[name]?.test(m)));
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, modules, loaded };
}

const pipelineSource = [
  'import { readFile, writeFile } from "node:fs/promises";',
  'import { context, File, pipeline, step } from "@canal/sdk";',
  "",
  "export class Hello {",
  '  @step.script({ source: "./src", run: "echo hello > {out}" })',
  "  greet(): { out: File } {",
  "    return step.declared();",
  "  }",
  "",
  "  @step",
  "  async shout(text: File): Promise<{ loud: File }> {",
  '    const out = context().outputPath("loud");',
  '    await writeFile(out, (await readFile(text.path, "utf8")).toUpperCase());',
  "    return { loud: new File(out) };",
  "  }",
  "",
  '  @pipeline({ name: "hello" })',
  "  async run() {",
  "    return (await this.shout(this.greet().out)).loud;",
  "  }",
  "}",
  "",
].join("\n");

describe("canal start-up", () => {
  it("loads no compiler, Docker or Kubernetes client for commands that do not use them", () => {
    const dir = makeProject({
      files: { "pipeline.ts": pipelineSource, "src/README": "the script's folder\n" },
    });
    expect(traced(["init"], dir).status).toBe(0);

    // The positive control: compiling loads TypeScript and esbuild, so the trace sees them.
    const compiled = traced(["compile", "pipeline.ts", "--out", "build"], dir);
    expect(compiled.stderr).toBe("");
    expect(compiled.status).toBe(0);
    expect(compiled.loaded).toEqual(expect.arrayContaining(["ts-morph", "esbuild", "the compiler"]));

    const first = traced(["run", "build/hello", "--json"], dir);
    expect(first.stderr).toBe("");
    expect(first.status).toBe(0);
    const runId = JSON.parse(first.stdout).run.id as string;
    expect(first.loaded).toEqual([]);
    // The positive control for the processes' modules below: a run that starts its steps loads them.
    expect(first.modules).toEqual(expect.arrayContaining(["node:child_process", "node:readline"]));

    const commands: string[][] = [
      ["--help"],
      ["compile", "--help"],
      ["run", "--help"],
      ["runs"],
      ["runs", "show", runId],
      ["logs", runId],
      ["why", runId, "shout"],
      ["inspect", "build/hello"],
      ["cache", "ls"],
      ["gc", "--dry-run", "--older-than", "30d"],
      ["run", "build/hello"],
      ["download", runId, "--to", "downloaded"],
      ["wait", runId],
      ["runs", "--experiment", "hello"],
    ];
    for (const args of commands) {
      const result = traced(args, dir);
      expect({ args, status: result.status, stderr: result.stderr }).toEqual({ args, status: 0, stderr: "" });
      expect({ args, loaded: result.loaded }).toEqual({ args, loaded: [] });
    }
    // A run that the cache answers whole starts no process: it loads neither the module that
    // starts them nor the one that reads the resident shells' answers.
    const noop = traced(["run", "build/hello"], dir);
    expect(noop.stdout).toContain("(2 cached)");
    expect(noop.modules.filter((m) => m === "node:child_process" || m === "node:readline")).toEqual([]);
    // Nor perf_hooks, which the global `performance` loads on its first use, with ten modules of its own.
    expect(noop.modules).not.toContain("node:perf_hooks");
    // A run of the entry file compiles once; then the compile cache gives the artifact, and
    // nothing of the compiler loads.
    const compiling = traced(["run", "pipeline.ts"], dir);
    expect(compiling.status).toBe(0);
    expect(compiling.loaded).toEqual(expect.arrayContaining(["ts-morph", "esbuild"]));
    const cached = traced(["run", "pipeline.ts"], dir);
    expect({ status: cached.status, stderr: cached.stderr }).toEqual({ status: 0, stderr: "" });
    expect(cached.loaded).toEqual([]);

    // `canal --help` needs nothing but the command table and the error family it prints failures
    // with (the CLI's formatter and @canal/ir's light `errors` entry, never the IR's schema). Counted
    // on the modules themselves: what `canal` runs when the CLI's bundle is not the one built from
    // dist/ as it is now (a build since, or one being made), where one bundle would hide them all.
    const help = traced(["--help"], dir, { CANAL_BUNDLE: "0" });
    expect(help.modules.filter((m) => m.includes("/node_modules/"))).toEqual([]);
    expect(help.modules.filter((m) => m.includes("/ir/dist/") && !m.endsWith("/ir/dist/errors.js"))).toEqual(
      [],
    );
    expect(help.modules.filter((m) => !m.startsWith("node:")).length).toBeLessThanOrEqual(6);
  });
});
