import type {
  CacheKeyComponents,
  Metric,
  RunOutcome,
  StepClaimHolder,
  StepOutcome,
  StoredValue,
} from "@canal/ir";

export type { Metric, RunOutcome, RunStatus, StepOutcome } from "@canal/ir";

interface Base {
  /** The step instance: "train" or "train[2]". */
  key: string;
  step: string;
  index: number;
  time: number;
}

/** What the orchestrator tells the CLI, the store and the UI, in order, for one run. */
export type RunEvent =
  | ({ type: "step-queued" } & Base)
  | ({ type: "step-started"; attempt: number } & Base)
  | ({ type: "step-log"; attempt: number; stream: "stdout" | "stderr"; text: string } & Base)
  /**
   * Another run (or another instance of this one) is executing the step under the same cache key:
   * this one waits for its result (single-flight, see single-flight.ts).
   */
  | ({ type: "step-waiting"; cacheKey: string; holder: StepClaimHolder } & Base)
  | ({
      type: "step-cached";
      cacheKey: string;
      inputs: Record<string, StoredValue>;
      outputs: Record<string, StoredValue>;
      /** The run whose result this waited for, when it was still executing the step. */
      waitedFor?: StepClaimHolder;
    } & Base)
  | ({
      type: "step-succeeded";
      attempt: number;
      cacheKey: string;
      components: CacheKeyComponents;
      reusable: boolean;
      inputs: Record<string, StoredValue>;
      outputs: Record<string, StoredValue>;
      metrics: Metric[];
    } & Base)
  | ({ type: "step-retrying"; attempt: number; error: string; delayMs: number } & Base)
  | ({
      type: "step-failed";
      attempt: number;
      error: string;
      cacheKey?: string;
      components?: CacheKeyComponents;
    } & Base)
  | ({ type: "step-canceled"; attempt?: number } & Base)
  | ({ type: "step-skipped"; reason: string } & Base);

export interface RunSummary {
  status: RunOutcome;
  /** Step instance key -> its final state. */
  steps: Record<string, StepOutcome>;
  /** Pipeline output name -> its value. */
  outputs: Record<string, StoredValue>;
  error?: string;
}
