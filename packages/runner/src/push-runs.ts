// One run of a push: everything it recorded read from this workspace, then written into the team's
// through the same calls that recorded it.
import {
  type ArtifactInfo,
  type Attempt,
  type CacheEntry,
  type CancelRequest,
  collectDigests,
  type LogChunk,
  type MetadataStore,
  type MetadataTransaction,
  type MetricPoint,
  type Run,
  type StepRun,
  type StoredValue,
} from "@canal/store";

/** Everything one run recorded, read before its unit opens, so the unit only writes. */
export interface RunRecords {
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

export async function readRun(store: MetadataStore, run: Run): Promise<RunRecords> {
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
export async function writeRun(
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
