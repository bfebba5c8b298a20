// A TypeScript step's bundle as a module to import, in the worker that runs the step. Only the
// bundle's own blob is read and checked against its digest: the worker decodes no IR and loads no
// protobuf code (the process that planned the step verified the whole artifact), which is most of
// what a worker's first step cost.
import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { readArtifactBlob } from "@canal/ir/artifact-blob";
import { FileDigests } from "@canal/ir/file-digests";
import { pathInside } from "@canal/ir/names";

const moduleJournals = new Map<string, FileDigests>();
function moduleDigests(cacheDir: string): FileDigests {
  let digests = moduleJournals.get(cacheDir);
  if (!digests) {
    digests = new FileDigests(`${cacheDir}.verified`);
    moduleJournals.set(cacheDir, digests);
  }
  return digests;
}

/**
 * A bundle blob as an importable `.mjs` file, written once per digest into `cacheDir` (Node picks
 * the module format by extension, and blobs have none).
 */
export function bundleModulePath(artifactDir: string, digest: string, cacheDir: string): string {
  const path = pathInside(cacheDir, `${digest}.mjs`);
  // The cached module is checked against its digest (once per change of the file): an edited one
  // is rewritten from the artifact, never run.
  if (!moduleDigests(cacheDir).matches(path, digest)) {
    const bytes = readArtifactBlob(artifactDir, digest, " (the code of a TypeScript step)");
    mkdirSync(cacheDir, { recursive: true });
    const temp = `${path}.${process.pid}.tmp`;
    try {
      writeFileSync(temp, bytes);
      renameSync(temp, path);
    } catch (error) {
      // A write cut short (a full disk) or a rename refused leaves no partial module behind.
      rmSync(temp, { force: true });
      throw new Error(
        `cannot write the module of a TypeScript step to ${path}: ${(error as Error).message}; free space there, or remove what stands at that path (the module is written again from the artifact)`,
      );
    }
  }
  return path;
}
