// The part of a step that moves its own bytes (a task with `blobs`): where the step runs, its
// inputs are fetched from the shared blob store before it starts and its outputs stored there once
// it succeeded, so that the process driving the run reads none of them. Used by the wrapper a
// runtime runs in the step's container or job; the store is the run's own blob store kind, opened
// there from `task.blobs.place` with the step's own credentials.
import { statSync } from "node:fs";
import { join } from "node:path";
import { collectOutputs, type OutputStore } from "./collect.js";
import type { AttemptResult, StepTask } from "./contract.js";
import type { Materializer } from "./staging.js";
import { tableInputProblem } from "./table-check.js";

/** The blob store as a step uses it: fetch (verified) and store. */
export type StepBlobStore = Materializer & OutputStore;

/** Blobs fetched at once: enough to hide round trips, few enough for a small container. */
const PARALLEL = 4;

/** Failures that another attempt cannot mend: the object is not there, or not what its name says. */
const FOR_GOOD = new Set([
  "CANAL_STORE_BLOB_MISSING",
  "CANAL_STORE_BLOB_CORRUPT",
  "CANAL_STORE_INVALID_DIGEST",
]);

/** The input whose staged path `path` is (or is under), for messages. */
function inputAt(task: StepTask, path: string): string {
  for (const [name, input] of Object.entries(task.inputs)) {
    if (input.kind === "artifact" && input.path === path) return name;
    if (input.kind === "artifacts" && input.paths.includes(path)) return name;
  }
  return "?";
}

/**
 * Fetches every blob of `task.blobs` to its path, each verified against its digest as it streams.
 * Returns a failed result naming the input and the object, or undefined once all are there.
 */
export async function fetchInputs(task: StepTask, store: Materializer): Promise<AttemptResult | undefined> {
  const pending = [...(task.blobs?.fetch ?? [])];
  let failure: AttemptResult | undefined;
  const worker = async () => {
    for (let next = pending.shift(); next && !failure; next = pending.shift()) {
      try {
        await store.materialize(next.digest, next.path);
      } catch (error) {
        const code = (error as { code?: string }).code ?? "";
        // The step reaches the store from where it runs, which is not where the driver does.
        const where =
          code === "CANAL_STORE_UNREACHABLE"
            ? " (the step reaches the store from where it runs: on docker, the target's `network` must reach the endpoint)"
            : "";
        failure ??= {
          status: "failed",
          error: `step ${task.stepKey}: input \`${inputAt(task, next.path)}\` (sha256:${next.digest}) could not be fetched from the artifact store: ${(error as Error).message}${where}`,
          retryable: !FOR_GOOD.has(code),
        };
      }
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  return failure;
}

/**
 * Stores what a succeeded attempt left into the blob store: every output as collected for any
 * runtime (the same checks: under the output folder, written, values as JSON), reported in
 * `stored`, with each file's size in `sizes`.
 */
export async function storeOutputs(
  task: StepTask,
  result: Extract<AttemptResult, { status: "succeeded" }>,
  store: OutputStore,
): Promise<AttemptResult> {
  const inputPaths = new Set((task.blobs?.fetch ?? []).map((entry) => entry.path));
  // Measured before storing: a store may take a file by moving it.
  const measured: Record<string, number> = {};
  for (const [name, target] of Object.entries(task.outputs)) {
    if (target.kind !== "artifact") continue;
    const info = statSync(result.returned[name] ?? target.path, { throwIfNoEntry: false });
    if (info?.isFile()) measured[name] = info.size;
  }
  let collected: Awaited<ReturnType<typeof collectOutputs>>;
  try {
    collected = await collectOutputs(
      {
        stepKey: task.stepKey,
        step: task.step,
        targets: task.outputs,
        outDir: join(task.workDir, "out"),
        inputPaths,
        values: result.values,
        returned: result.returned,
      },
      store,
    );
  } catch (error) {
    const code = (error as { code?: string }).code ?? "";
    return {
      status: "failed",
      error: `step ${task.stepKey}: its outputs could not be stored in the artifact store: ${(error as Error).message}`,
      // A file that cannot be stored (a link out of its folder) stays so; a server that failed may not.
      retryable: code !== "CANAL_STORE_UNSUPPORTED_FILE",
    };
  }
  if (collected.status === "failed") return collected;
  const sizes: Record<string, number> = {};
  for (const [name, value] of Object.entries(collected.outputs)) {
    const size = measured[name];
    if ("digest" in value && !value.directory && size !== undefined) sizes[name] = size;
  }
  return { ...result, stored: collected.outputs, sizes };
}

/** One attempt that moves its own bytes: inputs fetched, `run` run, outputs stored. */
export async function withStepBlobs(
  task: StepTask,
  store: StepBlobStore,
  run: () => Promise<AttemptResult>,
): Promise<AttemptResult> {
  const failed = await fetchInputs(task, store);
  if (failed) return failed;
  // As where the driver stages the inputs: a table without a declared column fails before the command.
  const tableProblem = await tableInputProblem(task.stepKey, task.step, task.inputs);
  if (tableProblem) return { status: "failed", error: tableProblem, retryable: false };
  const result = await run();
  if (result.status !== "succeeded") return result;
  return storeOutputs(task, result, store);
}
