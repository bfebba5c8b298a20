// The words a run is described in: what the orchestrator reports, the store keeps and the CLI and
// UI show. Defined here, in the one package both the compiler and the runtimes import, so that the
// runtimes, the store and the CLI exchange one shape of each (not copies that drift apart).

/**
 * A step input or output as a run records it: an artifact by digest, a list of artifacts (fan-in),
 * or canonical JSON. A file carries its name (`wine.csv`), under which a step finds it; a list the
 * names of its files (in order; null for a directory). A name is data from the record, checked
 * (`fileNameProblem`) before it becomes a path.
 */
/** The files a step reads in place from a datastore (access `mount`), each with the content it must have. */
export interface MountSource {
  datastore: string;
  /**
   * Each file: its path in the datastore, where the step finds it (below the input's folder, or
   * "" for an input that is one file), and its sha256 and size.
   */
  files: Array<{ path: string; at: string; sha256: string; size: number }>;
}

/** A registered dataset's version, as a step that reads it is told (AzureML `Run.input_datasets`). */
export interface DatasetOrigin {
  name: string;
  version: number;
}

export type StoredValue =
  | {
      digest: string;
      directory: boolean;
      name?: string;
      /** The registered dataset version it is (a parameter read from one): what the step is told, not part of its key. */
      dataset?: DatasetOrigin;
      /**
       * Read in place (access `mount`): the files are not in the blob store but in their datastore,
       * each verified against its digest before a step reads it. `digest` is still the content's
       * (what a download would have stored), so the cache key is the same either way.
       */
      mount?: MountSource;
    }
  | { digests: string[]; names?: Array<string | null> }
  | { json: string };

/**
 * What a cache key is made of, kept with each cache entry and step run so that a miss can be
 * explained field by field.
 */
export interface CacheKeyComponents {
  stepHash: string;
  /** The hash over the step's code: its bundle, or its script's source snapshot. */
  codeHash: string;
  /** The files the code hash covers, each with its digest. */
  codeFiles: Array<{ path: string; sha256: string }>;
  /** The environment id. */
  environment: string;
  /**
   * Input name -> "sha256:<digest>", "[sha256:…, …]" or the canonical JSON of a value; a file's
   * name follows its digest: `sha256:<digest> as "wine.csv"`.
   */
  inputs: Record<string, string>;
  /**
   * Environment variables the step reads (its `passEnv`, and a runtime's own): name -> a keyed
   * digest of the value ("hmac-sha256:…"), or "unset". Never a value. Absent when there are none.
   */
  variables?: Record<string, string>;
}

/** One value a step logged (`ctx.log`, the Python helper's `log_metric`). */
export interface Metric {
  name: string;
  /** NaN and ±Infinity are kept as they are: losses do diverge. */
  value: number | string;
}

/** A run's state: waiting, running, or one of its ends. */
export type RunStatus = "queued" | "running" | "succeeded" | "failed" | "canceled";
/** How a run ended. */
export type RunOutcome = Extract<RunStatus, "succeeded" | "failed" | "canceled">;
/** A step instance's state in a run. */
export type StepRunStatus = "queued" | "running" | "cached" | "succeeded" | "failed" | "skipped" | "canceled";
/** How a step instance ended. */
export type StepOutcome = Exclude<StepRunStatus, "queued" | "running">;
/** One attempt's state. */
export type AttemptStatus = "running" | "succeeded" | "failed" | "canceled";

/**
 * Where a shared blob store is, as a step that moves its own bytes reaches it: an S3 bucket and
 * the key prefix its blobs are under (`PREFIX sha256/ab/cdef…`, `PREFIX directories/ab/cdef…`).
 * Never credentials: those come from the step's own environment (the standard AWS variables).
 */
export interface BlobPlace {
  kind: "s3";
  bucket: string;
  /** "" or ending in "/". */
  prefix: string;
  /** An S3-compatible server's URL; absent for AWS itself. */
  endpoint?: string;
  region?: string;
  forcePathStyle?: boolean;
}

/**
 * A blob store that steps reach themselves (an S3 bucket): where it is, their access to it, and
 * the driver's check of what they stored in it.
 */
export interface SharedBlobs {
  place: BlobPlace;
  /**
   * The variables that let a step reach it (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
   * AWS_SESSION_TOKEN): secrets, for the step's environment only, never a record (a runtime that
   * must pass them through a file keeps it owner-only and removes it). Resolves once every blob
   * the driver put so far, and every one of `reads` (the digests the step fetches), is in the
   * bucket, so the step finds what it fetches: a store that keeps small blobs elsewhere (a team
   * store's PostgreSQL table) puts those into the bucket first.
   */
  credentials(reads?: readonly string[]): Promise<Record<string, string>>;
  /**
   * Whether the blob a step reported storing is there, found without reading its bytes (a HEAD;
   * for a directory its marker, its manifest and a HEAD of each file in it): its size, or
   * undefined when it is not. From then on the store trusts it as it trusts what it stored itself.
   */
  adopt(digest: string, kind: "file" | "directory"): Promise<{ size: number } | undefined>;
}

/**
 * Who holds the claim on a cache key: the run whose driver is executing that step instance now,
 * so that another run needing the same key waits for its result instead of executing it again
 * (single-flight, docs/run-control.md).
 */
export interface StepClaimHolder {
  runId: string;
  /** The host and pid of the run's driver. */
  host: string;
  pid: number;
  /** When it was claimed, by the store's clock. */
  claimedAt: number;
  /** How long the claim has left unless its driver's heartbeat renews it, by the store's clock. */
  expiresInMs: number;
}

/** What claiming a cache key gave: the claim, or who holds it. */
export type StepClaimResult = { won: true } | { won: false; holder: StepClaimHolder };
