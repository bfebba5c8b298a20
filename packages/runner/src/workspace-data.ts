// A parameter fed from the workspace's data when a run is submitted (AzureML's
// `Dataset.get_by_name(ws, name, version).as_named_input("raw").as_download()`): a registered
// dataset's version, the newest unless pinned, or the files of a datastore path. Its files are
// copied into the blob store once per version (a later run of the same version, or of another
// version with the same files, finds them there), checked against the schema the pipeline declares
// before anything runs, and recorded with the run: which dataset, which version, which content.

import { randomBytes } from "node:crypto";
import { appendFileSync, createWriteStream, mkdirSync, readFileSync, rmSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname, join, posix } from "node:path";
import { pipeline as streamPipeline } from "node:stream/promises";
import { type DataRef, fileNameProblem, type Parameter, pathInside, type Type } from "@canal/ir";
import { ParameterError, type StoredValue, tableProblem } from "@canal/runtime-core";
import { datastorePath, downloadBase, downloadDataset, openDatastore, type Workspace } from "@canal/store";
import {
  checkRegisteredSchema,
  type DataOrigin,
  declaredSchema,
  isDirectoryType,
  listDatastorePath,
  versionFor,
} from "./data-lookups.js";
import { mountedDataset, mountedDatastorePath } from "./mounted-data.js";

/** `wine`, `wine:3` (a dataset and version) or `raw:data/wine.csv` (a datastore's path), as given with -p. */
export function parseDataText(text: string): DataRef | undefined {
  const version = /^([A-Za-z][A-Za-z0-9_.-]*):(\d+)$/.exec(text);
  if (version) return { dataset: version[1] as string, version: Number(version[2]) };
  if (/^[A-Za-z][A-Za-z0-9_.-]*$/.test(text)) return { dataset: text };
  const datastore = /^([A-Za-z][A-Za-z0-9_-]+):(.*)$/s.exec(text);
  if (datastore) return { datastore: datastore[1] as string, path: datastore[2] as string };
  return undefined;
}

/** The versions of datasets already in the blob store, by their content digest (one line each). */
class DataJournal {
  private readonly file: string;
  private known: Map<string, StoredValue> | undefined;

  constructor(workspace: Workspace) {
    this.file = join(workspace.config.folders.cache, "dataset-blobs.jsonl");
  }

  get(digest: string, shape: string): StoredValue | undefined {
    if (!this.known) {
      this.known = new Map();
      try {
        for (const line of readFileSync(this.file, "utf8").split("\n")) {
          if (!line) continue;
          const entry = JSON.parse(line) as { key: string; value: StoredValue };
          this.known.set(entry.key, entry.value);
        }
      } catch {
        // None yet, or unreadable: the files are copied again.
      }
    }
    return this.known.get(`${digest} ${shape}`);
  }

  set(digest: string, shape: string, value: StoredValue): void {
    this.known?.set(`${digest} ${shape}`, value);
    try {
      mkdirSync(dirname(this.file), { recursive: true });
      appendFileSync(this.file, `${JSON.stringify({ key: `${digest} ${shape}`, value })}\n`);
    } catch {
      // Only the next run copies the files again.
    }
  }
}

/**
 * Puts the files under `dir` into the blob store: one file under its own name where the step reads
 * one (a single-file dataset, unless the parameter is a Directory), else the folder.
 */
async function storeFolder(
  workspace: Workspace,
  dir: string,
  files: string[],
  type: Type,
): Promise<StoredValue> {
  const only = files.length === 1 ? (files[0] as string) : undefined;
  if (only !== undefined && !isDirectoryType(type)) {
    const name = posix.basename(only);
    return {
      digest: await workspace.blobs.putFile(join(dir, only), { move: true }),
      directory: false,
      ...(fileNameProblem(name) ? {} : { name }),
    };
  }
  return { digest: await workspace.blobs.putDirectory(dir), directory: true };
}

function scratch(workspace: Workspace): string {
  const dir = join(workspace.config.folders.work, `.data-${randomBytes(6).toString("hex")}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** The table check of what a parameter got, when the version has no schema to compare. */
async function checkTable(parameter: Parameter, path: string, what: string): Promise<void> {
  const schema = declaredSchema(parameter.type);
  if (!schema) return;
  const problem = await tableProblem(path, schema);
  if (problem) {
    throw new ParameterError([
      {
        path: parameter.name,
        message: `parameter \`${parameter.name}\` reads ${what}, which does not fit ${schema.schemaName ? `schema \`${schema.schemaName}\`` : "its declared schema"}: ${problem}`,
        hint: "register a version with the declared columns, or change the schema the pipeline declares",
      },
    ]);
  }
}

async function datasetValue(
  workspace: Workspace,
  parameter: Parameter,
  name: string,
  pinned: number | undefined,
  journal: DataJournal,
): Promise<{ value: StoredValue; origin: DataOrigin; versionId?: number }> {
  const version = await versionFor(workspace, parameter, name, pinned);
  const what = `dataset ${name} version ${version.version}`;
  const origin: DataOrigin = { dataset: { name, version: version.version, digest: version.digest } };
  const declared = declaredSchema(parameter.type);
  checkRegisteredSchema(parameter, version, name, what);
  const shape = isDirectoryType(parameter.type) ? "directory" : "auto";
  const known = journal.get(version.digest, shape);
  if (
    known &&
    "digest" in known &&
    (await workspace.blobs.verify(known.digest, known.directory ? "directory" : "file")) === "ok"
  )
    return { value: known, origin, versionId: version.id };
  const dir = scratch(workspace);
  try {
    await downloadDataset(workspace, workspace.metadata, name, dir, { version: version.version });
    const files = (await workspace.metadata.getDatasetFiles(version.id)).map((file) => {
      const path = datastorePath(version.datastore, file.path);
      const base = downloadBase(version.pattern, [file]);
      return path.startsWith(base) && path.length > base.length ? path.slice(base.length) : path;
    });
    if (declared && !version.table)
      await checkTable(parameter, files.length === 1 ? join(dir, files[0] as string) : dir, what);
    const value = await storeFolder(workspace, dir, files, parameter.type);
    journal.set(version.digest, shape, value);
    return { value, origin, versionId: version.id };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function datastoreValue(
  workspace: Workspace,
  parameter: Parameter,
  store: string,
  path: string,
): Promise<{ value: StoredValue; origin: DataOrigin }> {
  const datastore = await openDatastore(workspace, store);
  const dir = scratch(workspace);
  try {
    const entries = await listDatastorePath(datastore, parameter, store, path);
    const base = downloadBase(
      path,
      entries.map((e) => ({ path: e.path, digest: "", size: e.size })),
    );
    const files: string[] = [];
    for (const entry of entries) {
      const inside =
        entry.path.startsWith(base) && entry.path.length > base.length
          ? entry.path.slice(base.length)
          : entry.path;
      const target = pathInside(dir, ...inside.split("/"));
      await mkdir(dirname(target), { recursive: true });
      await streamPipeline(await datastore.openRead(entry.path), createWriteStream(target, { flags: "wx" }));
      files.push(inside);
    }
    const what = `${store}:${path}`;
    await checkTable(
      parameter,
      files.length === 1 && !isDirectoryType(parameter.type) ? join(dir, files[0] as string) : dir,
      what,
    );
    const value = await storeFolder(workspace, dir, files, parameter.type);
    return { value, origin: { datastore: { name: store, path } } };
  } finally {
    await datastore.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The content of a parameter read from the workspace's data, in the blob store (or, with access
 * `mount`, where it lies), and where it came from. Unknown datasets, versions and datastores, a
 * path that leaves its datastore or names nothing, and a schema that does not fit are errors
 * naming the parameter; nothing has run.
 */
export async function storeWorkspaceData(
  workspace: Workspace,
  parameter: Parameter,
  ref: DataRef,
): Promise<{ value: StoredValue; origin: DataOrigin; versionId?: number }> {
  if (ref.access === "mount") {
    if (ref.dataset !== undefined) return mountedDataset(workspace, parameter, ref.dataset, ref.version);
    return mountedDatastorePath(workspace, parameter, ref.datastore ?? "", ref.path ?? "");
  }
  if (ref.dataset !== undefined)
    return datasetValue(workspace, parameter, ref.dataset, ref.version, new DataJournal(workspace));
  return datastoreValue(workspace, parameter, ref.datastore ?? "", ref.path ?? "");
}
