/**
 * Canal's portable pipeline IR: the protobuf schema, its TypeScript shape, the canonical encoding
 * that content hashes are taken over, and the readable JSON form.
 *
 * @example
 * ```ts
 * import { decodePipeline, pipelineToJson } from "@canal/ir";
 * const pipeline = decodePipeline(readFileSync("canal-out/iris/pipeline.pb"));
 * console.log(pipeline.steps.map((s) => `${s.id} ${s.hash}`), pipelineToJson(pipeline));
 * ```
 */

export type { Artifact, BlobSource, ReadArtifactOptions } from "./artifact.js";
export {
  ARTIFACT_FILES,
  blobRef,
  holdsCopyOf,
  readArtifact,
  rememberVerifiedIr,
  sha256,
  swapInto,
  writeArtifact,
} from "./artifact.js";
export type { CanonicalOptions } from "./canonical.js";
export { canonicalBytes, canonicalHash, canonicalJson, framedHash } from "./canonical.js";
export type { ParsedTemplate, PlaceholderContext, TemplatePart } from "./command-template.js";
export { fillCommandTemplate, parseCommandTemplate, shellQuote } from "./command-template.js";
export type { ArtifactErrorCode, CanalErrorOptions, Problem, TemplateProblem } from "./errors.js";
export {
  ArtifactError,
  CanalError,
  CommandTemplateError,
  IrError,
  isCanalError,
  PathEscapeError,
  problemsMessage,
  problemText,
} from "./errors.js";
export { FileDigests, hashFile } from "./file-digests.js";
export type { Edge } from "./graph.js";
export { bindingSource, bindingText, pipelineEdges, typeText } from "./graph.js";
export { environmentId, pipelineHash, stepHash } from "./hashes.js";
export {
  envNameProblem,
  fileNameProblem,
  isDigest,
  NAME_MAX_LENGTH,
  nameProblem,
  pathInside,
  printableText,
  relativePathProblem,
  shownName,
} from "./names.js";
export type {
  AttemptStatus,
  BlobPlace,
  CacheKeyComponents,
  DatasetOrigin,
  Metric,
  MountSource,
  RunOutcome,
  RunStatus,
  SharedBlobs,
  StepClaimHolder,
  StepClaimResult,
  StepOutcome,
  StepRunStatus,
  StoredValue,
} from "./run-types.js";
export { decodePipeline, encodePipeline, IR_VERSION, irType, pipelineToJson } from "./schema.js";
export { closestNames, didYouMean, editDistance } from "./suggest.js";
export type {
  ColumnShape,
  ColumnType,
  SchemaMismatch,
  TableColumn,
  TableFormat,
  TableSchema,
} from "./table-schema.js";
export {
  COLUMN_TYPES,
  cellIsEmpty,
  cellMisfit,
  cellReadsAs,
  cellType,
  columnFits,
  columnMisfit,
  schemaMismatch,
  TABLE_FORMATS,
  typeFits,
} from "./table-schema.js";
export type * from "./types.js";
export { DATA_ACCESS, MediaType } from "./types.js";
export {
  DURATION_FORM,
  formatMemory,
  MEMORY_FORM,
  MEMORY_PATTERN,
  parseDuration,
  parseMemory,
} from "./units.js";
export { verifyPipeline } from "./verify.js";
