import { readArtifact } from "@canal/ir";
import { type PreparedTargets, prepareTargets, runtimeRegistry } from "@canal/runner";
import type { Workspace } from "@canal/store";
import { UsageError } from "./io.js";

// The runtimes this build ships, each loaded only when a run uses a target of its kind: a local
// run never loads the Docker client (dockerode, ssh2, grpc).
runtimeRegistry.register("local", async (target, { cacheDir, maxParallel }) => {
  const { LocalRuntime } = await import("@canal/runtime-local");
  const bound = target.maxParallel ?? maxParallel;
  return new LocalRuntime({
    cacheDir,
    ...(bound !== undefined ? { maxParallel: bound } : {}),
  });
});

runtimeRegistry.register("docker", async (target, { maxParallel }) => {
  if (target.config.kind !== "docker") throw new Error(`target ${target.name} is not a docker target`);
  const { DockerRuntime } = await import("@canal/runtime-docker");
  const { socket, image, network, binds, env, user } = target.config;
  const bound = target.maxParallel ?? maxParallel;
  return new DockerRuntime({
    ...(socket !== undefined ? { socket } : {}),
    ...(image !== undefined ? { image } : {}),
    ...(network !== undefined ? { network } : {}),
    ...(binds !== undefined ? { binds } : {}),
    ...(env !== undefined ? { env } : {}),
    ...(user !== undefined ? { user } : {}),
    ...(bound !== undefined ? { maxParallel: bound } : {}),
  });
});

runtimeRegistry.register("slurm", async (target, { maxParallel }) => {
  if (target.config.kind !== "slurm") throw new Error(`target ${target.name} is not a slurm target`);
  const { SlurmRuntime } = await import("@canal/runtime-slurm");
  const { sharedDir, partition, account, gres, slurmConf } = target.config;
  const bound = target.maxParallel ?? maxParallel;
  return new SlurmRuntime({
    sharedDir,
    partition,
    account,
    gres,
    gpus: target.gpus,
    ...(slurmConf !== undefined ? { env: { ...process.env, SLURM_CONF: slurmConf } } : {}),
    ...(bound !== undefined ? { maxParallel: bound } : {}),
  });
});

/** The options `canal run` and `canal rerun` share for choosing where steps run. */
export const targetOptions = {
  target: { type: "string" },
  profile: { type: "string" },
} as const;

export const targetHelp = `  --target NAME            run every step on this target of canal.config.json
  --profile NAME           use this profile's targets (default: $CANAL_PROFILE, else "default")
`;

/**
 * Chooses the targets for a run of the artifact in `artifactDir` and checks every step against
 * them, before anything is recorded or started.
 */
export async function targetsFor(
  workspace: Workspace,
  artifactDir: string,
  values: { target?: string | undefined; profile?: string | undefined },
  maxParallel?: number,
): Promise<PreparedTargets> {
  if (values.target !== undefined && values.profile !== undefined) {
    throw new UsageError(
      "--target and --profile both choose where steps run; pass one (--target sends every step to one target)",
    );
  }
  const pipeline = readArtifact(artifactDir).pipeline;
  return prepareTargets(workspace, pipeline, {
    ...(values.target !== undefined ? { target: values.target } : {}),
    ...(values.profile !== undefined ? { profile: values.profile } : {}),
    ...(maxParallel !== undefined ? { maxParallel } : {}),
  });
}
