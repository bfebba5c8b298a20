// Compiled artifacts kept for the runs that ran them: a verified local copy by pipeline hash (what
// a run executes), and the same directory in the blob store (what the pipeline version records), so
// that `canal rerun` rebuilds the copy from the store when this machine has none.
import { cpSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import {
  type Artifact,
  ArtifactError,
  FileDigests,
  holdsCopyOf,
  type Pipeline,
  pathInside,
  pipelineToJson,
  readArtifact,
  swapInto,
} from "@canal/ir";
import { BlobCorruptError, BlobMissingError, type PipelineVersion, type Workspace } from "@canal/store";

/**
 * Keeps an immutable copy of the artifact in the workspace, named by the pipeline hash, so a run
 * (and a later `canal rerun`) never depends on a build directory that a recompile overwrites.
 */
export function keepArtifact(workspace: Workspace, artifact: Artifact): string {
  const root = workspace.config.folders.artifacts;
  const target = pathInside(root, artifact.pipeline.hash);
  const digests = keptDigests(root);
  // A kept copy is verified like any artifact (blobs hashed once per change): a damaged one is
  // replaced from the artifact being run instead of failing every later run. The artifact being run
  // was verified already, so a copy holding the same IR bytes and intact blobs is the same artifact.
  if (holdsCopyOf(target, artifact, { digests })) return target;
  mkdirSync(root, { recursive: true });
  const temp = `${target}.tmp-${process.pid}-${Date.now()}`;
  cpSync(artifact.dir, temp, { recursive: true });
  try {
    if (!holdsCopyOf(temp, artifact, { digests }))
      throw new ArtifactError(
        "CANAL_ARTIFACT_UNREADABLE",
        `artifact ${artifact.dir} changed while it was copied to ${target}; run again`,
      );
    swapInto(temp, target);
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
  return target;
}

const keptJournals = new Map<string, FileDigests>();
function keptDigests(root: string): FileDigests {
  let digests = keptJournals.get(root);
  if (!digests) {
    mkdirSync(root, { recursive: true });
    digests = new FileDigests(join(root, ".verified"));
    keptJournals.set(root, digests);
  }
  return digests;
}

/**
 * Records the pipeline version of `pipeline`, with its artifact (the kept copy `artifactDir`) in
 * the blob store. The directory is stored once per version: a version whose artifact blob is
 * there already is returned as it is.
 */
export async function registerVersion(
  workspace: Workspace,
  pipeline: Pipeline,
  artifactDir: string,
): Promise<PipelineVersion> {
  const { metadata, blobs } = workspace;
  const version = {
    pipeline: pipeline.name,
    hash: pipeline.hash,
    ir: () => pipelineToJson(pipeline),
    artifactLocation: artifactDir,
  };
  const known = await metadata.registerPipelineVersion(version);
  if (known.artifactDigest && (await blobs.has(known.artifactDigest))) return known;
  // Durable before the record names it (no deferSync).
  const artifactDigest = await blobs.putDirectory(artifactDir);
  return metadata.registerPipelineVersion({ ...version, artifactDigest });
}

/**
 * The artifact a pipeline version ran, as a verified local directory: the kept copy when it is
 * intact, else rebuilt from the blob store (every byte verified, then the artifact's own hashes),
 * else, for a version recorded before artifacts were stored as blobs, the directory it names.
 */
export async function versionArtifact(workspace: Workspace, version: PipelineVersion): Promise<string> {
  const root = workspace.config.folders.artifacts;
  const kept = pathInside(root, version.hash);
  const digests = keptDigests(root);
  if (existsSync(kept) && intact(kept, version.hash, digests)) return kept;
  const label = `pipeline ${version.pipeline} v${version.version} (${version.hash.slice(0, 12)})`;
  if (version.artifactDigest) {
    mkdirSync(root, { recursive: true });
    const temp = `${kept}.tmp-${process.pid}-${Date.now()}`;
    try {
      await workspace.blobs.materialize(version.artifactDigest, temp);
      if (!intact(temp, version.hash, digests)) {
        throw new ArtifactError(
          "CANAL_ARTIFACT_UNREADABLE",
          `the stored artifact ${version.artifactDigest} of ${label} is not that pipeline's artifact; ` +
            "compile the pipeline and run it again with `canal run`",
        );
      }
      swapInto(temp, kept);
      return kept;
    } catch (error) {
      if (error instanceof BlobMissingError || error instanceof BlobCorruptError) {
        throw new ArtifactError(
          "CANAL_ARTIFACT_NOT_FOUND",
          `the compiled artifact of ${label} is ${error instanceof BlobMissingError ? "missing" : "damaged"} in ` +
            `the blob store (${error.message}); compile the pipeline and run it again with \`canal run\``,
        );
      }
      throw error;
    } finally {
      rmSync(temp, { recursive: true, force: true });
    }
  }
  const old = version.artifactLocation;
  if (old && existsSync(old) && intact(old, version.hash, digests)) return old;
  throw new ArtifactError(
    "CANAL_ARTIFACT_NOT_FOUND",
    `the compiled artifact of ${label} is not kept${old ? ` (${old} is gone or damaged)` : ""}; ` +
      "compile the pipeline and run it again with `canal run`",
  );
}

function intact(dir: string, hash: string, digests: FileDigests): boolean {
  try {
    return readArtifact(dir, { digests }).pipeline.hash === hash;
  } catch {
    return false;
  }
}
