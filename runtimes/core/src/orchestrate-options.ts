import type { Pipeline, SharedBlobs } from "@canal/ir";
import type { StoredValue } from "./cache-key.js";
import type { Runtime } from "./contract.js";
import type { RunEvent } from "./events.js";
import type { FlightTiming, StepClaims } from "./single-flight.js";
import type { Materializer } from "./staging.js";
import type { RunVariables } from "./step-variables.js";

// What a run is given: the pipeline and its values, the runtime, the store's blobs, cache and
// claims, and where its events go.
export type { SharedBlobs } from "@canal/ir";

/** The artifact bytes the orchestrator needs: content-addressed, verified. */
export interface Blobs {
  /** `move`: the file is the caller's to give up; the store may rename it in rather than copy it. */
  putFile(path: string, options?: { move?: boolean }): Promise<string>;
  putDirectory(path: string, options?: { move?: boolean }): Promise<string>;
  /** `kind`, where a stored value says which the blob is, spares looking the other kind up. */
  verify(digest: string, kind?: "file" | "directory"): Promise<"ok" | "missing" | "corrupt">;
  materialize(digest: string, destination: string): Promise<void>;
  /** Puts data read in place (access `mount`) where a step reads it; see {@link Materializer.mount}. */
  mount?: Materializer["mount"];
  /**
   * The store as a step reaches it itself, when it is shared (an S3 bucket): on a runtime that
   * {@link Runtime.movesBlobs moves blobs}, steps then fetch and store their bytes themselves.
   */
  shared?: SharedBlobs;
}

/** The cache index: outputs of an earlier successful step instance with the same key. */
export interface CacheIndex {
  lookup(key: string): Promise<Record<string, StoredValue> | undefined>;
  /** The entries under `keys` in one read, each as `lookup` finds it; a key with none is left out. */
  lookupMany?(keys: string[]): Promise<Map<string, Record<string, StoredValue>>>;
  /** Forgets an entry whose blobs are missing or corrupt. */
  invalidate(key: string): Promise<void>;
  /**
   * The entries the run most likely looks up (those its pipeline's last run used), in one read
   * when it starts, each as `lookup` would find it then (issue #11): along a chain, each key is
   * only known once the entry before it is read.
   */
  prefetch?(): Promise<Map<string, Record<string, StoredValue>>>;
}

export interface OrchestrateOptions {
  runId: string;
  pipeline: Pipeline;
  artifactDir: string;
  /** Parameter values, defaults applied and validated; artifact parameters as stored values. */
  parameters: Record<string, unknown>;
  artifactParameters: Record<string, StoredValue>;
  runtime: Runtime;
  blobs: Blobs;
  cache: CacheIndex;
  /** Scratch space for attempts; removed as attempts end. */
  workRoot: string;
  maxParallel?: number;
  /** AzureML regenerate_outputs: run every step, but still record what it produced. */
  regenerate?: boolean;
  /** Step ids to run regardless of the cache (`canal rerun --from`). */
  force?: Set<string>;
  signal?: AbortSignal;
  /**
   * Single-flight: claims on cache keys shared with every run on the same store. A reusable step
   * that misses the cache is claimed before it is executed; when another run holds the claim,
   * this one waits for that run's result instead of executing the step too. Absent: no claims.
   */
  claims?: StepClaims;
  /** How a run waiting for another's result polls the cache (default FLIGHT_TIMING). */
  flightTiming?: FlightTiming;
  /**
   * Where the variables steps declare (`passEnv`) are read from, and their keyed digest; default
   * this process's environment under a secret of this process (its keys then match no other run's).
   */
  variables?: RunVariables;
  onEvent(event: RunEvent): void | Promise<void>;
}
