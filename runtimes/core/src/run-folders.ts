import { rm } from "node:fs/promises";
import type { Runtime } from "./contract.js";
import { RecycledFolders } from "./folder-recycling.js";
import { FoldersAhead } from "./folders-ahead.js";

/** What {@link RunFolders} needs of the run. */
export interface RunFoldersOptions {
  workRoot: string;
  runId: string;
  artifactDir: string;
  /** The run's lanes: at most this many folders are made ahead, and as many finished ones kept. */
  limit: number;
  runtime: Pick<Runtime, "settlesFolder">;
}

/**
 * The scratch folders of one run's attempts: made ahead for the instances next in line (see
 * FoldersAhead), a succeeded one kept for the next attempt of its shape (see RecycledFolders),
 * the rest removed off the critical path: the next step need not wait for the file system to
 * forget this one.
 */
export class RunFolders {
  readonly ahead: FoldersAhead;
  readonly recycled: RecycledFolders;
  private readonly removals = new Set<Promise<void>>();

  constructor(options: RunFoldersOptions) {
    const { workRoot, runId, artifactDir, limit, runtime } = options;
    this.recycled = new RecycledFolders({ workRoot, limit, release: this.release });
    this.ahead = new FoldersAhead({
      workRoot,
      runId,
      artifactDir,
      limit,
      release: this.release,
      reuse: (step, dir) => (runtime.settlesFolder?.(step) ? this.recycled.take(step, dir) : undefined),
    });
  }

  /** A folder done with: removed later; the run ends only once {@link removed}. */
  readonly release = (dir: string): void => {
    const removal: Promise<void> = rm(dir, { recursive: true, force: true })
      .catch(() => {})
      .finally(() => this.removals.delete(removal));
    this.removals.add(removal);
  };

  /** The run's steps ended: what was made ahead or kept for an attempt that will not come goes. */
  close(): void {
    this.ahead.forgetAll();
    this.recycled.releaseAll();
  }

  /** Resolves once every folder released is gone. */
  async removed(): Promise<void> {
    while (this.removals.size > 0) await Promise.all(this.removals);
  }
}
