import { CanalError, type Problem, problemsMessage } from "@canal/ir";

/** An experiment name that the store could not keep as a name (the rules of names in an IR). */
export class ExperimentNameError extends CanalError<"CANAL_EXPERIMENT_NAME_INVALID"> {
  override name = "ExperimentNameError";
  constructor(message: string) {
    super("CANAL_EXPERIMENT_NAME_INVALID", message);
  }
}

/** Another `canal gc` holds the workspace's gc lock. */
export class GcBusyError extends CanalError<"CANAL_GC_BUSY"> {
  override name = "GcBusyError";
  constructor(message: string) {
    super("CANAL_GC_BUSY", message);
  }
}

/** `canal exec` asked for a step, an index or an input the artifact or the run directory does not have. */
export class ExecError extends CanalError<"CANAL_EXEC_INVALID"> {
  override name = "ExecError";
  constructor(message: string) {
    super("CANAL_EXEC_INVALID", message);
  }
}

export type RerunErrorCode = "CANAL_RERUN_STEP_UNKNOWN";

/** A rerun that cannot be made: the step named is not in the run's pipeline. */
export class RerunError extends CanalError<RerunErrorCode> {
  override name = "RerunError";
  constructor(message: string) {
    super("CANAL_RERUN_STEP_UNKNOWN", message);
  }
}

export type TargetErrorCode =
  | "CANAL_TARGET_UNKNOWN"
  | "CANAL_TARGET_UNSATISFIED"
  | "CANAL_TARGET_RUNTIME_UNAVAILABLE";

/**
 * A run that cannot start on the chosen targets. `problems` holds each one, as the message lists
 * them: its `path` is `steps.NAME` for a step a target cannot serve, `targets.NAME` or
 * `profiles.NAME` for a target or profile that is missing or cannot be used.
 */
export class TargetError extends CanalError<TargetErrorCode> {
  override name = "TargetError";
  constructor(code: TargetErrorCode, problems: readonly Problem[], heading?: string) {
    super(code, problemsMessage(problems, heading), { problems });
  }
}

export type PushErrorCode = "CANAL_PUSH_TARGET_INVALID" | "CANAL_PUSH_SAME_WORKSPACE";

/** `canal workspace push --to CONFIG` names no team workspace, or the workspace it pushes from. */
export class PushError extends CanalError<PushErrorCode> {
  override name = "PushError";
}

export type MountErrorCode =
  | "CANAL_MOUNT_FILE_CHANGED"
  | "CANAL_MOUNT_CACHE_FULL"
  | "CANAL_MOUNT_UNSUPPORTED";

/**
 * Data read in place (access `mount`) that cannot be: a file whose bytes are not those recorded,
 * or a file the mount cache cannot hold.
 */
export class MountError extends CanalError<MountErrorCode> {
  override name = "MountError";
}
