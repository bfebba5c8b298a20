import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** The folder of the workspace's state folder (`folders.state`) where each run's key is kept. */
export const RUN_KEYS_FOLDER = "slurm-runs";

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
 * is written and kept in the workspace's state folder (`<state>/slurm-runs/<run id>`) until the
 * run's driver ends it (a cancel of a run whose driver was killed leaves it), so that `canal cancel` of a run whose driver was killed finds its own jobs and folder,
 * and only those. Without a folder (a runtime built without `stateDir`), keys are kept in this
 * process alone.
 */
export class RunKeys {
  private readonly keys = new Map<string, string>();
  /** The runs whose jobs this process submitted. */
  private readonly used = new Set<string>();

  constructor(private readonly dir: string | undefined) {}

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
    if (file && this.dir) {
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

  /** The key kept for run `runId`; undefined when none was (a run of the previous version, or of another workspace). */
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

  /** Forgets run `runId`'s key: the run ended here and left nothing on the cluster. */
  forget(runId: string): void {
    this.keys.delete(runId);
    this.used.delete(runId);
    const file = this.file(runId);
    if (file) rmSync(file, { force: true });
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
