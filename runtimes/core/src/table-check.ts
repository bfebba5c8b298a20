// A step input declared as `Table<typeof Row>` is checked when it arrives, before the step's
// command starts: the table must have every declared column, and the first rows' cells must read
// as the declared types (Parquet: the file's own schema says so). A table that fails gets a failed
// step naming the input, the file and the column, never a command that dies on a KeyError later.

import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from "node:fs";
import { basename, extname, join, relative } from "node:path";
import {
  cellMisfit,
  columnMisfit,
  type Pipeline,
  type Step,
  type TableSchemaType,
  type Type,
} from "@canal/ir";
import type { Problem } from "@canal/ir/errors";
import type { SchemaElement } from "hyparquet";
import type { TaskInput } from "./contract.js";
import { ParameterError } from "./errors.js";
import type { ArtifactParameter } from "./parameters.js";

/** How much of a delimited file is read to find its header and sample its rows. */
const SAMPLE_BYTES = 1 << 20;
/** How many rows are sampled for the cells' types. */
const SAMPLE_ROWS = 1000;

type Column = TableSchemaType["columns"][number];

/** The declared schema of a Table input, also as a list's element (a fan-in of tables). */
function declaredSchema(type: Type): TableSchemaType | undefined {
  if ("list" in type) return declaredSchema(type.list.element);
  return "artifact" in type ? type.artifact.table : undefined;
}

/**
 * The first problem of a step's Table inputs against their declared schemas, as a message naming
 * the input, the file and the column; undefined when every declared table fits.
 */
export async function tableInputProblem(
  stepKey: string,
  step: Step,
  inputs: Record<string, TaskInput>,
): Promise<string | undefined> {
  for (const input of step.inputs) {
    const schema = declaredSchema(input.type);
    const given = inputs[input.name];
    if (!schema || !given) continue;
    const paths = given.kind === "artifact" ? [given.path] : given.kind === "artifacts" ? given.paths : [];
    for (const path of paths) {
      const problem = await tableProblem(path, schema);
      if (problem) {
        const named = schema.schemaName ? `schema \`${schema.schemaName}\`` : "its declared schema";
        return `step ${stepKey}: input \`${input.name}\` does not fit ${named}: ${problem}; fix the data, or change the schema the step declares`;
      }
    }
  }
  return undefined;
}

/**
 * Checks the tables given as paths for parameters declared `Table<typeof Row>`, when the run is
 * submitted and before anything runs: a file that lacks a declared column is a parameter error
 * naming the parameter, the file and the column. (A default shipped in the artifact and an
 * artifact from the store are checked when the step that reads them starts.)
 */
export async function checkTableParameters(
  pipeline: Pipeline,
  artifacts: Record<string, ArtifactParameter>,
): Promise<void> {
  const problems: Problem[] = [];
  for (const parameter of pipeline.parameters) {
    const schema = declaredSchema(parameter.type);
    const given = artifacts[parameter.name];
    // A path that is not there is the workspace's data (a dataset, a datastore path), checked as it is read.
    if (!schema || !given || !("path" in given) || !existsSync(given.path)) continue;
    const problem = await tableProblem(given.path, schema);
    if (problem) {
      problems.push({
        path: parameter.name,
        message: `parameter \`${parameter.name}\` does not fit ${schema.schemaName ? `schema \`${schema.schemaName}\`` : "its declared schema"}: ${problem}`,
        hint: "pass a table with the declared columns, or change the schema the pipeline declares",
      });
    }
  }
  if (problems.length)
    throw new ParameterError(
      problems,
      `pipeline ${pipeline.name} cannot run with these parameters; nothing ran:`,
    );
}

/** What is wrong with the table at `path` (a file, or a directory of table files), if anything. */
export async function tableProblem(path: string, schema: TableSchemaType): Promise<string | undefined> {
  const files = statSync(path).isDirectory() ? tableFiles(path) : [path];
  if (files.length === 0) return `${basename(path)} holds no .csv, .tsv or .parquet file`;
  for (const file of files) {
    const shown = file === path ? basename(path) : relative(path, file);
    const problem = isParquet(file)
      ? await parquetProblem(file, schema)
      : await delimitedProblem(file, schema);
    if (problem) return `${shown} ${problem}`;
  }
  return undefined;
}

const TABLE_EXTENSIONS = new Set([".csv", ".tsv", ".parquet", ".txt"]);

/** The table files of a directory (a partitioned table), sorted, hidden files left out. */
function tableFiles(dir: string): string[] {
  const found: string[] = [];
  const walk = (current: string): void => {
    for (const entry of readdirSync(current, { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : 1,
    )) {
      if (entry.name.startsWith(".") || entry.name.startsWith("_")) continue;
      const full = join(current, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && TABLE_EXTENSIONS.has(extname(entry.name).toLowerCase())) found.push(full);
    }
  };
  walk(dir);
  return found;
}

function readHead(file: string, bytes: number): { head: Buffer; whole: boolean } {
  const fd = openSync(file, "r");
  try {
    const buffer = Buffer.alloc(bytes);
    const read = readSync(fd, buffer, 0, bytes, 0);
    return { head: buffer.subarray(0, read), whole: read < bytes };
  } finally {
    closeSync(fd);
  }
}

/** Parquet by its extension, or by its magic bytes when the name says nothing. */
function isParquet(file: string): boolean {
  const extension = extname(file).toLowerCase();
  if (extension === ".parquet") return true;
  if (extension === ".csv" || extension === ".tsv") return false;
  return readHead(file, 4).head.toString("latin1") === "PAR1";
}

function listColumns(names: string[]): string {
  const shown = names.slice(0, 20).map((n) => `\`${n}\``);
  return names.length > 20 ? `${shown.join(", ")}, … (${names.length} in all)` : shown.join(", ") || "none";
}

function missing(column: Column, names: string[]): string {
  return `has no column \`${column.name}\` (${column.type}); its columns are ${listColumns(names)}`;
}

/** CSV or TSV with a header row: the header has every declared column, the sampled cells fit. */
async function delimitedProblem(file: string, schema: TableSchemaType): Promise<string | undefined> {
  // Loaded when a table is checked: a run without one never pays for the parsers.
  const { parse } = await import("csv-parse/sync");
  const { head, whole } = readHead(file, SAMPLE_BYTES);
  let text = head.toString("utf8");
  // A cut-off last line is not sampled.
  if (!whole) text = text.slice(0, Math.max(text.lastIndexOf("\n"), 0));
  const firstLine = text.split(/\r?\n/, 1)[0] ?? "";
  if (firstLine.trim() === "") return "is empty: a table needs a header row naming its columns";
  const delimiter =
    extname(file).toLowerCase() === ".tsv" || (firstLine.includes("\t") && !firstLine.includes(","))
      ? "\t"
      : ",";
  let rows: string[][];
  try {
    rows = parse(text, { delimiter, bom: true, relax_column_count: true, to_line: SAMPLE_ROWS + 1 });
  } catch {
    // A malformed row further down is the step's to meet; the header still tells the columns.
    try {
      rows = parse(firstLine, { delimiter, bom: true });
    } catch (error) {
      return `has a header row that cannot be read as ${delimiter === "\t" ? "TSV" : "CSV"}: ${(error as Error).message}`;
    }
  }
  const header = (rows[0] ?? []).map((name) => name.trim());
  const index = new Map(header.map((name, i) => [name, i]));
  for (const column of schema.columns) if (!index.has(column.name)) return missing(column, header);
  for (const [r, row] of rows.slice(1).entries()) {
    if (row.length === 1 && row[0] === "") continue;
    for (const column of schema.columns) {
      const cell = (row[index.get(column.name) as number] ?? "").trim();
      const problem = cellProblem(cell, column);
      if (problem) return `row ${r + 2}, column \`${column.name}\`: ${problem}`;
    }
  }
  return undefined;
}

/** Why a sampled cell does not read as its column's declared type (the grammar is `@canal/ir`'s). */
function cellProblem(cell: string, column: Column): string | undefined {
  const misfit = cellMisfit(cell, column);
  if (misfit === "empty")
    return `the cell is empty (${JSON.stringify(cell)}), but the column is declared never empty (make it \`.nullable()\`)`;
  if (misfit === "type")
    return `${JSON.stringify(cell.slice(0, 40))} is not ${column.type === "integer" ? "an integer" : `a ${column.type}`}`;
  return undefined;
}

/** The column type a Parquet leaf holds, in the words of a table schema. */
function parquetType(element: SchemaElement): Column["type"] {
  const logical = element.logical_type?.type;
  const converted = element.converted_type;
  if (
    logical === "STRING" ||
    converted === "UTF8" ||
    logical === "ENUM" ||
    logical === "UUID" ||
    logical === "JSON"
  )
    return "string";
  if (logical === "DATE" || logical === "TIMESTAMP" || converted === "DATE" || element.type === "INT96")
    return "datetime";
  if (converted?.startsWith("TIMESTAMP")) return "datetime";
  if (logical === "DECIMAL" || converted === "DECIMAL") return "number";
  switch (element.type) {
    case "BOOLEAN":
      return "boolean";
    case "INT32":
    case "INT64":
      return "integer";
    case "FLOAT":
    case "DOUBLE":
      return "number";
    default:
      return "string";
  }
}

/** Parquet: its schema has every declared column, of a type that reads as the declared one. */
async function parquetProblem(file: string, schema: TableSchemaType): Promise<string | undefined> {
  let elements: SchemaElement[];
  let nullCounts: Map<string, bigint>;
  try {
    const { asyncBufferFromFile, parquetMetadataAsync } = await import("hyparquet");
    const metadata = await parquetMetadataAsync(await asyncBufferFromFile(file));
    elements = metadata.schema.slice(1).filter((e) => !e.num_children);
    nullCounts = new Map();
    for (const group of metadata.row_groups)
      for (const chunk of group.columns) {
        const name = chunk.meta_data?.path_in_schema.join(".");
        const nulls = chunk.meta_data?.statistics?.null_count;
        if (name !== undefined && nulls !== undefined)
          nullCounts.set(name, (nullCounts.get(name) ?? 0n) + BigInt(nulls));
      }
  } catch (error) {
    return `cannot be read as Parquet: ${(error as Error).message}`;
  }
  const byName = new Map(elements.map((e) => [e.name, e]));
  for (const column of schema.columns) {
    const element = byName.get(column.name);
    if (!element)
      return missing(
        column,
        elements.map((e) => e.name),
      );
    const has = parquetType(element);
    const misfit = columnMisfit(column, { type: has, nullable: (nullCounts.get(column.name) ?? 0n) > 0n });
    if (misfit === "type")
      return `has column \`${column.name}\` as ${has}, but the schema declares it ${column.type}`;
    if (misfit === "nullable")
      return `has empty cells in column \`${column.name}\`, which is declared never empty (make it \`.nullable()\`)`;
  }
  return undefined;
}
