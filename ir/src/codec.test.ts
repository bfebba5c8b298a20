import { readFileSync } from "node:fs";
import { decodePipeline, encodePipeline, type Pipeline, pipelineHash, pipelineToJson } from "@canal/ir";
import protobuf from "protobufjs";
import { describe, expect, it } from "vitest";
import { generatedPath, generateIrCodec } from "../../scripts/generate-ir-codec.mjs";
import { compactPipeline, expandPipeline } from "./compact.js";

// encodePipeline and decodePipeline use the static code generated from pipeline.proto
// (pipeline.generated.ts). These tests hold it to what protobufjs's reflection of the same .proto
// gives, the code every artifact so far was written with: the same bytes, the same objects.

/** The reflective path schema.ts used before: the .proto parsed, its code generated at run time. */
const reflected = protobuf
  .parse(readFileSync(new URL("../pipeline.proto", import.meta.url), "utf8"), { keepCase: false })
  .root.lookupType("canal.ir.v1.Pipeline");
const toObjectOptions = { enums: String, longs: Number, defaults: false };

function reflectiveEncode(pipeline: Pipeline): Uint8Array {
  const message = reflected.fromObject(compactPipeline(pipeline));
  expect(reflected.verify(message)).toBeNull();
  return reflected.encode(message).finish();
}

function reflectiveDecode(bytes: Uint8Array): Pipeline {
  const message = reflected.decode(bytes);
  return expandPipeline(reflected.toObject(message, { ...toObjectOptions, arrays: true }) as Pipeline);
}

// pipeline.pb of real compiles, written by the reflective encoder: the flagship (TypeScript and
// Python steps, a fan-out, datasets, table schemas) and a chain of 20 script steps (stored as calls
// of one template).
const fixtures = ["iris", "chain-20"].map((name) => ({
  name,
  bytes: new Uint8Array(readFileSync(new URL(`./fixtures/codec/${name}.pb`, import.meta.url))),
}));

describe("the IR's static code", () => {
  it.each(fixtures)("decodes and re-encodes $name's pipeline.pb as the reflective code does", ({ bytes }) => {
    const pipeline = decodePipeline(bytes);
    expect(pipeline).toEqual(reflectiveDecode(bytes));
    expect(pipelineHash(pipeline)).toBe(pipeline.hash);
    const encoded = encodePipeline(pipeline);
    expect(Buffer.from(encoded).equals(Buffer.from(bytes))).toBe(true);
    expect(Buffer.from(encoded).equals(Buffer.from(reflectiveEncode(pipeline)))).toBe(true);
    const plain = reflected.toObject(reflected.fromObject(compactPipeline(pipeline)), toObjectOptions);
    expect(pipelineToJson(pipeline)).toBe(`${JSON.stringify(plain, null, 2)}\n`);
  });

  it("rejects a misshapen pipeline as the reflective code does", () => {
    const pipeline = decodePipeline(fixtures[0]!.bytes);
    for (const bad of [
      { ...pipeline, parameters: [5] },
      { ...pipeline, environments: 3 },
      { ...pipeline, steps: [{ ...pipeline.steps[0], resources: "big" }] },
    ] as unknown as Pipeline[]) {
      let expected: unknown;
      try {
        reflectiveEncode(bad);
      } catch (error) {
        expected = error;
      }
      expect(expected).toBeInstanceOf(Error);
      expect(() => encodePipeline(bad)).toThrow((expected as Error).message);
    }
  });

  it("fails on damaged bytes as the reflective code does", () => {
    const bytes = fixtures[0]!.bytes.slice(0, 200);
    expect(() => reflectiveDecode(bytes)).toThrow();
    expect(() => decodePipeline(bytes)).toThrow(/CANAL_IR_CORRUPT|is not a Canal pipeline/);
  });

  it("is what pipeline.proto generates now (regenerate with `npm run generate -w @canal/ir`)", async () => {
    const committed = readFileSync(generatedPath, "utf8");
    // Compared as a whole, not shown as a diff of 380 kB.
    expect(
      (await generateIrCodec()) === committed,
      "pipeline.generated.ts differs from what pipeline.proto generates",
    ).toBe(true);
  });
});
