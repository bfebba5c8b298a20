import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RunKeyRecords } from "@canal/runtime-core";

/**
 * The folder of the workspace's state folder (`folders.state`) where each run's key was kept by the
 * previous version (and still is by a runtime built without the workspace's store): read, for the
 * runs it started.
 */
export const RUN_KEYS_FOLDER = "slurm-runs";

/** The runtime kind a run's key is kept under in the store. */
const RUNTIME = "slurm";

/**
 * The keys made in this process, by the store they are kept in: two targets of one run on Slurm
 * (two runtimes) tag its jobs alike.
 */
const MADE = new WeakMap<RunKeyRecords, Map<string, string>>();

const KEY = /^[0-9a-f]{32}$/;
/** A run id that is one file name (as `newRunId` makes them): no separator, no `.` or `..`, no `+`. */
const RUN_ID = /^[A-Za-z0-9_-][\w.-]*$/;

/**
 * Throws unless `runId` is a run id that is one file or folder name (it names the run's key file and
 * its job folder, no other); `outcome`: what the error adds about what was left undone.
 */
export function checkRunId(runId: string, outcome = ""): void {
  if (!RUN_ID.test(runId))
    throw new Error(
      `run id \`${runId}\` is not a run id (letters, digits, "-", "_" and "."; not starting with ".")${outcome}; pass the id \`canal runs\` shows`,
    );
}

/**
 * A run as the cluster knows it: its id and its key, `<run id>+<key>`. It names the run's job
 * folder (`<sharedDir>/jobs/<tag>/`) and is its jobs' comment (`canal-run=<tag>`). Run ids are
 * unique in one store only: two workspaces sharing a cluster and a `sharedDir` can make the same
 * one, never the same key. A run id holds no `+`, so a tag is never a run id, and a run the
 * previous version started (tagged by its id alone) is never taken for one of this version's.
 */
export const runTag = (runId: string, key: string) => `${runId}+${key}`;

/**
 * The key of each run with jobs on the cluster: 32 random hex digits, made when the run's first job
 * is written and kept in the workspace's metadata store (see `RunKeyRecords`) before that job is
 * submitted, so that `canal cancel` of a run whose driver was killed, from any checkout sharing
 * the store, finds its own jobs and folder, and only those. It is forgotten once the run's jobs and
 * folder are ended (by its driver closing, or by that cancel). A key the previous version kept in
 * the workspace's state folder (`<state>/slurm-runs/<run id>`) is still read. Without a store, keys
 * are kept in that folder; without either, in this process alone.
 */
export class RunKeys {
  private readonly keys: Map<string, string>;
  /** The runs whose jobs this process submitted. */
  private readonly used = new Set<string>();
  /** Each run's key being kept in the store, once per run. */
  private readonly storing = new Map<string, Promise<void>>();

  constructor(
    private readonly dir: string | undefined,
    private readonly records?: RunKeyRecords,
  ) {
    this.keys = new Map();
    if (records) {
      const made = MADE.get(records) ?? this.keys;
      MADE.set(records, made);
      this.keys = made;
    }
  }

  /** Where run `runId`'s key is kept; undefined without a folder. */
  file(runId: string): string | undefined {
    checkRunId(runId);
    return this.dir === undefined ? undefined : join(this.dir, runId);
  }

  /**
   * The key of run `runId`, made and kept on its first use. Throws, naming the file and the fix,
   * when it cannot be kept: a job the key is not kept for could not be told from another's later.
   */
  keyFor(runId: string): string {
    const known = this.kept(runId);
    if (known) {
      this.used.add(runId);
      return known;
    }
    const key = randomBytes(16).toString("hex");
    const file = this.file(runId);
    if (file && this.dir && !this.records) {
      // Written whole (a rename), owner only: a reader never sees half a key.
      const temp = `${file}.${process.pid}.tmp`;
      try {
        mkdirSync(this.dir, { recursive: true, mode: 0o700 });
        writeFileSync(temp, `${key}\n`, { mode: 0o600 });
        renameSync(temp, file);
      } catch (error) {
        try {
          rmSync(temp, { force: true });
        } catch {
          // Its folder could not be made: there is no file.
        }
        throw new Error(
          `cannot keep the run's Slurm key in ${file} (${(error as Error).message}); make the workspace's state folder (folders.state) writable`,
        );
      }
    }
    this.keys.set(runId, key);
    this.used.add(runId);
    return key;
  }

  /**
   * Keeps run `runId`'s key (see {@link keyFor}) in the store, once: what is awaited before any of
   * its jobs is submitted, so that a job is never on the cluster with its key known only here.
   * Throws, naming the store and the fix, when it cannot be kept.
   */
  stored(runId: string): Promise<void> {
    const { records } = this;
    if (!records) return Promise.resolve();
    let storing = this.storing.get(runId);
    if (!storing) {
      const key = this.keyFor(runId);
      storing = records.keepRunKey(runId, RUNTIME, key).then(
        (kept) => {
          if (kept !== key)
            throw new Error(
              `the workspace's store already keeps another Slurm key for run ${runId}; another process drives this run: end it (canal cancel ${runId}) before starting it again`,
            );
        },
        (error: Error) => {
          throw new Error(
            `cannot keep the run's Slurm key in the workspace's metadata store (${error.message}); check that the store is reachable and writable, then run again`,
          );
        },
      );
      // A failure is not remembered: the next attempt tries again.
      storing.catch(() => this.storing.delete(runId));
      this.storing.set(runId, storing);
    }
    return storing;
  }

  /**
   * The key of run `runId` wherever it is kept: made here, in the store, or in the previous
   * version's key file (then copied into the store, so that every target ending the run finds it
   * once the file is gone); undefined when none is (a run of the previous version tagged by its id
   * alone, or of another workspace).
   */
  async find(runId: string): Promise<string | undefined> {
    const local = this.kept(runId);
    if (local) {
      if (this.records && this.file(runId) && existsSync(this.file(runId) as string))
        await this.records.keepRunKey(runId, RUNTIME, local).catch(() => undefined);
      return local;
    }
    return this.records?.readRunKey(runId, RUNTIME);
  }

  /** The key made here or kept in the key file; undefined when none was (a run of the previous version, or of another workspace). */
  kept(runId: string): string | undefined {
    const known = this.keys.get(runId);
    if (known) return known;
    const file = this.file(runId);
    if (!file || !existsSync(file)) return undefined;
    let key: string;
    try {
      key = readFileSync(file, "utf8").trim();
    } catch (error) {
      throw new Error(
        `cannot read the Slurm run key in ${file} (${(error as Error).message}); make it a readable file of the key, or remove it and end the run's jobs by hand: their comment starts with canal-run=${runId}+`,
      );
    }
    if (!KEY.test(key))
      throw new Error(
        `${file} does not hold a Slurm run key (32 hex digits); remove it, and end the run's jobs by hand: their comment starts with canal-run=${runId}+ (squeue -o "%i %k" lists them)`,
      );
    this.keys.set(runId, key);
    return key;
  }

  /** Forgets run `runId`'s key, here, in its file and in the store: the run left nothing on the cluster. */
  async forget(runId: string): Promise<void> {
    this.keys.delete(runId);
    this.used.delete(runId);
    this.storing.delete(runId);
    const file = this.file(runId);
    if (file) rmSync(file, { force: true });
    await this.records?.dropRunKey(runId, RUNTIME);
  }

  /** The runs whose jobs this process submitted (see {@link keyFor}). */
  runs(): string[] {
    return [...this.used];
  }
}

/**
 * The job ids in `squeue -h -o "%i %k"`'s `listing` whose comment is exactly `comment`: a job of
 * another run, or of another workspace's run of the same id, is never among them.
 */
export function jobsWithComment(listing: string, comment: string): string[] {
  return listing
    .split("\n")
    .map((line) => line.trim().split(" "))
    .filter(([id, said]) => id && said === comment)
    .map(([id]) => id as string);
}
