// The IR as plain TypeScript objects: the shape protobufjs gives for pipeline.proto with camelCase
// field names. Optional fields are absent when they hold the proto3 default.

export type PrimitiveName = "NUMBER" | "STRING" | "BOOLEAN";

export type Type =
  | { primitive: PrimitiveName }
  | { artifact: ArtifactType }
  | { list: { element: Type } }
  | { enum: { valuesJson: string[] } }
  | { object: ObjectType };

export interface ArtifactType {
  /** The class name first, then its bases: ["Checkpoint", "Model"]. */
  lineage: string[];
  /** A Table declared with a schema: the columns it has (an output) or must have (an input). */
  table?: TableSchemaType;
}

/** A declared table schema in the IR: its columns and the zod schema's name. */
export interface TableSchemaType {
  columns: Array<{ name: string; type: string; nullable?: boolean }>;
  schemaName?: string;
}

export interface ObjectType {
  fields: Field[];
  schemaName?: string;
}

export interface Field {
  name: string;
  type: Type;
  optional?: boolean;
}

export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

export interface DatasetRef {
  path: string;
  blob: string;
  directory?: boolean;
  /** A file's name (`wine.csv`): the step finds it as `in/<input>/<name>`. Absent for a directory. */
  name?: string;
}

/** A registered dataset (`dataset`, `version`: 0 or absent for the newest) or a datastore's files. */
export interface DataRef {
  dataset?: string;
  version?: number;
  datastore?: string;
  path?: string;
  /** How a step reads it: a copy of its own (`download`, the default, left out) or in place (`mount`). */
  access?: DataAccess;
}

/** How a step reads a dataset or datastore input: see docs/data.md. */
export type DataAccess = "download" | "mount";

export const DATA_ACCESS: readonly DataAccess[] = ["download", "mount"];

export interface Parameter {
  name: string;
  type: Type;
  hasDefault?: boolean;
  defaultJson?: string;
  defaultArtifact?: DatasetRef;
  /** A default read from the workspace when a run is submitted: a registered dataset or a datastore path. */
  defaultData?: DataRef;
  description?: string;
  location?: SourceLocation;
}

export type StepKind = "TYPESCRIPT" | "SCRIPT";

export interface CodeRef {
  bundle: string;
  exportName: string;
  member?: string;
}

export interface ScriptSpec {
  snapshot: string;
  command: string;
  source: string;
}

export interface OutputRef {
  step: string;
  output: string;
}

export type Binding = (
  | { output: OutputRef }
  | { parameter: string }
  | { literalJson: string }
  | { fanOutItem: string }
  | { collect: OutputRef }
) & { path?: string[] };

export interface Input {
  name: string;
  type: Type;
  binding: Binding;
  optional?: boolean;
}

export interface Output {
  name: string;
  type: Type;
}

export interface Resources {
  cpu?: number;
  memoryBytes?: number;
  gpu?: number;
  gpuType?: string;
}

export interface RetryPolicy {
  maxRetries?: number;
  backoffMs?: number;
}

export interface CachePolicy {
  noReuse?: boolean;
}

export interface HashedFile {
  path: string;
  sha256: string;
}

export type ConditionOp = "TRUTHY" | "FALSY" | "EQ" | "NE" | "LT" | "LE" | "GT" | "GE";

export interface Condition {
  parameter: string;
  path?: string[];
  op: ConditionOp;
  valueJson?: string;
}

export interface Step {
  id: string;
  name: string;
  kind: StepKind;
  code?: CodeRef;
  script?: ScriptSpec;
  inputs: Input[];
  outputs: Output[];
  environment?: string;
  resources?: Resources;
  retry?: RetryPolicy;
  timeoutMs?: number;
  cache?: CachePolicy;
  compute?: string;
  fanOut?: string;
  conditions?: Condition[];
  after?: string[];
  location?: SourceLocation;
  codeHash: string;
  codeFiles?: HashedFile[];
  hash: string;
  description?: string;
  /** Variables of the run's environment the step reads, sorted (see pipeline.proto `pass_env`). */
  passEnv?: string[];
}

export type FanOut = {
  id: string;
  itemName: string;
  parameterPath?: string[];
  location?: SourceLocation;
} & ({ parameter: string } | { literalJson: string });

export interface PipelineOutput {
  name: string;
  type: Type;
  binding: Binding;
  /** Written to a datastore once produced, and registered as a dataset version. */
  destination?: OutputDestination;
}

/** A datastore path (`{run}`: the run's id; a trailing "/": a folder) and the dataset to register. */
export interface OutputDestination {
  datastore: string;
  path: string;
  register?: string;
}

export type EnvironmentKind = "PYTHON" | "NODE" | "IMAGE";

export interface EnvVar {
  name: string;
  value: string;
}

export interface Environment {
  id: string;
  kind: EnvironmentKind;
  image?: string;
  pythonVersion?: string;
  nodeVersion?: string;
  requirementsPath?: string;
  requirements?: string;
  packages?: string[];
  variables?: EnvVar[];
}

export interface BlobRef {
  sha256: string;
  size: number;
  mediaType: string;
}

export interface SourceInfo {
  entry: string;
  gitCommit?: string;
  gitBranch?: string;
  gitDirty?: boolean;
  /** The project files compiled from, relative to the project root (see pipeline.proto `SourceInfo.files`). */
  files?: HashedFile[];
}

export interface Pipeline {
  irVersion: number;
  minRuntimeVersion: string;
  name: string;
  description?: string;
  parameters: Parameter[];
  steps: Step[];
  fanOuts?: FanOut[];
  outputs?: PipelineOutput[];
  environments?: Environment[];
  blobs?: BlobRef[];
  source?: SourceInfo;
  compilerVersion: string;
  hash: string;
}

/** Media types of the blobs an artifact holds. */
export const MediaType = {
  bundle: "application/vnd.canal.bundle+javascript",
  snapshotManifest: "application/vnd.canal.snapshot+json",
  file: "application/octet-stream",
} as const;
