import { canonicalHash } from "./canonical.js";
import type { Environment, Pipeline, Step } from "./types.js";

/**
 * A step's content hash: what the step computes, independent of where it sits in a pipeline.
 * It covers the step's code identity (code_hash), its environment, its interface (input and output
 * names and types), the names of the variables it reads (`passEnv`; their values enter the cache
 * key) and what it runs: a script step's command and snapshot, a TypeScript step's bundle and
 * export. Where its inputs come from, its resources,
 * retries, timeout and reuse policy are left out: they do not change what a run produces, and the
 * inputs enter the cache key as their content hashes at run time.
 */
export function stepHash(step: Step): string {
  const content: Partial<Step> = {
    name: step.name,
    kind: step.kind,
    codeHash: step.codeHash,
    inputs: step.inputs.map(
      (input) => ({ name: input.name, type: input.type, optional: input.optional }) as Step["inputs"][number],
    ),
    outputs: step.outputs,
    environment: step.environment,
  };
  if (step.passEnv?.length) content.passEnv = step.passEnv;
  // What the step runs is named here as well as in code_hash, so that a step hash recomputed from
  // the IR alone (when an artifact is loaded) covers it: the script's command and source snapshot,
  // the TypeScript step's bundle (its own, holding only the code its code_hash covers) and export.
  // Not the source path as written, which moving the folder changes.
  if (step.script)
    content.script = { command: step.script.command, snapshot: step.script.snapshot, source: "" };
  if (step.code)
    content.code = {
      bundle: step.code.bundle,
      exportName: step.code.exportName,
      member: step.code.member ?? "",
    };
  return canonicalHash("Step", content);
}

/** An environment's id: the hash of everything that defines it. */
export function environmentId(environment: Omit<Environment, "id">): string {
  return canonicalHash("Environment", { ...environment, id: "" });
}

const notVersionIdentity = new Set(["hash", "location", "source", "compilerVersion", "description"]);

/**
 * The pipeline's hash, its version identity: every step (with its hash), binding, parameter,
 * environment and blob; not where the source lives, its git state, comments or the compiler build.
 */
export function pipelineHash(pipeline: Pipeline): string {
  return canonicalHash("Pipeline", pipeline, { exclude: (_type, field) => notVersionIdentity.has(field) });
}
