// What the metadata store's conformance suite (metadata-store.ts) shares with its cases in the
// files beside it.
import type { CacheKeyComponents, MetadataStore, Run } from "@canal/store";

/** One fresh, empty store backend for a test. */
export interface MetadataStoreFixture {
  /** A store of workspace `workspace` on it; each call another connection to the same data. */
  open(workspace: string): MetadataStore | Promise<MetadataStore>;
  /** How the store names where it is, in its errors ("no run … in workspace <location>"). */
  location: string;
  /** Removes the backend's data, once every store opened on it is closed. */
  close(): Promise<void> | void;
}

/** The current test's store and backend (read in a `beforeEach`: each test gets fresh ones). */
export interface ConformanceUse {
  store(): MetadataStore;
  fixture(): MetadataStoreFixture;
  /** A new run of a version of `pipeline` registered for it. */
  newRun(pipeline?: string, createdAt?: number): Promise<Run>;
}

export const d = (c: string) => c.repeat(64);
export const components = (inputs: Record<string, string> = {}): CacheKeyComponents => ({
  stepHash: "step-hash",
  codeHash: "code-hash",
  codeFiles: [{ path: "src/train.ts", sha256: d("1") }],
  environment: "env-1",
  inputs,
});
