import { describe, expect, it } from "vitest";
import { comparePaths, datasetDigest, sortFiles } from "./manifest.js";

const d = (c: string) => c.repeat(64);
const files = [
  { path: "a.csv", digest: d("1"), size: 3 },
  { path: "b/c.csv", digest: d("2"), size: 4 },
];

describe("a dataset version's digest", () => {
  it("is the same for the same files, whatever order they were found in", () => {
    expect(datasetDigest("file", sortFiles([...files].reverse()))).toBe(datasetDigest("file", files));
    expect(datasetDigest("file", files)).toMatch(/^[0-9a-f]{64}$/);
  });

  it("changes with any file's path, content or size, and with files added or removed", () => {
    const base = datasetDigest("file", files);
    const changed = [
      [{ ...files[0], path: "A.csv" }, files[1]],
      [{ ...files[0], digest: d("3") }, files[1]],
      [{ ...files[0], size: 30 }, files[1]],
      [files[0]],
      [...files, { path: "d.csv", digest: d("4"), size: 1 }],
    ] as (typeof files)[];
    const digests = changed.map((set) => datasetDigest("file", set));
    for (const digest of digests) expect(digest).not.toBe(base);
    expect(new Set(digests).size).toBe(digests.length);
  });

  it("frames its fields: a path holding what would be a separator makes no collision", () => {
    const one = [{ path: "a\n1", digest: d("1"), size: 1 }];
    const other = [{ path: "a", digest: d("1"), size: 1 }];
    expect(datasetDigest("file", one)).not.toBe(datasetDigest("file", other));
    expect(datasetDigest("file", [{ path: "a", digest: d("1"), size: 12 }])).not.toBe(
      datasetDigest("file", [{ path: "a", digest: d("1"), size: 1 }]),
    );
  });

  it("holds a table's format and columns: the same files as another table, or as files, are another version", () => {
    const schema = { columns: [{ name: "id", type: "integer" as const, nullable: false }] };
    const table = { format: "csv" as const, schema, schemaSource: "inferred" as const };
    const asTable = datasetDigest("table", files, table);
    expect(asTable).not.toBe(datasetDigest("file", files));
    expect(datasetDigest("table", files, { ...table, schemaSource: "declared" })).toBe(asTable);
    expect(
      datasetDigest("table", files, {
        ...table,
        schema: { columns: [{ name: "id", type: "integer", nullable: true }] },
      }),
    ).not.toBe(asTable);
    expect(
      datasetDigest("table", files, {
        ...table,
        schema: { columns: [{ name: "id", type: "string", nullable: false }] },
      }),
    ).not.toBe(asTable);
  });
});

describe("the order of a version's paths", () => {
  it("is their UTF-8 bytes' order, the stores' and an S3 listing's, not UTF-16's", () => {
    const alphabet = [
      "a",
      "Z",
      "/",
      "\u00e9",
      "\u4e2d",
      "\ud7ff",
      "\ue000",
      "\uff5e",
      "\uffff",
      "\u{10000}",
      "\u{1F600}",
      "\u{10FFFF}",
    ];
    const paths: string[] = [];
    for (const x of alphabet) for (const y of alphabet) paths.push(x + y, x);
    const byBytes = [...paths].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    expect([...paths].sort(comparePaths)).toEqual(byBytes);
    expect(comparePaths("\uFFFD", "\u{1F600}")).toBeLessThan(0);
    expect("\u{1F600}" < "\uFFFD").toBe(true);
    expect(comparePaths("a", "a")).toBe(0);
    expect(
      sortFiles([
        { path: "\u{1F600}", digest: d("1"), size: 3 },
        { path: "\uFFFD", digest: d("1"), size: 3 },
      ]).map((f) => f.path),
    ).toEqual(["\uFFFD", "\u{1F600}"]);
  });
});
