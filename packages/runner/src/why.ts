// Why a step ran or was reused: `canal why` prints it and the server's step panel shows it. Each
// step run is judged against the cache as it stood when the step started: reused, ran before a
// key was computed, the whole run regenerated, the same key cached by an earlier run, no earlier
// entry (in which workspace's cache, and which others of the store had the key), or the changes of its cache key since the last entry, most specific first.
import { printableText, shownName } from "@canal/ir";
import {
  type CacheKeyChange,
  describeCacheKeyChange,
  explainCacheMiss,
  type MetadataStore,
  type Run,
  type StepRun,
} from "@canal/store";
import { describeInputChange, Producers, type UpstreamChange, upstreamOf } from "./upstream.js";

/** Why one step instance ran or was reused, as `canal why --json` prints it. */
export interface WhyReport {
  step: string;
  status: string;
  /**
   * cached: reused; no-key: ended (or is still waiting) before it computed a cache key;
   * regenerate: the run ran every step; same-key: an earlier run cached the same key (made to run,
   * or the outputs were gone); first: no earlier entry for the step; reuse-off: the key matches the
   * last entry's; changed.
   */
  reason: "cached" | "no-key" | "regenerate" | "same-key" | "first" | "reuse-off" | "changed";
  /** The run it was reused from, that had the same key, or that made the last entry. */
  run?: string;
  error?: string;
  /** The changes of its cache key, most specific first, each with its line of text. */
  changes?: Array<CacheKeyChange & { text: string; upstream?: UpstreamChange }>;
  /** The step's outputs replaced the cache entry (same-key). */
  replacedEntry?: boolean;
  /** For `first`: the cache that was looked in, when the caller named it (see {@link WhyCache}). */
  workspace?: WhyCache;
  /** For `first`: the other workspaces of the same store that held an entry under its key then. */
  elsewhere?: string[];
}

/** The cache a step was looked up in: its workspace's name and where its store is (no secret). */
export interface WhyCache {
  name: string;
  /** As `metadataStorePlace` says it: "the SQLite file /p/.canal/canal.db". */
  store: string;
}

/**
 * Why each of `stepRuns` (step runs of `run`) ran or was reused. `all`: every step run of the run,
 * read when an input's change is to be traced to the upstream output behind it (and not before).
 */
export async function explainStepRuns(
  metadata: MetadataStore,
  run: Run,
  stepRuns: StepRun[],
  all?: StepRun[],
  cache?: WhyCache,
): Promise<WhyReport[]> {
  let producers: Producers | undefined;
  let bindings: Map<string, string> | undefined;
  const reports: WhyReport[] = [];
  for (const stepRun of stepRuns) {
    const key = stepRun.instance >= 0 ? `${stepRun.stepId}[${stepRun.instance}]` : stepRun.stepId;
    const base = { step: key, status: stepRun.status };
    if (stepRun.status === "cached") {
      reports.push({
        ...base,
        reason: "cached",
        ...(stepRun.reusedFrom ? { run: stepRun.reusedFrom.runId } : {}),
      });
      continue;
    }
    if (!stepRun.cacheComponents) {
      reports.push({
        ...base,
        reason: "no-key",
        ...(stepRun.error ? { error: stepRun.error.split("\n")[0] as string } : {}),
      });
      continue;
    }
    if (run.regenerate) {
      reports.push({ ...base, reason: "regenerate" });
      continue;
    }
    // A step made to run under a key an earlier run had already cached replaced that entry, so
    // the entry is its own now: the earlier step run with the same key is what explains it.
    const sameKey = await earlierStepRunWithKey(metadata, run, stepRun);
    if (sameKey) {
      const own = (await metadata.getCacheEntry(stepRun.cacheKey ?? ""))?.producedBy.stepRunId === stepRun.id;
      reports.push({ ...base, reason: "same-key", run: sameKey, replacedEntry: own });
      continue;
    }
    const before = stepRun.startedAt ?? stepRun.createdAt;
    const previous = await metadata.lastCacheEntryForStep(run.pipeline, stepRun.stepId, {
      ...(stepRun.instance >= 0 ? { instance: stepRun.instance } : {}),
      before,
    });
    if (!previous) {
      // The step may have run under this key in another workspace of the same store (a
      // teammate's, CI's): a project that names that workspace shares its cache.
      const elsewhere = stepRun.cacheKey
        ? await metadata.workspacesWithCacheEntry(stepRun.cacheKey, { before })
        : [];
      reports.push({ ...base, reason: "first", ...(cache ? { workspace: cache } : {}), elsewhere });
      continue;
    }
    const changes = explainCacheMiss(previous.components, stepRun.cacheComponents);
    const since = previous.producedBy.runId;
    if (changes.length === 0) {
      reports.push({ ...base, reason: "reuse-off", run: since });
      continue;
    }
    if (changes.some((change) => change.field === "input")) {
      producers ??= await producersOf(metadata, run, all ?? (await metadata.listStepRuns(run.id)));
      bindings ??= await upstreamSteps(metadata, run);
    }
    const explained = changes.map((change) => {
      if (change.field !== "input") return { ...change, text: describeCacheKeyChange(change) };
      const boundTo = bindings?.get(`${stepRun.stepId}\u0000${change.name}`);
      const upstream = upstreamOf(change, producers as Producers, boundTo);
      const text = describeInputChange(change, upstream) ?? describeCacheKeyChange(change);
      return { ...change, text, ...(upstream ? { upstream } : {}) };
    });
    reports.push({ ...base, reason: "changed", run: since, changes: explained });
  }
  return reports;
}

/**
 * The report as sentences: one, or for `changed` one per change of the cache key (the run it
 * changed since is `report.run`).
 */
export function whyLines(report: WhyReport, run: Run): string[] {
  // Run ids, pipeline names, errors and a change's values come from the store, which another
  // process (or teammate) wrote: every character a terminal would act on is shown as its escape.
  return sentences(report, run).map(printableText);
}

function sentences(report: WhyReport, run: Run): string[] {
  switch (report.reason) {
    case "cached":
      return [`reused from the cache${report.run ? ` (run ${report.run})` : ""}`];
    case "no-key":
      if (report.status === "queued" || report.status === "running")
        return ["not decided yet: the step has not computed its cache key"];
      return [`${report.status}${report.error ? ` (${report.error})` : ""}; it never computed a cache key`];
    case "regenerate":
      return ["ran because the run was started with --regenerate"];
    case "same-key":
      return [
        `its cache key matches run ${report.run}'s; it ran because it was made to (\`canal rerun --from\`, reuse: false) or the cached outputs were missing or damaged${report.replacedEntry ? "; what it produced replaced the cache entry" : ""}`,
      ];
    case "first":
      return [`ran because it never ran before in pipeline ${run.pipeline}: ${firstText(report)}`];
    case "reuse-off":
      return [
        `its cache key matches run ${report.run}'s; it ran because reuse was off (reuse: false or --from) or the cached outputs were missing or damaged`,
      ];
    case "changed":
      return (report.changes ?? []).map((c) => c.text);
  }
}

/**
 * A first run's cache: which one was looked in, and which other workspaces of its store had the key.
 * Workspace names and the store's path are whatever a config said, not names the compiler checked:
 * they are shown escaped, so that one holding a terminal's control sequence stays text.
 */
function firstText(report: WhyReport): string {
  const { workspace, elsewhere = [] } = report;
  const looked = workspace
    ? `no earlier cache entry (the cache of workspace ${shownName(workspace.name)}, in ${workspace.store})`
    : "no earlier cache entry";
  if (elsewhere.length === 0) return looked;
  const names = elsewhere.map(shownName).join(", ");
  const which = elsewhere.length === 1 ? `workspace ${names} has` : `workspaces ${names} have`;
  // The name whole, as the config takes it: JSON, so its escapes read back as the same name.
  const config = JSON.stringify(elsewhere[0]);
  return `${looked}; ${which} an entry for its cache key in the same store: to reuse that workspace's cache, name it in canal.config.json ("workspace": ${config}) and use its artifact store`;
}

/** Where each artifact of the run came from: its steps' outputs and its artifact parameters. */
async function producersOf(metadata: MetadataStore, run: Run, stepRuns: StepRun[]): Promise<Producers> {
  const producers = new Producers();
  for (const stepRun of stepRuns) {
    const key = stepRun.instance >= 0 ? `${stepRun.stepId}[${stepRun.instance}]` : stepRun.stepId;
    producers.addOutputs(key, await metadata.getOutputs(stepRun.id));
  }
  producers.addParameters(run.parameters);
  return producers;
}

/** The upstream step each step input is bound to in the run's pipeline version, by "step\0input". */
async function upstreamSteps(metadata: MetadataStore, run: Run): Promise<Map<string, string>> {
  const bound = new Map<string, string>();
  try {
    const ir = JSON.parse((await metadata.getPipelineVersion(run.pipelineVersionId)).ir) as {
      steps?: Array<{
        id: string;
        inputs?: Array<{ name: string; binding?: Record<string, { step?: string }> }>;
      }>;
    };
    for (const step of ir.steps ?? [])
      for (const input of step.inputs ?? []) {
        const from = input.binding?.output?.step ?? input.binding?.collect?.step;
        if (from) bound.set(`${step.id}\u0000${input.name}`, from);
      }
  } catch {
    // A version recorded without a readable IR: the outputs are named by digest alone.
  }
  return bound;
}

/** The newest earlier run of the pipeline (of the last 100) whose same step finished under the same cache key. */
async function earlierStepRunWithKey(
  metadata: MetadataStore,
  run: Run,
  stepRun: StepRun,
): Promise<string | undefined> {
  if (!stepRun.cacheKey) return undefined;
  for (const earlier of await metadata.listRuns({ pipeline: run.pipeline, limit: 100 })) {
    if (earlier.id === run.id || earlier.createdAt > run.createdAt) continue;
    const same = (await metadata.listStepRuns(earlier.id)).find(
      (s) =>
        s.stepId === stepRun.stepId &&
        s.instance === stepRun.instance &&
        s.cacheKey === stepRun.cacheKey &&
        (s.status === "succeeded" || s.status === "cached"),
    );
    if (same) return earlier.id;
  }
  return undefined;
}
