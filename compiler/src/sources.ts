import { statSync } from "node:fs";
import { isAbsolute, relative, resolve, sep } from "node:path";
import { type HashedFile, hashFile, type Pipeline } from "@canal/ir";
import type { Project } from "ts-morph";
import type { Lockfile } from "./lockfile.js";
import type { PipelineModel } from "./model.js";
import { realpath, snapshotDirectory } from "./snapshot.js";

/**
 * The files of the project a pipeline was compiled from, with the sha256 of their bytes as they
 * were (`SourceInfo.files`): the TypeScript sources the compile read, every file a step's code
 * identity covers (script folders, local modules, hashPaths), the files the pipeline names
 * (requirements, dataset defaults), and the lockfile.
 * Only files inside the project root, by their '/'-separated path relative to it, so the artifact
 * stays portable; installed packages are left out (the lockfile stands for them). Recorded so
 * that a run of the artifact can tell which of them changed since (`canal run` warns).
 */
export function sourceFiles(
  pipeline: Pipeline,
  model: PipelineModel,
  ctx: { project: Project; projectRoot: string; lockfile: Lockfile },
): HashedFile[] {
  const root = realpath(ctx.projectRoot);
  const absolute = new Set<string>();
  for (const file of ctx.project.getSourceFiles()) absolute.add(file.getFilePath());
  for (const step of pipeline.steps) {
    for (const file of step.codeFiles ?? []) {
      if (file.path.startsWith("npm:")) continue;
      // "pipeline.ts#Iris.train": the step's own code, in that file.
      absolute.add(resolve(root, file.path.split("#")[0] as string));
    }
  }
  // Requirements files and the like; a folder's files are among the steps' code files already.
  for (const path of model.pathsRead ?? []) absolute.add(path);
  for (const path of model.datasetDefaults.values()) {
    if (!statSync(path).isDirectory()) absolute.add(path);
    else for (const file of snapshotDirectory(path, ctx.projectRoot).files) absolute.add(file.absolute);
  }
  if (ctx.lockfile.path) absolute.add(ctx.lockfile.path);
  const files = new Map<string, string>();
  for (const path of absolute) {
    let real: string;
    try {
      real = realpath(path);
      if (!statSync(real).isFile()) continue;
    } catch {
      continue;
    }
    const rel = relative(root, real);
    if (rel === "" || rel.startsWith("..") || isAbsolute(rel) || rel.split(sep).includes("node_modules"))
      continue;
    files.set(rel.split(sep).join("/"), hashFile(real));
  }
  return [...files]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([path, sha256]) => ({ path, sha256 }));
}
