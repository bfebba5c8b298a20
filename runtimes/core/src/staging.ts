import { mkdirSync, rmdirSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { fileNameProblem, type MountSource, pathInside, type Step } from "@canal/ir";
import { isArtifactType, isDirectoryType } from "./bindings.js";
import type { StoredValue } from "./cache-key.js";
import type { TaskInput, TaskOutput } from "./contract.js";
import { writeInputFiles } from "./large-values.js";

/** The bytes staging reads: a digest materialised at a path (a verified copy the step may change). */
export interface Materializer {
  materialize(digest: string, destination: string): Promise<void>;
  /**
   * Data read in place (access `mount`): its files put at `destination` (a folder of them, or the
   * one file) without copying their bytes, each verified against its digest first. Absent: this
   * store cannot, and a mounted input fails the step.
   */
  mount?(source: MountSource, destination: string, directory: boolean): Promise<MountedInput>;
}

/** A mounted input: once the step ended, `changed` says what of it changed meanwhile, if anything. */
export interface MountedInput {
  changed(): Promise<string | undefined>;
}

/** A step's inputs as it receives them, and which stored value each staged path holds. */
export interface StagedInputs {
  inputs: Record<string, TaskInput>;
  /** Path -> the digest materialised there: an input handed back as an output is no escape. */
  paths: Map<string, string>;
  /** The inputs read in place, by name: checked once the step ended. */
  mounted: Map<string, MountedInput>;
}

/** Folders of the attempt made before staging (see FoldersAhead). */
export interface StagingOptions {
  /** `in/` is there. */
  inMade?: boolean;
  /** `in/<input>/` is there, empty, for these inputs. */
  inputsMade?: readonly string[];
  /**
   * Files left in those folders (see MadeAhead.files): the input staged at one of these paths is
   * written over the file there, and any other is removed first.
   */
  filesMade?: readonly string[];
  /**
   * Whether the materializer puts a file input into a folder it makes (`in/<input>/`); false for
   * one that only plans where each input goes (a step that fetches its own): folders made ahead
   * for file inputs are taken away again.
   */
  inputFolders?: boolean;
}

/**
 * Puts an instance's inputs where its step reads them, under `inDir`: a file under its own name in
 * a folder of the input's name (`in/raw/wine.csv`), a directory as that folder, a fan-in as one
 * numbered entry per item; values stay values (in a file when too large for the environment).
 */
export async function stageInputs(
  stepKey: string,
  step: Step,
  values: Record<string, StoredValue>,
  inDir: string,
  blobs: Materializer,
  options: StagingOptions = {},
): Promise<StagedInputs> {
  // Folders made ahead from the step's input types: the step sees in/ and in/<input>/ exactly
  // where an input is staged as files, as when they are made here.
  const { inMade = false, inputsMade = [], inputFolders = true, filesMade = [] } = options;
  /** Where an input of one artifact goes: its folder for a directory, else its file in its folder. */
  const artifactPath = (input: string, value: { directory: boolean; name?: string }) =>
    value.directory
      ? pathInside(inDir, input)
      : pathInside(inDir, input, fileName(stepKey, input, value.name));
  if (filesMade.length > 0) {
    const targets = new Set<string>();
    for (const input of step.inputs) {
      const value = values[input.name];
      if (inputFolders && value && "digest" in value && !value.directory && !value.mount)
        targets.add(artifactPath(input.name, value));
    }
    for (const file of filesMade) if (!targets.has(file)) unlinkSync(file);
  }
  for (const name of inputsMade) {
    const value = values[name];
    if (!inputFolders || !value || !("digest" in value) || value.directory || value.mount)
      rmdirSync(pathInside(inDir, name));
  }
  const needed = step.inputs.some(
    (input) => values[input.name] && !("json" in (values[input.name] as StoredValue)),
  );
  if (needed && !inMade) mkdirSync(inDir);
  else if (!needed && inMade) rmdirSync(inDir);
  const inputs: Record<string, TaskInput> = {};
  const paths = new Map<string, string>();
  const mounted = new Map<string, MountedInput>();
  for (const input of step.inputs) {
    const value = values[input.name];
    if (!value) continue;
    if ("json" in value) {
      inputs[input.name] = { kind: "value", value: JSON.parse(value.json) };
    } else if ("digest" in value) {
      const path = artifactPath(input.name, value);
      if (value.mount) {
        if (!blobs.mount)
          throw new Error(
            `step ${stepKey}: input \`${input.name}\` is read in place (access "mount"), which this runtime cannot do; read it with access "download"`,
          );
        mounted.set(input.name, await blobs.mount(value.mount, path, value.directory));
      } else {
        await blobs.materialize(value.digest, path);
        paths.set(path, value.digest);
      }
      inputs[input.name] = {
        kind: "artifact",
        path,
        directory: value.directory,
        ...(value.dataset ? { dataset: value.dataset } : {}),
      };
    } else {
      const list: string[] = [];
      for (const [i, digest] of value.digests.entries()) {
        const name = value.names?.[i];
        const path =
          typeof name === "string"
            ? pathInside(inDir, input.name, String(i), fileName(stepKey, input.name, name))
            : pathInside(inDir, input.name, String(i));
        mkdirSync(join(inDir, input.name), { recursive: true });
        await blobs.materialize(digest, path);
        paths.set(path, digest);
        list.push(path);
      }
      inputs[input.name] = { kind: "artifacts", paths: list };
    }
  }
  Object.assign(inputs, writeInputFiles(inputs, inDir));
  return { inputs, paths, mounted };
}

/**
 * Where a step writes each output (`pathOf(name)`): a fresh empty folder for a Directory, else a
 * file path; an artifact's bytes are taken from there, a value is read from it as JSON.
 */
export function outputTargets(step: Step, pathOf: (output: string) => string): Record<string, TaskOutput> {
  const targets: Record<string, TaskOutput> = {};
  for (const output of step.outputs) {
    const path = pathOf(output.name);
    const directory = isDirectoryType(output.type);
    if (directory) mkdirSync(path);
    targets[output.name] = { kind: isArtifactType(output.type) ? "artifact" : "value", path, directory };
  }
  return targets;
}

/**
 * The name a file input is materialised under: its recorded name, checked (a record is data, and a
 * name from it becomes a path), or the input's name for a file recorded without one.
 */
export function fileName(stepKey: string, input: string, name: string | undefined): string {
  if (name === undefined) return input;
  const problem = fileNameProblem(name);
  if (problem) {
    throw new Error(
      `step ${stepKey}: input \`${input}\` is recorded under the file name ${JSON.stringify(name).slice(0, 80)}, which ${problem}; ` +
        "the store's record was edited or damaged: run again with --regenerate",
    );
  }
  return name;
}
