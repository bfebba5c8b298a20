// The vocabulary of tables: a Table artifact's or a registered Table dataset's format and columns.
// The compiler writes a declared schema into the IR, a registered dataset records the schema it was
// given or inferred, and a step's input is checked against its declared schema before it starts:
// all three speak these types.

/** A column's type, as wide as CSV and Parquet both can say. */
export type ColumnType = "string" | "integer" | "number" | "boolean" | "datetime";

export const COLUMN_TYPES: readonly ColumnType[] = ["string", "integer", "number", "boolean", "datetime"];

/** How a table's bytes are laid out: delimited text with a header row, or Parquet. */
export type TableFormat = "csv" | "tsv" | "parquet";

export const TABLE_FORMATS: readonly TableFormat[] = ["csv", "tsv", "parquet"];

/** One column: its name as the header (or Parquet schema) spells it, its type, whether it may be empty. */
export interface TableColumn {
  name: string;
  type: ColumnType;
  nullable: boolean;
}

/** The columns a table has or must have, in order. */
export interface TableSchema {
  columns: TableColumn[];
}
