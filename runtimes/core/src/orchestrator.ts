import { mkdirSync, readFileSync, realpathSync, rmSync, statSync } from "node:fs";
import { cpus } from "node:os";
import { join, sep } from "node:path";
import { bindingSource, type Output, type Pipeline, type Type } from "@canal/ir";
import { cacheKey, type StoredValue, valueJson } from "./cache-key.js";
import type { AttemptResult, Runtime, StepTask, TaskInput, TaskOutput } from "./contract.js";
import type { Metric, RunEvent, RunSummary } from "./events.js";
import { planInstances, type StepInstance, staticValue, upstreamKeys } from "./plan.js";

/** The artifact bytes the orchestrator needs: content-addressed, verified. */
export interface Blobs {
  putFile(path: string): Promise<string>;
  putDirectory(path: string): Promise<string>;
  verify(digest: string): Promise<"ok" | "missing" | "corrupt">;
  materialize(digest: string, destination: string): Promise<void>;
}

/** The cache index: outputs of an earlier successful step instance with the same key. */
export interface CacheIndex {
  lookup(key: string): Promise<Record<string, StoredValue> | undefined>;
  /** Forgets an entry whose blobs are missing or corrupt. */
  invalidate(key: string): Promise<void>;
}

export interface OrchestrateOptions {
  runId: string;
  pipeline: Pipeline;
  artifactDir: string;
  /** Parameter values, defaults applied and validated; artifact parameters as stored values. */
  parameters: Record<string, unknown>;
  artifactParameters: Record<string, StoredValue>;
  runtime: Runtime;
  blobs: Blobs;
  cache: CacheIndex;
  /** Scratch space for attempts; removed as attempts end. */
  workRoot: string;
  maxParallel?: number;
  /** AzureML regenerate_outputs: run every step, but still record what it produced. */
  regenerate?: boolean;
  /** Step ids to run regardless of the cache (`canal rerun --from`). */
  force?: Set<string>;
  signal?: AbortSignal;
  onEvent(event: RunEvent): void | Promise<void>;
}

const isDirectoryType = (type: Type): boolean =>
  "artifact" in type && type.artifact.lineage.includes("Directory");
const isArtifactType = (type: Type): boolean =>
  "artifact" in type || ("list" in type && isArtifactType(type.list.element));

function within(path: string, root: string): boolean {
  try {
    const real = realpathSync(path);
    const base = realpathSync(root);
    return real === base || real.startsWith(base + sep);
  } catch {
    return false;
  }
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });

/**
 * Runs a pipeline: topological scheduling with bounded parallelism, the cache, retries with
 * backoff, timeouts and cancellation. Shared by every runtime; emits events in order.
 * A failed step stops only what depends on it: independent branches still finish (and are cached),
 * so a re-run after a fix does the least work.
 */
export async function orchestrate(options: OrchestrateOptions): Promise<RunSummary> {
  const { pipeline, parameters, runtime, blobs } = options;
  const { instances, skipped } = planInstances(pipeline, parameters);
  const byStep = new Map<string, StepInstance[]>();
  for (const instance of instances)
    byStep.set(instance.step.id, [...(byStep.get(instance.step.id) ?? []), instance]);
  const environments = new Map((pipeline.environments ?? []).map((e) => [e.id, e]));
  const summary: RunSummary = { status: "succeeded", steps: {}, outputs: {} };
  const results = new Map<string, Record<string, StoredValue>>();
  const emit = async (event: RunEvent) => options.onEvent(event);
  const base = (instance: StepInstance) => ({
    key: instance.key,
    step: instance.step.id,
    index: instance.index,
    time: Date.now(),
  });

  const skippedIds = new Set(skipped.map((s) => s.id));
  for (const step of skipped) {
    summary.steps[step.id] = "skipped";
    await emit({
      type: "step-skipped",
      key: step.id,
      step: step.id,
      index: -1,
      time: Date.now(),
      reason: "its condition does not hold",
    });
  }

  const waitsFor = new Map<string, string[]>();
  for (const instance of instances) {
    const deps = new Set<string>();
    for (const input of instance.step.inputs) {
      for (const key of upstreamKeys(input.binding, instance, byStep)) deps.add(key);
      const source = bindingSource(input.binding);
      if (source && skippedIds.has(source.step)) deps.add(source.step);
    }
    for (const after of instance.step.after ?? []) for (const u of byStep.get(after) ?? []) deps.add(u.key);
    waitsFor.set(instance.key, [...deps]);
    await emit({ type: "step-queued", ...base(instance) });
  }

  const limit = Math.max(1, Math.min(options.maxParallel ?? cpus().length, runtime.maxParallel));
  const pending = new Set(instances.map((i) => i.key));
  const byKey = new Map(instances.map((i) => [i.key, i]));
  const running = new Map<string, Promise<void>>();
  const cancel = new AbortController();
  options.signal?.addEventListener("abort", () => cancel.abort());

  const finished = (key: string) => summary.steps[key] !== undefined;
  const good = (key: string) => summary.steps[key] === "cached" || summary.steps[key] === "succeeded";

  while (pending.size > 0 || running.size > 0) {
    if (cancel.signal.aborted) {
      for (const key of pending) {
        const instance = byKey.get(key) as StepInstance;
        summary.steps[key] = "canceled";
        await emit({ type: "step-canceled", ...base(instance) });
      }
      pending.clear();
    }
    for (const key of [...pending]) {
      if (running.size >= limit) break;
      const deps = waitsFor.get(key) ?? [];
      if (!deps.every(finished)) continue;
      pending.delete(key);
      const instance = byKey.get(key) as StepInstance;
      const blocked = deps.find((d) => !good(d));
      if (blocked) {
        summary.steps[key] = "skipped";
        await emit({
          type: "step-skipped",
          ...base(instance),
          reason: `upstream step ${blocked} did not succeed`,
        });
        continue;
      }
      const task = runInstance(instance).then(
        () => void running.delete(key),
        async (error: Error) => {
          running.delete(key);
          summary.steps[key] = "failed";
          await emit({ type: "step-failed", ...base(instance), attempt: 0, error: error.message });
        },
      );
      running.set(key, task);
    }
    if (running.size > 0) await Promise.race(running.values());
    else if (pending.size > 0 && [...pending].every((k) => !(waitsFor.get(k) ?? []).every(finished))) {
      throw new Error("internal: the step graph has a cycle at run time");
    }
  }

  const states = Object.values(summary.steps);
  summary.status =
    cancel.signal.aborted || states.includes("canceled")
      ? "canceled"
      : states.includes("failed")
        ? "failed"
        : "succeeded";
  for (const output of pipeline.outputs ?? []) {
    const value = resolveValue(output.binding, undefined);
    if (value) summary.outputs[output.name] = value;
  }
  return summary;

  function resolveValue(
    binding: Parameters<typeof bindingSource>[0],
    instance: StepInstance | undefined,
  ): StoredValue | undefined {
    const source = bindingSource(binding);
    if (source) {
      const upstream = byStep.get(source.step) ?? [];
      if (source.fanIn) {
        const digests = upstream.map((u) => results.get(u.key)?.[source.output]);
        if (digests.some((d) => !d)) return undefined;
        if (digests.every((d) => d && "digest" in d))
          return { digests: digests.map((d) => (d as { digest: string }).digest) };
        return { json: `[${digests.map((d) => (d as { json: string }).json).join(",")}]` };
      }
      const same = instance
        ? upstream.find((u) => u.index === instance.index && u.step.fanOut === instance.step.fanOut)
        : undefined;
      return results.get((same ?? upstream[0])?.key ?? "")?.[source.output];
    }
    if ("parameter" in binding && binding.parameter && options.artifactParameters[binding.parameter]) {
      return options.artifactParameters[binding.parameter];
    }
    if (!instance) return undefined;
    const value = staticValue(binding, instance, parameters);
    return value.found ? valueJson(value.value) : undefined;
  }

  async function runInstance(instance: StepInstance): Promise<void> {
    const { step } = instance;
    const inputs: Record<string, StoredValue> = {};
    for (const input of step.inputs) {
      const value = resolveValue(input.binding, instance);
      if (value) inputs[input.name] = value;
      else if (!input.optional) throw new Error(`step ${instance.key}: input \`${input.name}\` has no value`);
    }
    const { key, components } = cacheKey(step, inputs);
    const reusable = !step.cache?.noReuse;
    if (reusable && !options.regenerate && !options.force?.has(step.id)) {
      const cached = await options.cache.lookup(key);
      if (cached && (await allPresent(cached, step.outputs))) {
        results.set(instance.key, cached);
        summary.steps[instance.key] = "cached";
        await emit({ type: "step-cached", ...base(instance), cacheKey: key, inputs, outputs: cached });
        return;
      }
      // An entry whose bytes are gone or damaged is a miss, never a failure: drop it so that this
      // run's outputs take its place.
      if (cached) await options.cache.invalidate(key);
    }

    const maxRetries = step.retry?.maxRetries ?? 0;
    const backoff = step.retry?.backoffMs ?? 1000;
    for (let attempt = 1; ; attempt++) {
      if (cancel.signal.aborted) {
        summary.steps[instance.key] = "canceled";
        await emit({ type: "step-canceled", ...base(instance) });
        return;
      }
      await emit({ type: "step-started", ...base(instance), attempt });
      const outcome = await attemptOnce(instance, inputs, attempt);
      if (outcome.status === "succeeded") {
        results.set(instance.key, outcome.outputs);
        summary.steps[instance.key] = "succeeded";
        await emit({
          type: "step-succeeded",
          ...base(instance),
          attempt,
          cacheKey: key,
          components,
          reusable,
          inputs,
          outputs: outcome.outputs,
          metrics: outcome.metrics,
        });
        return;
      }
      if (outcome.status === "canceled") {
        summary.steps[instance.key] = "canceled";
        await emit({ type: "step-canceled", ...base(instance), attempt });
        return;
      }
      if (outcome.retryable && attempt <= maxRetries && !cancel.signal.aborted) {
        const delayMs = backoff * 2 ** (attempt - 1);
        await emit({ type: "step-retrying", ...base(instance), attempt, error: outcome.error, delayMs });
        await sleep(delayMs, cancel.signal);
        continue;
      }
      summary.steps[instance.key] = "failed";
      await emit({
        type: "step-failed",
        ...base(instance),
        attempt,
        error: outcome.error,
        cacheKey: key,
        components,
      });
      return;
    }
  }

  async function allPresent(outputs: Record<string, StoredValue>, declared: Output[]): Promise<boolean> {
    for (const output of declared) {
      const value = outputs[output.name];
      if (!value) return false;
      const digests = "digest" in value ? [value.digest] : "digests" in value ? value.digests : [];
      for (const digest of digests) if ((await blobs.verify(digest)) !== "ok") return false;
    }
    return true;
  }

  async function attemptOnce(
    instance: StepInstance,
    inputs: Record<string, StoredValue>,
    attempt: number,
  ): Promise<
    | { status: "succeeded"; outputs: Record<string, StoredValue>; metrics: Metric[] }
    | { status: "failed"; error: string; retryable: boolean }
    | { status: "canceled" }
  > {
    const { step } = instance;
    const workDir = join(
      options.workRoot,
      options.runId,
      `${instance.key.replace(/[[\]]/g, "_")}-${attempt}`,
    );
    rmSync(workDir, { recursive: true, force: true });
    const inDir = join(workDir, "in");
    const outDir = join(workDir, "out");
    mkdirSync(inDir, { recursive: true });
    mkdirSync(outDir, { recursive: true });
    try {
      const taskInputs: Record<string, TaskInput> = {};
      const inputPaths = new Map<string, StoredValue>();
      for (const input of step.inputs) {
        const value = inputs[input.name];
        if (!value) continue;
        if ("json" in value) {
          taskInputs[input.name] = { kind: "value", value: JSON.parse(value.json) };
        } else if ("digest" in value) {
          const path = join(inDir, input.name);
          await blobs.materialize(value.digest, path);
          inputPaths.set(path, value);
          taskInputs[input.name] = { kind: "artifact", path, directory: value.directory };
        } else {
          const paths: string[] = [];
          for (const [i, digest] of value.digests.entries()) {
            const path = join(inDir, input.name, String(i));
            mkdirSync(join(inDir, input.name), { recursive: true });
            await blobs.materialize(digest, path);
            inputPaths.set(path, { digest, directory: statSync(path).isDirectory() });
            paths.push(path);
          }
          taskInputs[input.name] = { kind: "artifacts", paths };
        }
      }
      const taskOutputs: Record<string, TaskOutput> = {};
      for (const output of step.outputs) {
        const path = join(outDir, output.name);
        const directory = isDirectoryType(output.type);
        if (directory) mkdirSync(path);
        taskOutputs[output.name] = {
          kind: isArtifactType(output.type) ? "artifact" : "value",
          path,
          directory,
        };
      }
      const task: StepTask = {
        runId: options.runId,
        stepKey: instance.key,
        attempt,
        artifactDir: options.artifactDir,
        step,
        environment: step.environment ? environments.get(step.environment) : undefined,
        inputs: taskInputs,
        outputs: taskOutputs,
        workDir,
        metricsFile: join(workDir, "metrics.jsonl"),
      };
      const attemptAbort = new AbortController();
      const onCancel = () => attemptAbort.abort("canceled");
      cancel.signal.addEventListener("abort", onCancel);
      const timer = step.timeoutMs
        ? setTimeout(() => attemptAbort.abort("timeout"), step.timeoutMs)
        : undefined;
      let result: AttemptResult;
      try {
        result = await runtime.execute(task, {
          signal: attemptAbort.signal,
          log: (stream, text) => void emit({ type: "step-log", ...base(instance), attempt, stream, text }),
        });
      } finally {
        clearTimeout(timer);
        cancel.signal.removeEventListener("abort", onCancel);
      }
      if (attemptAbort.signal.aborted && attemptAbort.signal.reason === "timeout") {
        return {
          status: "failed",
          error: `step ${instance.key} timed out after ${step.timeoutMs} ms`,
          retryable: true,
        };
      }
      if (result.status === "canceled" || cancel.signal.aborted) return { status: "canceled" };
      if (result.status === "timed-out") return { status: "failed", error: result.error, retryable: true };
      if (result.status === "failed") return result;
      const outputs: Record<string, StoredValue> = {};
      for (const output of step.outputs) {
        const target = taskOutputs[output.name] as TaskOutput;
        if (target.kind === "value") {
          if (output.name in result.values) outputs[output.name] = valueJson(result.values[output.name]);
          else {
            try {
              outputs[output.name] = valueJson(JSON.parse(readFileSync(target.path, "utf8")));
            } catch {
              return {
                status: "failed",
                error: `step ${instance.key} did not write its value output \`${output.name}\` as JSON to ${target.path}`,
                retryable: false,
              };
            }
          }
          continue;
        }
        const path = result.returned[output.name] ?? target.path;
        const reused = inputPaths.get(path);
        if (reused) {
          outputs[output.name] = reused;
          continue;
        }
        if (!within(path, outDir)) {
          return {
            status: "failed",
            error: `step ${instance.key} output \`${output.name}\` is at ${path}, outside its output folder ${outDir}; write outputs under context().outputPath("${output.name}")`,
            retryable: false,
          };
        }
        let stats: ReturnType<typeof statSync>;
        try {
          stats = statSync(path);
        } catch {
          return {
            status: "failed",
            error: `step ${instance.key} did not write its output \`${output.name}\` (expected at ${path})`,
            retryable: false,
          };
        }
        const directory = stats.isDirectory();
        outputs[output.name] = {
          digest: directory ? await blobs.putDirectory(path) : await blobs.putFile(path),
          directory,
        };
      }
      return { status: "succeeded", outputs, metrics: readMetrics(task.metricsFile) };
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
  }
}

function readMetrics(file: string): Metric[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return [];
  }
  const metrics: Metric[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    try {
      const { name, value } = JSON.parse(line) as Metric;
      if (typeof name === "string" && (typeof value === "number" || typeof value === "string"))
        metrics.push({ name, value });
    } catch {
      // A torn last line of a killed step: the metrics before it still count.
    }
  }
  return metrics;
}
