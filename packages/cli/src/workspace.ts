import { existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { compile, formatDiagnostic, hasErrors } from "@canal/compiler";
import { ARTIFACT_FILES } from "@canal/ir";
import { openWorkspace, type Workspace } from "@canal/store";
import type { Io } from "./io.js";

/** A failure already explained to the user: print nothing more, exit with this status. */
export class Reported extends Error {
  constructor(readonly status: number) {
    super("reported");
  }
}

export async function withWorkspace<T>(io: Io, use: (workspace: Workspace) => Promise<T>): Promise<T> {
  const workspace = openWorkspace(io.cwd);
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
  _workspace: Workspace,
  pipelineName?: string,
): Promise<string> {
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
  const result = await compile({ entries: [path], cwd: io.cwd });
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
