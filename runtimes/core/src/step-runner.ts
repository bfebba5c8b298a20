import { appendFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { AttemptResult, StepTask, TaskInput } from "./contract.js";

type Constructor = new (path: string) => { path: string };

const contextSlot = Symbol.for("canal.step-context");

// A module URL imports the same module for the life of the process (the ESM loader never loads it
// again), so a warm worker keeps each bundle's namespace: resolving the import anew cost ~0.3 ms of
// each step here. A failed import is not kept, and is tried again as before.
const bundles = new Map<string, Promise<Record<string, unknown>>>();
function importBundle(path: string): Promise<Record<string, unknown>> {
  let loaded = bundles.get(path);
  if (!loaded) {
    loaded = import(pathToFileURL(path).href) as Promise<Record<string, unknown>>;
    bundles.set(path, loaded);
    loaded.catch(() => bundles.delete(path));
  }
  return loaded;
}

/** The artifact class to hand a step for an input: the bundle's own copy of the SDK class. */
function artifactClass(sdk: Record<string, unknown>, lineage: string[]): Constructor {
  for (const name of lineage) {
    const candidate = sdk[name];
    if (typeof candidate === "function") return candidate as Constructor;
  }
  return class {
    constructor(readonly path: string) {}
  };
}

function argument(input: TaskInput | undefined, lineage: string[], sdk: Record<string, unknown>): unknown {
  if (!input) return undefined;
  if (input.kind === "value") return input.value;
  const Class = artifactClass(sdk, lineage);
  if (input.kind === "artifacts") return input.paths.map((path) => new Class(path));
  return new Class(input.path);
}

function lineageOf(type: StepTask["step"]["inputs"][number]["type"]): string[] {
  if ("artifact" in type) return type.artifact.lineage;
  if ("list" in type) return lineageOf(type.list.element);
  return [];
}

/**
 * Runs one attempt of a TypeScript step in this process: loads its bundle, installs the step
 * context, calls the method or function with the inputs and maps what it returns to outputs.
 * Used by every runtime's worker (a warm local process, a container, a Slurm job).
 */
export async function runTypescriptStep(task: StepTask, bundlePath: string): Promise<AttemptResult> {
  const code = task.step.code;
  if (!code)
    return { status: "failed", error: `step ${task.stepKey} has no code reference`, retryable: false };
  const module = await importBundle(bundlePath);
  const sdk = (module.__canalSdk ?? {}) as Record<string, unknown>;
  const exported = module[code.exportName] as
    | (new () => Record<string, unknown>)
    | ((...args: unknown[]) => unknown);
  if (typeof exported !== "function") {
    return {
      status: "failed",
      error: `the bundle has no export \`${code.exportName}\` for step ${task.stepKey}; recompile`,
      retryable: false,
    };
  }
  let fn: (...args: unknown[]) => unknown;
  let self: unknown;
  if (code.member) {
    const Class = exported as new () => Record<string, unknown>;
    self = new Class();
    fn = Class.prototype[code.member] as (...args: unknown[]) => unknown;
    if (typeof fn !== "function") {
      return {
        status: "failed",
        error: `class ${code.exportName} has no method ${code.member}; recompile`,
        retryable: false,
      };
    }
  } else {
    fn = exported as (...args: unknown[]) => unknown;
  }
  const args = task.step.inputs.map((input) => argument(task.inputs[input.name], lineageOf(input.type), sdk));
  (globalThis as Record<symbol, unknown>)[contextSlot] = {
    runId: task.runId,
    stepId: task.stepKey,
    attempt: task.attempt,
    outputPath(name: string): string {
      const output = task.outputs[name];
      if (!output) {
        throw new Error(
          `step ${task.stepKey} has no output \`${name}\`; its outputs are ${Object.keys(task.outputs).join(", ") || "none"}`,
        );
      }
      return output.path;
    },
    log(name: string, value: number | string): void {
      appendFileSync(task.metricsFile, `${JSON.stringify({ name, value })}\n`);
    },
    dataset(name: string) {
      const input = task.inputs[name];
      if (input?.kind !== "artifact" || !input.dataset) return undefined;
      return { path: input.path, name: input.dataset.name, version: input.dataset.version };
    },
  };
  let returned: unknown;
  try {
    returned = await fn.apply(self, args);
  } catch (error) {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    return { status: "failed", error: `step ${task.stepKey} threw: ${message}`, retryable: true };
  } finally {
    delete (globalThis as Record<symbol, unknown>)[contextSlot];
  }
  return mapReturn(task, returned);
}

function mapReturn(task: StepTask, returned: unknown): AttemptResult {
  const outputs = task.step.outputs;
  const values: Record<string, unknown> = {};
  const paths: Record<string, string> = {};
  const single = outputs.length === 1 && outputs[0]?.name === "output";
  for (const output of outputs) {
    const value = single ? returned : (returned as Record<string, unknown> | undefined)?.[output.name];
    if (value === undefined) {
      return {
        status: "failed",
        error: `step ${task.stepKey} returned no \`${output.name}\`; return ${single ? "the output" : `{ ${outputs.map((o) => o.name).join(", ")} }`}`,
        retryable: false,
      };
    }
    if (task.outputs[output.name]?.kind === "artifact") {
      const path = (value as { path?: unknown }).path;
      if (typeof path !== "string") {
        return {
          status: "failed",
          error: `step ${task.stepKey} output \`${output.name}\` is not an artifact (it has no path)`,
          retryable: false,
        };
      }
      paths[output.name] = resolve(path);
    } else {
      values[output.name] = value;
    }
  }
  return { status: "succeeded", values, returned: paths };
}
