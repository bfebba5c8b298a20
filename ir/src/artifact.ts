import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { decodePipeline, encodePipeline, pipelineToJson } from "./schema.js";
import type { BlobRef, Pipeline } from "./types.js";

/**
 * The compiled artifact: one directory a runtime needs and nothing else.
 *
 *   pipeline.pb          the IR, binary protobuf
 *   pipeline.json        the same IR, readable, for code review
 *   blobs/<sha256>       code bundles, script snapshot manifests and files, shipped datasets
 *
 * Blobs are content-addressed, so an artifact is verifiable (`readArtifact(dir).verify()`), and two
 * compiles of the same source are byte-identical.
 */
export const ARTIFACT_FILES = { ir: "pipeline.pb", json: "pipeline.json", blobs: "blobs" } as const;

export interface BlobSource {
  mediaType: string;
  bytes: Uint8Array;
}

/** sha256 (hex) of some bytes. */
export function sha256(bytes: Uint8Array | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * Writes an artifact to `dir`, replacing what was there as a whole: it is built in a sibling
 * temporary directory and renamed into place, so a reader never sees half an artifact and no blob
 * of an older compile is left behind.
 */
export function writeArtifact(dir: string, pipeline: Pipeline, blobs: Map<string, BlobSource>): void {
  const target = resolve(dir);
  const staging = `${target}.tmp-${randomBytes(4).toString("hex")}`;
  mkdirSync(join(staging, ARTIFACT_FILES.blobs), { recursive: true });
  try {
    for (const [digest, blob] of [...blobs].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (sha256(blob.bytes) !== digest) throw new Error(`blob ${digest} does not match its content`);
      writeFileSync(join(staging, ARTIFACT_FILES.blobs, digest), blob.bytes);
    }
    writeFileSync(join(staging, ARTIFACT_FILES.ir), encodePipeline(pipeline));
    writeFileSync(join(staging, ARTIFACT_FILES.json), pipelineToJson(pipeline));
    mkdirSync(dirname(target), { recursive: true });
    const previous = `${target}.old-${randomBytes(4).toString("hex")}`;
    if (existsSync(target)) renameSync(target, previous);
    renameSync(staging, target);
    rmSync(previous, { recursive: true, force: true });
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
}

/** The blob index entry of some bytes. */
export function blobRef(bytes: Uint8Array, mediaType: string): BlobRef {
  return { sha256: sha256(bytes), size: bytes.length, mediaType };
}

export class ArtifactError extends Error {
  constructor(
    readonly code: "CANAL_ARTIFACT_NOT_FOUND" | "CANAL_ARTIFACT_BLOB_MISSING" | "CANAL_ARTIFACT_BLOB_CORRUPT",
    message: string,
  ) {
    super(message);
    this.name = "ArtifactError";
  }
}

/** A compiled artifact opened for reading. */
export interface Artifact {
  dir: string;
  pipeline: Pipeline;
  /** A blob's bytes, checked against its sha256. */
  blob(digest: string): Buffer;
  /** Checks every blob the IR lists is present and intact; returns the problems found. */
  verify(): ArtifactError[];
}

/** Opens an artifact directory (or its pipeline.pb). */
export function readArtifact(path: string): Artifact {
  const resolved = resolve(path);
  const dir = existsSync(resolved) && statSync(resolved).isFile() ? dirname(resolved) : resolved;
  const irPath = join(dir, ARTIFACT_FILES.ir);
  if (!existsSync(irPath)) {
    throw new ArtifactError(
      "CANAL_ARTIFACT_NOT_FOUND",
      `${path} is not a compiled Canal artifact (no ${ARTIFACT_FILES.ir} in ${dir}); run \`canal compile <entry.ts>\` first`,
    );
  }
  const pipeline = decodePipeline(readFileSync(irPath), irPath);
  const blob = (digest: string): Buffer => {
    const file = join(dir, ARTIFACT_FILES.blobs, digest);
    if (!/^[0-9a-f]{64}$/.test(digest) || !existsSync(file)) {
      throw new ArtifactError(
        "CANAL_ARTIFACT_BLOB_MISSING",
        `artifact ${dir} lacks blob ${digest}; it is incomplete: recompile it with \`canal compile\``,
      );
    }
    const bytes = readFileSync(file);
    if (sha256(bytes) !== digest) {
      throw new ArtifactError(
        "CANAL_ARTIFACT_BLOB_CORRUPT",
        `artifact blob ${file} is corrupt (its content does not match its sha256); recompile the artifact with \`canal compile\``,
      );
    }
    return bytes;
  };
  const verify = (): ArtifactError[] => {
    const problems: ArtifactError[] = [];
    for (const ref of pipeline.blobs ?? []) {
      try {
        blob(ref.sha256);
      } catch (error) {
        problems.push(error as ArtifactError);
      }
    }
    return problems;
  };
  return { dir, pipeline, blob, verify };
}
