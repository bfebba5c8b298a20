import type { Condition, Pipeline, Step } from "@canal/ir";
import { PlanError } from "./errors.js";

/** One execution of a step: the step itself, or one iteration of its fan-out. */
export interface StepInstance {
  step: Step;
  /** Index in the fan-out, -1 when the step is not under one. */
  index: number;
  /** "train" or "train[2]". */
  key: string;
  /** The fan-out's item for this iteration. */
  item?: unknown;
}

/** An instance's key: the step id, or "train[2]" for the third iteration of its fan-out. */
export function instanceKey(stepId: string, index: number): string {
  return index < 0 ? stepId : `${stepId}[${index}]`;
}

/** The step id and fan-out index a key names; index -1 for a step not under a fan-out. */
export function parseInstanceKey(key: string): { stepId: string; index: number } {
  const match = /^(.*)\[(\d+)\]$/.exec(key);
  return match ? { stepId: match[1] as string, index: Number(match[2]) } : { stepId: key, index: -1 };
}

/** The value at `path` inside `value`; a missing field is an error that names `where`. */
export function valueAt(value: unknown, path: string[] | undefined, where: string): unknown {
  let current = value;
  for (const key of path ?? []) {
    if (current === null || typeof current !== "object" || !(key in current)) {
      throw new PlanError(`${where}: the value has no field \`${key}\``);
    }
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

function holds(condition: Condition, parameters: Record<string, unknown>): boolean {
  const value = valueAt(
    parameters[condition.parameter],
    condition.path,
    `condition on ${condition.parameter}`,
  );
  const other = condition.valueJson ? JSON.parse(condition.valueJson) : undefined;
  switch (condition.op) {
    case "TRUTHY":
      return Boolean(value);
    case "FALSY":
      return !value;
    case "EQ":
      return JSON.stringify(value) === JSON.stringify(other);
    case "NE":
      return JSON.stringify(value) !== JSON.stringify(other);
    case "LT":
      return (value as number) < other;
    case "LE":
      return (value as number) <= other;
    case "GT":
      return (value as number) > other;
    case "GE":
      return (value as number) >= other;
  }
}

/**
 * Expands the pipeline for given parameter values: one instance per step, or per item of its
 * fan-out; steps whose conditions do not hold are left out (`skipped`).
 */
export function planInstances(
  pipeline: Pipeline,
  parameters: Record<string, unknown>,
): { instances: StepInstance[]; skipped: Step[] } {
  const fanOuts = new Map((pipeline.fanOuts ?? []).map((f) => [f.id, f]));
  const instances: StepInstance[] = [];
  const skipped: Step[] = [];
  for (const step of pipeline.steps) {
    if (!(step.conditions ?? []).every((c) => holds(c, parameters))) {
      skipped.push(step);
      continue;
    }
    const fanOut = step.fanOut ? fanOuts.get(step.fanOut) : undefined;
    if (!fanOut) {
      instances.push({ step, index: -1, key: instanceKey(step.id, -1) });
      continue;
    }
    const source = "parameter" in fanOut ? parameters[fanOut.parameter] : JSON.parse(fanOut.literalJson);
    const items = valueAt(source, fanOut.parameterPath, `fan-out of step ${step.id}`);
    if (!Array.isArray(items)) {
      throw new PlanError(
        `step ${step.id} fans out over ${"parameter" in fanOut ? `parameter ${fanOut.parameter}` : "a literal"}, which is not an array`,
      );
    }
    for (const [index, item] of items.entries())
      instances.push({ step, index, key: instanceKey(step.id, index), item });
  }
  return { instances, skipped };
}
