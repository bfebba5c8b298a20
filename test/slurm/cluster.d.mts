/** A one-node Slurm cluster (slurmctld + slurmd, munge) started for tests, as ../shared/RECIPES.md shows. */
export interface SlurmCluster {
  root: string;
  /** The environment the Slurm commands need (SLURM_CONF). */
  env: NodeJS.ProcessEnv;
  /**
   * Stops slurmctld by its PID (SIGTERM, as a service restart does: it saves its state) and starts
   * it again; it recovers its jobs from the state directory.
   */
  restartController(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Installs Slurm and munge if missing and starts a one-node cluster in a scratch root, with two
 * stand-in GPUs (character devices made by mknod) behind GRES. Fails loudly when it cannot.
 */
export function startSlurmCluster(): Promise<SlurmCluster>;

/** Slurm job ids of jobs named `name` that are pending or running. */
export function jobsNamed(env: NodeJS.ProcessEnv, name: string): string[];
