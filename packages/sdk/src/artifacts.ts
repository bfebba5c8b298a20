import type { z } from "zod";

/**
 * Typed artifacts: what flows between steps. Each class is nominal (a private brand), so passing
 * a Model where a Table is expected is a type error in the editor and in `canal compile`. Extend
 * one to make your own kind: `class Checkpoint extends Model {}` is accepted wherever a Model is.
 *
 * At run time an artifact is a local path (a file or a directory) that the runtime materialised.
 */
export class Artifact {
  declare private readonly artifactBrand: "Artifact";
  /** Local path of the artifact's bytes while a step runs. */
  readonly path: string;

  constructor(path: string) {
    this.path = path;
  }

  /**
   * An artifact from a path, relative to the pipeline's source file. As a pipeline parameter's
   * default, `canal compile` ships the file or directory inside the artifact. `DATASTORE:PATH`
   * names files of a workspace datastore instead (`File.from("raw:wine.csv")`,
   * `Dataset.from("lake:images/")`): read when a run is submitted, not shipped; with
   * `{ access: "mount" }` a step reads those files in place instead of a copy of its own.
   */
  static from<T extends Artifact>(
    this: new (
      path: string,
    ) => T,
    path: string,
    _options: DataOptions = {},
  ): T {
    return new this(path);
  }

  /**
   * A registered dataset (AzureML `Dataset.get_by_name`), as a pipeline parameter's default:
   * `raw: Table<typeof WineRow> = Table.get("wine")` reads the newest version when a run is
   * submitted (recorded with the run), `Table.get("wine", { version: 3 })` that version. On the
   * command line, `-p raw=wine:3`. `{ access: "mount" }`: a step reads the version's files in
   * place (a local datastore's own files, an S3 datastore's through a bounded cache) rather than a
   * copy. See docs/data.md.
   */
  static get<T extends Artifact>(
    this: new (
      path: string,
    ) => T,
    name: string,
    options: { version?: number } & DataOptions = {},
  ): T {
    return new this(options.version === undefined ? name : `${name}:${options.version}`);
  }
}

/**
 * How a step reads workspace data: `download` (the default) copies it into the step's folder,
 * `mount` reads it in place. See docs/data.md.
 */
export interface DataOptions {
  access?: "download" | "mount";
}

/** A single file. */
export class File extends Artifact {
  declare private readonly fileBrand: "File";
}

/** A directory tree. */
export class Directory extends Artifact {
  declare private readonly directoryBrand: "Directory";
}

/** Input data registered or given by path: a file or a directory (AzureML FileDataset). */
export class Dataset extends Artifact {
  declare private readonly datasetBrand: "Dataset";
}

/** A table's row schema: a zod object whose fields are the columns (`z.object({ ph: z.number() })`). */
export type RowSchema = z.ZodObject;

/** The row type of a Table: its schema's output type, or any row where no schema is declared. */
export type RowOf<Schema> = Schema extends RowSchema ? z.output<Schema> : any;

/**
 * Tabular data (CSV, TSV, Parquet) (AzureML TabularDataset). `Table<typeof WineRow>` declares
 * its columns with a zod object: `canal compile` checks that a table a step produces has the
 * columns (and types) the step consuming it declares, and a table that arrives without a
 * declared column fails the step before its command starts, naming the column. A column's type
 * is `z.string()`, `z.number()`, `z.int()` (or `z.number().int()`), `z.boolean()`, `z.date()` or
 * `z.iso.datetime()`; `.nullable()` or `.optional()` lets its cells be empty. A Table without a
 * schema is not checked, and is accepted wherever one with a schema is declared.
 */
export class Table<Schema extends RowSchema = any> extends Artifact {
  declare private readonly tableBrand: "Table";
  /** The type of one row, for the type checker only (never set). */
  declare readonly row?: RowOf<Schema>;
}

/** A trained model: a file or directory in the framework's own format. */
export class Model extends Artifact {
  declare private readonly modelBrand: "Model";
}

/** Named numbers, as a JSON object. */
export class Metrics extends Artifact {
  declare private readonly metricsBrand: "Metrics";
}
