// Pipeline outputs written back to a datastore and registered as dataset versions (AzureML's
// `OutputFileDatasetConfig(destination=(datastore, path)).register_on_complete(name)`), once the
// run's steps are done: only an output that a step produced (succeeded, or served from the cache)
// is written, each file through a temporary name so that a reader never sees half of it, and
// registered only once every file is in place. A failed or canceled step's output is never there.
import { closeSync, createReadStream, mkdtempSync, openSync, readdirSync, readSync, rmSync } from "node:fs";
import { join, posix } from "node:path";
import type { ColumnType, Pipeline } from "@canal/ir";
import type { RunSummary } from "@canal/runtime-core";
import { openDatastore, registerDataset, type Workspace } from "@canal/store";

/** One output written back: where, and the dataset version it was registered as. */
export interface WrittenOutput {
  output: string;
  /** `DATASTORE:PATH`, with `{run}` filled in. */
  location: string;
  files: number;
  registered?: { name: string; version: number; created: boolean };
}

/**
 * The name a file output takes in a folder: its own, and for a table that has none of a table's
 * extensions, the one its bytes say (Parquet's magic bytes, else CSV), so it registers as a table.
 */
function fileName(name: string, table: boolean, file: string): string {
  if (!table || /\.(csv|tsv|tab|parquet|pq)$/i.test(name)) return name;
  const head = Buffer.alloc(4);
  const fd = openSync(file, "r");
  try {
    readSync(fd, head, 0, 4, 0);
  } finally {
    closeSync(fd);
  }
  return `${name}${head.toString("latin1") === "PAR1" ? ".parquet" : ".csv"}`;
}

/** The files under `dir`, "/"-separated, sorted. */
function filesUnder(dir: string, prefix = ""): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) found.push(...filesUnder(dir, path));
    else if (entry.isFile()) found.push(path);
  }
  return found.sort();
}

/**
 * Writes each pipeline output that names a destination and was produced, and registers it. The
 * first failure throws (the run ends failed, naming the output); what was registered before stays.
 */
export async function writeBackOutputs(
  workspace: Workspace,
  pipeline: Pipeline,
  runId: string,
  summary: RunSummary,
  who: { registeredBy: string; host: string },
  onWritten?: (written: WrittenOutput) => void,
): Promise<WrittenOutput[]> {
  const written: WrittenOutput[] = [];
  for (const output of pipeline.outputs ?? []) {
    const destination = output.destination;
    const value = summary.outputs[output.name];
    if (!destination || !value || !("digest" in value)) continue;
    const path = destination.path.replaceAll("{run}", runId);
    const folder = path.endsWith("/");
    const scratch = mkdtempSync(join(workspace.config.folders.work, ".write-back-"));
    const datastore = await openDatastore(workspace, destination.datastore);
    try {
      const local = join(scratch, "out");
      await workspace.blobs.materialize(value.digest, local);
      // A file goes under its own name into a folder, or to the path named; a directory's files below the path.
      const table = "artifact" in output.type && output.type.artifact.lineage.includes("Table");
      const targets: Array<{ from: string; to: string }> = value.directory
        ? filesUnder(local).map((file) => ({ from: join(local, file), to: posix.join(path, file) }))
        : [
            {
              from: local,
              to: folder ? `${path}${fileName(value.name ?? output.name, table, local)}` : path,
            },
          ];
      for (const { from, to } of targets) await datastore.write(to, createReadStream(from));
      const location = `${destination.datastore}:${path}`;
      const result: WrittenOutput = { output: output.name, location, files: targets.length };
      if (destination.register) {
        const schema = "artifact" in output.type ? output.type.artifact.table : undefined;
        const registered = await registerDataset(workspace, workspace.metadata, {
          name: destination.register,
          // The folder written, or the one file.
          from: value.directory || folder ? `${destination.datastore}:${path.replace(/\/$/, "")}` : location,
          ...(table ? { table: true } : {}),
          // The columns the pipeline declares for it: checked against the files written.
          ...(schema
            ? {
                schema: {
                  columns: schema.columns.map((c) => ({
                    name: c.name,
                    type: c.type as ColumnType,
                    nullable: Boolean(c.nullable),
                  })),
                },
              }
            : {}),
          description: `output \`${output.name}\` of run ${runId} (pipeline ${pipeline.name})`,
          registeredBy: who.registeredBy,
          host: who.host,
        });
        result.registered = {
          name: destination.register,
          version: registered.version.version,
          created: registered.created,
        };
        // Lineage: this run made that version.
        await workspace.metadata.recordDatasetUse({
          runId,
          versionId: registered.version.id,
          direction: "output",
          name: output.name,
        });
      }
      written.push(result);
      onWritten?.(result);
    } catch (error) {
      const message = (error as Error).message;
      throw Object.assign(
        new Error(
          `output \`${output.name}\` could not be written to ${destination.datastore}:${path}: ${message}`,
        ),
        {
          cause: error,
        },
      );
    } finally {
      await datastore.close();
      rmSync(scratch, { recursive: true, force: true });
    }
  }
  return written;
}
