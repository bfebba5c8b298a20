import { CanalError, type Problem, problemsMessage } from "@canal/ir/errors";

/** Every error the store raises carries one of these codes; scripts match on the code, never the text. */
export type StoreErrorCode =
  | "CANAL_STORE_RUN_NOT_FOUND"
  | "CANAL_STORE_STEP_RUN_NOT_FOUND"
  | "CANAL_STORE_PIPELINE_VERSION_NOT_FOUND"
  | "CANAL_STORE_INVALID_RECORD"
  | "CANAL_STORE_SCHEMA_TOO_NEW"
  | "CANAL_STORE_OPEN_FAILED"
  | "CANAL_STORE_LOCKED"
  | "CANAL_STORE_DAMAGED"
  | "CANAL_STORE_PATH_INVALID"
  | "CANAL_STORE_INVALID_DIGEST"
  | "CANAL_STORE_BLOB_MISSING"
  | "CANAL_STORE_BLOB_CORRUPT"
  | "CANAL_STORE_UNSUPPORTED_FILE"
  | "CANAL_STORE_DESTINATION_EXISTS"
  | "CANAL_STORE_CONFIG_INVALID"
  | "CANAL_STORE_WORKSPACE_EXISTS"
  // A remote blob store (S3): the endpoint cannot be reached, the bucket is not there, the
  // credentials are refused, or another failure it reported.
  | "CANAL_STORE_UNREACHABLE"
  | "CANAL_STORE_BUCKET_MISSING"
  | "CANAL_STORE_ACCESS_DENIED"
  | "CANAL_STORE_REMOTE_FAILED"
  // A remote store's credentials: a variable the config names is not set, or none were found.
  | "CANAL_STORE_CREDENTIALS_MISSING"
  // Datastores and datasets (docs/data.md).
  | "CANAL_STORE_DATASTORE_UNKNOWN"
  | "CANAL_STORE_DATASTORE_PATH_ESCAPE"
  | "CANAL_STORE_DATASTORE_NO_MATCH"
  | "CANAL_STORE_DATASTORE_FILE_MISSING"
  | "CANAL_STORE_DATASET_NOT_FOUND"
  | "CANAL_STORE_DATASET_VERSION_NOT_FOUND"
  | "CANAL_STORE_DATASET_FILE_CHANGED"
  | "CANAL_STORE_TABLE_FORMAT_UNKNOWN"
  | "CANAL_STORE_TABLE_SCHEMA_INVALID"
  | "CANAL_STORE_TABLE_SCHEMA_MISMATCH"
  // Schedules of `canal serve` (docs/server.md).
  | "CANAL_STORE_SCHEDULE_EXISTS";

/** What the metadata store, the blob store and the workspace config refuse. */
export class StoreError extends CanalError<StoreErrorCode> {
  override name = "StoreError";
}

export class RunNotFoundError extends StoreError {
  constructor(
    readonly runId: string,
    location: string,
  ) {
    super(
      "CANAL_STORE_RUN_NOT_FOUND",
      `no run \`${runId}\` in workspace ${location}; \`canal runs\` lists them`,
    );
    this.name = "RunNotFoundError";
  }
}

export class StepRunNotFoundError extends StoreError {
  /** `step` names it as a user would ("train", "train[2]"), or by id when the run is not known. */
  constructor(runId: string | undefined, step: string, location: string) {
    super(
      "CANAL_STORE_STEP_RUN_NOT_FOUND",
      runId === undefined
        ? `no step run ${step} in workspace ${location}; \`canal runs show <run>\` lists the steps of a run`
        : `run \`${runId}\` has no step \`${step}\` in workspace ${location}; ` +
            `\`canal runs show ${runId}\` lists its steps`,
    );
    this.name = "StepRunNotFoundError";
  }
}

export class BlobMissingError extends StoreError {
  constructor(
    readonly digest: string,
    root: string,
  ) {
    super(
      "CANAL_STORE_BLOB_MISSING",
      `artifact sha256:${digest} is not in the artifact store ${root}; re-run the step that produced it ` +
        "(`canal run --regenerate` rebuilds every output)",
    );
    this.name = "BlobMissingError";
  }
}

export class BlobCorruptError extends StoreError {
  constructor(
    readonly digest: string,
    readonly path: string,
    actual: string,
  ) {
    super(
      "CANAL_STORE_BLOB_CORRUPT",
      `artifact sha256:${digest} at ${path} is corrupt: its content hashes to sha256:${actual}; ` +
        "it is never used as it is: the step that produced it runs again on the next `canal run`, which rewrites it",
    );
    this.name = "BlobCorruptError";
  }
}

export function invalidDigest(digest: string): StoreError {
  return new StoreError(
    "CANAL_STORE_INVALID_DIGEST",
    `\`${digest}\` is not an artifact digest: expected 64 lowercase hex characters (a sha256)`,
  );
}

const DIGEST = /^[0-9a-f]{64}$/;

/** Digests become file names, so anything else (a path, `..`) is refused before it reaches the disk. */
export function checkDigest(digest: string): string {
  if (!DIGEST.test(digest)) throw invalidDigest(digest);
  return digest;
}

/**
 * A step run created "cached" with its values names the key the cache answered it under (the step
 * run it reused is found by it); a key and values are what only such a step run is created with.
 * One created "cached" with neither is ended later by finishStepRun, as `canal push` copies one.
 */
export function checkNewStepRun(stepRun: {
  stepId: string;
  status?: string;
  cacheKey?: string;
  inputs?: object;
  outputs?: object;
}): void {
  if (stepRun.status === "cached" && !stepRun.cacheKey && (stepRun.inputs || stepRun.outputs)) {
    throw new StoreError(
      "CANAL_STORE_INVALID_RECORD",
      `step run \`${stepRun.stepId}\` is created cached without the cache key it was found under; pass \`cacheKey\``,
    );
  }
  if (stepRun.status !== "cached" && (stepRun.cacheKey || stepRun.inputs || stepRun.outputs)) {
    throw new StoreError(
      "CANAL_STORE_INVALID_RECORD",
      `step run \`${stepRun.stepId}\` is created ${stepRun.status ?? "queued"} with a cache key or values; only a step run created cached has them at creation, the others get them from finishStepRun`,
    );
  }
}

/**
 * A cache entry is made by a step run that ran: one the cache answered reused another's entry, and
 * is not found among a step's step runs when its entries are listed.
 */
export function checkEntryMaker(stepRun: { id: number; stepId: string; status: string }): void {
  if (stepRun.status === "cached") {
    throw new StoreError(
      "CANAL_STORE_INVALID_RECORD",
      `step run #${stepRun.id} (\`${stepRun.stepId}\`) was answered by the cache and made no cache entry; give the step run whose outputs the entry holds`,
    );
  }
}

/** A problem written as "`key`: what is wrong; the fix", as data: the key is its path. */
function configProblem(text: string): Problem {
  const path = /^`([^`]+)`:/.exec(text)?.[1] ?? "";
  const split = text.indexOf("; ");
  return split < 0
    ? { path, message: text }
    : { path, message: text.slice(0, split), hint: text.slice(split + 2) };
}

/** canal.config.json (or another config file) that cannot be used: each problem names its key. */
export class ConfigError extends StoreError {
  override name = "ConfigError";
  constructor(
    readonly file: string,
    problems: readonly (string | Problem)[],
  ) {
    const listed = problems.map((p) => (typeof p === "string" ? configProblem(p) : p));
    super("CANAL_STORE_CONFIG_INVALID", problemsMessage(listed, `${file} is invalid:`), { problems: listed });
  }
}
