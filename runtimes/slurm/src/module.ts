import { askRuntime, type RuntimeModule } from "@canal/runtime-core";
import { z } from "zod";

const settings = z.strictObject({
  partition: z.string().min(1).optional(),
  account: z.string().min(1).optional(),
  /** The GRES name GPUs are requested under (`--gres=gpu:2`). */
  gres: z.string().min(1).optional(),
  /** A directory every node sees: the artifact, inputs and outputs travel through it. */
  sharedDir: z.string().min(1),
  /** The cluster's slurm.conf, for Slurm's commands run from here; default SLURM_CONF, else Slurm's own. */
  slurmConf: z.string().min(1).optional(),
  /** Whether the nodes reach the workspace's S3 endpoint (then jobs move their own bytes); default true. */
  nodesReachStore: z.boolean().optional(),
});

/** A slurm target's own settings in canal.config.json. */
export type SlurmSettings = z.infer<typeof settings>;

const create: RuntimeModule<SlurmSettings>["create"] = async (target, { maxParallel, canalDir, runKeys }) => {
  const { SlurmRuntime } = await import("./slurm-runtime.js");
  const { sharedDir, partition, account, gres, slurmConf, nodesReachStore } = target.settings;
  const bound = target.maxParallel ?? maxParallel;
  return new SlurmRuntime({
    sharedDir,
    // Each run's key is kept in the store: what a cancel of a run whose driver was killed ends, from
    // any checkout (see endRun); the previous version's key files are read from the state folder.
    ...(runKeys ? { runKeys } : {}),
    stateDir: canalDir,
    partition,
    account,
    gres,
    gpus: target.gpus,
    ...(nodesReachStore !== undefined ? { nodesReachStore } : {}),
    ...(slurmConf !== undefined ? { env: { ...process.env, SLURM_CONF: slurmConf } } : {}),
    ...(bound !== undefined ? { maxParallel: bound } : {}),
  });
};

/** The Slurm runtime as Canal uses it: targets of kind "slurm", jobs of an existing cluster. */
export const slurmRuntime: RuntimeModule<SlurmSettings> = {
  kind: "slurm",
  settings,
  onThisMachine: false,
  describe: ({ settings: s }) =>
    `Slurm jobs in partition ${s.partition ?? "(the cluster's default)"}${s.account ? `, account ${s.account}` : ""}, shared directory ${s.sharedDir}${s.slurmConf ? `, configuration ${s.slurmConf}` : ""}`,
  create,
  ...askRuntime(create),
};
