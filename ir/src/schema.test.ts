import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ArtifactError,
  decodePipeline,
  encodePipeline,
  environmentId,
  IrError,
  MediaType,
  type Pipeline,
  pipelineHash,
  pipelineToJson,
  readArtifact,
  type Step,
  sha256,
  stepHash,
  writeArtifact,
} from "@canal/ir";
import { describe, expect, it } from "vitest";

const file = { artifact: { lineage: ["File", "Artifact"] } };
const node = { kind: "NODE" as const, nodeVersion: "20" };
const environment = { id: environmentId(node), ...node };
const bundle = Buffer.from("export const x = 1;\n");

function call(id: string, from?: string): Step {
  return {
    id,
    name: "inc",
    kind: "TYPESCRIPT",
    code: { bundle: sha256(bundle), exportName: "Chain", member: "inc" },
    inputs: [
      {
        name: "x",
        type: file,
        binding: from ? { output: { step: from, output: "out" } } : { parameter: "raw" },
      },
    ],
    outputs: [{ name: "out", type: file }],
    environment: environment.id,
    codeHash: "c".repeat(64),
    hash: "",
    location: { file: "chain.ts", line: 10 + id.length, column: 5 },
  };
}

function chain(n: number): Pipeline {
  const steps = Array.from({ length: n }, (_, i) =>
    call(i === 0 ? "inc" : `inc-${i + 1}`, i === 0 ? undefined : i === 1 ? "inc" : `inc-${i}`),
  );
  for (const step of steps) step.hash = stepHash(step);
  const pipeline: Pipeline = {
    irVersion: 1,
    minRuntimeVersion: "0.1.0",
    name: "chain",
    parameters: [{ name: "raw", type: file }],
    steps,
    environments: [environment],
    blobs: [{ sha256: sha256(bundle), size: bundle.length, mediaType: MediaType.bundle }],
    compilerVersion: "0.1.0",
    hash: "",
  };
  pipeline.hash = pipelineHash(pipeline);
  return pipeline;
}

describe("protobuf encoding", () => {
  it("round-trips a pipeline, whole steps out as they went in", () => {
    const pipeline = chain(5);
    const decoded = decodePipeline(encodePipeline(pipeline));
    expect(pipelineToJson(decoded)).toBe(pipelineToJson(pipeline));
    expect(decoded.steps[3]?.inputs[0]?.binding).toMatchObject({ output: { step: "inc-3", output: "out" } });
    expect(decoded.steps[3]?.code?.member).toBe("inc");
    expect(decoded.steps[3]?.location).toEqual({ file: "chain.ts", line: 15, column: 5 });
    expect(decoded.steps.map(stepHash)).toEqual(pipeline.steps.map((s) => s.hash));
    expect(pipelineHash(decoded)).toBe(pipeline.hash);
  });

  it("keeps the variables a step reads, and their names are part of its hash", () => {
    const pipeline = chain(2);
    const reads = { ...(pipeline.steps[1] as Step), passEnv: ["HF_HOME", "SEED"] };
    expect(stepHash(reads)).not.toBe(stepHash(pipeline.steps[1] as Step));
    expect(stepHash({ ...reads, passEnv: ["SEED"] })).not.toBe(stepHash(reads));
    reads.hash = stepHash(reads);
    pipeline.steps[1] = reads;
    const decoded = decodePipeline(encodePipeline(pipeline));
    expect(decoded.steps[1]?.passEnv).toEqual(["HF_HOME", "SEED"]);
    expect(decoded.steps[0]?.passEnv ?? []).toEqual([]);
    expect(stepHash(decoded.steps[1] as Step)).toBe(reads.hash);
  });

  it("stores repeated calls of one step as calls of a template", () => {
    const small = encodePipeline(chain(10)).length;
    const large = encodePipeline(chain(1010)).length;
    expect((large - small) / 1000).toBeLessThan(60);
  });

  it("names the file and the fix for damaged or too-new bytes", () => {
    expect(() => decodePipeline(Buffer.from([0x0a, 0xff, 0xff]), "x/pipeline.pb")).toThrow(
      /x\/pipeline.pb is not a Canal pipeline .*recompile/,
    );
    const future = encodePipeline({ ...chain(1), irVersion: 99, minRuntimeVersion: "9.0.0" });
    expect(() => decodePipeline(future)).toThrow(IrError);
    expect(() => decodePipeline(future)).toThrow(/IR version 99 .* upgrade Canal to 9.0.0/);
  });
});

describe("artifact directory", () => {
  it("verifies blobs against their sha256 and reports a corrupt or missing one", () => {
    const dir = join(mkdtempSync(join(tmpdir(), "canal-ir-")), "chain");
    const pipeline = chain(2);
    writeArtifact(dir, pipeline, new Map([[sha256(bundle), { bytes: bundle, mediaType: MediaType.bundle }]]));
    const artifact = readArtifact(dir);
    expect(artifact.verify()).toEqual([]);
    expect(artifact.blob(sha256(bundle)).toString()).toBe(bundle.toString());

    writeFileSync(join(dir, "blobs", sha256(bundle)), "tampered");
    expect(artifact.verify()[0]?.code).toBe("CANAL_ARTIFACT_BLOB_CORRUPT");
    expect(() => readArtifact(dir)).toThrow(/blob .* \(the code of step `inc`\) is corrupt/);
    expect(() => readArtifact(join(dir, "nope"))).toThrow(ArtifactError);
    expect(() => artifact.blob("f".repeat(64))).toThrow(/lacks blob f{64}; .*recompile/);
  });
});
