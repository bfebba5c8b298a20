import type { RunKeyRecords } from "@canal/runtime-core";
import type { SubmitSettings } from "./batch-script.js";

export interface SlurmRuntimeOptions extends SubmitSettings {
  /**
   * A directory every node sees (and this process): the artifact is staged there, and each job's
   * script, task, logs and Python environments live there. The workspace's store and work
   * directories must be on a shared filesystem too, since jobs read inputs and write outputs there.
   */
  sharedDir: string;
  /**
   * The workspace's metadata store, where each run's key is kept from before its first job is
   * submitted until its jobs and folder are ended, so that cancelling a run whose driver was killed,
   * from any checkout sharing the store, ends its own jobs and no other workspace's run of the same
   * id (see `RunKeys`).
   */
  runKeys?: RunKeyRecords;
  /**
   * The workspace's state folder (`folders.state`, not shared): the previous version kept each
   * run's key there in `slurm-runs/<run id>`, read still for the runs it started; without
   * `runKeys`, keys are kept there. Without either, keys are kept in this process only, and a
   * runtime built later finds none.
   */
  stateDir?: string;
  /** Jobs in the queue at once for one run; default 32. */
  maxParallel?: number;
  /** How often job state is read while a job runs; default 100 ms (`sbatch --wait` waits 2 s; the exit file, checked every 10 ms, usually tells first). */
  pollIntervalMs?: number;
  /** How long slurmctld may be unreachable (a restart) before the attempt fails; default 60 s. */
  controllerGraceMs?: number;
  /**
   * Where the Slurm commands' environment (SLURM_CONF, PATH) is taken from; default this process's.
   * Only Slurm's own settings and the variables that say where things are are kept (see
   * `slurmEnvironment`): sbatch hands its environment to the job, and slurmctld saves it.
   */
  env?: NodeJS.ProcessEnv;
  /** Node on the compute nodes, for TypeScript steps; default the one running Canal (same path everywhere). */
  nodePath?: string;
  /** Keep each job's files in the shared directory after it ended (for debugging). */
  keepJobFiles?: boolean;
  /** GPUs one step may ask for, as the target declares: what {@link SlurmRuntime.check} looks for in the GRES. */
  gpus?: number;
  /**
   * Whether the compute nodes reach the workspace's S3 endpoint; default true. Then each job
   * fetches its step's inputs from the bucket and stores its outputs there itself, and the driver
   * moves none of their bytes (see {@link SlurmRuntime.movesBlobs}); false: the driver stages them
   * through the shared directory, and the bucket's credentials never reach the nodes.
   */
  nodesReachStore?: boolean;
}

/** How many jobs this runtime submitted, and how many of them were queued ahead and then used. */
export interface SlurmRuntimeStats {
  submitted: number;
  queuedAhead: number;
  usedAhead: number;
}
