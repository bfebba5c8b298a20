// One blob of a compiled artifact, read by its digest and checked against it, without decoding the
// IR: what a process needs that runs a step another process planned from the verified artifact (a
// worker running TypeScript steps), and loads none of the protobuf code.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ArtifactError } from "./errors.js";
import { isDigest } from "./names.js";

/**
 * The files of a compiled artifact: one directory a runtime needs and nothing else.
 *
 *   pipeline.pb          the IR, binary protobuf
 *   pipeline.json        the same IR, readable, for code review
 *   blobs/<sha256>       code bundles, script snapshot manifests and files, shipped datasets
 */
export const ARTIFACT_FILES = { ir: "pipeline.pb", json: "pipeline.json", blobs: "blobs" } as const;

/** The path of blob `digest` in artifact `dir`; throws for a name that is not a digest. */
export function artifactBlobFile(dir: string, digest: string): string {
  if (!isDigest(digest)) {
    throw new ArtifactError(
      "CANAL_ARTIFACT_BLOB_MISSING",
      `artifact ${dir} has no blob named ${JSON.stringify(String(digest).slice(0, 80))}; it is damaged: recompile it with \`canal compile\``,
    );
  }
  return join(dir, ARTIFACT_FILES.blobs, digest);
}

/**
 * The bytes of blob `digest` in artifact `dir`, once they hash to it; `role` says what the blob is
 * in an error (" (the code of step `train`)"). Throws CANAL_ARTIFACT_BLOB_MISSING or
 * CANAL_ARTIFACT_BLOB_CORRUPT, naming the fix.
 */
export function readArtifactBlob(dir: string, digest: string, role = ""): Buffer {
  const file = artifactBlobFile(dir, digest);
  let content: Buffer;
  try {
    content = readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "EISDIR")
      throw new ArtifactError(
        "CANAL_ARTIFACT_BLOB_MISSING",
        `artifact ${dir} lacks blob ${digest}${role}; it is incomplete: recompile it with \`canal compile\``,
      );
    throw error;
  }
  if (createHash("sha256").update(content).digest("hex") !== digest)
    throw new ArtifactError(
      "CANAL_ARTIFACT_BLOB_CORRUPT",
      `artifact blob ${file}${role} is corrupt (its content does not match its sha256); recompile the artifact with \`canal compile\``,
    );
  return content;
}
