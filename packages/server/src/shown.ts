// How runs are shown in answers, and who the server says started them.
import type { Run } from "@canal/store";

const ENDED = new Set(["succeeded", "failed", "canceled"]);

/** A run as answered: whether it has ended is its status; the driver's pid stays inside. */
export function shownRun(run: Run) {
  const { pid: _, git: __, ...shown } = run;
  return shown;
}

export function ended(run: Run): boolean {
  return ENDED.has(run.status);
}

/** Who a token's caller is, as a run's `startedBy` and a cancel request's `by` record it. */
export function startedBy(token: { id: string; name?: string }): string {
  return `token:${token.name ?? token.id}`;
}

/** The answer to a request that started a run: where to read it and follow it. */
export function started(runId: string) {
  return { runId, href: `/api/v1/runs/${runId}`, events: `/api/v1/runs/${runId}/events` };
}
