import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { bundleModulePath } from "./bundle-module.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "canal-bundle-module-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** An artifact folder holding one blob and no pipeline.pb: the worker reads the blob alone. */
function blobOnly(source: string): { artifactDir: string; digest: string } {
  const artifactDir = join(dir, "artifact");
  const digest = createHash("sha256").update(source).digest("hex");
  mkdirSync(join(artifactDir, "blobs"), { recursive: true });
  writeFileSync(join(artifactDir, "blobs", digest), source);
  return { artifactDir, digest };
}

describe("a TypeScript step's bundle as a module", () => {
  it("is written from its blob alone, without reading the artifact's IR", async () => {
    const { artifactDir, digest } = blobOnly("export const answer = 42;\n");
    const path = bundleModulePath(artifactDir, digest, join(dir, "modules"));
    expect(path).toBe(join(dir, "modules", `${digest}.mjs`));
    const module = await import(pathToFileURL(path).href);
    expect(module.answer).toBe(42);
  });

  it("is refused when its blob does not hold the bytes of its digest, and nothing is written", () => {
    const { artifactDir, digest } = blobOnly("export const answer = 42;\n");
    writeFileSync(join(artifactDir, "blobs", digest), "export const answer = 13;\n");
    expect(() => bundleModulePath(artifactDir, digest, join(dir, "modules"))).toThrow(
      expect.objectContaining({ code: "CANAL_ARTIFACT_BLOB_CORRUPT" }),
    );
    expect(existsSync(join(dir, "modules", `${digest}.mjs`))).toBe(false);
  });

  it("is refused for a missing blob or a name that is not a digest, which never becomes a path", () => {
    const { artifactDir } = blobOnly("export {};\n");
    expect(() => bundleModulePath(artifactDir, "a".repeat(64), join(dir, "modules"))).toThrow(
      expect.objectContaining({
        code: "CANAL_ARTIFACT_BLOB_MISSING",
        message: expect.stringContaining("recompile"),
      }),
    );
    expect(() => bundleModulePath(artifactDir, "../../escape", join(dir, "modules"))).toThrow();
    expect(existsSync(join(dir, "escape.mjs"))).toBe(false);
  });

  it("is written again when the cached module was edited", () => {
    const source = "export const answer = 42;\n";
    const { artifactDir, digest } = blobOnly(source);
    const path = bundleModulePath(artifactDir, digest, join(dir, "modules"));
    writeFileSync(path, "export const answer = 13;\n");
    expect(bundleModulePath(artifactDir, digest, join(dir, "modules"))).toBe(path);
    expect(readFileSync(path, "utf8")).toBe(source);
  });

  it("leaves no temporary file when the module cannot be put in place, and says where", () => {
    const { artifactDir, digest } = blobOnly("export {};\n");
    const modules = join(dir, "modules");
    // A folder (not empty) where the module goes: the rename onto it is refused.
    mkdirSync(join(modules, `${digest}.mjs`), { recursive: true });
    writeFileSync(join(modules, `${digest}.mjs`, "x"), "");
    expect(() => bundleModulePath(artifactDir, digest, modules)).toThrow(
      expect.objectContaining({
        message: expect.stringContaining(
          `cannot write the module of a TypeScript step to ${join(modules, `${digest}.mjs`)}`,
        ),
      }),
    );
    expect(readdirSync(modules)).toEqual([`${digest}.mjs`]);
  });
});
