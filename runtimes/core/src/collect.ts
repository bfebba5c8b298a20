import { lstatSync, readFileSync, realpathSync, statSync } from "node:fs";
import { basename, join, sep } from "node:path";
import { fileNameProblem, type Step } from "@canal/ir";
import { isArtifactType } from "./bindings.js";
import { type StoredValue, valueJson } from "./cache-key.js";
import type { TaskOutput } from "./contract.js";
import type { Metric } from "./events.js";

/** Where collected outputs go: content-addressed, and may take a file it is given rather than copy it. */
export interface OutputStore {
  /** `move`: the file is the caller's to give up; the store may rename it in rather than copy it. */
  putFile(path: string, options?: { move?: boolean }): Promise<string>;
  putDirectory(path: string, options?: { move?: boolean }): Promise<string>;
}

/** Where a step stored its outputs itself: their objects are looked up, never read. */
export interface OutputAdopter {
  /** The blob's size when it is there (a HEAD, no bytes read), undefined when not. */
  adopt(digest: string, kind: "file" | "directory"): Promise<{ size: number } | undefined>;
}

export type Collected =
  | { status: "succeeded"; outputs: Record<string, StoredValue> }
  | { status: "failed"; error: string; retryable: boolean };

/** What a succeeded attempt left, for {@link collectOutputs}. */
export interface AttemptOutputs {
  stepKey: string;
  step: Step;
  targets: Record<string, TaskOutput>;
  /** The attempt's output folder: an artifact must be under it, or be one of its staged inputs. */
  outDir: string;
  /** Paths of the staged inputs (an input handed back as an output). */
  inputPaths: ReadonlySet<string> | ReadonlyMap<string, unknown>;
  /** The runtime's result: value outputs, and the path each artifact output was returned with. */
  values: Record<string, unknown>;
  returned: Record<string, string>;
}

/**
 * Turns what a succeeded attempt wrote into stored values: value outputs as canonical JSON,
 * artifacts moved into the blob store. An artifact outside the output folder (a link out, a
 * returned path elsewhere) or one never written fails the attempt, not retryable.
 */
export async function collectOutputs(attempt: AttemptOutputs, store: OutputStore): Promise<Collected> {
  const { stepKey, step, targets, outDir, inputPaths, values, returned } = attempt;
  const outputs: Record<string, StoredValue> = {};
  // Two outputs may be one file: once moved into the store, it is found here. One inside
  // another's folder is copied, so that moving either leaves the other in place.
  const stored = new Map<string, StoredValue>();
  const artifactPaths = step.outputs
    .filter((o) => targets[o.name]?.kind === "artifact")
    .map((o) => returned[o.name] ?? (targets[o.name] as TaskOutput).path);
  const nested = (path: string) =>
    artifactPaths.some((other) => other.startsWith(path + sep) || path.startsWith(other + sep));
  for (const output of step.outputs) {
    const target = targets[output.name] as TaskOutput;
    if (target.kind === "value") {
      if (output.name in values) outputs[output.name] = valueJson(values[output.name]);
      else {
        try {
          outputs[output.name] = valueJson(JSON.parse(readFileSync(target.path, "utf8")));
        } catch {
          return {
            status: "failed",
            error: `step ${stepKey} did not write its value output \`${output.name}\` as JSON to ${target.path}`,
            retryable: false,
          };
        }
      }
      continue;
    }
    const path = returned[output.name] ?? target.path;
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
        error: `step ${stepKey} output \`${output.name}\` is at ${path}, outside its output folder ${outDir}; write outputs under context().outputPath("${output.name}")`,
        retryable: false,
      };
    }
    let stats: ReturnType<typeof statSync>;
    try {
      stats = statSync(path);
    } catch {
      return {
        status: "failed",
        error: `step ${stepKey} did not write its output \`${output.name}\` (expected at ${path})`,
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
      ? { digest: await store.putDirectory(path, { move }), directory }
      : {
          digest: await store.putFile(path, { move }),
          directory,
          ...(fileNameProblem(name) ? {} : { name }),
        };
    outputs[output.name] = value;
    stored.set(path, value);
  }
  return { status: "succeeded", outputs };
}

const DIGEST = /^[0-9a-f]{64}$/;

/**
 * The outputs a step that moved its own bytes reported (`stored`, `sizes`), each artifact found
 * in the shared store (and a file of the size reported) before it is trusted: a report that names
 * no object, or one of another size, fails the attempt (retryable: the step can store it again).
 */
export async function adoptOutputs(
  stepKey: string,
  step: Step,
  reported: { stored?: Record<string, StoredValue>; sizes?: Record<string, number> },
  store: OutputAdopter,
): Promise<Collected> {
  const outputs: Record<string, StoredValue> = {};
  const fail = (error: string, retryable: boolean) =>
    ({ status: "failed", error: `step ${stepKey}: ${error}`, retryable }) as Collected;
  for (const output of step.outputs) {
    const value = reported.stored?.[output.name];
    if (!value) return fail(`it did not report its output \`${output.name}\``, false);
    if (!isArtifactType(output.type)) {
      if (!("json" in value) || typeof value.json !== "string")
        return fail(`its value output \`${output.name}\` was reported without its JSON`, false);
      try {
        outputs[output.name] = valueJson(JSON.parse(value.json));
      } catch {
        return fail(`its output \`${output.name}\` was reported as a value that is not JSON`, false);
      }
      continue;
    }
    if (!("digest" in value) || typeof value.digest !== "string" || !DIGEST.test(value.digest))
      return fail(`its output \`${output.name}\` was reported without a sha256 digest`, false);
    const kind = value.directory === true ? "directory" : "file";
    const found = await store.adopt(value.digest, kind);
    if (!found) {
      return fail(
        `its output \`${output.name}\` was reported stored as sha256:${value.digest}, but the artifact store has no such ${kind}; the attempt is retried`,
        true,
      );
    }
    const size = reported.sizes?.[output.name];
    if (kind === "file" && size !== undefined && size !== found.size) {
      return fail(
        `its output \`${output.name}\` (sha256:${value.digest}) is ${found.size} bytes in the artifact store, not the ${size} bytes the step wrote; the attempt is retried`,
        true,
      );
    }
    const name = typeof value.name === "string" && !fileNameProblem(value.name) ? value.name : undefined;
    outputs[output.name] =
      kind === "directory"
        ? { digest: value.digest, directory: true }
        : { digest: value.digest, directory: false, ...(name ? { name } : {}) };
  }
  return { status: "succeeded", outputs };
}

/** Whether `path` is inside `root`, no symbolic link on the way leading out of it. */
export function within(path: string, root: string): boolean {
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

/** The metrics a step appended, one JSON object per line; a torn or foreign line is left out. */
export function readMetrics(file: string): Metric[] {
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
