import { existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { openWorkspace, type Workspace } from "@canal/store";
import { type Io, Reported } from "./io.js";

export { Reported } from "./io.js";

export async function withWorkspace<T>(io: Io, use: (workspace: Workspace) => Promise<T>): Promise<T> {
  const workspace = await openWorkspace(io.cwd);
  try {
    return await use(workspace);
  } finally {
    await workspace.close();
  }
}

/**
 * The artifact to run: a compiled artifact directory as it is, or an entry file compiled first,
 * into canal-out/ as `canal compile` writes it, so a later `canal run canal-out/NAME` runs what
 * this run ran. Compile errors are printed like `canal compile` does.
 */
export async function artifactFor(
  target: string,
  io: Io,
  workspace: Workspace,
  pipelineName?: string,
): Promise<string> {
  const { ARTIFACT_FILES } = await import("@canal/ir");
  const path = resolve(io.cwd, target);
  const isArtifact =
    existsSync(path) &&
    (statSync(path).isDirectory()
      ? existsSync(join(path, ARTIFACT_FILES.ir))
      : path.endsWith(ARTIFACT_FILES.ir));
  if (isArtifact) return statSync(path).isDirectory() ? path : resolve(path, "..");
  if (!existsSync(path)) {
    throw new Error(
      `${target} does not exist; pass a pipeline entry file (pipeline.ts) or a compiled artifact directory`,
    );
  }
  // The compiler (TypeScript, esbuild) loads only when there is an entry file to compile.
  const { compile, formatDiagnostic, hasErrors } = await import("@canal/compiler");
  // Unchanged sources take the artifact of the last compile (the compile cache checks every file
  // that compile read) without loading TypeScript.
  const result = await compile({
    entries: [path],
    cwd: io.cwd,
    cacheDir: join(workspace.config.folders.cache, "compile"),
  });
  for (const diagnostic of result.diagnostics)
    io.stderr(`${formatDiagnostic(diagnostic, result.projectRoot)}\n\n`);
  if (hasErrors(result)) {
    io.stderr("canal run: the pipeline does not compile; nothing ran\n");
    throw new Reported(1);
  }
  const chosen = pipelineName
    ? result.pipelines.find((p) => p.pipeline.name === pipelineName)
    : result.pipelines.length === 1
      ? result.pipelines[0]
      : undefined;
  if (!chosen?.dir) {
    const names = result.pipelines.map((p) => p.pipeline.name).join(", ");
    throw new Error(
      pipelineName
        ? `${target} has no pipeline named ${pipelineName}; it has ${names}`
        : `${target} has several pipelines (${names}); pick one with --pipeline NAME`,
    );
  }
  return chosen.dir;
}
