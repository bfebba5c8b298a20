import { existsSync, mkdtempSync, rmdirSync, rmSync, statSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import {
  type Artifact,
  ArtifactError,
  type DataRef,
  fileNameProblem,
  nameProblem,
  type Parameter,
  type Pipeline,
  readArtifact,
  shownName,
} from "@canal/ir";
import {
  type ArtifactParameter,
  artifactBlobPath,
  type Blobs,
  type CacheIndex,
  checkTableParameters,
  materializeSnapshot,
  orchestrate,
  type RunEvent,
  type RunSummary,
  type Runtime,
  resolveParameters,
  type StepClaims,
  type StoredValue,
} from "@canal/runtime-core";
import type { CancelRequest, Run, Workspace } from "@canal/store";
import { canalDir } from "./canal-dir.js";
import {
  type ControlSettings,
  controlSettings,
  type DriverControl,
  startDriverControl,
  userName,
} from "./control.js";
import type { DataOrigin } from "./data-lookups.js";
import { ExperimentNameError } from "./errors.js";
import { holdRunLease } from "./gc-lock.js";
import { keepArtifact, registerVersion } from "./kept-artifacts.js";
import { DataMounts } from "./mount.js";
import { RunRecorder } from "./recorder.js";
import { changedSources, type StaleSources } from "./sources.js";
import { runVariables } from "./variables-secret.js";
import { parseDataText, storeWorkspaceData } from "./workspace-data.js";
import { type WrittenOutput, writeBackOutputs } from "./write-back.js";

export { canalDir };

export interface RunPipelineOptions {
  workspace: Workspace;
  /** A compiled artifact directory. */
  artifactDir: string;
  /**
   * What `readArtifact(artifactDir)` gave the caller, when it read the artifact already (to parse
   * parameters or place steps): it is not read, decoded and verified again.
   */
  artifact?: Artifact;
  /** Parameter values as given (validated here); artifact parameters as paths. */
  parameters?: Record<string, unknown>;
  runtime: Runtime;
  /** Run every step regardless of the cache (AzureML regenerate_outputs). */
  regenerate?: boolean;
  /** Step ids to run regardless of the cache. */
  force?: Set<string>;
  maxParallel?: number;
  /** Who starts it (default the config's `user`, else the OS user): a server names its token. */
  startedBy?: string;
  signal?: AbortSignal;
  /** The experiment the run is grouped under (AzureML's Experiment); default the pipeline's name. */
  experiment?: string;
  /** The id to record the run under (a detached run's, chosen before its driver starts); default a new one. */
  runId?: string;
  /**
   * Called, before the run starts, when source files the artifact was compiled from changed in
   * the workspace since (see `changedSources`); the files are checked only when this is given.
   */
  onStaleSources?(stale: StaleSources): void;
  /** Called with the run as soon as it is recorded, before any step starts. */
  onStart?(run: Run, pipeline: Pipeline): void;
  /** A pipeline output written to its datastore (and registered) once the steps were done. */
  onWrittenOutput?(written: WrittenOutput): void;
  onEvent?(event: RunEvent): void;
  /**
   * Called once when a cancel request for the run is recorded in the store (`cancelRun`, from
   * any process or machine); the run is then canceled as by `signal`.
   */
  onCancelRequest?(request: CancelRequest): void;
  /** Heartbeat and cancel-poll timing and this machine's host name (default `controlSettings()`). */
  control?: ControlSettings;
}

/** A run's work folder once its attempts have cleared theirs: a run leaves no empty folder behind. */
function removeIfEmpty(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // Not empty (an attempt kept for inspection), or never made.
  }
}

/**
 * The workspace data an artifact parameter names: a default such as `Table.get("wine")`, or a
 * `-p` value that is no path on this machine but a dataset (`wine`, `wine:3`) or a datastore path
 * (`raw:data/wine.csv`). A path that exists is always the path.
 */
function workspaceData(given: ArtifactParameter): DataRef | undefined {
  if ("data" in given) return given.data;
  if ("path" in given && !existsSync(resolve(given.path))) return parseDataText(given.path);
  return undefined;
}

async function storeArtifactParameter(
  workspace: Workspace,
  artifactDir: string,
  name: string,
  given: ArtifactParameter,
): Promise<StoredValue> {
  if ("digest" in given) {
    if ((await workspace.blobs.verify(given.digest)) !== "ok") {
      throw new ArtifactError(
        "CANAL_ARTIFACT_BLOB_MISSING",
        `parameter \`${name}\`: artifact ${given.digest} is missing or damaged in the store; pass the data again with -p ${name}=PATH`,
      );
    }
    return given;
  }
  if ("path" in given) {
    const path = resolve(given.path);
    let directory: boolean;
    try {
      directory = statSync(path).isDirectory();
    } catch {
      throw new ArtifactError(
        "CANAL_ARTIFACT_NOT_FOUND",
        `parameter \`${name}\`: ${path} does not exist; pass an existing file or directory`,
      );
    }
    if (directory) return { digest: await workspace.blobs.putDirectory(path), directory };
    // The file reaches the step under its own name (`-p raw=data/wine.csv`: `in/raw/wine.csv`).
    const fileName = basename(path);
    return {
      digest: await workspace.blobs.putFile(path),
      directory,
      ...(fileNameProblem(fileName) ? {} : { name: fileName }),
    };
  }
  if ("data" in given)
    throw new Error(`parameter \`${name}\`: workspace data is stored by storeWorkspaceData`);
  if (!given.directory)
    return {
      digest: await workspace.blobs.putFile(artifactBlobPath(artifactDir, given.blob)),
      directory: false,
      // Checked when the artifact was loaded (verifyPipeline).
      ...(given.name ? { name: given.name } : {}),
    };
  const temp = mkdtempSync(join(canalDir(workspace), "param-"));
  try {
    materializeSnapshot(artifactDir, given.blob, join(temp, "d"));
    return { digest: await workspace.blobs.putDirectory(join(temp, "d")), directory: true };
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

/**
 * Runs a compiled pipeline in a workspace: records the pipeline version and the run, validates the
 * parameters, orchestrates the steps on the runtime, and records every event. Returns when the run
 * has ended, whatever its status.
 */
export async function runPipeline(options: RunPipelineOptions): Promise<{ run: Run; summary: RunSummary }> {
  // Before anything `canal gc` could delete is touched or stored: see gc-lock.ts.
  const release = await holdRunLease(canalDir(options.workspace), options.signal);
  try {
    return await runLeased(options);
  } finally {
    release();
  }
}

async function runLeased(options: RunPipelineOptions): Promise<{ run: Run; summary: RunSummary }> {
  const { workspace, runtime } = options;
  // readArtifact verifies the IR and every blob (memoised per file state), or throws.
  const source = options.artifact ?? readArtifact(options.artifactDir);
  const pipeline = source.pipeline;
  if (options.onStaleSources) {
    const stale = changedSources(pipeline, source.dir, workspace);
    if (stale) options.onStaleSources(stale);
  }
  const { values, artifacts } = resolveParameters(pipeline, options.parameters ?? {});
  await checkTableParameters(pipeline, artifacts);
  const experiment = options.experiment ?? pipeline.name;
  const problem = nameProblem(experiment);
  if (problem)
    throw new ExperimentNameError(
      `experiment name ${shownName(experiment)} ${problem}; pick another with --experiment NAME`,
    );
  const artifactDir = keepArtifact(workspace, source);
  const { metadata } = workspace;
  const artifactParameters: Record<string, StoredValue> = {};
  const origins: Record<string, DataOrigin> = {};
  const readVersions: Array<{ name: string; versionId: number }> = [];
  for (const [name, given] of Object.entries(artifacts)) {
    const parameter = pipeline.parameters.find((p) => p.name === name) as Parameter;
    const named = workspaceData(given);
    // Data given with -p is read as the parameter's default asks: in place where it mounts.
    const access = parameter.defaultData?.access;
    const data = named && !named.access && access ? { ...named, access } : named;
    if (data) {
      const stored = await storeWorkspaceData(workspace, parameter, data);
      // A step that reads it is told which dataset version it is (not part of its cache key).
      artifactParameters[name] =
        "dataset" in stored.origin && "digest" in stored.value
          ? {
              ...stored.value,
              dataset: { name: stored.origin.dataset.name, version: stored.origin.dataset.version },
            }
          : stored.value;
      origins[name] = stored.origin;
      if (stored.versionId !== undefined) readVersions.push({ name, versionId: stored.versionId });
    } else artifactParameters[name] = await storeArtifactParameter(workspace, artifactDir, name, given);
  }
  const version = await registerVersion(workspace, pipeline, artifactDir);
  const recorded: Record<string, unknown> = { ...values };
  // A parameter read from a dataset or datastore is recorded with where it came from.
  for (const [name, value] of Object.entries(artifactParameters))
    recorded[name] = { ...value, ...origins[name] };
  const git = pipeline.source?.gitCommit
    ? {
        commit: pipeline.source.gitCommit,
        branch: pipeline.source.gitBranch ?? "",
        dirty: Boolean(pipeline.source.gitDirty),
      }
    : undefined;
  const run = await metadata.createRun({
    ...(options.runId ? { id: options.runId } : {}),
    pipelineVersionId: version.id,
    experiment,
    parameters: recorded,
    ...(git ? { git } : {}),
    runtime: runtime.name,
    regenerate: Boolean(options.regenerate),
    pid: process.pid,
    startedBy: options.startedBy ?? userName(workspace.config.user),
    host: (options.control ?? controlSettings()).host,
    status: "running",
    startedAt: Date.now(),
  });
  // Lineage: the dataset versions the run reads, by the parameter that reads each.
  for (const { name, versionId } of readVersions)
    await metadata.recordDatasetUse({ runId: run.id, versionId, direction: "input", name });
  // From here the run is this process's to drive: it says so by its heartbeat, and ends the run
  // as canceled once a cancel request is recorded (see control.ts).
  const requested = new AbortController();
  const control = await startDriverControl(metadata, run.id, {
    ...(options.control ? { settings: options.control } : {}),
    onCancelRequest: (request) => {
      options.onCancelRequest?.(request);
      requested.abort();
    },
  });
  try {
    return await driven(
      options,
      { run, pipeline, artifactDir, values, artifactParameters },
      requested.signal,
      control,
    );
  } finally {
    control.stop();
  }
}

/** The run as recorded, and what its steps are run with. */
interface Started {
  run: Run;
  pipeline: Pipeline;
  artifactDir: string;
  values: Record<string, unknown>;
  artifactParameters: Record<string, StoredValue>;
}

/** Orchestrates a recorded run's steps and records its end; canceled by `signal` or a cancel request. */
async function driven(
  options: RunPipelineOptions,
  { pipeline, artifactDir, values, artifactParameters, ...started }: Started,
  requested: AbortSignal,
  control: DriverControl,
): Promise<{ run: Run; summary: RunSummary }> {
  const { workspace, runtime } = options;
  const { metadata, blobs } = workspace;
  let run = started.run;
  options.onStart?.(run, pipeline);
  // What the CLI shows has been recorded: a run killed after a step was shown finished still finds
  // it finished. Outputs are stored without waiting for the disk, and made durable before the
  // records that name them are written (so a step never waits for either).
  const recorder = new RunRecorder(metadata, run.id, {
    beforeBatch: () => blobs.flush(),
    written: (event) => options.onEvent?.(event),
    replacesCacheEntry: (stepId) => Boolean(options.regenerate) || Boolean(options.force?.has(stepId)),
  });
  // Data read in place (access `mount`): the datastores it lies in stay open for the run.
  const mounts = new DataMounts(workspace);
  const stepBlobs: Blobs = {
    putFile: (path, put) => blobs.putFile(path, { ...put, deferSync: true }),
    putDirectory: (path, put) => blobs.putDirectory(path, { ...put, deferSync: true }),
    verify: (digest, kind) => blobs.verify(digest, kind),
    materialize: (digest, destination) => blobs.materialize(digest, destination),
    mount: (source, destination, directory) => mounts.mount(source, destination, directory),
    // A bucket steps reach themselves: on a runtime that moves blobs, no step's bytes pass here.
    ...(blobs.shared ? { shared: blobs.shared } : {}),
  };
  const cache: CacheIndex = {
    async lookup(key) {
      // An entry this run made is still on its way to the store: as before, a later instance with
      // the same key must find it.
      await recorder.settledFor(key);
      return metadata.getCachedOutputs(key);
    },
    async lookupMany(keys) {
      for (const key of keys) await recorder.settledFor(key);
      return metadata.getCachedOutputsMany(keys);
    },
    async invalidate(key) {
      await metadata.deleteCacheEntry(key);
    },
    // Read before this run records anything: none of its own entries are among them.
    prefetch: () => metadata.getCachedOutputsOfLastRun(run.id),
  };
  // Single-flight: a claim lasts as long as a heartbeat may be missed before the run counts as
  // interrupted, and each heartbeat renews it; so a claim dies with its driver, no sooner.
  const settings = options.control ?? controlSettings();
  const claim = {
    runId: run.id,
    host: settings.host,
    pid: process.pid,
    ttlMs: Math.max(settings.staleMs, 3 * settings.heartbeatMs),
  };
  const claims: StepClaims = {
    claim: (key) => metadata.claimStep(key, claim),
    release: (key) => recorder.release(key),
    async lookupOrClaim(key) {
      // As cache.lookup: an entry this run is still writing under the key is found.
      await recorder.settledFor(key);
      return metadata.lookupOrClaimStep(key, claim);
    },
  };
  let summary: RunSummary;
  const signal = options.signal ? AbortSignal.any([options.signal, requested]) : requested;
  try {
    // Canceled before it began (the request was recorded as soon as the run was): no step starts.
    if (control.canceled) summary = { status: "canceled", steps: {}, outputs: {} };
    else
      summary = await orchestrate({
        runId: run.id,
        pipeline,
        artifactDir,
        parameters: values,
        artifactParameters,
        runtime,
        blobs: stepBlobs,
        cache,
        claims,
        workRoot: workspace.config.folders.work,
        ...(options.maxParallel ? { maxParallel: options.maxParallel } : {}),
        regenerate: Boolean(options.regenerate),
        ...(options.force ? { force: options.force } : {}),
        signal,
        variables: runVariables(canalDir(workspace)),
        // Recorded in order, in batches, while the run goes on; it ends once all is written (flush).
        onEvent: (event) => void recorder.record(event),
      });
  } catch (error) {
    summary = { status: "failed", steps: {}, outputs: {}, error: (error as Error).message };
  }
  await mounts.close();
  // The steps are done: a cancel request from now on has nothing left to cancel.
  control.stopWatching();
  await recorder.flush();
  // Outputs that name a datastore are written there and registered once their steps are done;
  // a canceled run writes none.
  if (summary.status !== "canceled" && pipeline.outputs?.some((o) => o.destination)) {
    try {
      await writeBackOutputs(
        workspace,
        pipeline,
        run.id,
        summary,
        { registeredBy: run.startedBy ?? userName(workspace.config.user), host: run.host ?? settings.host },
        options.onWrittenOutput,
      );
    } catch (error) {
      summary = { ...summary, status: "failed", error: (error as Error).message };
    }
  }
  removeIfEmpty(join(workspace.config.folders.work, run.id));
  const failed = Object.entries(summary.steps)
    .filter(([, state]) => state === "failed")
    .map(([key]) => key);
  const error =
    summary.error ??
    (failed.length ? `step${failed.length > 1 ? "s" : ""} ${failed.join(", ")} failed` : undefined);
  run = await metadata.updateRun(run.id, {
    status: summary.status,
    endedAt: Date.now(),
    ...(error ? { error } : {}),
  });
  return { run, summary };
}
