import { hash, randomBytes } from "node:crypto";
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { ARTIFACT_FILES, artifactBlobFile, readArtifactBlob } from "./artifact-blob.js";
import { ArtifactError, IrError } from "./errors.js";
import { FileDigests } from "./file-digests.js";
import { isDigest } from "./names.js";
import { decodePipeline, encodePipeline, pipelineToJson } from "./schema.js";
import type { BlobRef, Pipeline } from "./types.js";
import { verifyPipeline } from "./verify.js";

// The compiled artifact's files are ARTIFACT_FILES. Blobs are content-addressed, so an artifact is
// verifiable (`readArtifact(dir).verify()`), and two compiles of the same source are byte-identical.
export { ARTIFACT_FILES };

export interface BlobSource {
  mediaType: string;
  bytes: Uint8Array;
}

/** sha256 (hex) of some bytes. */
export function sha256(bytes: Uint8Array | string): string {
  return hash("sha256", bytes, "hex");
}

/**
 * Writes an artifact to `dir`, replacing what was there as a whole: it is built in a sibling
 * temporary directory and renamed into place, so a reader never sees half an artifact and no blob
 * of an older compile is left behind. Compiles into one folder at once each put a whole artifact
 * in place; the last one stays.
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
    // pipeline.pb last: a staging folder with one is complete.
    writeFileSync(join(staging, ARTIFACT_FILES.json), pipelineToJson(pipeline));
    writeFileSync(join(staging, ARTIFACT_FILES.ir), encodePipeline(pipeline));
    mkdirSync(dirname(target), { recursive: true });
    swapInto(staging, target);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Renames the complete folder `staging` to `target`, moving whatever is there aside first. A
 * directory cannot be renamed over a non-empty one, so when another writer puts its folder in
 * place between the two renames, that one is moved aside in turn.
 */
export function swapInto(staging: string, target: string): void {
  for (let attempt = 0; ; attempt++) {
    const previous = `${target}.old-${randomBytes(4).toString("hex")}`;
    let moved = false;
    try {
      renameSync(target, previous);
      moved = true;
    } catch (error) {
      if (errorCode(error) !== "ENOENT") throw error;
    }
    try {
      renameSync(staging, target);
      return;
    } catch (error) {
      const code = errorCode(error);
      if ((code !== "ENOTEMPTY" && code !== "EEXIST") || attempt >= 100) throw error;
    } finally {
      if (moved) rmSync(previous, { recursive: true, force: true });
    }
  }
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/** The blob index entry of some bytes. */
export function blobRef(bytes: Uint8Array, mediaType: string): BlobRef {
  return { sha256: sha256(bytes), size: bytes.length, mediaType };
}

/** A compiled artifact opened for reading (and verified: see `readArtifact`). */
export interface Artifact {
  dir: string;
  pipeline: Pipeline;
  /** The sha256 of the pipeline.pb bytes that were read and verified. */
  irDigest: string;
  /** A blob's bytes, checked against its sha256. */
  blob(digest: string): Buffer;
  /** Checks again that every blob the IR lists is present and intact; returns the problems found. */
  verify(): ArtifactError[];
}

export interface ReadArtifactOptions {
  /**
   * What is known about which blob files are intact (default: what this process learnt). Pass one
   * with a journal to hash each blob once per change across processes.
   */
  digests?: FileDigests;
}

const learnt = new FileDigests();

/**
 * The sha256 of each pipeline.pb this process verified: the checks are a function of the bytes
 * alone, so the same bytes read again (`canal run` reads its artifact to choose targets, then to
 * run it) are not checked twice. The blobs are checked on every read.
 */
const verifiedIr = new Set<string>();

/**
 * The pipeline.pb this process decoded last, by the digest of its bytes: a process that reads the
 * same artifact again and again (a server starting runs of one endpoint) decodes it twice, then
 * copies the second decoding, which costs less than decoding a large IR. A process that reads it
 * once (`canal run` reads its artifact once) copies nothing. Each reader gets its own copy, so
 * none sees what another changed.
 */
let lastDecoded: { digest: string; pipeline?: Pipeline } | undefined;

function decodedOnce(digest: string, decode: () => Pipeline): Pipeline {
  if (lastDecoded?.digest !== digest) {
    lastDecoded = { digest };
    return decode();
  }
  if (lastDecoded.pipeline) return structuredClone(lastDecoded.pipeline);
  const pipeline = decode();
  lastDecoded.pipeline = structuredClone(pipeline);
  return pipeline;
}

// Bumped whenever verifyPipeline checks more: bytes a build with fewer checks passed are checked again.
const IR_CHECKS = "checks-1";
let irJournal: string | undefined;

/**
 * Keeps the sha256 of each pipeline.pb that passed the checks in `journal` (a file of the
 * workspace's own, beside its other journals of verified files), and trusts what it holds: a later
 * `canal run` of the same artifact decodes it but does not recompute every step hash again. Only
 * bytes that passed are written, under the digest of those exact bytes, so an artifact edited since
 * is checked (its digest is new). Whoever can write the journal can write the workspace's store too.
 */
export function rememberVerifiedIr(journal: string): void {
  if (irJournal === journal) return;
  irJournal = journal;
  try {
    if (statSync(journal).size > 1024 * 1024) rmSync(journal, { force: true });
    for (const line of readFileSync(journal, "utf8").split("\n")) {
      const [checks, digest] = line.split(" ");
      if (checks === IR_CHECKS && isDigest(digest)) verifiedIr.add(digest as string);
    }
  } catch {
    // No journal yet: every artifact is checked, and those that pass are written to it.
  }
}

/**
 * Opens an artifact directory (or its pipeline.pb) and verifies it before anything trusts it:
 * the IR decodes, every name in it is one the compiler writes, every environment id, step hash and
 * the pipeline hash match the content they were computed from, and every blob holds the bytes its
 * digest names. Any problem throws an ArtifactError or IrError naming the part and the fix. A
 * compile that replaces the artifact meanwhile is waited for; what is read is one whole artifact.
 */
export function readArtifact(path: string, options: ReadArtifactOptions = {}): Artifact {
  const digests = options.digests ?? learnt;
  const resolved = resolve(path);
  let dir = resolved;
  try {
    if (statSync(resolved).isFile()) dir = dirname(resolved);
  } catch {
    // Not there: said below, once a compile that is replacing it has had the time to finish.
  }
  const deadline = Date.now() + 3000;
  for (let attempt = 1; ; attempt++) {
    const before = folderIdentity(dir);
    try {
      const artifact = openArtifact(path, dir, digests);
      if (before !== undefined && folderIdentity(dir) === before) return artifact;
    } catch (error) {
      if (!beingReplaced(dir) || Date.now() > deadline) throw error;
    }
    if (Date.now() > deadline) throw replacedMeanwhile(dir);
    pause(Math.min(5 * attempt, 100));
  }
}

function openArtifact(path: string, dir: string, digests: FileDigests): Artifact {
  const irPath = join(dir, ARTIFACT_FILES.ir);
  let bytes: Buffer;
  try {
    bytes = readFileSync(irPath);
  } catch (error) {
    if (errorCode(error) === "ENOENT" || errorCode(error) === "ENOTDIR")
      throw new ArtifactError(
        "CANAL_ARTIFACT_NOT_FOUND",
        `${path} is not a compiled Canal artifact (no ${ARTIFACT_FILES.ir} in ${dir}); run \`canal compile <entry.ts>\` first`,
      );
    throw new ArtifactError(
      "CANAL_ARTIFACT_UNREADABLE",
      `cannot read ${irPath} (${errorCode(error) ?? (error as Error).message}); make it readable, or recompile the artifact with \`canal compile\``,
    );
  }
  const irDigest = sha256(bytes);
  const pipeline = decodedOnce(irDigest, () => decodePipeline(bytes, irPath));
  try {
    if (!verifiedIr.has(irDigest)) {
      verifyPipeline(pipeline, irPath);
      verifiedIr.add(irDigest);
      if (irJournal) {
        try {
          appendFileSync(irJournal, `${IR_CHECKS} ${irDigest}\n`);
        } catch {
          // Only a later check is not saved.
        }
      }
    }
  } catch (error) {
    if (error instanceof IrError) throw error;
    // A shape the checks did not expect (a required part missing): damaged bytes that still decode.
    throw new IrError(
      "CANAL_IR_CORRUPT",
      `${irPath} is not a whole Canal pipeline (${(error as Error).message}); recompile it with \`canal compile\``,
    );
  }
  const roles = blobRoles(pipeline);
  const blobFile = (digest: string): string => artifactBlobFile(dir, digest);
  const missing = (digest: string) =>
    new ArtifactError(
      "CANAL_ARTIFACT_BLOB_MISSING",
      `artifact ${dir} lacks blob ${digest}${roles.get(digest) ?? ""}; it is incomplete: recompile it with \`canal compile\``,
    );
  const corrupt = (digest: string) =>
    new ArtifactError(
      "CANAL_ARTIFACT_BLOB_CORRUPT",
      `artifact blob ${blobFile(digest)}${roles.get(digest) ?? ""} is corrupt (its content does not match its sha256); recompile the artifact with \`canal compile\``,
    );
  const blob = (digest: string): Buffer => readArtifactBlob(dir, digest, roles.get(digest));
  const check = (digest: string): ArtifactError | undefined => {
    const file = blobFile(digest);
    if (digests.matches(file, digest)) return undefined;
    return existsSync(file) ? corrupt(digest) : missing(digest);
  };
  const verify = (): ArtifactError[] =>
    (pipeline.blobs ?? []).flatMap((ref) => {
      const problem = check(ref.sha256);
      return problem ? [problem] : [];
    });
  const problems = verify();
  if (problems.length > 0) throw problems[0];
  return { dir, pipeline, irDigest, blob, verify };
}

/**
 * Whether `dir` holds a whole copy of `artifact`, which was read and verified: its pipeline.pb is
 * byte for byte the one verified (so it decodes to the same pipeline, and is not decoded again)
 * and every blob the pipeline lists is there, intact (hashed once per change, as `readArtifact`
 * does). Anything missing, unreadable or different answers false.
 */
export function holdsCopyOf(dir: string, artifact: Artifact, options: ReadArtifactOptions = {}): boolean {
  const digests = options.digests ?? learnt;
  let bytes: Buffer;
  try {
    bytes = readFileSync(join(dir, ARTIFACT_FILES.ir));
  } catch {
    return false;
  }
  if (sha256(bytes) !== artifact.irDigest) return false;
  return (artifact.pipeline.blobs ?? []).every(
    (ref) => isDigest(ref.sha256) && digests.matches(join(dir, ARTIFACT_FILES.blobs, ref.sha256), ref.sha256),
  );
}

/** For each blob the IR names directly, what it is, as an error shows it. */
function blobRoles(pipeline: Pipeline): Map<string, string> {
  const roles = new Map<string, string>();
  for (const step of pipeline.steps) {
    if (step.code && !roles.has(step.code.bundle))
      roles.set(step.code.bundle, ` (the code of step \`${step.id}\`)`);
    if (step.script && !roles.has(step.script.snapshot))
      roles.set(step.script.snapshot, ` (the source snapshot of step \`${step.id}\`)`);
  }
  for (const parameter of pipeline.parameters) {
    const digest = parameter.defaultArtifact?.blob;
    if (digest && !roles.has(digest)) roles.set(digest, ` (the default of parameter \`${parameter.name}\`)`);
  }
  return roles;
}

function folderIdentity(dir: string): string | undefined {
  const info = statSync(dir, { bigint: true, throwIfNoEntry: false });
  return info ? `${info.dev}:${info.ino}` : undefined;
}

/** Whether a compile is putting a new artifact in place of `dir` now (its folders beside it are fresh). */
function beingReplaced(dir: string): boolean {
  const prefix = `${basename(dir)}.`;
  let names: string[];
  try {
    names = readdirSync(dirname(dir));
  } catch {
    return false;
  }
  return names.some((name) => {
    if (!name.startsWith(`${prefix}tmp-`) && !name.startsWith(`${prefix}old-`)) return false;
    const info = statSync(join(dirname(dir), name), { throwIfNoEntry: false });
    return info !== undefined && Date.now() - info.mtimeMs < 60_000;
  });
}

function replacedMeanwhile(dir: string): ArtifactError {
  return new ArtifactError(
    "CANAL_ARTIFACT_UNREADABLE",
    `artifact ${dir} kept being replaced while it was read; wait for the \`canal compile\` writing it to end and try again`,
  );
}

function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
