import type { Binding, Step, Type } from "@canal/ir";
import { type StoredValue, valueJson } from "./cache-key.js";
import { type StepInstance, valueAt } from "./plan.js";

/**
 * Where a step input's value comes from, for `canal run` (the orchestrator, from stored values) and
 * `canal exec` (one step, from a run directory) alike: one rule for fan-out iterations, one for
 * parameters, literals and fan-out items.
 */

/** A Directory (or a subtype): the step gets a folder, and writes one. */
export const isDirectoryType = (type: Type): boolean =>
  "artifact" in type && type.artifact.lineage.includes("Directory");

/** An artifact or a list of them: bytes in the blob store, reaching a step as paths. */
export const isArtifactType = (type: Type): boolean =>
  "artifact" in type || ("list" in type && isArtifactType(type.list.element));

/** A run's instances by step id, each list in plan order. */
export function instancesByStep(instances: StepInstance[]): Map<string, StepInstance[]> {
  const byStep = new Map<string, StepInstance[]>();
  for (const instance of instances) {
    const list = byStep.get(instance.step.id);
    if (list) list.push(instance);
    else byStep.set(instance.step.id, [instance]);
  }
  return byStep;
}

/** The fan-out rule: an instance reads the same iteration of an upstream under the same fan-out. */
export function sameIteration(upstream: StepInstance, instance: StepInstance): boolean {
  return (
    upstream.index === instance.index &&
    Boolean(upstream.step.fanOut) &&
    upstream.step.fanOut === instance.step.fanOut
  );
}

/**
 * The instance of `upstream` (one step's instances) that is the same iteration as `instance`, if
 * any. A step's instances are planned in index order, so it is found by position: a search of the
 * list for every instance would make a fan-out of n items feeding another cost n² at 100,000 items.
 */
export function sameIterationOf(upstream: StepInstance[], instance: StepInstance): StepInstance | undefined {
  if (!instance.step.fanOut || instance.index < 0) return undefined;
  const at = upstream[instance.index];
  if (at && sameIteration(at, instance)) return at;
  return upstream.find((u) => sameIteration(u, instance));
}

/** The upstream instance a single-output binding reads: the same iteration, else the only one. */
export function upstreamInstance(
  upstream: StepInstance[],
  instance: StepInstance | undefined,
): StepInstance | undefined {
  return (instance && sameIterationOf(upstream, instance)) ?? upstream[0];
}

/** What a binding depends on: instance keys of upstream steps, for scheduling. */
export function upstreamKeys(
  binding: Binding,
  instance: StepInstance,
  byStep: Map<string, StepInstance[]>,
): string[] {
  if ("output" in binding && binding.output) {
    const upstream = byStep.get(binding.output.step) ?? [];
    const same = sameIterationOf(upstream, instance);
    return same ? [same.key] : upstream.map((u) => u.key);
  }
  if ("collect" in binding && binding.collect)
    return (byStep.get(binding.collect.step) ?? []).map((u) => u.key);
  return [];
}

/** The value of a binding that does not read a step output. */
export function staticValue(
  binding: Binding,
  instance: StepInstance,
  parameters: Record<string, unknown>,
): { found: true; value: unknown } | { found: false } {
  const where = `step ${instance.key}`;
  if ("parameter" in binding && binding.parameter) {
    return { found: true, value: valueAt(parameters[binding.parameter], binding.path, where) };
  }
  if ("literalJson" in binding && binding.literalJson !== undefined) {
    return { found: true, value: valueAt(JSON.parse(binding.literalJson), binding.path, where) };
  }
  if ("fanOutItem" in binding && binding.fanOutItem)
    return { found: true, value: valueAt(instance.item, binding.path, where) };
  return { found: false };
}

/** What a run knows that bindings read. */
export interface BindingPlan {
  byStep: Map<string, StepInstance[]>;
  /** Parameter values, defaults applied. */
  parameters: Record<string, unknown>;
  /** Whether a parameter is an artifact (a path or a stored value) rather than a value. */
  isArtifactParameter(name: string): boolean;
}

/** Where one binding's value comes from. */
export type BindingOrigin =
  /** One upstream instance's output (`key` undefined: the upstream has no instance in this run). */
  | { kind: "output"; step: string; key: string | undefined; output: string; path?: string[] }
  /** A fan-in: the output of every instance of the upstream, in plan order. */
  | { kind: "collect"; step: string; keys: string[]; output: string }
  | { kind: "artifact-parameter"; name: string }
  | { kind: "value"; value: unknown }
  | { kind: "none" };

/**
 * Where `binding` reads from for `instance`; without an instance (a pipeline output) only step
 * outputs and artifact parameters have a value.
 */
export function bindingOrigin(
  binding: Binding,
  instance: StepInstance | undefined,
  plan: BindingPlan,
): BindingOrigin {
  if ("output" in binding && binding.output) {
    const { step, output } = binding.output;
    const key = upstreamInstance(plan.byStep.get(step) ?? [], instance)?.key;
    return { kind: "output", step, key, output, ...(binding.path?.length ? { path: binding.path } : {}) };
  }
  if ("collect" in binding && binding.collect) {
    const { step, output } = binding.collect;
    return { kind: "collect", step, keys: (plan.byStep.get(step) ?? []).map((u) => u.key), output };
  }
  if ("parameter" in binding && binding.parameter && plan.isArtifactParameter(binding.parameter))
    return { kind: "artifact-parameter", name: binding.parameter };
  if (!instance) return { kind: "none" };
  const value = staticValue(binding, instance, plan.parameters);
  return value.found ? { kind: "value", value: value.value } : { kind: "none" };
}

/** The field a binding reads of a value output (`stats.accuracy`), or the whole value. */
export function outputField(value: unknown, origin: Extract<BindingOrigin, { kind: "output" }>): unknown {
  return valueAt(value, origin.path, `output \`${origin.output}\` of step ${origin.key}`);
}

/** The stored outputs of finished instances, by instance key. */
export type Results = (key: string) => Record<string, StoredValue> | undefined;

/** A binding's value as the store keeps it, or undefined when it has none (yet). */
export function storedValue(
  origin: BindingOrigin,
  results: Results,
  artifactParameters: Record<string, StoredValue>,
): StoredValue | undefined {
  switch (origin.kind) {
    case "output": {
      const value = origin.key === undefined ? undefined : results(origin.key)?.[origin.output];
      // A field of a value output (`stats.accuracy`); an artifact has no fields.
      if (value && "json" in value && origin.path)
        return valueJson(outputField(JSON.parse(value.json), origin));
      return value;
    }
    case "collect": {
      const values = origin.keys.map((key) => results(key)?.[origin.output]);
      if (values.some((d) => !d)) return undefined;
      if (values.every((d) => d && "digest" in d)) {
        const files = values as Array<{ digest: string; name?: string }>;
        const names = files.map((d) => d.name ?? null);
        return {
          digests: files.map((d) => d.digest),
          ...(names.some((name) => name !== null) ? { names } : {}),
        };
      }
      return { json: `[${values.map((d) => (d as { json: string }).json).join(",")}]` };
    }
    case "artifact-parameter":
      return artifactParameters[origin.name];
    case "value":
      return valueJson(origin.value);
    case "none":
      return undefined;
  }
}

/** An instance's inputs as stored values; an input that is not optional must have one. */
export function resolveInputs(
  instance: StepInstance,
  plan: BindingPlan,
  results: Results,
  artifactParameters: Record<string, StoredValue>,
): Record<string, StoredValue> {
  const inputs: Record<string, StoredValue> = {};
  for (const input of instance.step.inputs) {
    const value = storedValue(bindingOrigin(input.binding, instance, plan), results, artifactParameters);
    if (value) inputs[input.name] = value;
    else if (!input.optional) throw new Error(`step ${instance.key}: input \`${input.name}\` has no value`);
  }
  return inputs;
}

/** The type of a step's output, as declared in the IR. */
export function outputType(steps: Step[], step: string, output: string): Type | undefined {
  return steps.find((s) => s.id === step)?.outputs.find((o) => o.name === output)?.type;
}
