// The datasets part of `canal workspace push`: each dataset's versions registered in the team
// workspace oldest first (so the team numbers them in order), each only once its files are on the
// team's datastore of the same name with the registered bytes, then the lineage (which run read or
// registered which version) recorded against the team's version ids. A version's record never
// names a file the team cannot read, as a run's never names a blob the team does not hold.
// Idempotent: a version whose content digest the team has is counted and left alone; a use the
// team has (run, direction, name) too.
import { randomBytes } from "node:crypto";
import { createReadStream, rmSync } from "node:fs";
import { join } from "node:path";
import {
  CONFIG_FILE,
  copyHashed,
  type DatasetFile,
  type DatasetVersion,
  type Datastore,
  type MetadataStore,
  mapLimit,
  openDatastore,
  WORKSPACE_DATASTORE,
  type Workspace,
} from "@canal/store";

export interface DatasetPushReport {
  versions: {
    copied: number;
    present: number;
    /** Versions not registered in the team workspace, with why and what to do. */
    skipped: Array<{ dataset: string; version: number; reason: string }>;
  };
  /** Files of the versions copied: written to the team's datastore, or found there with the same bytes. */
  files: { copied: number; present: number; bytesCopied: number };
  uses: {
    copied: number;
    present: number;
    /** Uses whose run (still going) or version (skipped) was not pushed: the next push takes them. */
    left: number;
  };
}

export interface DatasetPushOptions {
  dryRun: boolean;
  say: (line: string) => void;
  /** A folder of this machine where files are staged between the two datastores. */
  scratch: string;
  /** The runs the team workspace has (or would have, in a dry run) after this push. */
  runs: ReadonlySet<string>;
}

/** A file this large gets a progress line of its own. */
const LARGE_FILE = 16 * 1024 * 1024;
/** Files checked or copied at once: a bucket's round trips overlap, a disk's queue stays full. */
const PARALLEL = 8;

export function emptyDatasetReport(): DatasetPushReport {
  return {
    versions: { copied: 0, present: 0, skipped: [] },
    files: { copied: 0, present: 0, bytesCopied: 0 },
    uses: { copied: 0, present: 0, left: 0 },
  };
}

/** Copies every dataset version of `source` (with its files) and their uses by pushed runs into `target`. */
export async function pushDatasets(
  source: Workspace,
  target: Workspace,
  report: DatasetPushReport,
  options: DatasetPushOptions,
): Promise<void> {
  const files = new DatasetFileCopier(source, target, report, options);
  try {
    const ids = new Map<number, number>();
    const versions: DatasetVersion[] = [];
    for (const { name } of await source.metadata.listDatasets()) {
      const local = (await source.metadata.listDatasetVersions(name)).sort((a, b) => a.version - b.version);
      versions.push(...local);
      const known = new Map((await teamVersions(target.metadata, name)).map((v) => [v.digest, v]));
      for (const version of local) {
        const there = known.get(version.digest);
        if (there) {
          report.versions.present++;
          ids.set(version.id, there.id);
          continue;
        }
        const manifest = await source.metadata.getDatasetFiles(version.id);
        const problem = await files.place(version, manifest);
        if (problem) {
          report.versions.skipped.push({ dataset: name, version: version.version, reason: problem });
          options.say(`skipped dataset ${name} version ${version.version}: ${problem}`);
          continue;
        }
        if (options.dryRun) {
          report.versions.copied++;
          ids.set(version.id, -1);
          options.say(`would push dataset ${name} version ${version.version} (${manifest.length} files)`);
          continue;
        }
        const { version: registered, created } = await target.metadata.registerDatasetVersion({
          name,
          kind: version.kind,
          digest: version.digest,
          datastore: version.datastore,
          pattern: version.pattern,
          files: manifest,
          ...(version.table ? { table: version.table } : {}),
          ...(version.description !== undefined ? { description: version.description } : {}),
          ...(version.registeredBy !== undefined ? { registeredBy: version.registeredBy } : {}),
          ...(version.host !== undefined ? { host: version.host } : {}),
          createdAt: version.createdAt,
        });
        ids.set(version.id, registered.id);
        known.set(registered.digest, registered);
        // Another push of the same workspace registered it between our look and now.
        if (!created) {
          report.versions.present++;
          continue;
        }
        report.versions.copied++;
        options.say(
          registered.version === version.version
            ? `pushed dataset ${name} version ${version.version} (${manifest.length} files)`
            : `pushed dataset ${name} version ${version.version} as version ${registered.version}: ` +
                `the team workspace numbers its versions of ${name} on its own (\`canal datasets show ${name}:${registered.version}\` there)`,
        );
      }
    }
    await pushUses(source.metadata, target.metadata, versions, ids, report, options);
  } finally {
    await files.close();
  }
}

/** The team's versions of dataset `name`; none when it has no such dataset. */
async function teamVersions(store: MetadataStore, name: string): Promise<DatasetVersion[]> {
  try {
    return await store.listDatasetVersions(name);
  } catch (error) {
    if ((error as { code?: string }).code === "CANAL_STORE_DATASET_NOT_FOUND") return [];
    throw error;
  }
}

/**
 * The lineage of each version pushed (or there already): the uses by runs the team has, written
 * against the team's version id. One a run already has in the team (by direction and name) is left.
 */
async function pushUses(
  source: MetadataStore,
  target: MetadataStore,
  versions: DatasetVersion[],
  ids: ReadonlyMap<number, number>,
  report: DatasetPushReport,
  options: DatasetPushOptions,
): Promise<void> {
  const teamUses = new Map<string, Set<string>>();
  for (const version of versions) {
    const teamId = ids.get(version.id);
    for (const use of await source.listDatasetUses({ versionId: version.id })) {
      if (teamId === undefined || !options.runs.has(use.runId)) {
        report.uses.left++;
        continue;
      }
      let there = teamUses.get(use.runId);
      if (!there) {
        there = new Set((await target.listDatasetUses({ runId: use.runId })).map(useKey));
        teamUses.set(use.runId, there);
      }
      if (there.has(useKey(use))) {
        report.uses.present++;
        continue;
      }
      report.uses.copied++;
      there.add(useKey(use));
      if (options.dryRun) continue;
      await target.recordDatasetUse({
        runId: use.runId,
        versionId: teamId,
        direction: use.direction,
        name: use.name,
        createdAt: use.createdAt,
      });
    }
  }
}

/** Where a workspace's config is (or goes): the fix in a message names it. */
const configFile = (workspace: Workspace) => workspace.configPath ?? join(workspace.root, CONFIG_FILE);

/** A use's identity in a store: one per run, direction and name. */
const useKey = (use: { direction: string; name: string }) => `${use.direction}\0${use.name}`;

/** What the team's datastore holds at a path: nothing, or a file of a size (and, once hashed, digest). */
interface TeamFile {
  size: number;
  digest?: string;
}

/**
 * Puts a version's files on the team's datastore of the same name: each one there already is
 * checked (size first, then its sha256 when the size matches), each one missing is copied from
 * this workspace's datastore through a scratch file, hashed as it is read, and written to the team
 * only when the bytes are the registered ones. Never overwrites a file of the team's.
 */
class DatasetFileCopier {
  private readonly sources = new Map<string, Promise<Datastore | undefined>>();
  private readonly targets = new Map<string, Promise<Datastore | undefined>>();
  /** What each team path holds, by `DATASTORE\0PATH`, as seen (or written, or to be written in a dry run). */
  private readonly seen = new Map<string, Promise<TeamFile | undefined>>();

  constructor(
    private readonly source: Workspace,
    private readonly target: Workspace,
    private readonly report: DatasetPushReport,
    private readonly options: DatasetPushOptions,
  ) {}

  /** Undefined once every file of `version` is on the team's datastore; else why it cannot be. */
  async place(version: DatasetVersion, files: DatasetFile[]): Promise<string | undefined> {
    const name = version.datastore;
    const team = await this.open(this.targets, this.target, name);
    if (!team) return this.noTeamDatastore(version);
    const states = await mapLimit(files, PARALLEL, (file) => this.compare(team, file));
    const differing = files.find((_, i) => states[i] === "different");
    if (differing)
      return (
        `the team's datastore ${name} (${team.location}) holds ${JSON.stringify(differing.path)} with other bytes than this version's ` +
        `(sha256:${differing.digest.slice(0, 12)}…, ${differing.size} B here); Canal does not overwrite it: ` +
        `move that file aside there, or register the team's files as a new version with \`canal datasets register\` there`
      );
    const missing = files.filter((_, i) => states[i] === "absent");
    this.report.files.present += files.length - missing.length;
    if (missing.length === 0) return undefined;
    const local = await this.open(this.sources, this.source, name);
    if (!local)
      return (
        `${missing.length} of its files are not on the team's datastore ${name} (${team.location}), and this workspace has no datastore ${name} to copy them from; ` +
        `define ${name} under "datastores" in ${configFile(this.source)} as the folder or bucket prefix that holds them, then push again`
      );
    const problems = await mapLimit(missing, PARALLEL, (file) => this.copy(local, team, file));
    return problems.find((problem) => problem !== undefined);
  }

  private noTeamDatastore(version: DatasetVersion): string {
    const name = version.datastore;
    if (name === WORKSPACE_DATASTORE)
      return `its files are on this workspace's own datastore ${name}, and the team workspace's artifact store keeps none; move the files to a datastore the team has and register them there`;
    return (
      `the team workspace has no datastore ${name}; define ${name} under "datastores" in ${configFile(this.target)} ` +
      `(a folder or bucket prefix the team can read; \`canal datastores\` here shows this workspace's), then push again`
    );
  }

  /** The datastore `name` of `workspace`, opened once; undefined when the workspace defines none of that name. */
  private open(
    opened: Map<string, Promise<Datastore | undefined>>,
    workspace: Workspace,
    name: string,
  ): Promise<Datastore | undefined> {
    let found = opened.get(name);
    if (!found) {
      found = openDatastore(workspace, name).catch((error: unknown) => {
        if ((error as { code?: string }).code === "CANAL_STORE_DATASTORE_UNKNOWN") return undefined;
        throw error;
      });
      opened.set(name, found);
    }
    return found;
  }

  /** Whether the team's datastore has `file` with its bytes: a stat, and a hash only when the size matches. */
  private async compare(team: Datastore, file: DatasetFile): Promise<"absent" | "same" | "different"> {
    const key = `${team.name}\0${file.path}`;
    let there = this.seen.get(key);
    if (!there) {
      there = team.stat(file.path).then((entry) => (entry ? { size: entry.size } : undefined));
      this.seen.set(key, there);
    }
    const found = await there;
    if (!found) return "absent";
    if (found.size !== file.size) return "different";
    found.digest ??= (await team.digest(file.path)).digest;
    return found.digest === file.digest ? "same" : "different";
  }

  /** Copies one file, verified; undefined when it is on the team's datastore, else why not. */
  private async copy(local: Datastore, team: Datastore, file: DatasetFile): Promise<string | undefined> {
    const temp = join(this.options.scratch, `dataset-${randomBytes(8).toString("hex")}`);
    try {
      let read: { sha256: string; size: number };
      try {
        // A dry run reads and hashes too, so that it finds what the push would.
        read = this.options.dryRun
          ? await local.digest(file.path).then(({ digest, size }) => ({ sha256: digest, size }))
          : await copyHashed(local, file.path, temp);
      } catch (error) {
        if ((error as { code?: string }).code !== "CANAL_STORE_DATASTORE_FILE_MISSING") throw error;
        return (
          `${local.name}:${file.path} is gone from this workspace's datastore ${local.name} (${local.location}) and is not on the team's; ` +
          "put the file back here (or on the team's datastore) and push again"
        );
      }
      if (read.sha256 !== file.digest || read.size !== file.size)
        return (
          `${local.name}:${file.path} here is not the file registered (it was sha256:${file.digest.slice(0, 12)}…, ${file.size} B; ` +
          `it is sha256:${read.sha256.slice(0, 12)}…, ${read.size} B), so it was not copied; ` +
          `put the registered file back, or register the files again for a new version (\`canal datasets register\`) and push that`
        );
      if (!this.options.dryRun) {
        // Looked at again just before writing: a file the team got meanwhile is never overwritten.
        const now = await team.stat(file.path);
        if (now) {
          const same = now.size === file.size && (await team.digest(file.path)).digest === file.digest;
          if (!same)
            return `the team's datastore ${team.name} (${team.location}) got ${JSON.stringify(file.path)} with other bytes while this push ran; Canal does not overwrite it: push again to see it`;
          this.report.files.present++;
          return undefined;
        }
        await team.write(file.path, createReadStream(temp));
      }
      this.seen.set(`${team.name}\0${file.path}`, Promise.resolve({ size: file.size, digest: file.digest }));
      this.report.files.copied++;
      this.report.files.bytesCopied += file.size;
      if (file.size >= LARGE_FILE)
        this.options.say(
          `${this.options.dryRun ? "would copy" : "copied"} ${team.name}:${file.path} (${(file.size / 1024 / 1024).toFixed(1)} MiB)`,
        );
      return undefined;
    } finally {
      rmSync(temp, { force: true });
    }
  }

  async close(): Promise<void> {
    for (const opened of [this.sources, this.targets])
      for (const datastore of opened.values()) await (await datastore.catch(() => undefined))?.close();
  }
}
