// What the runtime conformance suite (suite.ts) shares with its cases in the files beside it.
import type { RunEvent, RunSummary, Runtime, StoredValue } from "@canal/runtime-core";
import type { Run, Workspace } from "@canal/store";

/** The cases every runtime runs; a runtime that cannot support one skips it by this id, with a reason. */
export const conformanceCases = [
  "byte-identical-outputs",
  "events",
  "logs",
  "retries",
  "failure",
  "timeout",
  "cancel",
  "cache",
  "parameters",
  "fan-out-fan-in",
  "step-kinds",
  "corrupt-cache",
  "large-output",
  "output-escapes",
  "command-not-found",
] as const;

export type ConformanceCase = (typeof conformanceCases)[number];

/** One workspace with a runtime of the kind under test, as `canal run` would set them up. */
export interface Harness {
  dir: string;
  workspace: Workspace;
  runtime: Runtime;
  run(
    pipeline: string,
    options?: {
      parameters?: Record<string, unknown>;
      signal?: AbortSignal;
      regenerate?: boolean;
      onStart?: (run: Run) => void;
    },
  ): Promise<{ run: Run; summary: RunSummary; events: RunEvent[] }>;
  /** An output's bytes: a file's contents, or a directory's files by relative path. */
  read(value: StoredValue | undefined): Promise<Buffer | Map<string, Buffer>>;
  text(value: StoredValue | undefined): Promise<string>;
}

/** What a case file needs of the suite: its runtime's name, how to declare a case, and a fresh harness. */
export interface CaseContext {
  name: string;
  /** Whether the process ids a step records are this machine's (see ConformanceOptions.hostPids). */
  hostPids: boolean;
  /** Declares case `id`, skipped where the runtime says it cannot run it. */
  test: (id: ConformanceCase, title: string, body: () => Promise<void>, timeoutMs?: number) => void;
  open: () => Promise<Harness>;
}

export const withoutLogs = (events: RunEvent[]) => events.filter((e) => e.type !== "step-log");

/** Events as `type key` (with the attempt where there is one): the shape every runtime must match. */
export function sequence(events: RunEvent[]): string[] {
  return withoutLogs(events).map(
    (e) => `${e.type} ${e.key}${"attempt" in e && e.attempt ? ` #${e.attempt}` : ""}`,
  );
}

export function digestOf(value: StoredValue | undefined): string {
  if (!value || !("digest" in value)) throw new Error(`expected an artifact, got ${JSON.stringify(value)}`);
  return value.digest;
}

/** What went wrong in a run, for assertion messages. */
export function problems(events: RunEvent[]): string {
  return events
    .flatMap((e) => (e.type === "step-failed" || e.type === "step-retrying" ? [`${e.key}: ${e.error}`] : []))
    .join("\n");
}
