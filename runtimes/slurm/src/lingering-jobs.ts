import { existsSync, rmSync, writeFileSync } from "node:fs";
import { type JobFiles, LINGER_MAX_MS } from "./batch-script.js";
import { exitStatus } from "./watch-job.js";

/**
 * The jobs whose step ended but which wait for their release (see batchScript), and the files of
 * jobs that ended or were cancelled, removed once each job has surely seen its release.
 */
export class LingeringJobs {
  /** Jobs whose step ended but which wait for their release (see batchScript). */
  private readonly lingering = new Set<JobFiles>();
  /** Jobs that ended or were cancelled, whose files are removed shortly (see removeLater). */
  private readonly ending = new Set<JobFiles>();

  constructor(
    private readonly keepJobFiles: boolean,
    /** Whether the runtime is closed: then files go at once, not on a timer. */
    private readonly closed: () => boolean,
  ) {}

  /** After an attempt: a job whose step ended lingers until the next submission (see batchScript); its files go once it surely ended. */
  ended(files: JobFiles): void {
    if (exitStatus(files) !== undefined && !existsSync(files.release)) this.lingering.add(files);
    else this.removeLater(files);
  }

  release(files: JobFiles | undefined): void {
    if (!files) return;
    try {
      writeFileSync(files.release, "");
    } catch {
      // Its directory is gone: nothing is waiting.
    }
    this.lingering.delete(files);
  }

  /** Lets every lingering job end: its end makes slurmctld schedule the jobs just submitted. */
  releaseAll(): void {
    for (const files of this.lingering) {
      try {
        writeFileSync(files.release, "");
      } catch {
        // Its directory is gone: nothing is waiting.
      }
      // The job looks for its release every 10 ms; its files go once it has surely seen it.
      this.removeLater(files);
    }
    this.lingering.clear();
  }

  /** Removes a job's files once it has surely seen its release (or at close, whichever comes first). */
  removeLater(files: JobFiles): void {
    // Once closed, now: this process may exit before any timer fires, leaving the attempt script.
    if (this.closed()) {
      this.remove(files);
      return;
    }
    this.ending.add(files);
    setTimeout(() => this.remove(files), 2 * LINGER_MAX_MS).unref();
  }

  remove(files: JobFiles): void {
    this.ending.delete(files);
    if (!this.keepJobFiles) rmSync(files.dir, { recursive: true, force: true });
  }

  /** Removes the files of every job that ended, now, not on a timer. */
  removeEnding(): void {
    for (const files of this.ending) this.remove(files);
  }
}
