import { resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  type DatasetVersion,
  downloadDataset,
  readSchemaFile,
  registerDataset,
  type Workspace,
} from "@canal/store";
import { formatBytes, type Io, UsageError } from "../io.js";
import { withWorkspace } from "../workspace.js";

export const datasetsHelp = `Usage: canal datasets [--json]
       canal datasets register NAME --from DATASTORE:GLOB [--table [--schema FILE | --infer]]
                               [--description TEXT] [--json]
       canal datasets show NAME[:VERSION] [--files] [--json]
       canal datasets download NAME[:VERSION] --to DIR [--force] [--json]

Registered, versioned datasets (AzureML's Dataset): the files a datastore pattern names, each
version identified by its content (every file's path, sha256 and size). Registering the same
content again gives back the version that has it; a changed, added or removed file makes the next.

  register        hash the files DATASTORE:GLOB names and record them as a version of NAME
    --from DATASTORE:GLOB   where the files are: \`canal datastores\` lists the datastores;
                            GLOB is a file, a folder or a pattern ("raw/*.csv", "**/*.parquet")
    --table         a table (csv, tsv or parquet by extension): its schema is recorded too
    --infer         infer the columns (the default with --table): the header and sampled rows
    --schema FILE   a JSON schema {"columns": [{"name", "type", "nullable"}]} checked against every file
    --description TEXT
  show            a version's files, size, schema, who registered it and from where (default: the latest)
    --files         list every file (otherwise the first 20)
  download        copy a version's files into DIR, checking each one's digest while it is copied
    --to DIR        where to (made when missing)
    --force         overwrite files in DIR whose content differs (otherwise an error lists them)
  --json          the result as JSON

See docs/data.md.
`;

/** `NAME[:VERSION]` as its parts; a version that is no positive whole number is a usage error. */
function parseVersionRef(text: string): { name: string; version?: number } {
  const colon = text.lastIndexOf(":");
  if (colon < 0) return { name: text };
  const number = text.slice(colon + 1);
  if (!/^[1-9]\d*$/.test(number))
    throw new UsageError(`\`${text}\`: a version is a whole number from 1, as in ${text.slice(0, colon)}:2`);
  return { name: text.slice(0, colon), version: Number(number) };
}

function registeredBy(version: DatasetVersion): string {
  if (version.registeredBy && version.host) return `${version.registeredBy}@${version.host}`;
  return version.registeredBy ?? (version.host ? `@${version.host}` : "-");
}

function plural(n: number, word: string): string {
  return `${n.toLocaleString("en-US")} ${word}${n === 1 ? "" : "s"}`;
}

export async function datasetsCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      json: { type: "boolean" },
      from: { type: "string" },
      table: { type: "boolean" },
      schema: { type: "string" },
      infer: { type: "boolean" },
      description: { type: "string" },
      files: { type: "boolean" },
      to: { type: "string" },
      force: { type: "boolean" },
    },
  });
  const [sub, target, extra] = positionals;
  if (extra !== undefined) throw new UsageError(`unexpected argument \`${extra}\``);
  if (sub === undefined) return withWorkspace(io, (ws) => list(ws, io, values.json === true));
  if (!["register", "show", "download"].includes(sub))
    throw new UsageError(`unknown subcommand \`${sub}\`; canal datasets takes register, show or download`);
  if (target === undefined) throw new UsageError(`canal datasets ${sub} needs a dataset name`);
  if (sub === "register") {
    if (values.from === undefined)
      throw new UsageError("canal datasets register needs --from DATASTORE:GLOB");
    if (values.schema !== undefined && values.infer)
      throw new UsageError("--schema and --infer are two ways to the columns: pass one of them");
    if ((values.schema !== undefined || values.infer) && !values.table)
      throw new UsageError(
        `${values.schema !== undefined ? "--schema" : "--infer"} describes a table: add --table`,
      );
    // Read before the store opens: a schema file that does not parse fails at once.
    const schema = values.schema !== undefined ? readSchemaFile(resolve(io.cwd, values.schema)) : undefined;
    const { userName, controlSettings } = await import("@canal/runner");
    return withWorkspace(io, async (ws) => {
      const result = await registerDataset(ws, ws.metadata, {
        name: target,
        from: values.from as string,
        ...(values.table ? { table: true } : {}),
        ...(schema ? { schema } : {}),
        ...(values.description !== undefined ? { description: values.description } : {}),
        registeredBy: userName(ws.config.user),
        host: controlSettings().host,
      });
      const v = result.version;
      if (values.json) {
        io.stdout(
          `${JSON.stringify({ created: result.created, version: v, timings: result.timings }, null, 2)}\n`,
        );
        return 0;
      }
      const what = `${plural(v.fileCount, "file")}, ${formatBytes(v.size)}${v.table ? `, a ${v.table.format} table of ${plural(v.table.schema.columns.length, "column")}` : ""}`;
      io.stdout(
        result.created
          ? `registered ${v.name} version ${v.version}: ${what} (sha256:${v.digest.slice(0, 12)})\n`
          : `${v.name} version ${v.version} already has this content (${what}, sha256:${v.digest.slice(0, 12)}); nothing new was registered\n`,
      );
      return 0;
    });
  }
  const ref = parseVersionRef(target);
  if (sub === "show") return withWorkspace(io, (ws) => show(ws, io, ref, values));
  if (values.to === undefined) throw new UsageError("canal datasets download needs --to DIR");
  const to = resolve(io.cwd, values.to);
  return withWorkspace(io, async (ws) => {
    const result = await downloadDataset(ws, ws.metadata, ref.name, to, {
      ...(ref.version !== undefined ? { version: ref.version } : {}),
      ...(values.force ? { force: true } : {}),
    });
    if (values.json) {
      io.stdout(`${JSON.stringify({ ...result, to }, null, 2)}\n`);
      return 0;
    }
    io.stdout(
      `${result.version.name} version ${result.version.version} in ${to}: ${plural(result.written, "file")} written (${formatBytes(result.bytes)}), ` +
        `${result.unchanged} already there; every digest checked\n`,
    );
    return 0;
  });
}

async function list(ws: Workspace, io: Io, json: boolean): Promise<number> {
  const datasets = await ws.metadata.listDatasets();
  if (json) {
    io.stdout(`${JSON.stringify(datasets, null, 2)}\n`);
    return 0;
  }
  if (datasets.length === 0) {
    io.stdout("no datasets yet; `canal datasets register NAME --from DATASTORE:GLOB` registers one\n");
    return 0;
  }
  io.stdout(
    `${"NAME".padEnd(24)} ${"LATEST".padStart(6)}  ${"KIND".padEnd(6)} ${"FILES".padStart(8)} ${"SIZE".padStart(10)}  FROM\n`,
  );
  for (const { name, latest } of datasets) {
    io.stdout(
      `${name.padEnd(24)} ${`v${latest.version}`.padStart(6)}  ${latest.kind.padEnd(6)} ${String(latest.fileCount).padStart(8)} ${formatBytes(latest.size).padStart(10)}  ${latest.datastore}:${latest.pattern}\n`,
    );
  }
  return 0;
}

async function show(
  ws: Workspace,
  io: Io,
  ref: { name: string; version?: number },
  options: { json?: boolean; files?: boolean },
): Promise<number> {
  const version = await ws.metadata.getDatasetVersion(ref.name, ref.version);
  const files = await ws.metadata.getDatasetFiles(version.id);
  const uses = await ws.metadata.listDatasetUses({ versionId: version.id });
  const madeBy = uses.filter((u) => u.direction === "output");
  const readBy = uses.filter((u) => u.direction === "input");
  // What the runs that read it went on to register: the next step of its lineage.
  const registeredFrom = new Map<string, string[]>();
  for (const use of readBy) {
    const made = (await ws.metadata.listDatasetUses({ runId: use.runId })).filter(
      (u) => u.direction === "output",
    );
    registeredFrom.set(
      use.runId,
      made.map((u) => `${u.dataset}:${u.version}`),
    );
  }
  if (options.json) {
    const lineage = {
      registeredBy: madeBy.map((u) => ({ runId: u.runId, pipeline: u.pipeline, output: u.name })),
      readBy: readBy.map((u) => ({
        runId: u.runId,
        pipeline: u.pipeline,
        parameter: u.name,
        status: u.runStatus,
        registered: registeredFrom.get(u.runId) ?? [],
      })),
    };
    io.stdout(`${JSON.stringify({ ...version, files, lineage }, null, 2)}\n`);
    return 0;
  }
  const out = [
    `${version.name} version ${version.version} (${version.kind})`,
    `  content: sha256:${version.digest}`,
    `  from: ${version.datastore}:${version.pattern}`,
    `  files: ${plural(version.fileCount, "file")}, ${formatBytes(version.size)}`,
    `  registered: ${new Date(version.createdAt).toISOString()} by ${registeredBy(version)}`,
  ];
  if (version.description) out.push(`  description: ${version.description}`);
  if (version.table) {
    out.push(`  table: ${version.table.format}, schema ${version.table.schemaSource}`);
    for (const column of version.table.schema.columns)
      out.push(`    ${column.name}: ${column.type}${column.nullable ? " (nullable)" : ""}`);
  }
  for (const use of madeBy) out.push(`  made by: run ${use.runId} (${use.pipeline}), output \`${use.name}\``);
  for (const use of readBy) {
    const made = registeredFrom.get(use.runId) ?? [];
    out.push(
      `  read by: run ${use.runId} (${use.pipeline}, ${use.runStatus}) as \`${use.name}\`${made.length ? `, which registered ${made.join(", ")}` : ""}`,
    );
  }
  const shown = options.files ? files : files.slice(0, 20);
  for (const file of shown)
    out.push(`    ${formatBytes(file.size).padStart(10)}  ${file.path}  ${file.digest.slice(0, 12)}`);
  if (shown.length < files.length)
    out.push(`    … ${files.length - shown.length} more (--files lists them all)`);
  io.stdout(`${out.join("\n")}\n`);
  return 0;
}
