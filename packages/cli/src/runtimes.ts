import { RuntimeRegistry } from "@canal/runner";
import { dockerRuntime } from "@canal/runtime-docker/module";
import { localRuntime } from "@canal/runtime-local/module";
import { slurmRuntime } from "@canal/runtime-slurm/module";

/**
 * The runtimes this build ships: one line each. Each module loads its runtime only when a target of
 * its kind is used, so a local run never loads the Docker client (dockerode, ssh2, grpc).
 */
export const runtimes = new RuntimeRegistry([localRuntime, dockerRuntime, slurmRuntime]);
