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

export type { Artifact, ArtifactErrorCode, BlobSource, ReadArtifactOptions } from "./artifact.js";
export {
  ARTIFACT_FILES,
  ArtifactError,
  blobRef,
  readArtifact,
  rememberVerifiedIr,
  sha256,
  swapInto,
  writeArtifact,
} from "./artifact.js";
export type { CanonicalOptions } from "./canonical.js";
export { canonicalBytes, canonicalHash, canonicalJson, framedHash } from "./canonical.js";
export type {
  ParsedTemplate,
  PlaceholderContext,
  TemplatePart,
  TemplateProblem,
} from "./command-template.js";
export {
  CommandTemplateError,
  fillCommandTemplate,
  parseCommandTemplate,
  shellQuote,
} from "./command-template.js";
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
  PathEscapeError,
  pathInside,
  relativePathProblem,
  shownName,
} from "./names.js";
export { decodePipeline, encodePipeline, IR_VERSION, IrError, irType, pipelineToJson } from "./schema.js";
export { closestNames, didYouMean, editDistance } from "./suggest.js";
export type * from "./types.js";
export { MediaType } from "./types.js";
export { verifyPipeline } from "./verify.js";
