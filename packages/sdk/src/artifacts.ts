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
   * default, `canal compile` ships the file or directory inside the artifact.
   */
  static from<T extends Artifact>(this: new (path: string) => T, path: string): T {
    return new this(path);
  }
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

/** Tabular data (CSV, Parquet, …) (AzureML TabularDataset). */
export class Table extends Artifact {
  declare private readonly tableBrand: "Table";
}

/** A trained model: a file or directory in the framework's own format. */
export class Model extends Artifact {
  declare private readonly modelBrand: "Model";
}

/** Named numbers, as a JSON object. */
export class Metrics extends Artifact {
  declare private readonly metricsBrand: "Metrics";
}
