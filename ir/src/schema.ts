import { readFileSync } from "node:fs";
import protobuf from "protobufjs";
import { compactPipeline, expandPipeline } from "./compact.js";
import { IrError } from "./errors.js";
import { decodePlainPipeline, PipelineMessage } from "./pipeline.generated.js";
import type { Pipeline } from "./types.js";

/** The IR format version this package reads and writes. */
export const IR_VERSION = 1;

const protoPath = new URL("../pipeline.proto", import.meta.url);

let root: protobuf.Root | undefined;

/**
 * The parsed pipeline.proto, loaded once: its reflection, for what reads the schema itself (the
 * canonical encoding's field order). Encoding and decoding use the static code generated from the
 * same file (pipeline.generated.ts), which the parse would otherwise generate again at run time.
 */
export function irRoot(): protobuf.Root {
  root ??= protobuf.parse(readFileSync(protoPath, "utf8"), { keepCase: false }).root;
  return root;
}

/** The reflected type of a message of pipeline.proto, e.g. `irType("Step")`. */
export function irType(name: string): protobuf.Type {
  return irRoot().lookupType(`canal.ir.v1.${name}`);
}

const toObjectOptions: protobuf.IConversionOptions = { enums: String, longs: Number, defaults: false };

/** Encodes a pipeline as protobuf bytes, checking it against the schema first. */
export function encodePipeline(pipeline: Pipeline): Uint8Array {
  const message = PipelineMessage.fromObject(compactPipeline(pipeline));
  const problem = PipelineMessage.verify(message);
  if (problem)
    throw new IrError(
      "CANAL_IR_INVALID",
      `pipeline "${pipeline.name}" does not fit pipeline.proto: ${problem}`,
    );
  return PipelineMessage.encode(message).finish();
}

/**
 * Decodes protobuf bytes into a pipeline; names the file in the error when the bytes are damaged.
 * The bytes become plain objects in one pass (decodePlainPipeline, generated beside the static
 * code, gives what the static decode and toObject give together), then calls of a template whole
 * steps again.
 */
export function decodePipeline(bytes: Uint8Array, origin = "pipeline.pb"): Pipeline {
  let pipeline: Pipeline;
  try {
    pipeline = expandPipeline(decodePlainPipeline(bytes) as Pipeline);
  } catch (error) {
    throw new IrError(
      "CANAL_IR_CORRUPT",
      `${origin} is not a Canal pipeline (${(error as Error).message}); recompile it with \`canal compile\``,
    );
  }
  if (pipeline.irVersion > IR_VERSION) {
    throw new IrError(
      "CANAL_IR_TOO_NEW",
      `${origin} uses IR version ${pipeline.irVersion} but this Canal reads up to ${IR_VERSION}; upgrade Canal to ${pipeline.minRuntimeVersion} or later`,
    );
  }
  return pipeline;
}

/**
 * The readable JSON form of a pipeline, for code review: the compact form (repeated calls of a
 * step as calls of a template), schema field order, two-space indent.
 */
export function pipelineToJson(pipeline: Pipeline): string {
  const plain = PipelineMessage.toObject(
    PipelineMessage.fromObject(compactPipeline(pipeline)),
    toObjectOptions,
  );
  return `${JSON.stringify(plain, null, 2)}\n`;
}
