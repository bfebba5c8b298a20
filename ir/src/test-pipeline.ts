// A small valid pipeline for this package's tests (one script step, one environment, one blob),
// with its hashes computed as the compiler computes them. Not part of the build (ir/tsconfig.json).
import { sha256 } from "./artifact.js";
import { environmentId, pipelineHash, stepHash } from "./hashes.js";
import { MediaType, type Pipeline } from "./types.js";

const file = { artifact: { lineage: ["File", "Artifact"] } };
const python = { kind: "PYTHON" as const, pythonVersion: "3.12" };

/** The one blob of `pipeline()`: its step's snapshot manifest. */
export const manifest = Buffer.from("[]");

/** The blobs `writeArtifact` takes for `pipeline()`. */
export const blobs = () =>
  new Map([[sha256(manifest), { bytes: manifest, mediaType: MediaType.snapshotManifest }]]);

export function pipeline(): Pipeline {
  const environment = { id: environmentId(python), ...python };
  const step = {
    id: "prep",
    name: "prep",
    kind: "SCRIPT" as const,
    script: { command: "echo hi > {out}", snapshot: sha256(manifest), source: "src" },
    inputs: [],
    outputs: [{ name: "out", type: file }],
    environment: environment.id,
    codeHash: "c".repeat(64),
    hash: "",
  };
  step.hash = stepHash(step);
  const p: Pipeline = {
    irVersion: 1,
    minRuntimeVersion: "0.1.0",
    name: "demo",
    parameters: [],
    steps: [step],
    environments: [environment],
    blobs: [{ sha256: sha256(manifest), size: manifest.length, mediaType: MediaType.snapshotManifest }],
    compilerVersion: "0.1.0",
    hash: "",
  };
  p.hash = pipelineHash(p);
  return p;
}
