import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { pathInside, type Step } from "@canal/ir";
import { isArtifactType, isDirectoryType } from "./bindings.js";
import { dropSnapshotAhead, materializeSnapshotAhead } from "./materialize.js";
import type { StepInstance } from "./plan.js";

/**
 * The scratch folder of an instance's attempt: `<workRoot>/<runId>/<key>-<attempt>`, a fan-out
 * item's `train[2]` as `train@2` (no step id holds an `@`, so no two keys share a folder: with `_`
 * for the brackets, a step named `train_2_` took `train[2]`'s folder from under it). Built with
 * pathInside: a step id that names a place outside the work folder is refused, never cleaned up
 * (the loader already refuses such an id; this is the second line).
 */
export function attemptFolder(workRoot: string, runId: string, key: string, attempt: number): string {
  return pathInside(workRoot, runId, `${key.replace(/\[/g, "@").replace(/\]/g, "")}-${attempt}`);
}

/** Whether a step's attempt gets an `in/` folder: it has an input of artifacts, staged as files. */
export const takesFiles = (step: Step): boolean => step.inputs.some((input) => isArtifactType(input.type));

/**
 * The inputs whose folder `in/<input>/` is made ahead: those typed as one file (not a directory,
 * not a list), which are staged as `in/<input>/<file name>`.
 */
export const fileInputs = (step: Step): string[] =>
  step.inputs
    .filter((input) => "artifact" in input.type && !isDirectoryType(input.type))
    .map((input) => input.name);

/** What was made ahead in an attempt's folder: the folder and `out/` always. */
export interface MadeAhead {
  /** `in/` was made (the step has an artifact input). */
  in: boolean;
  /** The inputs whose (empty) folder under `in/` was made. */
  inputs: string[];
  /**
   * Files left in those folders by the folder's last attempt (see RecycledFolders), each written
   * over by the input of its name, or removed by the staging.
   */
  files?: string[];
}

/** What {@link FoldersAhead} needs of the run. */
export interface FoldersAheadOptions {
  workRoot: string;
  runId: string;
  artifactDir: string;
  /** At most this many folders are held ahead at once. */
  limit: number;
  /** A folder made ahead and not used: removed now or later, as the run likes. */
  release(dir: string): void;
  /** A finished folder of `step`'s shape, recycled to `dir` (see RecycledFolders); undefined if none. */
  reuse?(step: Step, dir: string): MadeAhead | undefined;
}

/**
 * First attempts' scratch folders made before they are needed: while a step's command runs, the
 * instances that wait only on it get their folder, `out/`, `in/` and (for a script step) the
 * source snapshot, none of which depends on the step's outputs. On a chain that takes the folder's
 * system calls off the critical path. A folder is used only by the attempt it was made for (a
 * retry's folder has another name and is made afresh, as it always was); one whose instance ends
 * without that attempt (cached, skipped, canceled) is released.
 */
export class FoldersAhead {
  private readonly made = new Map<string, { dir: string; made: MadeAhead; snapshot?: string }>();
  private closed = false;

  constructor(private readonly options: FoldersAheadOptions) {}

  /** Whether `key`'s first attempt has its folder made. */
  has(key: string): boolean {
    return this.made.has(key);
  }

  /** Makes the folder of `instance`'s first attempt, unless the bound is reached; false if not made. */
  make(instance: StepInstance): boolean {
    const { key, step } = instance;
    if (this.closed || this.made.has(key) || this.made.size >= this.options.limit) return false;
    const { workRoot, runId, artifactDir } = this.options;
    let dir: string | undefined;
    try {
      // Inside the try: this runs on a turn of its own, where a throw would end the process; a
      // key refused here is refused again at its attempt, as that step's failure.
      dir = attemptFolder(workRoot, runId, key, 1);
      const reused = this.options.reuse?.(step, dir);
      if (reused) {
        const source = step.kind === "SCRIPT" && step.script?.snapshot ? { snapshot: join(dir, "src") } : {};
        this.made.set(key, { dir, made: reused, ...source });
        return true;
      }
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      mkdirSync(join(dir, "out"));
      const made: MadeAhead = { in: takesFiles(step), inputs: fileInputs(step) };
      if (made.in) mkdirSync(join(dir, "in"));
      for (const input of made.inputs) mkdirSync(pathInside(join(dir, "in"), input));
      let snapshot: string | undefined;
      if (step.kind === "SCRIPT" && step.script?.snapshot) {
        snapshot = join(dir, "src");
        materializeSnapshotAhead(artifactDir, step.script.snapshot, snapshot);
      }
      this.made.set(key, { dir, made, ...(snapshot ? { snapshot } : {}) });
      return true;
    } catch {
      // Made as the attempt starts instead, where a failure is reported. Removed now, not
      // released: a removal left to run later could take the folder the attempt makes at this
      // very path. One that fails here is tried again by the attempt, which reports it.
      try {
        if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
      } catch {}
      return false;
    }
  }

  /** The folder made ahead for `key`'s attempt `attempt` at `dir`, now the attempt's own; undefined if none. */
  take(key: string, attempt: number, dir: string): MadeAhead | undefined {
    const held = this.made.get(key);
    if (!held || attempt !== 1 || held.dir !== dir) return undefined;
    this.made.delete(key);
    return held.made;
  }

  /** `key` ended: a folder still held for it was never used, and goes. */
  forget(key: string): void {
    const held = this.made.get(key);
    if (!held) return;
    this.made.delete(key);
    if (held.snapshot) dropSnapshotAhead(held.snapshot);
    this.options.release(held.dir);
  }

  /** The run ended: no folder held is used. */
  forgetAll(): void {
    this.closed = true;
    for (const key of [...this.made.keys()]) this.forget(key);
  }
}
