import { readFileSync } from "node:fs";
import { decodePipeline, encodePipeline, type Pipeline, pipelineHash, pipelineToJson } from "@canal/ir";
import protobuf from "protobufjs";
import { describe, expect, it } from "vitest";
import { generatedPath, generateIrCodec } from "../../scripts/generate-ir-codec.mjs";
import { compactPipeline, expandPipeline } from "./compact.js";
import { decodePlainPipeline } from "./pipeline.generated.js";

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

  it.each(fixtures)(
    "decodes $name's pipeline.pb in one pass to what the reflective decode and toObject give",
    ({ bytes }) => {
      const plain = decodePlainPipeline(bytes);
      const twoPasses = reflected.toObject(reflected.decode(bytes), {
        ...toObjectOptions,
        arrays: true,
      });
      expect(plain).toStrictEqual(twoPasses);
      expect(JSON.stringify(plain)).toBe(JSON.stringify(twoPasses));
    },
  );

  it("decodes in one pass what the reflective decode reads oddly: presence, merges, oneofs, unknown fields", () => {
    const w = protobuf.Writer.create();
    const tag = (id: number, wire: number) => w.uint32((id << 3) | wire);
    const message = (id: number, write: () => void) => {
      tag(id, 2).fork();
      write();
      w.ldelim();
    };
    tag(1, 0).uint32(0); // a zero written out: absent
    tag(3, 2).string(""); // an empty string written out: absent
    tag(3, 0).uint32(5); // the name with the wrong wire type: skipped
    tag(99, 0).uint32(7); // unknown fields of every wire type: skipped
    tag(98, 1).double(1.5);
    tag(97, 2).string("?");
    tag(96, 5).fixed32(3);
    message(11, () => {
      tag(1, 2).string("a.ts");
      message(5, () => tag(1, 2).string("x"));
    });
    message(11, () => {
      tag(4, 0).bool(true); // a message given twice: the second merged into the first
      message(5, () => tag(2, 2).string("y"));
    });
    message(6, () => {
      tag(1, 2).string("s");
      tag(3, 0).int32(7); // an enum number without a name: kept as the number
      tag(11, 1).double(-0); // -0 is not 0
      tag(16, 2).string("a");
      tag(16, 2).string("");
      message(9, () => tag(3, 0).uint32(2));
      message(9, () => tag(1, 1).double(0.5));
      message(6, () => {
        tag(1, 2).string("in");
        message(2, () => tag(1, 0).int32(2));
        message(2, () => message(3, () => message(1, () => tag(1, 0).int32(0)))); // oneof: list replaces primitive
        message(3, () => {
          message(1, () => tag(1, 2).string("up"));
          tag(2, 2).string(""); // a oneof member that is empty is still set, and clears the others
          tag(6, 2).string("p");
        });
      });
    });
    message(6, () => tag(3, 0).int32(0));
    const bytes = w.finish();
    const twoPasses = reflected.toObject(reflected.decode(bytes), {
      ...toObjectOptions,
      arrays: true,
    });
    const plain = decodePlainPipeline(bytes);
    expect(plain).toStrictEqual(twoPasses);
    expect(JSON.stringify(plain)).toBe(JSON.stringify(twoPasses));
    expect((plain as { steps: Array<{ kind: unknown }> }).steps[0]!.kind).toBe(7);
  });

  it("fails in one pass where the reflective decode fails, with its message", () => {
    const whole = fixtures[1]!.bytes;
    const longer = protobuf.Writer.create()
      .uint32((6 << 3) | 2)
      .uint32(50)
      .string("x")
      .finish();
    const outcome = (decode: () => object) => {
      try {
        return { value: decode() };
      } catch (error) {
        return { error: (error as Error).message };
      }
    };
    const damaged = [...[150, 200, 201, 333, whole.length - 1].map((end) => whole.slice(0, end)), longer];
    const outcomes = damaged.map((bytes) => {
      const expected = outcome(() =>
        reflected.toObject(reflected.decode(bytes), { ...toObjectOptions, arrays: true }),
      );
      expect(outcome(() => decodePlainPipeline(bytes))).toStrictEqual(expected);
      return expected;
    });
    expect(outcomes.filter((o) => "error" in o).length).toBeGreaterThanOrEqual(3);
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
