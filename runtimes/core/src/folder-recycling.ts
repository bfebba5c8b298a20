import {
  type BigIntStats,
  lstatSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmdirSync,
  rmSync,
  statfsSync,
  unlinkSync,
} from "node:fs";
import { release } from "node:os";
import { dirname, join } from "node:path";
import type { Step } from "@canal/ir";
import { fileInputs, type MadeAhead, takesFiles } from "./folders-ahead.js";
import { snapshotMadeAhead } from "./materialize.js";

/**
 * A finished attempt's folder as it was just before its command started: the listing of every
 * directory in it, and the lstat identity of every directory and file that a next attempt of the
 * same shape would be given as they are. `out/` has an identity of its own, without its times
 * (the step writes there, so they prove nothing): it is handed on emptied where its type,
 * permissions, inode, owner and size are still as made, else made afresh (see
 * {@link RecycledFolders.take}). The input copies are left out: each is written over by the next
 * attempt's copy where the attempt left it as staged (see {@link keptInPlace}), else unlinked.
 */
export interface FolderSurvey {
  dir: string;
  /** `in/`, its input folders and the snapshot: what {@link folderShape} says of a step. */
  shape: string;
  /** Relative path -> identity, parents before their entries. */
  kept: Map<string, string>;
  /** Relative path of each kept directory -> its entries, sorted. */
  listings: Map<string, string[]>;
  /** The input copies, relative (`in/x/seed.txt`). */
  copies: string[];
  /** Relative path of each input copy -> its identity as staged. */
  copyIds: Map<string, string>;
  /**
   * The names in `out/` of the step's outputs written as files: a store that reads an output
   * without moving it (S3) leaves it there once collected, and it is removed when the folder is
   * handed on.
   */
  outputs: Set<string>;
  /** `out/`'s type, permissions, inode, owner and size as made (see {@link outIdentity}). */
  out: string;
  snapshot?: string;
}

/** The layout a fresh first-attempt folder of `step` has (see FoldersAhead): in/, in/<input>/, src/. */
export function folderShape(step: Step): string {
  const snapshot = step.kind === "SCRIPT" ? (step.script?.snapshot ?? "") : "";
  return shapeKey(takesFiles(step), fileInputs(step), snapshot);
}

const shapeKey = (hasIn: boolean, inputs: string[], snapshot: string) =>
  JSON.stringify([hasIn, [...inputs].sort(), snapshot]);

// `out/`'s identity: the type and permissions (mode), the inode, its owner and its size, without
// the times that the step's writes and the collection's moves change. The size is compared once
// `out/` is emptied: a folder that held many entries stays large on ext4, and every later listing
// of it would cost as much.
const outIdentity = (stats: BigIntStats) =>
  `${stats.mode}:${stats.ino}:${stats.dev}:${stats.uid}:${stats.gid}:${stats.size}`;

// Every field a change can move: those of outIdentity and both times. ctime cannot be set by a
// user: a write, chmod, chown, link, rename, extended attribute or ACL inside or on the entry
// moves it. Nanoseconds, from a bigint lstat.
const identity = (stats: BigIntStats) => `${outIdentity(stats)}:${stats.mtimeNs}:${stats.ctimeNs}`;

const lstat = (path: string) => lstatSync(path, { bigint: true, throwIfNoEntry: false });

/**
 * Surveys `dir` (the attempt's folder, its inputs staged, its command not started), or undefined
 * when it holds anything but a fresh folder's layout with one copied file in each input folder
 * (`copies`, the staged paths): such a folder is removed after its attempt, as always.
 */
export function surveyFolder(
  dir: string,
  step: Step,
  copies: Iterable<string>,
  outputs: Iterable<string> = [],
): FolderSurvey | undefined {
  const staged = new Set(copies);
  const kept = new Map<string, string>();
  const listings = new Map<string, string[]>();
  const copied: string[] = [];
  const copyIds = new Map<string, string>();
  let out = "";
  const inputs: string[] = [];
  const snapshot = step.kind === "SCRIPT" ? step.script?.snapshot : undefined;
  // Directories and plain files only: a symbolic link, a socket or a fifo anywhere ends it.
  const walk = (relative: string, stats: BigIntStats): boolean => {
    const path = relative ? join(dir, relative) : dir;
    if (!stats.isDirectory()) return false;
    kept.set(relative, identity(stats));
    const entries = readdirSync(path).sort();
    listings.set(relative, entries);
    for (const name of entries) {
      const child = relative ? `${relative}/${name}` : name;
      const childStats = lstat(join(path, name));
      if (!childStats) return false;
      if (relative === "" && name === "out") {
        if (!childStats.isDirectory()) return false;
        out = outIdentity(childStats);
        continue;
      }
      if (relative === "" && name !== "in" && !(name === "src" && snapshot)) return false;
      if (relative === "in") {
        inputs.push(name);
        if (!childStats.isDirectory() || !copy(child, childStats)) return false;
        continue;
      }
      if (childStats.isDirectory()) {
        if (!walk(child, childStats)) return false;
      } else if (childStats.isFile() && child.startsWith("src/")) kept.set(child, identity(childStats));
      else return false;
    }
    return true;
  };
  // An input's folder holds its one copy: the folder is kept, the copy written over or removed.
  const copy = (folder: string, stats: BigIntStats): boolean => {
    const path = join(dir, folder);
    const entries = readdirSync(path);
    const file = entries[0] === undefined ? undefined : lstat(join(path, entries[0]));
    if (entries.length !== 1 || !file?.isFile() || !staged.has(join(path, entries[0] as string)))
      return false;
    kept.set(folder, identity(stats));
    listings.set(folder, entries);
    copied.push(`${folder}/${entries[0]}`);
    copyIds.set(`${folder}/${entries[0]}`, identity(file));
    return true;
  };
  try {
    const root = lstat(dir);
    if (!root || !walk("", root)) return undefined;
  } catch {
    return undefined;
  }
  const hasIn = listings.has("in");
  const hasSrc = listings.has("src");
  if (Boolean(snapshot) !== hasSrc || !out) return undefined;
  return {
    dir,
    shape: shapeKey(hasIn, inputs, snapshot ?? ""),
    kept,
    listings,
    copies: copied,
    copyIds,
    outputs: new Set(outputs),
    out,
    ...(snapshot ? { snapshot } : {}),
  };
}

/**
 * Whether `survey`'s folder is exactly as it was surveyed: every kept entry of the same identity,
 * every kept directory listing the same entries, `out/` a directory holding at most the step's
 * outputs as plain files (collected already), each copy no folder. lstat only, and a directory is
 * listed only once its lstat proved it one: no link is followed. The names of those outputs when
 * proven (to be removed from `out/`), else undefined.
 */
export function provenAsMade(survey: FolderSurvey): string[] | undefined {
  try {
    for (const [relative, known] of survey.kept) {
      const path = relative ? join(survey.dir, relative) : survey.dir;
      const stats = lstat(path);
      if (!stats || identity(stats) !== known) return undefined;
      const listing = survey.listings.get(relative);
      if (listing && readdirSync(path).sort().join("/") !== listing.join("/")) return undefined;
    }
    const out = join(survey.dir, "out");
    if (!lstat(out)?.isDirectory()) return undefined;
    const left = readdirSync(out);
    for (const name of left)
      if (!survey.outputs.has(name) || !lstat(join(out, name))?.isFile()) return undefined;
    return survey.copies.every((copy) => lstat(join(survey.dir, copy))?.isDirectory() === false)
      ? left
      : undefined;
  } catch {
    return undefined;
  }
}

/** What {@link RecycledFolders} needs of the run. */
export interface RecycledFoldersOptions {
  workRoot: string;
  /** At most this many finished folders are held. */
  limit: number;
  /** A folder not recycled: removed now or later, as the run likes. */
  release(dir: string): void;
}

/**
 * Finished attempts' folders kept for the next attempt of the same shape: one rename, the input
 * copies kept to be written over (or unlinked) and `out/` emptied, where removing the folder and
 * making the next one costs seven removals and five mkdirs and a file, the slowest calls of a
 * step here. A folder is handed on only once {@link provenAsMade}; anything off, and it is removed
 * and the next one made fresh. Its kept entries' ctimes are the proof, so it is kept only on a file
 * system whose ctime moves with every change made after an lstat (see
 * {@link timesShowEveryChange}).
 */
export class RecycledFolders {
  /** Oldest first: the newest is the likeliest to fit the next attempt. */
  private held: FolderSurvey[] = [];
  private closed = false;
  private readonly enabled: boolean;

  constructor(private readonly options: RecycledFoldersOptions) {
    this.enabled = timesShowEveryChange(options.workRoot);
  }

  /** Whether finished folders are kept here at all. */
  get keeps(): boolean {
    return this.enabled && !this.closed;
  }

  /** A succeeded attempt's folder, surveyed before its command started, ended: kept, or released. */
  keep(survey: FolderSurvey): void {
    if (!this.keeps) {
      this.options.release(survey.dir);
      return;
    }
    this.held.push(survey);
    const oldest = this.held.length > this.options.limit ? this.held.shift() : undefined;
    if (oldest) this.options.release(oldest.dir);
  }

  /**
   * A finished folder of `step`'s shape, proven as made and renamed to `dir`, its copies kept in
   * place or gone, `out/` fresh; undefined when none is held or none could be proven (those are
   * released).
   */
  take(step: Step, dir: string): MadeAhead | undefined {
    const shape = folderShape(step);
    for (let i = this.held.length - 1; i >= 0; i--) {
      const survey = this.held[i] as FolderSurvey;
      if (survey.shape !== shape) continue;
      this.held.splice(i, 1);
      const left = provenAsMade(survey);
      if (!left) {
        this.options.release(survey.dir);
        continue;
      }
      try {
        // A folder left at `dir` (a crashed run's) would take the rename over an empty one.
        rmSync(dir, { recursive: true, force: true });
        renameSync(survey.dir, dir);
        const files: string[] = [];
        for (const copy of survey.copies) {
          const path = join(dir, copy);
          if (keptInPlace(path, survey.copyIds.get(copy))) files.push(path);
        }
        // out/ emptied of the collected outputs a store left there (proven plain files of their
        // names), and handed on as it is where its permissions, inode, owner and size are as
        // made: an rmdir and an mkdir are a step's slowest calls here (the rmdir most of all).
        // Unlike the other entries', out/'s ctime cannot prove that a step set nothing lstat does
        // not show (an extended attribute, a default ACL, an inode flag), nor can anything here
        // cut off a process the leftover check could not find that still holds it open: such a
        // thing would go with it to the next step (see docs/performance.md). Otherwise made
        // afresh, here and not on the thread pool: its wake-ups cost this machine more than the
        // two calls (measured).
        const out = join(dir, "out");
        for (const name of left) unlinkSync(join(out, name));
        const emptied = lstat(out);
        if (!emptied || outIdentity(emptied) !== survey.out) {
          rmdirSync(out);
          mkdirSync(out);
        }
        if (survey.snapshot) snapshotMadeAhead(join(dir, "src"), survey.snapshot);
        return { in: survey.listings.has("in"), inputs: fileInputs(step), files };
      } catch {
        // Half recycled: removed now (a removal left for later could take the fresh folder made
        // at this very path next).
        for (const path of [survey.dir, dir]) {
          try {
            rmSync(path, { recursive: true, force: true });
          } catch {}
        }
        return undefined;
      }
    }
    return undefined;
  }

  /** The run ended: every folder held is released. */
  releaseAll(): void {
    this.closed = true;
    for (const survey of this.held) this.options.release(survey.dir);
    this.held = [];
  }
}

/**
 * An input copy that its attempt left exactly as staged (the same identity, so not written,
 * chmod-ed, linked, renamed or given an attribute since), kept in place: the next attempt's copy of
 * the same name is written over it, where a new file's directory entry costs this machine several
 * times the write, and its removal another call. Any other copy is unlinked, as every copy was
 * before; false then. What is written there never reaches another file: the write itself opens
 * only a plain file with one name, and puts a new one in place of anything else (see the store's
 * copySmallFile).
 */
function keptInPlace(path: string, known: string | undefined): boolean {
  const stats = lstat(path);
  if (stats && known !== undefined && identity(stats) === known && stats.isFile() && stats.nlink === 1n)
    return true;
  unlinkSync(path);
  return false;
}

// ext4, xfs, btrfs and tmpfs: since Linux 6.13 (multigrain timestamps) a change made after an
// lstat read the ctime gets a finer one than the clock tick, so it shows; before, a change within
// the tick of the survey could leave ctime as it was.
const MULTIGRAIN = new Set([0xef53, 0x58465342, 0x9123683e, 0x01021994]);
const checked = new Map<string, boolean>();

/** Whether an entry's ctime under `root` moves with every change made after an lstat of it. */
export function timesShowEveryChange(root: string): boolean {
  let known = checked.get(root);
  if (known === undefined) {
    const [major = 0, minor = 0] = release()
      .split(".")
      .map((part) => Number.parseInt(part, 10));
    known = false;
    if (process.platform === "linux" && (major > 6 || (major === 6 && minor >= 13))) {
      // The work root may not be made yet: its nearest folder that is tells the file system.
      for (let path = root; ; path = dirname(path)) {
        try {
          known = MULTIGRAIN.has(statfsSync(path).type);
          break;
        } catch {
          if (dirname(path) === path) break;
        }
      }
    }
    checked.set(root, known);
  }
  return known;
}
