import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  decodePipeline,
  encodePipeline,
  type IrError,
  MediaType,
  PathEscapeError,
  type Pipeline,
  pathInside,
  pipelineHash,
  readArtifact,
  rememberVerifiedIr,
  sha256,
  stepHash,
  verifyPipeline,
  writeArtifact,
} from "@canal/ir";
import { describe, expect, it } from "vitest";
import { manifest, pipeline } from "./test-pipeline.js";

/** `edit` applied to a genuine pipeline whose hashes are then recomputed, as a careful forger would. */
function forged(edit: (p: Pipeline) => void): Pipeline {
  const p = pipeline();
  edit(p);
  for (const step of p.steps) step.hash = stepHash(step);
  p.hash = pipelineHash(p);
  return p;
}

describe("verifyPipeline", () => {
  it("accepts what the compiler writes", () => {
    expect(() => verifyPipeline(pipeline())).not.toThrow();
  });

  it("refuses an edited command, naming the step and the fix", () => {
    const p = pipeline();
    (p.steps[0] as { script: { command: string } }).script.command = "echo evil > {out}";
    expect(() => verifyPipeline(p, "a/pipeline.pb")).toThrow(
      /a\/pipeline.pb: step `prep` does not match its recorded hash; .*recompile it with `canal compile`/,
    );
  });

  it("refuses a step whose hash was recomputed but not the pipeline's", () => {
    const p = pipeline();
    const step = p.steps[0] as Pipeline["steps"][number] & { script: { command: string } };
    step.script.command = "echo evil > {out}";
    step.hash = stepHash(step);
    expect(() => verifyPipeline(p)).toThrow(/the pipeline does not match its recorded hash/);
  });

  it("gives an edit whose hashes were all recomputed a new step hash, so it never shares a cache entry", () => {
    const genuine = pipeline().steps[0]?.hash;
    const edits: Array<(p: Pipeline) => void> = [
      (p) => {
        (p.steps[0] as { script: { command: string } }).script.command = "true";
      },
      (p) => {
        (p.steps[0] as { script: { snapshot: string } }).script.snapshot = "d".repeat(64);
        p.blobs?.push({ sha256: "d".repeat(64), size: 1, mediaType: MediaType.snapshotManifest });
      },
    ];
    for (const edit of edits) expect(forged(edit).steps[0]?.hash).not.toBe(genuine);
  });

  it.each([["/etc/passwd"], ["../outside.ts"], ["src/../../x"], ["a//b"], ["a\\b"], ["a\nb"], [""]])(
    "refuses the source file path %j: source files stay relative to the project root",
    (bad) => {
      const p = pipeline();
      p.source = { entry: "pipeline.ts", files: [{ path: bad, sha256: "a".repeat(64) }] };
      p.hash = pipelineHash(p);
      expect(() => verifyPipeline(p)).toThrow(expect.objectContaining({ code: "CANAL_IR_NAME_INVALID" }));
      p.source.files = [{ path: "src/train.py", sha256: "a".repeat(64) }];
      expect(() => verifyPipeline(p)).not.toThrow();
    },
  );

  it("leaves the source files out of the pipeline hash, as the rest of the source info", () => {
    const p = pipeline();
    p.source = { entry: "pipeline.ts", files: [{ path: "pipeline.ts", sha256: "a".repeat(64) }] };
    expect(pipelineHash(p)).toBe(pipeline().hash);
  });

  it("refuses an environment edited under its id", () => {
    const p = pipeline();
    const environment = p.environments?.[0] as { pythonVersion?: string };
    environment.pythonVersion = "2.7";
    expect(() => verifyPipeline(p)).toThrow(/environment [0-9a-f]{12} does not match its id/);
  });

  it.each([["../../../x"], ["a/b"], ["a\0b"], ["."], [".."], [""], ["x".repeat(10_000)]])(
    "refuses the name %j for a step id, an output and a pipeline",
    (bad) => {
      const cases: Array<(p: Pipeline) => void> = [
        (p) => {
          (p.steps[0] as { id: string }).id = bad;
        },
        (p) => {
          (p.steps[0]?.outputs[0] as { name: string }).name = bad;
        },
        (p) => {
          p.name = bad;
        },
      ];
      for (const edit of cases) {
        const error = (() => {
          try {
            verifyPipeline(forged(edit));
          } catch (e) {
            return e as IrError;
          }
          return undefined;
        })();
        expect(error?.code).toBe("CANAL_IR_NAME_INVALID");
        expect(error?.message.length).toBeLessThan(400);
        expect(error?.message).toMatch(/recompile/);
      }
    },
  );

  it.each([
    ["../wine.csv"],
    ["raw/wine.csv"],
    ["a\0b"],
    ["line\nbreak"],
    ["."],
    [".."],
    [""],
    ["x".repeat(256)],
  ])("refuses the file name %j for a dataset default, which a step would read as a path", (bad) => {
    const withDefault = (name: string) =>
      forged((p) => {
        p.parameters.push({
          name: "raw",
          type: { artifact: { lineage: ["Dataset", "Artifact"] } },
          hasDefault: true,
          defaultArtifact: { path: "raw/x", blob: sha256(manifest), name },
        });
      });
    expect(() => verifyPipeline(withDefault("2024 wine (v2).csv"))).not.toThrow();
    expect(() => verifyPipeline(withDefault(bad))).toThrow(
      /parameter `raw` default file name .* recompile it with `canal compile`/,
    );
  });

  it("refuses a reference to a blob the artifact does not list", () => {
    const p = forged((q) => {
      q.blobs = [];
    });
    expect(() => verifyPipeline(p)).toThrow(/source snapshot .* is not among the artifact's blobs/);
  });

  it("refuses a data default that names no dataset or datastore, both, or a path out of its datastore", () => {
    const withDefault = (defaultData: Record<string, unknown>) =>
      forged((q) => {
        q.parameters = [
          {
            name: "raw",
            type: { artifact: { lineage: ["File", "Artifact"] } },
            hasDefault: true,
            defaultData,
          },
        ];
      });
    expect(() => verifyPipeline(withDefault({ dataset: "wine", version: 2 }))).not.toThrow();
    expect(() => verifyPipeline(withDefault({ datastore: "raw", path: "wine/" }))).not.toThrow();
    expect(() => verifyPipeline(withDefault({}))).toThrow(/names neither a dataset nor a datastore/);
    expect(() => verifyPipeline(withDefault({ dataset: "wine", datastore: "raw" }))).toThrow(
      /names both a dataset and a datastore/,
    );
    expect(() => verifyPipeline(withDefault({ dataset: "wine", access: "mount" }))).not.toThrow();
    expect(() => verifyPipeline(withDefault({ dataset: "wine", access: "stream" }))).toThrow(
      /parameter `raw` default access "stream" is not one of download, mount/,
    );
    expect(() => verifyPipeline(withDefault({ datastore: "raw", path: "../etc/passwd" }))).toThrow(
      /parameter `raw` default datastore path "..\/etc\/passwd"/,
    );
    expect(() => verifyPipeline(withDefault({ dataset: "../wine" }))).toThrow(
      /parameter `raw` default dataset/,
    );
  });

  it("refuses a table schema with a column type, name or repeat the compiler never writes", () => {
    const table = (columns: Array<{ name: string; type: string }>) =>
      forged((q) => {
        const step = q.steps[0];
        if (step)
          step.outputs = [
            { name: "out", type: { artifact: { lineage: ["Table", "Artifact"], table: { columns } } } },
          ];
      });
    expect(() => verifyPipeline(table([{ name: "ph", type: "number" }]))).not.toThrow();
    expect(() => verifyPipeline(table([{ name: "ph", type: "float" }]))).toThrow(
      /step `prep` output `out` table column "ph" has type "float"/,
    );
    expect(() => verifyPipeline(table([{ name: "p\nh", type: "number" }]))).toThrow(/table column named/);
    expect(() =>
      verifyPipeline(
        table([
          { name: "ph", type: "number" },
          { name: "ph", type: "string" },
        ]),
      ),
    ).toThrow(/table column "ph" twice/);
  });
});

describe("readArtifact", () => {
  it("gives a Canal error for every damaged pipeline.pb, never a crash", () => {
    const dir = join(mkdtempSync(join(tmpdir(), "canal-verify-")), "demo");
    writeArtifact(
      dir,
      pipeline(),
      new Map([[sha256(manifest), { bytes: manifest, mediaType: MediaType.snapshotManifest }]]),
    );
    const genuine = readFileSync(join(dir, "pipeline.pb"));
    let seed = 1;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    for (let i = 0; i < 300; i++) {
      const bytes = Buffer.from(genuine);
      for (let flips = 1 + (random() % 3); flips > 0; flips--) {
        const at = random() % bytes.length;
        bytes[at] = (bytes[at] as number) ^ (1 << (random() % 8));
      }
      writeFileSync(join(dir, "pipeline.pb"), bytes);
      try {
        readArtifact(dir);
      } catch (error) {
        expect((error as { code?: string }).code).toMatch(/^CANAL_(IR|ARTIFACT)_/);
      }
    }
    writeFileSync(join(dir, "pipeline.pb"), encodePipeline(pipeline()));
    expect(readArtifact(dir).pipeline.steps[0]?.id).toBe("prep");
  });

  it("gives each reader of the same bytes its own pipeline, however often they are read", () => {
    const dir = join(mkdtempSync(join(tmpdir(), "canal-decoded-")), "demo");
    // Bytes no other test reads: the first read here decodes them.
    const own = forged((q) => {
      q.name = "decoded-once";
    });
    writeArtifact(
      dir,
      own,
      new Map([[sha256(manifest), { bytes: manifest, mediaType: MediaType.snapshotManifest }]]),
    );
    const expected = decodePipeline(readFileSync(join(dir, "pipeline.pb")));
    expect(expected.steps[0]?.id).toBe("prep");
    const first = readArtifact(dir).pipeline;
    (first.steps[0] as { id: string }).id = "changed";
    first.steps.push(first.steps[0] as (typeof first.steps)[number]);
    const second = readArtifact(dir).pipeline;
    expect(second).toEqual(expected);
    (second.steps[0] as { id: string }).id = "changed again";
    expect(readArtifact(dir).pipeline).toEqual(expected);
  });
});

describe("rememberVerifiedIr", () => {
  it("keeps the digest of bytes that passed the checks, and never of bytes that failed them", () => {
    const root = mkdtempSync(join(tmpdir(), "canal-verified-ir-"));
    const journal = join(root, "ir.verified");
    rememberVerifiedIr(journal);
    const dir = join(root, "demo");
    const genuine = forged((p) => {
      p.name = "remembered";
    });
    writeArtifact(
      dir,
      genuine,
      new Map([[sha256(manifest), { bytes: manifest, mediaType: MediaType.snapshotManifest }]]),
    );
    readArtifact(dir);
    const passed = sha256(readFileSync(join(dir, "pipeline.pb")));
    expect(readFileSync(journal, "utf8")).toContain(` ${passed}\n`);

    // An edited command with the recorded hashes left as they were: new bytes, checked, refused.
    const edited = structuredClone(genuine);
    (edited.steps[0] as { script: { command: string } }).script.command = "echo evil > {out}";
    const editedBytes = encodePipeline(edited);
    writeFileSync(join(dir, "pipeline.pb"), editedBytes);
    expect(() => readArtifact(dir)).toThrow(/does not match its recorded hash/);
    expect(readFileSync(journal, "utf8")).not.toContain(sha256(editedBytes));
  });
});

describe("pathInside", () => {
  it("builds paths below the root and refuses any that would leave it", () => {
    expect(pathInside("/r", "a", "b")).toBe("/r/a/b");
    for (const bad of ["..", ".", "", "a/../..", "/etc", "a\0b"]) {
      expect(() => pathInside("/r", "x", bad)).toThrow(PathEscapeError);
    }
  });
});
