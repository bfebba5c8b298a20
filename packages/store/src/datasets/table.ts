// Tables among a dataset's files: the format by extension, the columns read from the files (a
// CSV/TSV header and a sample of its rows, streamed; a Parquet file's footer alone), a column's
// type inferred from what its cells hold, and a declared schema checked against every file.
import { readFileSync } from "node:fs";
import {
  COLUMN_TYPES,
  type ColumnType,
  cellIsEmpty,
  cellMisfit,
  cellType,
  type TableColumn,
  type TableFormat,
  type TableSchema,
  typeFits,
} from "@canal/ir/table-schema";
import { parse } from "csv-parse";
import { z } from "zod";
import { mapLimit } from "../blob-io.js";
import type { Datastore, DatastoreEntry } from "../datastores/types.js";
import { StoreError } from "../errors.js";
import { jsonErrorOffset } from "./json-offset.js";

/** Rows of each CSV/TSV file read to infer or check its columns' types; the header is always read. */
export const SAMPLE_ROWS = 1000;
/** At most this many sampled rows in all: the files after that have their header checked alone. */
const SAMPLE_TOTAL = 20_000;
const PARALLEL = 16;

const EXTENSIONS: Record<string, TableFormat> = {
  csv: "csv",
  tsv: "tsv",
  tab: "tsv",
  parquet: "parquet",
  pq: "parquet",
};

/** The one format of `files`, from their extensions; a file of none, or of two formats, is an error. */
export function tableFormat(datastore: string, files: DatastoreEntry[]): TableFormat {
  const formats = new Map<TableFormat, string>();
  for (const file of files) {
    const extension = /\.([A-Za-z0-9]+)$/.exec(file.path)?.[1]?.toLowerCase() ?? "";
    const format = EXTENSIONS[extension];
    if (!format) {
      throw new StoreError(
        "CANAL_STORE_TABLE_FORMAT_UNKNOWN",
        `${datastore}:${file.path} is not a table file: a table's files end in .csv, .tsv or .parquet; ` +
          "narrow the pattern to the table's files, or register them without --table",
      );
    }
    if (!formats.has(format)) formats.set(format, file.path);
  }
  if (formats.size > 1) {
    const listed = [...formats].map(([format, path]) => `${format} (${path})`).join(", ");
    throw new StoreError(
      "CANAL_STORE_TABLE_FORMAT_UNKNOWN",
      `a table's files must all have one format, and these are ${listed}; register each format as its own dataset`,
    );
  }
  return [...formats.keys()][0] ?? "csv";
}

/** Two columns' types as one: integer and number make number; any other two different, string. */
function widen(a: ColumnType | undefined, b: ColumnType): ColumnType {
  if (a === undefined || a === b) return b;
  if ((a === "integer" && b === "number") || (a === "number" && b === "integer")) return "number";
  return "string";
}

/** What one file says about its columns: names in order, the type its sampled cells share, empties. */
interface FileColumns {
  path: string;
  columns: Array<{ name: string; type?: ColumnType; nullable: boolean }>;
  /** A CSV/TSV's sampled rows (cells by column), for checking against a declared schema. */
  rows?: string[][];
}

async function readDelimited(
  datastore: Datastore,
  path: string,
  format: "csv" | "tsv",
  sample: number,
): Promise<FileColumns> {
  const stream = await datastore.openRead(path);
  const parser = parse({
    delimiter: format === "tsv" ? "\t" : ",",
    bom: true,
    relax_column_count: true,
    ...(format === "tsv" ? { quote: false } : {}),
  });
  stream.pipe(parser);
  stream.on("error", (error) => parser.destroy(error));
  let header: string[] | undefined;
  const rows: string[][] = [];
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      if (header === undefined) header = record;
      else rows.push(record);
      if (rows.length >= sample) break;
    }
  } catch (error) {
    if (error instanceof StoreError) throw error;
    throw new StoreError(
      "CANAL_STORE_TABLE_SCHEMA_MISMATCH",
      `${datastore.name}:${path} is not valid ${format.toUpperCase()}: ${(error as Error).message}`,
    );
  } finally {
    stream.unpipe(parser);
    stream.destroy();
  }
  if (header === undefined || header.length === 0) {
    throw new StoreError(
      "CANAL_STORE_TABLE_SCHEMA_MISMATCH",
      `${datastore.name}:${path} has no header row: a ${format.toUpperCase()} table's first line names its columns`,
    );
  }
  const columns = header.map((name, index) => {
    let type: ColumnType | undefined;
    let nullable = false;
    for (const row of rows) {
      const cell = row[index] ?? "";
      if (cellIsEmpty(cell)) nullable = true;
      else type = widen(type, cellType(cell));
    }
    return { name, ...(type ? { type } : {}), nullable };
  });
  return { path, columns, rows };
}

type SchemaElement = {
  name: string;
  type?: string;
  repetition_type?: string;
  num_children?: number;
  converted_type?: string;
  logical_type?: { type: string };
};

/** A Parquet leaf's type in table words. */
function parquetType(element: SchemaElement): ColumnType {
  const logical = element.logical_type?.type;
  const converted = element.converted_type;
  if (
    logical === "TIMESTAMP" ||
    logical === "DATE" ||
    converted === "DATE" ||
    converted?.startsWith("TIMESTAMP")
  )
    return "datetime";
  if (logical === "DECIMAL" || converted === "DECIMAL") return "number";
  switch (element.type) {
    case "BOOLEAN":
      return "boolean";
    case "INT32":
    case "INT64":
      return "integer";
    case "INT96":
      return "datetime";
    case "FLOAT":
    case "DOUBLE":
      return "number";
    default:
      return "string";
  }
}

async function readParquet(datastore: Datastore, entry: DatastoreEntry): Promise<FileColumns> {
  const { parquetMetadataAsync } = await import("hyparquet");
  const file = {
    byteLength: entry.size,
    slice: async (start: number, end?: number) => {
      const bytes = await datastore.readRange(entry.path, start, end ?? entry.size);
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;
    },
  };
  let schema: SchemaElement[];
  try {
    schema = (await parquetMetadataAsync(file)).schema as SchemaElement[];
  } catch (error) {
    throw new StoreError(
      "CANAL_STORE_TABLE_SCHEMA_MISMATCH",
      `${datastore.name}:${entry.path} is not a Parquet file hyparquet can read: ${(error as Error).message}`,
    );
  }
  // The root's direct children are the columns; a nested one (a struct, a list) is its group's name.
  const columns: FileColumns["columns"] = [];
  let index = 1;
  const skip = (element: SchemaElement): void => {
    for (let i = 0; i < (element.num_children ?? 0); i++) skip(schema[index++] as SchemaElement);
  };
  const count = schema[0]?.num_children ?? 0;
  for (let i = 0; i < count && index < schema.length; i++) {
    const element = schema[index++] as SchemaElement;
    const nested = (element.num_children ?? 0) > 0;
    skip(element);
    columns.push({
      name: element.name,
      type: nested ? "string" : parquetType(element),
      nullable: element.repetition_type !== "REQUIRED",
    });
  }
  return { path: entry.path, columns };
}

async function readFiles(
  datastore: Datastore,
  files: DatastoreEntry[],
  format: TableFormat,
): Promise<FileColumns[]> {
  let budget = SAMPLE_TOTAL;
  return mapLimit(files, PARALLEL, async (entry) => {
    if (format === "parquet") return readParquet(datastore, entry);
    const sample = Math.min(SAMPLE_ROWS, Math.max(0, budget));
    budget -= sample;
    return readDelimited(datastore, entry.path, format, sample);
  });
}

/**
 * The schema of a table spread over `files`: the first file's columns, every other file's header
 * the same, each column's type the widest its sampled cells need (string when it has none),
 * nullable when an empty cell (or a Parquet OPTIONAL column) was seen.
 */
export async function inferSchema(
  datastore: Datastore,
  files: DatastoreEntry[],
  format: TableFormat,
): Promise<TableSchema> {
  const read = await readFiles(datastore, files, format);
  const first = read[0] as FileColumns;
  const names = first.columns.map((c) => c.name);
  const merged = first.columns.map((c) => ({ ...c }));
  for (const file of read.slice(1)) {
    const theirs = file.columns.map((c) => c.name);
    if (theirs.join("\0") !== names.join("\0")) {
      const missing = names.find((n) => !theirs.includes(n));
      const extra = theirs.find((n) => !names.includes(n));
      const what =
        missing !== undefined
          ? `has no column ${JSON.stringify(missing)}`
          : extra !== undefined
            ? `has a column ${JSON.stringify(extra)} that ${first.path} has not`
            : "has the columns in another order";
      throw new StoreError(
        "CANAL_STORE_TABLE_SCHEMA_MISMATCH",
        `${datastore.name}:${file.path} ${what}: a table's files must have the same columns (${first.path} has ${names.join(", ")}); ` +
          "register them as separate datasets, or give a --schema FILE with the columns they share",
      );
    }
    file.columns.forEach((column, i) => {
      const into = merged[i] as (typeof merged)[number];
      if (column.type !== undefined) into.type = widen(into.type, column.type);
      into.nullable ||= column.nullable;
    });
  }
  return {
    columns: merged.map(
      (c): TableColumn => ({
        name: c.name,
        type: c.type ?? "string",
        nullable: c.nullable || c.type === undefined,
      }),
    ),
  };
}

/**
 * Checks every file against `schema`: each declared column present (else an error naming the file
 * and the column), its Parquet type or sampled CSV cells of the declared type, no empty cell in a
 * column that is not nullable.
 */
export async function checkSchema(
  datastore: Datastore,
  files: DatastoreEntry[],
  format: TableFormat,
  schema: TableSchema,
): Promise<void> {
  const read = await readFiles(datastore, files, format);
  for (const file of read) {
    const where = `${datastore.name}:${file.path}`;
    const names = file.columns.map((c) => c.name);
    for (const declared of schema.columns) {
      const index = names.indexOf(declared.name);
      if (index < 0) {
        throw new StoreError(
          "CANAL_STORE_TABLE_SCHEMA_MISMATCH",
          `${where} has no column ${JSON.stringify(declared.name)}, which the schema declares; its columns are ${names.join(", ")}; ` +
            "fix the schema file, or narrow the pattern to the files that have it",
        );
      }
      const found = file.columns[index] as FileColumns["columns"][number];
      if (file.rows === undefined) {
        // Any Parquet column may be registered as a string column (the reader renders it as text).
        if (found.type !== undefined && declared.type !== "string" && !typeFits(declared.type, found.type))
          throw mismatch(
            `${where}: column ${JSON.stringify(declared.name)} is ${found.type} in the file, not ${declared.type}`,
          );
        if (found.nullable && !declared.nullable)
          throw mismatch(
            `${where}: column ${JSON.stringify(declared.name)} may hold nulls, and the schema says it is not nullable`,
          );
        continue;
      }
      file.rows.forEach((row, r) => {
        const cell = row[index] ?? "";
        const line = r + 2;
        const misfit = cellMisfit(cell, declared);
        if (misfit === "empty")
          throw mismatch(
            `${where} row ${line}: column ${JSON.stringify(declared.name)} is empty, and the schema says it is not nullable`,
          );
        if (misfit === "type")
          throw mismatch(
            `${where} row ${line}: column ${JSON.stringify(declared.name)} holds ${JSON.stringify(cell)}, which is not ${declared.type === "integer" ? "an" : "a"} ${declared.type}`,
          );
      });
    }
  }
}

function mismatch(text: string): StoreError {
  return new StoreError("CANAL_STORE_TABLE_SCHEMA_MISMATCH", `${text}; fix the schema file or the data`);
}

const TableSchemaSchema = z.strictObject({
  columns: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        type: z.enum(COLUMN_TYPES as [ColumnType, ...ColumnType[]]),
        nullable: z.boolean().default(false),
      }),
    )
    .min(1),
});

/** A TableSchema from a JSON file: a file that does not parse, or holds no schema, names where. */
export function readSchemaFile(file: string): TableSchema {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new StoreError(
      "CANAL_STORE_TABLE_SCHEMA_INVALID",
      `cannot read the schema file ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); pass the path of a JSON file`,
    );
  }
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message.replace(/\s+/g, " ");
    const { line, column } = lineAndColumn(text, jsonErrorOffset(text));
    const where = ` at line ${line}, column ${column}`;
    throw new StoreError(
      "CANAL_STORE_TABLE_SCHEMA_INVALID",
      `the schema file ${file} is not valid JSON${where} (${message}); fix the syntax`,
    );
  }
  const parsed = TableSchemaSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const key = issue.path
        .map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`))
        .join("")
        .replace(/^\./, "");
      return `\`${key || "(the file)"}\`: ${issue.message}`;
    });
    throw new StoreError(
      "CANAL_STORE_TABLE_SCHEMA_INVALID",
      `the schema file ${file} is not a table schema: ${problems.join("; ")}; ` +
        `it must be {"columns": [{"name": …, "type": one of ${COLUMN_TYPES.join(", ")}, "nullable": true|false}, …]}`,
    );
  }
  return parsed.data;
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  return { line: before.split("\n").length, column: offset - before.lastIndexOf("\n") };
}
