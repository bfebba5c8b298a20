import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Binding, Input, Output, Pipeline, Step, Type } from "@canal/ir";
import type { Runtime } from "../contract.js";
import type { RunEvent, RunSummary } from "../events.js";
import type { OrchestrateOptions } from "../orchestrate-options.js";
import { orchestrate } from "../orchestrator.js";
import { variableDigest } from "../step-variables.js";
import { MemoryRuntime, type MemoryRuntimeOptions } from "./memory-runtime.js";
import { MemoryBlobs, MemoryCache } from "./memory-store.js";

/** IR written by hand for the orchestrator's tests: the shapes the compiler gives. */
export const types = {
  number: { primitive: "NUMBER" } as Type,
  string: { primitive: "STRING" } as Type,
  file: { artifact: { lineage: ["File"] } } as Type,
  directory: { artifact: { lineage: ["Directory"] } } as Type,
  files: { list: { element: { artifact: { lineage: ["File"] } } } } as Type,
};

export const fromOutput = (step: string, output: string, path?: string[]): Binding => ({
  output: { step, output },
  ...(path ? { path } : {}),
});
export const collect = (step: string, output: string): Binding => ({ collect: { step, output } });
export const parameter = (name: string, path?: string[]): Binding => ({
  parameter: name,
  ...(path ? { path } : {}),
});
export const literal = (value: unknown): Binding => ({ literalJson: JSON.stringify(value) });
export const item = (fanOut: string, path?: string[]): Binding => ({
  fanOutItem: fanOut,
  ...(path ? { path } : {}),
});

/** A step with the given inputs (name -> [type, binding]) and outputs (name -> type). */
export function testStep(
  id: string,
  inputs: Record<string, [Type, Binding]> = {},
  outputs: Record<string, Type> = {},
  more: Partial<Step> = {},
): Step {
  return {
    id,
    name: id,
    kind: "TYPESCRIPT",
    inputs: Object.entries(inputs).map(([name, [type, binding]]): Input => ({ name, type, binding })),
    outputs: Object.entries(outputs).map(([name, type]): Output => ({ name, type })),
    codeHash: `code:${id}`,
    hash: `hash:${id}`,
    ...more,
  };
}

export function testPipeline(steps: Step[], more: Partial<Pipeline> = {}): Pipeline {
  return {
    irVersion: 1,
    minRuntimeVersion: "0.1.0",
    name: "test",
    parameters: [],
    steps,
    compilerVersion: "test",
    hash: "pipeline",
    ...more,
  };
}

/** A scratch folder per test, and the memory blobs and cache that outlive one run of it. */
export class TestBed {
  readonly dir = mkdtempSync(join(tmpdir(), "canal-orchestrate-"));
  readonly blobs = new MemoryBlobs();
  readonly cache = new MemoryCache();
  private runs = 0;

  /** Runs `pipeline` on a memory runtime with these step functions; the cache keeps what succeeded. */
  run(
    pipeline: Pipeline,
    runtime: MemoryRuntime | MemoryRuntimeOptions,
    options?: Partial<OrchestrateOptions>,
  ): Promise<{ summary: RunSummary; events: RunEvent[]; runtime: MemoryRuntime }>;
  /** Runs `pipeline` on `runtime` (a real one, for its own tests), with the same stores. */
  run<R extends Runtime>(
    pipeline: Pipeline,
    runtime: R,
    options?: Partial<OrchestrateOptions>,
  ): Promise<{ summary: RunSummary; events: RunEvent[]; runtime: R }>;
  async run(
    pipeline: Pipeline,
    runtime: Runtime | MemoryRuntimeOptions,
    options: Partial<OrchestrateOptions> = {},
  ): Promise<{ summary: RunSummary; events: RunEvent[]; runtime: Runtime }> {
    const memory = "execute" in runtime ? runtime : new MemoryRuntime(runtime);
    const events: RunEvent[] = [];
    const summary = await orchestrate({
      runId: `run-${++this.runs}`,
      pipeline,
      artifactDir: join(this.dir, "artifact"),
      parameters: {},
      artifactParameters: {},
      runtime: memory,
      blobs: this.blobs,
      cache: this.cache,
      workRoot: join(this.dir, "work"),
      variables: { values: {}, digest: (name, value) => variableDigest(Buffer.from("test"), name, value) },
      ...options,
      onEvent: (event) => {
        events.push(event);
        this.cache.record(event);
        return options.onEvent?.(event);
      },
    });
    return { summary, events, runtime: memory };
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
