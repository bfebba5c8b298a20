// What one compile read, for the compile cache (compile-cache.ts): every file, existence probe,
// directory listing and real path the TypeScript program asked for (through the file system host
// ts-morph gives the compiler), every path the pipeline names (script sources, hashPaths,
// requirements, datasets) and the lockfile with the packages whose contents the code hash took.
import { createHash } from "node:crypto";
import { type FileSystemHost, Project, type RuntimeDirEntry } from "ts-morph";
import type { Lockfile } from "./lockfile.js";
import { listingOf, type Read } from "./reads.js";

const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");

/**
 * Collects what a compile reads. Pass it as `CompileOptions.reads`; after the compile, `reads`,
 * `paths` and `lockfiles` say what the result depends on, and `cacheable` is false when the
 * compile asked for something whose answer cannot be checked later (a glob).
 */
export class ReadLog {
  readonly reads: Read[] = [];
  /** Paths named by the pipeline that the compile checked and read: absolute, with their kind then. */
  readonly paths: Array<{ path: string; directory: boolean }> = [];
  readonly lockfiles: Lockfile[] = [];
  cacheable = true;
  /** The file system host for the TypeScript program: the real one, with every answer noted. */
  readonly fileSystem: FileSystemHost;

  constructor() {
    this.fileSystem = recording(new Project({ skipLoadingLibFiles: true }).getFileSystem(), this);
  }

  /**
   * Makes the project with `make`. Reading the tsconfig expands its `include` globs, listing the
   * project's directories; the compiler adds only the entries and what they import
   * (skipAddingFilesFromTsConfig), so those listings do not shape the program and are not noted
   * (else every new file anywhere in the project, Canal's own output included, would miss the
   * cache). Every file read is noted as ever.
   */
  configuring<T>(make: () => T): T {
    this.listing = false;
    try {
      return make();
    } finally {
      this.listing = true;
    }
  }

  /** Whether directory listings are noted (see `configuring`). */
  listing = true;

  path(path: string, directory: boolean): void {
    this.paths.push({ path, directory });
  }

  lockfile(lockfile: Lockfile): void {
    this.lockfiles.push(lockfile);
  }
}

/** `base` with each read it answers noted in `log`. */
function recording(base: FileSystemHost, log: ReadLog): FileSystemHost {
  const note = (read: Read) => log.reads.push(read);
  const exists = (path: string) => {
    note({
      kind: "exists",
      path,
      file: base.fileExistsSync(path),
      directory: base.directoryExistsSync(path),
    });
  };
  const listing = (entries: RuntimeDirEntry[]) =>
    listingOf(entries.map((e) => ({ ...e, name: e.name.slice(e.name.lastIndexOf("/") + 1) })));
  return {
    isCaseSensitive: () => base.isCaseSensitive(),
    delete: (path) => base.delete(path),
    deleteSync: (path) => base.deleteSync(path),
    readDirSync(dir) {
      try {
        const entries = base.readDirSync(dir);
        if (log.listing) note({ kind: "list", path: dir, entries: listing(entries) });
        return entries;
      } catch (error) {
        if (log.listing) note({ kind: "list", path: dir, entries: null });
        throw error;
      }
    },
    async readFile(path, encoding) {
      return this.readFileSync(path, encoding);
    },
    readFileSync(path, encoding) {
      try {
        const text = base.readFileSync(path, encoding);
        // Any other encoding than UTF-8 cannot be checked against the file's bytes later.
        if (encoding !== undefined && !/^utf-?8$/i.test(encoding)) log.cacheable = false;
        note({ kind: "file", path, sha256: sha256(text) });
        return text;
      } catch (error) {
        exists(path);
        throw error;
      }
    },
    writeFile: (path, text) => base.writeFile(path, text),
    writeFileSync: (path, text) => base.writeFileSync(path, text),
    mkdir: (path) => base.mkdir(path),
    mkdirSync: (path) => base.mkdirSync(path),
    move: (from, to) => base.move(from, to),
    moveSync: (from, to) => base.moveSync(from, to),
    copy: (from, to) => base.copy(from, to),
    copySync: (from, to) => base.copySync(from, to),
    async fileExists(path) {
      return this.fileExistsSync(path);
    },
    fileExistsSync(path) {
      const file = base.fileExistsSync(path);
      note({ kind: "exists", path, file, directory: !file && base.directoryExistsSync(path) });
      return file;
    },
    async directoryExists(path) {
      return this.directoryExistsSync(path);
    },
    directoryExistsSync(path) {
      const directory = base.directoryExistsSync(path);
      note({ kind: "exists", path, file: !directory && base.fileExistsSync(path), directory });
      return directory;
    },
    realpathSync(path) {
      try {
        const real = base.realpathSync(path);
        note({ kind: "real", path, real });
        return real;
      } catch (error) {
        note({ kind: "real", path, real: null });
        throw error;
      }
    },
    getCurrentDirectory: () => base.getCurrentDirectory(),
    glob(patterns) {
      log.cacheable = false;
      return base.glob(patterns);
    },
    globSync(patterns) {
      log.cacheable = false;
      return base.globSync(patterns);
    },
  };
}
