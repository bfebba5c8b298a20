// `canal workspace push --to CONFIG`: copies a workspace's history and cache into another one (a
// team's PostgreSQL + S3), keeping run ids, so that a person who started alone keeps both. Only
// the store's public methods are used: a run is written again through the same calls that recorded
// it (in one unit per run, so a run lands whole or not at all), after the blobs it names are in
// place, so a pushed record never names bytes the team store does not hold. Idempotent: what is
// there already (a run by id, a version by hash, a cache entry by key, a blob by digest) is counted
// and left alone. Datasets (their versions, files and lineage) go last: push-datasets.ts.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import {
  type CancelRequest,
  collectDigests,
  type MetadataStore,
  type PipelineVersion,
  type Workspace,
} from "@canal/store";
import { type LiveStateOptions, liveRuns } from "./control.js";
import { BlobCopier } from "./push-blobs.js";
import { emptyDatasetReport, pushDatasets } from "./push-datasets.js";
import type { PushReport } from "./push-report.js";
import { readRun, writeRun } from "./push-runs.js";

export interface PushOptions extends LiveStateOptions {
  /** Copy nothing; count what would be copied. */
  dryRun?: boolean;
  /** One line per thing done, as it happens. */
  progress?: (line: string) => void;
  /** Where blobs are staged between the two stores (default: a folder in the source's cache). */
  scratch?: string;
}

// Every run of the workspace: listRuns is newest-first and bounded.
const ALL = 1_000_000_000;

/**
 * Copies `source`'s runs (steps, attempts, logs, metrics, values, cancel requests), pipeline
 * versions with their kept artifacts, cache entries and blobs into `target`, then its dataset
 * versions (their files put on the team's datastores of the same names) and their lineage.
 *
 * @example
 * ```ts
 * const report = await pushWorkspace(local, team, { progress: (line) => console.log(line) });
 * console.log(`${report.runs.copied} runs copied, ${report.runs.present} already there`);
 * ```
 */
export async function pushWorkspace(
  source: Workspace,
  target: Workspace,
  options: PushOptions = {},
): Promise<PushReport> {
  const dryRun = options.dryRun ?? false;
  const say = options.progress ?? (() => {});
  const report: PushReport = {
    dryRun,
    runs: { copied: 0, present: 0, skipped: [] },
    versions: { copied: 0, present: 0 },
    cacheEntries: { copied: 0, present: 0 },
    blobs: { copied: 0, present: 0, bytesCopied: 0, bytesPresent: 0, damaged: [] },
    datasets: emptyDatasetReport(),
  };
  const scratchRoot = options.scratch ?? source.config.folders.cache;
  mkdirSync(scratchRoot, { recursive: true });
  const scratch = mkdtempSync(join(scratchRoot, "push-"));
  const blobs = new BlobCopier(source, target, scratch, report, dryRun, say);
  try {
    const versionIds = await pushVersions(source.metadata, target.metadata, blobs, report, dryRun, say);

    const runs = (await source.metadata.listRuns({ limit: ALL })).reverse();
    const pushed = new Set<string>();
    // Cache keys this push has dealt with along with their runs.
    const counted = new Set<string>();
    // Runs already there whose cancel request this workspace holds: written if the team lacks it.
    const cancels = new Map<string, CancelRequest>();
    for (const live of await liveRuns(source.metadata, runs, options)) {
      const { run } = live;
      if (run.status === "running" || run.status === "queued") {
        const reason = live.interrupted
          ? `interrupted (${live.reason ?? "its driver is gone"}); \`canal cancel ${run.id}\` ends it, then push again`
          : "still running; push again once it has ended";
        report.runs.skipped.push({ id: run.id, reason });
        say(`skipped run ${run.id}: ${reason}`);
        continue;
      }
      if (await hasRun(target.metadata, run.id)) {
        report.runs.present++;
        pushed.add(run.id);
        if (live.cancel) cancels.set(run.id, live.cancel);
        continue;
      }
      const versionId = versionIds.get(run.pipelineVersionId);
      if (versionId === undefined)
        throw new Error(
          `run ${run.id} names pipeline version ${run.pipelineVersionId}, which was not pushed`,
        );
      const records = await readRun(source.metadata, run);
      for (const digest of records.digests) await blobs.copy(digest);
      const entries = records.entries.filter((entry) => blobs.intact(entry.outputs));
      for (const entry of records.entries) counted.add(entry.key);
      report.runs.copied++;
      pushed.add(run.id);
      if (dryRun) {
        for (const entry of entries)
          if (await target.metadata.getCachedOutputs(entry.key)) report.cacheEntries.present++;
          else report.cacheEntries.copied++;
        say(`would push run ${run.id} (${records.steps.length} steps)`);
        continue;
      }
      let written: number;
      try {
        written = await target.metadata.transaction((tx) => writeRun(tx, records, versionId, entries));
      } catch (error) {
        // Another push of the same run got there first: it is there, whole (one unit per run).
        if (!(await hasRun(target.metadata, run.id))) throw error;
        report.runs.copied--;
        report.runs.present++;
        continue;
      }
      report.cacheEntries.copied += written;
      report.cacheEntries.present += entries.length - written;
      if (records.cancel) await target.metadata.requestCancel(run.id, records.cancel);
      say(`pushed run ${run.id} (${records.steps.length} steps, ${written} cache entries)`);
    }

    if (!dryRun && cancels.size > 0) {
      const there = new Set(
        (await target.metadata.readRunControl([...cancels.keys()])).flatMap((c) =>
          c.cancel ? [c.runId] : [],
        ),
      );
      for (const [id, request] of cancels)
        if (!there.has(id)) await target.metadata.requestCancel(id, request);
    }

    // The entries of runs pushed before (or by a push stopped between a run and its entries).
    for (const entry of await source.metadata.listCacheEntries()) {
      if (counted.has(entry.key) || !pushed.has(entry.producedBy.runId)) continue;
      if (await target.metadata.getCachedOutputs(entry.key)) {
        report.cacheEntries.present++;
        continue;
      }
      const digests = new Set<string>();
      collectDigests(entry.outputs, digests);
      for (const digest of digests) await blobs.copy(digest);
      if (!blobs.intact(entry.outputs)) continue;
      if (dryRun) {
        report.cacheEntries.copied++;
        continue;
      }
      const { runId, stepId, instance } = entry.producedBy;
      const step = await target.metadata.getStepRun(runId, stepId, instance);
      const { key, outputs, components, createdAt } = entry;
      if (await target.metadata.putCacheEntry({ key, outputs, components, stepRunId: step.id, createdAt }))
        report.cacheEntries.copied++;
      else report.cacheEntries.present++;
    }

    // After the runs, so that each use's run is there (a run still going: its uses wait with it).
    await pushDatasets(source, target, report.datasets, { dryRun, say, scratch, runs: pushed });
    return report;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function hasRun(store: MetadataStore, id: string): Promise<boolean> {
  try {
    await store.getRun(id);
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === "CANAL_STORE_RUN_NOT_FOUND") return false;
    throw error;
  }
}

/** Every version of every pipeline, oldest first, so that the team numbers new ones in order. */
async function pushVersions(
  source: MetadataStore,
  target: MetadataStore,
  blobs: BlobCopier,
  report: PushReport,
  dryRun: boolean,
  say: (line: string) => void,
): Promise<Map<number, number>> {
  const ids = new Map<number, number>();
  for (const pipeline of await source.listPipelines()) {
    const known = new Map((await target.listPipelineVersions(pipeline.name)).map((v) => [v.hash, v]));
    const versions = (await source.listPipelineVersions(pipeline.name)).sort((a, b) => a.version - b.version);
    for (const version of versions) {
      const there = known.get(version.hash);
      const digest = version.artifactDigest;
      if (digest) await blobs.copy(digest);
      const keepDigest = digest && blobs.ok(digest) ? digest : undefined;
      if (there && (there.artifactDigest || !keepDigest)) {
        report.versions.present++;
        ids.set(version.id, there.id);
        continue;
      }
      report.versions.copied++;
      if (dryRun) {
        ids.set(version.id, -1);
        continue;
      }
      const registered: PipelineVersion = await target.registerPipelineVersion({
        pipeline: version.pipeline,
        hash: version.hash,
        ir: version.ir,
        createdAt: version.createdAt,
        ...(keepDigest ? { artifactDigest: keepDigest } : {}),
      });
      ids.set(version.id, registered.id);
      say(`pushed ${version.pipeline} version ${version.version} as version ${registered.version}`);
    }
  }
  return ids;
}
