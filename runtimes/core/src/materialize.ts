import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve, sep } from "node:path";
import { ARTIFACT_FILES, type Artifact, pathInside, readArtifact } from "@canal/ir";

// Artifacts are immutable once written (the workspace keeps them by pipeline hash), so one decode
// of pipeline.pb serves every step of a run instead of one per step.
const opened = new Map<string, Artifact>();
function open(artifactDir: string): Artifact {
  let artifact = opened.get(artifactDir);
  if (!artifact) {
    artifact = readArtifact(artifactDir);
    opened.set(artifactDir, artifact);
  }
  return artifact;
}

// Blobs are content-addressed, so bytes read and verified once can serve every later step: each
// script step rebuilds its snapshot, and would otherwise read and hash the same files every time.
// Small blobs only, up to a bounded total.
const SMALL_BLOB = 1 << 20;
const KEPT_BYTES = 64 << 20;
const kept = new Map<string, Buffer>();
let keptBytes = 0;
function blob(artifactDir: string, digest: string): Buffer {
  const known = kept.get(digest);
  if (known) return known;
  const bytes = open(artifactDir).blob(digest);
  if (bytes.length <= SMALL_BLOB && keptBytes + bytes.length <= KEPT_BYTES) {
    kept.set(digest, bytes);
    keptBytes += bytes.length;
  }
  return bytes;
}

interface ManifestEntry {
  path: string;
  sha256: string;
  executable?: boolean;
}

// Snapshots rebuilt ahead into a fresh attempt folder (see FoldersAhead), by destination: the
// attempt's own rebuild finds its snapshot there already and does nothing. Used once, then gone.
const ahead = new Map<string, string>();

/** Rebuilds a snapshot at `destination` now, for the attempt that will ask for it there. */
export function materializeSnapshotAhead(
  artifactDir: string,
  manifestDigest: string,
  destination: string,
): void {
  const root = resolve(destination);
  ahead.delete(root);
  materializeSnapshot(artifactDir, manifestDigest, root);
  ahead.set(root, manifestDigest);
}

/** The snapshot `manifestDigest` is at `destination` already (a finished folder recycled, proven as made). */
export function snapshotMadeAhead(destination: string, manifestDigest: string): void {
  ahead.set(resolve(destination), manifestDigest);
}

/** The snapshot made ahead at `destination` will not be asked for (its folder is removed). */
export function dropSnapshotAhead(destination: string): void {
  ahead.delete(resolve(destination));
}

/** Rebuilds a script step's source snapshot (or a shipped directory) from the artifact's blobs. */
export function materializeSnapshot(artifactDir: string, manifestDigest: string, destination: string): void {
  const root = resolve(destination);
  // Rebuilt ahead for this very attempt, into its fresh folder: there, and nothing else is.
  if (ahead.get(root) === manifestDigest) {
    ahead.delete(root);
    return;
  }
  ahead.delete(root);
  const manifest = JSON.parse(blob(artifactDir, manifestDigest).toString("utf8")) as ManifestEntry[];
  // An empty source folder is a valid snapshot: the step still runs in a folder of its own.
  mkdirSync(root, { recursive: true });
  // Each folder once: a step's attempt rebuilds its snapshot, and a mkdir is a slow call here.
  const made = new Set([root]);
  for (const entry of manifest) {
    const target = resolve(root, entry.path);
    if (!target.startsWith(root + sep)) {
      throw new Error(
        `snapshot ${manifestDigest} names a path outside its folder: ${entry.path}; recompile the artifact`,
      );
    }
    const folder = dirname(target);
    if (!made.has(folder)) {
      mkdirSync(folder, { recursive: true });
      made.add(folder);
    }
    writeFileSync(target, blob(artifactDir, entry.sha256));
    if (entry.executable) chmodSync(target, 0o755);
  }
}

/** The blob file of an artifact, for copying without reading it into memory. */
export function artifactBlobPath(artifactDir: string, digest: string): string {
  return pathInside(artifactDir, ARTIFACT_FILES.blobs, digest);
}
