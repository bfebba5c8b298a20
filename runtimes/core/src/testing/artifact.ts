import { createHash } from "node:crypto";
import { type BlobSource, MediaType, type Pipeline, pipelineHash, stepHash, writeArtifact } from "@canal/ir";

const sha = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

/** A script step's source snapshot of `files` (path -> text): its manifest's digest and its blobs. */
export function testSnapshot(files: Record<string, string>): {
  digest: string;
  blobs: Map<string, BlobSource>;
} {
  const blobs = new Map<string, BlobSource>();
  const manifest = Object.entries(files).map(([path, text]) => {
    const bytes = Buffer.from(text);
    blobs.set(sha(bytes), { mediaType: MediaType.file, bytes });
    return { path, sha256: sha(bytes) };
  });
  const bytes = Buffer.from(JSON.stringify(manifest));
  blobs.set(sha(bytes), { mediaType: MediaType.snapshotManifest, bytes });
  return { digest: sha(bytes), blobs };
}

/**
 * Writes `pipeline` as a compiled artifact at `dir` that reading verifies (the steps' and the
 * pipeline's hashes computed, `blobs` listed), for a runtime that rebuilds snapshots from it.
 */
export function writeTestArtifact(dir: string, pipeline: Pipeline, blobs: Map<string, BlobSource>): Pipeline {
  const steps = pipeline.steps.map((step) => ({ ...step, hash: stepHash(step) }));
  const refs = [...blobs].map(([sha256, blob]) => ({
    sha256,
    size: blob.bytes.length,
    mediaType: blob.mediaType,
  }));
  const unsealed = { ...pipeline, steps, blobs: refs };
  const sealed = { ...unsealed, hash: pipelineHash(unsealed) };
  writeArtifact(dir, sealed, blobs);
  return sealed;
}
