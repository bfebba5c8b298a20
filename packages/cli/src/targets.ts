import { type Pipeline, readArtifact } from "@canal/ir";
import { type PreparedTargets, prepareTargets } from "@canal/runner";
import type { Workspace } from "@canal/store";
import { UsageError } from "./io.js";
import { runtimes } from "./runtimes.js";

/** The options `canal run` and `canal rerun` share for choosing where steps run. */
export const targetOptions = {
  target: { type: "string" },
  profile: { type: "string" },
} as const;

export const targetHelp = `  --target NAME            run every step on this target of canal.config.json
  --profile NAME           use this profile's targets (default: $CANAL_PROFILE, else "default")
`;

/**
 * Chooses the targets for a run of the artifact in a directory (or of its pipeline, read already)
 * and checks every step against them, before anything is recorded or started.
 */
export async function targetsFor(
  workspace: Workspace,
  pipelineOrArtifact: string | Pipeline,
  values: { target?: string | undefined; profile?: string | undefined },
  maxParallel?: number,
): Promise<PreparedTargets> {
  if (values.target !== undefined && values.profile !== undefined) {
    throw new UsageError(
      "--target and --profile both choose where steps run; pass one (--target sends every step to one target)",
    );
  }
  const pipeline =
    typeof pipelineOrArtifact === "string" ? readArtifact(pipelineOrArtifact).pipeline : pipelineOrArtifact;
  return prepareTargets(workspace, pipeline, runtimes, {
    ...(values.target !== undefined ? { target: values.target } : {}),
    ...(values.profile !== undefined ? { profile: values.profile } : {}),
    ...(maxParallel !== undefined ? { maxParallel } : {}),
  });
}
