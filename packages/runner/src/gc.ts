import { lstatSync, readdirSync, rmSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import type { Run, Workspace } from "@canal/store";
import { canalDir } from "./canal-dir.js";
import { liveRunLeases, processAlive, takeGcLock } from "./gc-lock.js";

/** Which runs' records `collectGarbage` deletes first; without either, every run is kept. */
export interface GcOptions {
  /** Only report what would be deleted and how big it is. */
  dryRun?: boolean;
  /** Keep the newest N runs of each pipeline; older ended runs are deleted (with `olderThanMs`: only those old enough). */
  keepLast?: number;
  /** Delete ended runs that ended more than this long ago (with `keepLast`: only those beyond the newest N). */
  olderThanMs?: number;
  now?: number;
}

/**
 * A team store's small blobs (rows of its database, shared by every machine) go only once they
 * were stored this long ago: far longer than a run takes from storing an output to the record
 * that names it. This gc sees no other machine's live runs.
 */
const SMALL_BLOB_GRACE_MS = 60 * 60 * 1000;

export type GcItemKind = "blob" | "artifact" | "module" | "environment" | "work" | "temporary";

export interface GcItem {
  kind: GcItemKind;
  path: string;
  bytes: number;
}

export interface GcReport {
  dryRun: boolean;
  /** Runs whose records were (or would be) deleted. */
  runs: string[];
  /** What was (or would be) deleted. */
  items: GcItem[];
  bytes: number;
  /** Process ids of live runs: while there are any, nothing that runs share is deleted. */
  liveRuns: number[];
}

class DryRun extends Error {}

const isEnded = (run: Run) => run.status !== "running" && run.status !== "queued";

/** Bytes under `path`, links not followed. */
function sizeOf(path: string): number {
  const stat = lstatSync(path, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.size;
  let total = 0;
  for (const name of readdirSync(path)) total += sizeOf(join(path, name));
  return total;
}

/** The entries of a real directory; none for a link to one, whose contents are not Canal's to delete. */
const list = (dir: string): string[] => {
  if (!lstatSync(dir, { throwIfNoEntry: false })?.isDirectory()) return [];
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
};

/** The runs `options` drops: ended ones only, beyond the newest `keepLast` of their pipeline and/or too old. */
function runsToDrop(runs: Run[], options: GcOptions, now: number): string[] {
  if (options.keepLast === undefined && options.olderThanMs === undefined) return [];
  const seen = new Map<string, number>();
  const dropped: string[] = [];
  for (const run of runs) {
    const rank = seen.get(run.pipeline) ?? 0;
    seen.set(run.pipeline, rank + 1);
    if (!isEnded(run)) continue;
    const beyond = options.keepLast === undefined || rank >= options.keepLast;
    const old =
      options.olderThanMs === undefined || (run.endedAt ?? run.createdAt) < now - options.olderThanMs;
    if (beyond && old) dropped.push(run.id);
  }
  return dropped;
}

/** What the kept pipeline versions' IRs name: their environments and their TypeScript bundles. */
function namedByIr(ir: string, environments: Set<string>, bundles: Set<string>): void {
  let parsed: {
    steps?: Array<{ environment?: string; code?: { bundle?: string } }>;
    environments?: Array<{ id?: string }>;
  };
  try {
    parsed = JSON.parse(ir);
  } catch {
    return;
  }
  for (const step of parsed.steps ?? []) {
    if (step.environment) environments.add(step.environment);
    if (step.code?.bundle) bundles.add(step.code.bundle);
  }
  for (const environment of parsed.environments ?? []) if (environment.id) environments.add(environment.id);
}

/**
 * Deletes what no kept run or cache entry needs (`canal gc`): the records of the runs `options`
 * drops, then blobs no record names, kept artifacts and module and environment caches of pipeline
 * versions without a kept run, temporary files, and the work folders of runs that have ended.
 * Safe beside live runs of the workspace (see gc-lock.ts): while one is live, only work folders of
 * ended runs go.
 */
export async function collectGarbage(workspace: Workspace, options: GcOptions = {}): Promise<GcReport> {
  const root = canalDir(workspace);
  const release = takeGcLock(root);
  try {
    const dryRun = Boolean(options.dryRun);
    const now = options.now ?? Date.now();
    const { metadata } = workspace;
    const liveRuns = liveRunLeases(root);
    const items: GcItem[] = [];
    const rows: GcItem[] = [];
    const add = (kind: GcItemKind, path: string) => items.push({ kind, path, bytes: sizeOf(path) });

    // Records first: what they name afterwards is what stays. A dry run deletes them in a
    // transaction it undoes, so that it reports exactly what a real run would free.
    const all = await metadata.listRuns({ limit: Number.MAX_SAFE_INTEGER });
    const drop = runsToDrop(all, options, now);
    let runs: string[] = [];
    let references = await metadata.references();
    // What records named before any run was dropped: a small blob kept beside the bucket goes
    // only once no record named it at the start of a gc either (see SMALL_BLOB_GRACE_MS).
    const namedBefore = new Set(references.digests);
    if (drop.length > 0) {
      try {
        await metadata.transaction(async (tx) => {
          runs = await tx.deleteRuns(drop);
          references = await tx.references();
          if (dryRun) throw new DryRun();
        });
      } catch (error) {
        if (!(error instanceof DryRun)) throw error;
      }
    }
    // Work folders of runs that are not going on: ended, or whose driver is gone. Read afresh for
    // each folder: a run that held its lease before this gc may have been recorded since. The
    // folder of a run with no record is a leftover only when no run is live (a live run's record
    // may be on its way).
    const work = workspace.config.folders.work;
    for (const name of list(work)) {
      const recorded = await metadata.getRun(name).catch(() => undefined);
      const gone = recorded
        ? isEnded(recorded) || (recorded.pid !== undefined && !processAlive(recorded.pid))
        : liveRuns.length === 0;
      if (gone) add("work", join(work, name));
    }

    if (liveRuns.length === 0) {
      // Blobs: every digest a record names, and every file inside a named directory.
      const keep = new Set(references.digests);
      for (const digest of references.digests) {
        const info = await workspace.blobs.stat(digest);
        if (info?.kind !== "directory") continue;
        for (const entry of await workspace.blobs.readManifest(digest)) keep.add(entry.sha256);
      }
      // The local blob store's folder: unreferenced files in it go. (A store of another kind has
      // no folder here, and keeps its blobs.)
      const blobRoot =
        workspace.config.artifacts.kind === "local" ? workspace.config.artifacts.path : undefined;
      if (typeof blobRoot === "string") {
        for (const area of ["sha256", "directories"] as const) {
          for (const prefix of list(join(blobRoot, area))) {
            for (const rest of list(join(blobRoot, area, prefix))) {
              if (!keep.has(prefix + rest)) add("blob", join(blobRoot, area, prefix, rest));
            }
          }
        }
        for (const name of list(join(blobRoot, "tmp"))) add("temporary", join(blobRoot, "tmp", name));
      }
      // Small blobs the store keeps beside its bucket (a team store's rows in PostgreSQL), deleted
      // by the store itself (they are no path here), and only those no record named before this
      // gc dropped any run, stored or put again more than the grace ago: another machine's run
      // that just put one, or took a cache hit on an entry dropped here, has named it by then.
      if (workspace.blobs.collectAside) {
        for (const digest of namedBefore) keep.add(digest);
        const collected = await workspace.blobs.collectAside(keep, {
          dryRun,
          olderThanMs: SMALL_BLOB_GRACE_MS,
        });
        for (const row of collected)
          rows.push({ kind: "blob", path: `${row.where}: sha256:${row.digest}`, bytes: row.size });
      }

      // Kept artifacts, modules and environments of the pipeline versions that still have runs.
      const artifacts = new Set<string>();
      const environments = new Set<string>();
      const bundles = new Set<string>();
      for (const version of references.pipelineVersions) {
        if (!version.hasRuns) continue;
        if (version.artifactLocation) artifacts.add(resolve(version.artifactLocation));
        namedByIr(version.ir, environments, bundles);
      }
      const artifactRoot = workspace.config.folders.artifacts;
      for (const name of list(artifactRoot)) {
        // `.verified`: the journal of kept copies already checked by digest, a memo of this folder.
        if (name.startsWith(".")) continue;
        const path = join(artifactRoot, name);
        if (!artifacts.has(path)) add(name.includes(".tmp-") ? "temporary" : "artifact", path);
      }
      const modules = join(workspace.config.folders.cache, "modules");
      for (const name of list(modules)) {
        if (!bundles.has(basename(name, ".mjs")) || !name.endsWith(".mjs"))
          add("module", join(modules, name));
      }
      const envs = join(workspace.config.folders.cache, "envs");
      for (const name of list(envs)) if (!environments.has(name)) add("environment", join(envs, name));
      for (const name of list(root)) if (name.startsWith("param-")) add("temporary", join(root, name));
    }

    if (!dryRun) for (const item of items) rmSync(item.path, { recursive: true, force: true });
    items.push(...rows);
    return { dryRun, runs, items, bytes: items.reduce((sum, item) => sum + item.bytes, 0), liveRuns };
  } finally {
    release();
  }
}
