import { existsSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { FileDigests, type Pipeline, pathInside, relativePathProblem } from "@canal/ir";
import type { Workspace } from "@canal/store";

export interface SourceChange {
  /** Relative to the project root, as the artifact records it. */
  path: string;
  change: "changed" | "deleted";
}

export interface StaleSources {
  /** The project root the artifact's sources were found under, on this machine. */
  root: string;
  /** The entry file relative to it, to recompile from. */
  entry: string;
  changes: SourceChange[];
}

/**
 * Where the artifact's project is on this machine: the first of the folder above the artifact's
 * output folder (`canal-out/NAME` or `--out DIR/NAME`), the workspace root and the folders above
 * it, that holds the artifact's entry file. None when the sources are not here (an artifact
 * compiled elsewhere and copied in).
 */
function projectRoot(
  pipeline: Pipeline,
  artifactDir: string,
  workspace: Workspace,
): { root: string; besideArtifact: boolean } | undefined {
  const entry = pipeline.source?.entry;
  if (!entry || relativePathProblem(entry)) return undefined;
  const candidates = [dirname(dirname(resolve(artifactDir)))];
  for (let dir = resolve(workspace.root); ; dir = dirname(dir)) {
    candidates.push(dir);
    if (dirname(dir) === dir) break;
  }
  const found = candidates.findIndex((dir) => existsSync(join(dir, ...entry.split("/"))));
  return found < 0 ? undefined : { root: candidates[found] as string, besideArtifact: found === 0 };
}

const journals = new Map<string, FileDigests>();

/**
 * The source files of a compiled artifact that changed in this workspace since it was compiled
 * (`SourceInfo.files`), or undefined when none did or the sources are not here (found only
 * through the workspace with no recorded file as it was, the folder is another project's). Cheap on an
 * unchanged tree: each file is stat'ed and found in a journal of files known to hold their
 * digest (by inode, size and times); only a file whose stat moved is hashed again.
 */
export function changedSources(
  pipeline: Pipeline,
  artifactDir: string,
  workspace: Workspace,
): StaleSources | undefined {
  const files = pipeline.source?.files ?? [];
  if (files.length === 0) return undefined;
  const project = projectRoot(pipeline, artifactDir, workspace);
  if (!project) return undefined;
  const { root } = project;
  const cache = workspace.config.folders.cache;
  let digests = journals.get(cache);
  if (!digests) {
    mkdirSync(cache, { recursive: true });
    digests = new FileDigests(join(cache, "sources.verified"));
    journals.set(cache, digests);
  }
  const changes: SourceChange[] = [];
  for (const file of files) {
    // Paths were checked when the artifact was verified; pathInside refuses any that leaves root.
    const path = pathInside(root, ...file.path.split("/"));
    if (digests.matches(path, file.sha256)) continue;
    changes.push({ path: file.path, change: existsSync(path) ? "changed" : "deleted" });
  }
  if (changes.length === 0) return undefined;
  // Found through the workspace rather than beside the artifact, with not one file as it was
  // compiled: another project that has a file of the entry's name (a folder the artifact was
  // copied into, with a pipeline of its own), not this one's sources.
  if (!project.besideArtifact && changes.length === files.length) return undefined;
  return { root, entry: pipeline.source?.entry as string, changes };
}
