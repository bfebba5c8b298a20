import { cpSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileDigests, holdsCopyOf, readArtifact, sha256, writeArtifact } from "@canal/ir";
import { describe, expect, it } from "vitest";
import { blobs, manifest, pipeline } from "./test-pipeline.js";

describe("holdsCopyOf", () => {
  /** An artifact as `writeArtifact` leaves it, read and verified, and a copy of its folder. */
  function artifactAndCopy() {
    const root = mkdtempSync(join(tmpdir(), "canal-copy-"));
    const dir = join(root, "demo");
    writeArtifact(dir, pipeline(), blobs());
    const copy = join(root, "copy");
    cpSync(dir, copy, { recursive: true });
    return { artifact: readArtifact(dir, { digests: new FileDigests() }), copy };
  }
  const blobOf = (copy: string) => join(copy, "blobs", sha256(manifest));

  it("accepts a whole copy", () => {
    const { artifact, copy } = artifactAndCopy();
    expect(holdsCopyOf(copy, artifact, { digests: new FileDigests() })).toBe(true);
  });

  it("refuses a pipeline.pb that differs in one byte", () => {
    const { artifact, copy } = artifactAndCopy();
    const bytes = readFileSync(join(copy, "pipeline.pb"));
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 1;
    writeFileSync(join(copy, "pipeline.pb"), bytes);
    expect(holdsCopyOf(copy, artifact, { digests: new FileDigests() })).toBe(false);
  });

  it("refuses a folder without pipeline.pb", () => {
    const { artifact, copy } = artifactAndCopy();
    rmSync(join(copy, "pipeline.pb"));
    expect(holdsCopyOf(copy, artifact, { digests: new FileDigests() })).toBe(false);
  });

  it("refuses a copy that lacks a blob", () => {
    const { artifact, copy } = artifactAndCopy();
    rmSync(blobOf(copy));
    expect(holdsCopyOf(copy, artifact, { digests: new FileDigests() })).toBe(false);
  });

  it("refuses a tampered blob", () => {
    const { artifact, copy } = artifactAndCopy();
    // The same length, other bytes: only hashing tells them apart.
    writeFileSync(blobOf(copy), "{}");
    expect(holdsCopyOf(copy, artifact, { digests: new FileDigests() })).toBe(false);
  });

  it("refuses a blob replaced after the same digests found it intact", () => {
    const { artifact, copy } = artifactAndCopy();
    const digests = new FileDigests();
    expect(holdsCopyOf(copy, artifact, { digests })).toBe(true);
    writeFileSync(`${blobOf(copy)}.new`, "{}");
    renameSync(`${blobOf(copy)}.new`, blobOf(copy));
    expect(holdsCopyOf(copy, artifact, { digests })).toBe(false);
  });
});
