// The artifacts a stored value names (a file's or a directory's digest, a list's digests), as both
// metadata stores write them beside a step run's values and uses, and as gc and push collect them.
import { checkDigest } from "./errors.js";
import type { ArtifactInfo, ArtifactKind, StoredValue } from "./types.js";

/** The artifacts a value refers to, with their kind where the value tells it. */
export function artifactRefs(value: StoredValue): Array<{ digest: string; kind?: ArtifactKind }> {
  if ("digest" in value)
    return [{ digest: checkDigest(value.digest), kind: value.directory ? "directory" : "file" }];
  if ("digests" in value) return value.digests.map((digest) => ({ digest: checkDigest(digest) }));
  return [];
}

/**
 * What step runs' ends write besides their own rows, in either store: each value as
 * `[stepRunId, name, json]` by direction, the artifacts the ends give and their values name (the
 * uses name them, so they are written first), and each use as `[digest, stepRunId, direction, name]`.
 */
export function endValueRows(
  ends: ReadonlyArray<{
    stepRunId: number;
    inputs?: Record<string, StoredValue>;
    outputs?: Record<string, StoredValue>;
    artifacts?: ArtifactInfo[];
  }>,
): {
  values: Record<"input" | "output", Array<[number, string, string]>>;
  artifacts: ArtifactInfo[];
  uses: Array<[string, number, "input" | "output", string]>;
} {
  const values: Record<"input" | "output", Array<[number, string, string]>> = { input: [], output: [] };
  const artifacts: ArtifactInfo[] = [];
  const uses: Array<[string, number, "input" | "output", string]> = [];
  for (const end of ends) {
    artifacts.push(...(end.artifacts ?? []));
    for (const direction of ["input", "output"] as const) {
      for (const [name, value] of Object.entries((direction === "input" ? end.inputs : end.outputs) ?? {})) {
        values[direction].push([end.stepRunId, name, JSON.stringify(value)]);
        for (const ref of artifactRefs(value)) {
          artifacts.push(ref);
          uses.push([ref.digest, end.stepRunId, direction, name]);
        }
      }
    }
  }
  return { values, artifacts, uses };
}

/** The digests inside a stored value, or a run's parameters (which hold stored values). */
export function collectDigests(value: unknown, into: Set<string>): void {
  if (Array.isArray(value)) {
    for (const item of value) collectDigests(item, into);
    return;
  }
  if (value === null || typeof value !== "object") return;
  const record = value as Record<string, unknown>;
  if (typeof record.digest === "string" && /^[0-9a-f]{64}$/.test(record.digest)) into.add(record.digest);
  if (Array.isArray(record.digests))
    for (const digest of record.digests) if (typeof digest === "string") into.add(digest);
  for (const [name, inner] of Object.entries(record))
    if (name !== "digest" && name !== "digests") collectDigests(inner, into);
}
