import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compile } from "@canal/compiler";
import { runPipeline } from "@canal/runner";
import type { RunEvent, Runtime, StoredValue } from "@canal/runtime-core";
import { initWorkspace, openWorkspace } from "@canal/store";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { makeProject, treeBytes } from "../helpers.js";
import { type ConformanceCase, conformanceCases, digestOf, type Harness } from "./suite-context.js";
import { failureCases } from "./suite-failures.js";
import { outputCases } from "./suite-outputs.js";

export interface ConformanceOptions {
  /** Case id -> why this runtime cannot run it. The reason is shown in the skipped test's name. */
  skip?: Partial<Record<ConformanceCase, string>>;
  /**
   * Whether the process ids a step records are this machine's; false for containers, whose
   * processes have ids of their own PID namespace. Either way the timeout and cancel cases check
   * that the steps' heartbeats stopped and that no process of the run is left (found by its
   * environment, which the host sees in a container too); with host pids, each recorded one too.
   */
  hostPids?: boolean;
  /**
   * The workspaces' `artifacts` setting (an S3 bucket, a fresh prefix per call); default the
   * local content-addressed folder.
   */
  artifacts?: () => Record<string, unknown>;
}

const fixture = join(import.meta.dirname, "fixtures/project");

/**
 * The runtime conformance suite: the same compiled pipelines, run through the orchestrator and the
 * store on the runtime `makeRuntime` builds, must give the same outputs, events and cache decisions
 * on every runtime. `makeRuntime` receives a fresh cache directory per workspace.
 *
 * @example
 * ```ts
 * runtimeConformance("docker", (cacheDir) => new DockerRuntime({ cacheDir }), {
 *   skip: { "large-output": "why this runtime cannot, shown in the skipped test's name" },
 * });
 * ```
 */
export function runtimeConformance(
  name: string,
  makeRuntime: (cacheDir: string) => Runtime,
  options: ConformanceOptions = {},
): void {
  const skip: Partial<Record<string, string>> = { ...options.skip };
  for (const id of Object.keys(skip)) {
    if (!(conformanceCases as readonly string[]).includes(id))
      throw new Error(
        `runtimeConformance(${name}): unknown case \`${id}\` in skip; the cases are ${conformanceCases.join(", ")}`,
      );
  }
  if (process.env.CANAL_SKIP_LARGE === "1") skip["large-output"] ??= "CANAL_SKIP_LARGE=1";
  const hostPids = options.hostPids ?? true;

  const test = (id: ConformanceCase, title: string, body: () => Promise<void>, timeoutMs?: number) => {
    const reason = skip[id];
    if (reason) it.skip(`${title} [skipped on ${name}: ${reason}]`, body);
    else it(title, body, timeoutMs);
  };

  describe(`runtime conformance: ${name}`, () => {
    let project: string;
    const artifacts = new Map<string, string>();
    const cleanups: Array<() => Promise<void>> = [];

    beforeAll(async () => {
      project = makeProject({ from: fixture });
      const result = await compile({ entries: [join(project, "pipeline.ts")], outDir: join(project, "out") });
      expect(result.diagnostics).toEqual([]);
      for (const compiled of result.pipelines) artifacts.set(compiled.pipeline.name, compiled.dir as string);
    });
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });
    afterAll(() => rmSync(project, { recursive: true, force: true }));

    async function open(): Promise<Harness> {
      const dir = mkdtempSync(join(tmpdir(), `canal-conformance-${name}-`));
      initWorkspace(dir);
      if (options.artifacts) {
        const file = join(dir, "canal.config.json");
        const config = JSON.parse(readFileSync(file, "utf8"));
        writeFileSync(file, JSON.stringify({ ...config, artifacts: options.artifacts() }));
      }
      const workspace = await openWorkspace(dir);
      const runtime = makeRuntime(join(dir, "runtime-cache"));
      cleanups.push(async () => {
        await runtime.close();
        await workspace.close();
        rmSync(dir, { recursive: true, force: true });
      });
      const read = async (value: StoredValue | undefined) => {
        const target = mkdtempSync(join(dir, "read-"));
        const path = join(target, "artifact");
        await workspace.blobs.materialize(digestOf(value), path);
        return statSync(path).isDirectory() ? treeBytes(path) : readFileSync(path);
      };
      return {
        dir,
        workspace,
        runtime,
        async run(pipeline, options = {}) {
          const artifactDir = artifacts.get(pipeline);
          if (!artifactDir) throw new Error(`no compiled pipeline ${pipeline}`);
          const events: RunEvent[] = [];
          const { run, summary } = await runPipeline({
            workspace,
            artifactDir,
            runtime,
            ...options,
            onEvent: (event) => void events.push(event),
          });
          return { run, summary, events };
        },
        read,
        async text(value) {
          return (await read(value)).toString();
        },
      };
    }

    const context = { name, hostPids, test, open };
    outputCases(context);
    failureCases(context);
  });
}
