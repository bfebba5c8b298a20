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
  type ArtifactInfo,
  type Attempt,
  BlobCorruptError,
  BlobMissingError,
  type CacheEntry,
  type CancelRequest,
  collectDigests,
  type LogChunk,
  type MetadataStore,
  type MetadataTransaction,
  type MetricPoint,
  type PipelineVersion,
  type Run,
  type StepRun,
  type StoredValue,
  type Workspace,
} from "@canal/store";
import { type LiveStateOptions, liveRuns } from "./control.js";
import { type DatasetPushReport, emptyDatasetReport, pushDatasets } from "./push-datasets.js";

export interface PushOptions extends LiveStateOptions {
  /** Copy nothing; count what would be copied. */
  dryRun?: boolean;
  /** One line per thing done, as it happens. */
  progress?: (line: string) => void;
  /** Where blobs are staged between the two stores (default: a folder in the source's cache). */
  scratch?: string;
}

export interface PushCount {
  copied: number;
  /** Already in the team workspace: left as they are. */
  present: number;
}

export interface PushReport {
  dryRun: boolean;
  runs: PushCount & {
    /** Runs still going (or interrupted) here: not pushed, with why. */
    skipped: Array<{ id: string; reason: string }>;
  };
  versions: PushCount;
  cacheEntries: PushCount;
  blobs: PushCount & {
    bytesCopied: number;
    bytesPresent: number;
    /** Blobs that failed verification here (missing or damaged): not copied, nor the cache entries naming them. */
    damaged: string[];
  };
  /** Dataset versions with their files (on the team's datastores) and lineage. */
  datasets: DatasetPushReport;
}

// A blob this large gets a progress line of its own.
const LARGE_BLOB = 16 * 1024 * 1024;

// Every run of the workspace: listRuns is newest-first and bounded.
const ALL = 1_000_000_000;

/** Everything one run recorded, read before its unit opens, so the unit only writes. */
interface RunRecords {
  run: Run;
  steps: Array<{
    step: StepRun;
    attempts: Array<{ attempt: Attempt; chunks: LogChunk[] }>;
    inputs: Record<string, StoredValue>;
    outputs: Record<string, StoredValue>;
    metrics: MetricPoint[];
    /** Kinds, sizes and media types of the artifacts among the values, as recorded here. */
    artifacts: ArtifactInfo[];
  }>;
  runLog: LogChunk[];
  cancel?: CancelRequest;
  /** Cache entries this run's step runs produced. */
  entries: CacheEntry[];
  digests: Set<string>;
}

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

/** The summary lines of a push, as the CLI prints them. */
export function pushSummary(report: PushReport): string[] {
  const verb = report.dryRun ? "would copy" : "copied";
  const { runs, versions, cacheEntries, blobs, datasets } = report;
  const lines = [
    `runs:              ${verb} ${runs.copied}, already there ${runs.present}, skipped ${runs.skipped.length}`,
    `pipeline versions: ${verb} ${versions.copied}, already there ${versions.present}`,
    `cache entries:     ${verb} ${cacheEntries.copied}, already there ${cacheEntries.present}`,
    `blobs:             ${verb} ${blobs.copied} (${bytes(blobs.bytesCopied)}), already there ${blobs.present} (${bytes(blobs.bytesPresent)})`,
  ];
  if (blobs.damaged.length)
    lines.push(
      `not copied, missing or damaged here: ${blobs.damaged.join(", ")} (the cache entries naming them stay behind)`,
    );
  lines.push(
    `dataset versions:  ${verb} ${datasets.versions.copied}, already there ${datasets.versions.present}, skipped ${datasets.versions.skipped.length}`,
    `dataset files:     ${verb} ${datasets.files.copied} (${bytes(datasets.files.bytesCopied)}), already there ${datasets.files.present}`,
    `dataset uses:      ${verb} ${datasets.uses.copied}, already there ${datasets.uses.present}, left for a later push ${datasets.uses.left}`,
  );
  for (const { dataset, version, reason } of datasets.versions.skipped)
    lines.push(`skipped dataset ${dataset} version ${version}: ${reason}`);
  const nothing =
    runs.skipped.length +
      datasets.versions.skipped.length +
      runs.copied +
      versions.copied +
      cacheEntries.copied +
      blobs.copied +
      datasets.versions.copied +
      datasets.files.copied +
      datasets.uses.copied ===
    0;
  if (nothing) lines.push("nothing to copy: the team workspace already has everything this one holds");
  return lines;
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
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

async function readRun(store: MetadataStore, run: Run): Promise<RunRecords> {
  const digests = new Set<string>();
  collectDigests(run.parameters, digests);
  const steps: RunRecords["steps"] = [];
  for (const step of (await store.listStepRuns(run.id)).sort((a, b) => a.id - b.id)) {
    const attempts: RunRecords["steps"][number]["attempts"] = [];
    for (const attempt of await store.listAttempts(step.id)) {
      for (const digest of [attempt.stdoutDigest, attempt.stderrDigest]) if (digest) digests.add(digest);
      attempts.push({
        attempt,
        chunks: await readAll((from) => store.readLog(step.id, attempt.number, from)),
      });
    }
    const inputs = await store.getInputs(step.id);
    const outputs = await store.getOutputs(step.id);
    const named = new Set<string>();
    collectDigests(inputs, named);
    collectDigests(outputs, named);
    const artifacts: ArtifactInfo[] = [];
    for (const digest of named) {
      digests.add(digest);
      const info = await store.getArtifact(digest);
      if (info) artifacts.push(info);
    }
    const metrics = (await store.getMetrics({ stepRunId: step.id })).map(
      ({ name, value, sequence, at }): MetricPoint => ({ name, value, sequence, at }),
    );
    steps.push({ step, attempts, inputs, outputs, metrics, artifacts });
  }
  const [control] = await store.readRunControl([run.id]);
  const entries = (await store.listCacheEntries({ runId: run.id })).filter(
    (e) => e.producedBy.runId === run.id,
  );
  return {
    run,
    steps,
    runLog: await readAll((from) => store.readRunLog(run.id, from)),
    ...(control?.cancel ? { cancel: control.cancel } : {}),
    entries,
    digests,
  };
}

async function readAll(
  page: (from: number) => Promise<{ chunks: LogChunk[]; next: number }>,
): Promise<LogChunk[]> {
  const chunks: LogChunk[] = [];
  for (let from = 0; ; ) {
    const read = await page(from);
    if (read.chunks.length === 0) return chunks;
    chunks.push(...read.chunks);
    from = read.next;
  }
}

/** Writes one run as it was recorded, through the calls that recorded it; returns the cache entries written. */
async function writeRun(
  tx: MetadataTransaction,
  records: RunRecords,
  versionId: number,
  entries: CacheEntry[],
): Promise<number> {
  const { run } = records;
  await tx.createRun({
    id: run.id,
    pipelineVersionId: versionId,
    experiment: run.experiment,
    parameters: run.parameters,
    ...(run.git ? { git: run.git } : {}),
    runtime: run.runtime,
    regenerate: run.regenerate,
    ...(run.pid !== undefined ? { pid: run.pid } : {}),
    ...(run.startedBy !== undefined ? { startedBy: run.startedBy } : {}),
    ...(run.host !== undefined ? { host: run.host } : {}),
    status: run.status,
    createdAt: run.createdAt,
    ...(run.startedAt !== undefined ? { startedAt: run.startedAt } : {}),
  });
  if (run.endedAt !== undefined || run.error !== undefined)
    await tx.updateRun(run.id, {
      ...(run.endedAt !== undefined ? { endedAt: run.endedAt } : {}),
      ...(run.error !== undefined ? { error: run.error } : {}),
    });
  const ids = new Map<number, number>();
  let written = 0;
  for (const { step, attempts, inputs, outputs, metrics, artifacts } of records.steps) {
    const created = await tx.createStepRun({
      runId: run.id,
      stepId: step.stepId,
      instance: step.instance,
      status: step.status,
      ...(step.error !== undefined ? { error: step.error } : {}),
      createdAt: step.createdAt,
      ...(step.endedAt !== undefined ? { endedAt: step.endedAt } : {}),
    });
    ids.set(step.id, created.id);
    for (const { attempt, chunks } of attempts) {
      await tx.startAttempt(created.id, attempt.number, attempt.startedAt);
      for (const chunk of chunks)
        await tx.appendLog(created.id, attempt.number, chunk.stream, chunk.text, chunk.at);
      if (attempt.status !== "running")
        await tx.finishAttempt(created.id, {
          number: attempt.number,
          status: attempt.status,
          ...(attempt.exitCode !== undefined ? { exitCode: attempt.exitCode } : {}),
          ...(attempt.error !== undefined ? { error: attempt.error } : {}),
          ...(attempt.endedAt !== undefined ? { endedAt: attempt.endedAt } : {}),
          ...(attempt.stdoutDigest ? { stdoutDigest: attempt.stdoutDigest } : {}),
          ...(attempt.stderrDigest ? { stderrDigest: attempt.stderrDigest } : {}),
        });
    }
    if (step.status === "queued" || step.status === "running") continue;
    // A cached step run is reused from the team's entry under its key: the one pushed before it
    // (runs go oldest first) or a colleague's.
    await tx.finishStepRun(created.id, {
      status: step.status,
      ...(step.endedAt !== undefined ? { endedAt: step.endedAt } : {}),
      ...(step.error !== undefined ? { error: step.error } : {}),
      ...(step.cacheKey ? { cacheKey: step.cacheKey } : {}),
      ...(step.cacheComponents ? { components: step.cacheComponents } : {}),
      inputs,
      outputs,
      metrics,
      artifacts,
    });
  }
  for (const { key, outputs, components, producedBy, createdAt } of entries) {
    const stepRunId = ids.get(producedBy.stepRunId);
    if (stepRunId === undefined) continue;
    if (await tx.putCacheEntry({ key, outputs, components, stepRunId, createdAt })) written++;
  }
  for (const chunk of records.runLog) await tx.appendRunLog(run.id, chunk.stream, chunk.text, chunk.at);
  return written;
}

/** Copies blobs one at a time through a scratch folder, each verified by the source as it is read. */
class BlobCopier {
  private readonly done = new Map<string, boolean>();

  constructor(
    private readonly source: Workspace,
    private readonly target: Workspace,
    private readonly scratch: string,
    private readonly report: PushReport,
    private readonly dryRun: boolean,
    private readonly say: (line: string) => void,
  ) {}

  /** Whether `digest` is in the team store (or would be, in a dry run) after `copy`. */
  ok(digest: string): boolean {
    return this.done.get(digest) === true;
  }

  /** Whether every blob a value names is in the team store. */
  intact(value: unknown): boolean {
    const digests = new Set<string>();
    collectDigests(value, digests);
    return [...digests].every((digest) => this.ok(digest));
  }

  async copy(digest: string): Promise<void> {
    if (this.done.has(digest)) return;
    const info = await this.source.blobs.stat(digest);
    if (await this.target.blobs.has(digest)) {
      this.report.blobs.present++;
      this.report.blobs.bytesPresent += info?.size ?? 0;
      this.done.set(digest, true);
      return;
    }
    // Verified as it is read: materialize checks every byte against its digest.
    let status = info ? "ok" : "missing";
    const path = join(this.scratch, digest);
    if (info && this.dryRun) status = await this.source.blobs.verify(digest);
    else if (info) status = await this.source.blobs.materialize(digest, path).then(() => "ok", damage);
    if (!info || status !== "ok") {
      rmSync(path, { recursive: true, force: true });
      this.report.blobs.damaged.push(`${digest.slice(0, 12)} (${status})`);
      this.done.set(digest, false);
      return;
    }
    if (!this.dryRun) {
      const put =
        info.kind === "directory"
          ? await this.target.blobs.putDirectory(path, { move: true })
          : await this.target.blobs.putFile(path, { move: true });
      rmSync(path, { recursive: true, force: true });
      if (put !== digest) throw new Error(`blob ${digest} was stored in the team workspace as ${put}`);
    }
    this.report.blobs.copied++;
    this.report.blobs.bytesCopied += info.size;
    if (info.size >= LARGE_BLOB)
      this.say(`${this.dryRun ? "would copy" : "copied"} blob ${digest.slice(0, 12)} (${bytes(info.size)})`);
    this.done.set(digest, true);
  }
}

function damage(error: unknown): string {
  if (error instanceof BlobMissingError) return "missing";
  if (error instanceof BlobCorruptError) return "corrupt";
  throw error;
}
