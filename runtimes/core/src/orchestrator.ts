import { lstatSync, mkdirSync, readFileSync, realpathSync, rmSync, statSync } from "node:fs";
import { rm } from "node:fs/promises";
import { cpus } from "node:os";
import { basename, join, sep } from "node:path";
import { bindingSource, fileNameProblem, type Output, type Pipeline, pathInside, type Type } from "@canal/ir";
import { cacheKey, type StoredValue, valueJson } from "./cache-key.js";
import type { AttemptResult, Runtime, StepTask, TaskInput, TaskOutput } from "./contract.js";
import type { Metric, RunEvent, RunSummary } from "./events.js";
import { writeInputFiles } from "./large-values.js";
import { Lookahead } from "./lookahead.js";
import { planInstances, type StepInstance, sameIteration, staticValue, upstreamKeys } from "./plan.js";
import { ReadyQueue } from "./ready-queue.js";
import { declaredValues, processVariables, type RunVariables, variableComponents } from "./step-variables.js";

/** The artifact bytes the orchestrator needs: content-addressed, verified. */
export interface Blobs {
  /** `move`: the file is the caller's to give up; the store may rename it in rather than copy it. */
  putFile(path: string, options?: { move?: boolean }): Promise<string>;
  putDirectory(path: string, options?: { move?: boolean }): Promise<string>;
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
  /**
   * Where the variables steps declare (`passEnv`) are read from, and their keyed digest; default
   * this process's environment under a secret of this process (its keys then match no other run's).
   */
  variables?: RunVariables;
  onEvent(event: RunEvent): void | Promise<void>;
}

const isDirectoryType = (type: Type): boolean =>
  "artifact" in type && type.artifact.lineage.includes("Directory");
const isArtifactType = (type: Type): boolean =>
  "artifact" in type || ("list" in type && isArtifactType(type.list.element));

function within(path: string, root: string): boolean {
  // Lexically inside and no symbolic link on the way down from the root: inside, for one lstat
  // per level instead of resolving both paths from the file system's root.
  if (path.startsWith(root + sep)) {
    let current = root;
    let linked = false;
    for (const part of path.slice(root.length + 1).split(sep)) {
      current = join(current, part);
      if (lstatSync(current, { throwIfNoEntry: false })?.isSymbolicLink()) {
        linked = true;
        break;
      }
    }
    if (!linked) return true;
  }
  try {
    const real = realpathSync.native(path);
    const base = realpathSync.native(root);
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
  const variables = options.variables ?? processVariables();
  const { instances, skipped } = planInstances(pipeline, parameters);
  const byStep = new Map<string, StepInstance[]>();
  for (const instance of instances) {
    const list = byStep.get(instance.step.id);
    if (list) list.push(instance);
    else byStep.set(instance.step.id, [instance]);
  }
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
  const running = new Map<string, Promise<void>>();
  const cancel = new AbortController();
  options.signal?.addEventListener("abort", () => cancel.abort());
  // Attempts' scratch directories are removed off the critical path: the next step need not wait
  // for the file system to forget this one. The run ends only once they are all gone.
  const removals = new Set<Promise<void>>();
  const removeLater = (dir: string) => {
    const removal: Promise<void> = rm(dir, { recursive: true, force: true })
      .catch(() => {})
      .finally(() => removals.delete(removal));
    removals.add(removal);
  };

  const finished = (key: string) => summary.steps[key] !== undefined;
  const good = (key: string) => summary.steps[key] === "cached" || summary.steps[key] === "succeeded";

  // Each instance counts its unfinished upstreams; a finishing one hands its dependents to the ready
  // queue when their count reaches zero. Scheduling costs O(edges) over the run, not a rescan of
  // every waiting instance each time one finishes.
  const position = new Map(instances.map((instance, i) => [instance.key, i]));
  const dependents = new Map<string, string[]>();
  const unfinished = new Map<string, number>();
  const ready = new ReadyQueue();
  // Instances a runtime was told of ahead go first: it may hold a started job waiting for them.
  const readyAhead = new ReadyQueue();
  for (const [i, instance] of instances.entries()) {
    let count = 0;
    for (const dep of waitsFor.get(instance.key) ?? []) {
      if (finished(dep)) continue;
      count++;
      const list = dependents.get(dep);
      if (list) list.push(instance.key);
      else dependents.set(dep, [instance.key]);
    }
    unfinished.set(instance.key, count);
    if (count === 0) ready.push(i);
  }
  const settle = (key: string) => {
    for (const dependent of dependents.get(key) ?? []) {
      const left = (unfinished.get(dependent) as number) - 1;
      unfinished.set(dependent, left);
      // A cancel ends every waiting instance at once; one of them becoming ready afterwards (its
      // last upstream has just stopped) must not be started, nor counted as not started again.
      if (left === 0 && !finished(dependent))
        (lookahead.has(dependent) ? readyAhead : ready).push(position.get(dependent) as number);
    }
  };
  const lookahead = new Lookahead({
    runId: options.runId,
    runtime,
    limit,
    dependents,
    waitsFor,
    instance: (key) => instances[position.get(key) as number] as StepInstance,
    environment: (instance) =>
      instance.step.environment ? environments.get(instance.step.environment) : undefined,
    waiting: (key) => !finished(key) && !running.has(key) && !cancel.signal.aborted,
    good,
  });
  let notStarted = instances.length;
  let woken = false;
  let wake: (() => void) | undefined;
  const done = (key: string) => {
    running.delete(key);
    lookahead.forget(key);
    settle(key);
    woken = true;
    wake?.();
  };

  for (;;) {
    woken = false;
    if (cancel.signal.aborted && notStarted > 0) {
      for (const instance of instances) {
        if (finished(instance.key) || running.has(instance.key)) continue;
        summary.steps[instance.key] = "canceled";
        lookahead.forget(instance.key);
        await emit({ type: "step-canceled", ...base(instance) });
      }
      notStarted = 0;
      ready.clear();
      readyAhead.clear();
    }
    while (running.size < limit && ready.size + readyAhead.size > 0) {
      const instance = instances[
        (readyAhead.size > 0 ? readyAhead.pop() : ready.pop()) as number
      ] as StepInstance;
      const key = instance.key;
      notStarted--;
      const blocked = (waitsFor.get(key) ?? []).find((d) => !good(d));
      if (blocked) {
        summary.steps[key] = "skipped";
        lookahead.forget(key);
        await emit({
          type: "step-skipped",
          ...base(instance),
          reason: `upstream step ${blocked} did not succeed`,
        });
        settle(key);
        continue;
      }
      const task = runInstance(instance).then(
        () => done(key),
        async (error: Error) => {
          summary.steps[key] = "failed";
          await emit({ type: "step-failed", ...base(instance), attempt: 0, error: error.message });
          done(key);
        },
      );
      running.set(key, task);
    }
    if (running.size === 0) {
      if (notStarted <= 0) break;
      // Nothing runs and nothing can start: fail loudly rather than spin.
      if (ready.size + readyAhead.size === 0)
        throw new Error(`internal: ${notStarted} steps can never start (a cycle at run time)`);
      continue;
    }
    if (!woken) await new Promise<void>((resolve) => (wake = resolve));
    wake = undefined;
  }
  lookahead.forgetAll();
  while (removals.size > 0) await Promise.all(removals);

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
        if (digests.every((d) => d && "digest" in d)) {
          const files = digests as Array<{ digest: string; name?: string }>;
          const names = files.map((d) => d.name ?? null);
          return {
            digests: files.map((d) => d.digest),
            ...(names.some((name) => name !== null) ? { names } : {}),
          };
        }
        return { json: `[${digests.map((d) => (d as { json: string }).json).join(",")}]` };
      }
      const same = instance ? sameIteration(upstream, instance) : undefined;
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
    const { key, components } = cacheKey(
      step,
      inputs,
      variableComponents(step, variables, runtime.variables),
    );
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
    // Built with pathInside: a step id that names a place outside the work folder is refused,
    // never cleaned up (the loader already refuses such an id; this is the second line).
    const workDir = pathInside(
      options.workRoot,
      options.runId,
      `${instance.key.replace(/[[\]]/g, "_")}-${attempt}`,
    );
    rmSync(workDir, { recursive: true, force: true });
    const inDir = join(workDir, "in");
    const outDir = join(workDir, "out");
    mkdirSync(workDir, { recursive: true });
    mkdirSync(outDir);
    if (step.inputs.some((input) => inputs[input.name] && !("json" in (inputs[input.name] as StoredValue))))
      mkdirSync(inDir);
    try {
      const taskInputs: Record<string, TaskInput> = {};
      const inputPaths = new Map<string, StoredValue>();
      for (const input of step.inputs) {
        const value = inputs[input.name];
        if (!value) continue;
        if ("json" in value) {
          taskInputs[input.name] = { kind: "value", value: JSON.parse(value.json) };
        } else if ("digest" in value) {
          // A file reaches the step under its own name, in a folder of the input's name
          // (`in/raw/wine.csv`); a directory is that folder.
          const path = value.directory
            ? pathInside(inDir, input.name)
            : pathInside(inDir, input.name, fileName(instance, input.name, value.name));
          await blobs.materialize(value.digest, path);
          inputPaths.set(path, value);
          taskInputs[input.name] = { kind: "artifact", path, directory: value.directory };
        } else {
          const paths: string[] = [];
          for (const [i, digest] of value.digests.entries()) {
            const name = value.names?.[i];
            const path =
              typeof name === "string"
                ? pathInside(inDir, input.name, String(i), fileName(instance, input.name, name))
                : pathInside(inDir, input.name, String(i));
            mkdirSync(join(inDir, input.name), { recursive: true });
            await blobs.materialize(digest, path);
            inputPaths.set(path, { digest, directory: statSync(path).isDirectory() });
            paths.push(path);
          }
          taskInputs[input.name] = { kind: "artifacts", paths };
        }
      }
      Object.assign(taskInputs, writeInputFiles(taskInputs, inDir));
      const taskOutputs: Record<string, TaskOutput> = {};
      for (const output of step.outputs) {
        const path = pathInside(outDir, output.name);
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
      const declared = declaredValues(step, variables.values);
      if (Object.keys(declared).length) task.variables = declared;
      const attemptAbort = new AbortController();
      const onCancel = () => attemptAbort.abort("canceled");
      cancel.signal.addEventListener("abort", onCancel);
      // Canceled while its inputs were copied in: the listener came too late to hear it.
      if (cancel.signal.aborted) onCancel();
      // The timeout counts from the attempt's start: at once, or when a queued runtime says so.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const startClock = () => {
        if (step.timeoutMs && !timer && !attemptAbort.signal.aborted)
          timer = setTimeout(() => attemptAbort.abort("timeout"), step.timeoutMs);
      };
      if (!runtime.queued) startClock();
      let result: AttemptResult;
      try {
        const execution = runtime.execute(task, {
          signal: attemptAbort.signal,
          log: (stream, text) => void emit({ type: "step-log", ...base(instance), attempt, stream, text }),
          started: startClock,
        });
        // After execute() was called: a runtime queues what comes next behind this attempt.
        lookahead.executed(instance.key);
        result = await execution;
      } finally {
        lookahead.ended(instance.key);
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
      // Two outputs may be one file: once moved into the store, it is found here. One inside
      // another's folder is copied, so that moving either leaves the other in place.
      const stored = new Map<string, StoredValue>();
      const artifactPaths = step.outputs
        .filter((o) => taskOutputs[o.name]?.kind === "artifact")
        .map((o) => result.returned[o.name] ?? (taskOutputs[o.name] as TaskOutput).path);
      const nested = (path: string) =>
        artifactPaths.some((other) => other.startsWith(path + sep) || path.startsWith(other + sep));
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
        const reused = stored.get(path);
        if (reused) {
          outputs[output.name] = reused;
          continue;
        }
        // An input handed back as an output is hashed as the step left it, like any output: the
        // step's copy of an input is its own to change, and the input's digest may no longer fit.
        if (!inputPaths.has(path) && !within(path, outDir)) {
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
        // The attempt's folder is removed next, so the store may take the bytes as they are.
        const move = !nested(path);
        // A file keeps the name it was written or handed back under (an input passed through keeps
        // its dataset's `wine.csv`), and the next step finds it under that name.
        const name = basename(path);
        const value: StoredValue = directory
          ? { digest: await blobs.putDirectory(path, { move }), directory }
          : {
              digest: await blobs.putFile(path, { move }),
              directory,
              ...(fileNameProblem(name) ? {} : { name }),
            };
        outputs[output.name] = value;
        stored.set(path, value);
      }
      return { status: "succeeded", outputs, metrics: readMetrics(task.metricsFile) };
    } finally {
      removeLater(workDir);
    }
  }
}

/**
 * The name a file input is materialised under: its recorded name, checked (a record is data, and a
 * name from it becomes a path), or the input's name for a file recorded without one.
 */
function fileName(instance: StepInstance, input: string, name: string | undefined): string {
  if (name === undefined) return input;
  const problem = fileNameProblem(name);
  if (problem) {
    throw new Error(
      `step ${instance.key}: input \`${input}\` is recorded under the file name ${JSON.stringify(name).slice(0, 80)}, which ${problem}; ` +
        "the store's record was edited or damaged: run again with --regenerate",
    );
  }
  return name;
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
