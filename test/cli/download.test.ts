import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { openWorkspace } from "@canal/store";
import { beforeAll, describe, expect, it } from "vitest";
import { canal } from "../canal.js";
import { makeProject, treeBytes } from "../helpers.js";

const runIdOf = (stdout: string) => /^run (run-\S+): /m.exec(stdout)?.[1] ?? "";

/** What the fixture's steps write, byte for byte. */
const TABLE = Buffer.from([0, 1, 2, 255, 254, 10, 13, 10]);
const TREE = new Map([
  ["nested/deeper/leaf.csv", "a,b\n1,2\n"],
  ["run.sh", "#!/bin/sh\necho hi\n"],
  ["top.txt", "top\n"],
]);

const asText = (files: Map<string, Buffer>) =>
  new Map([...files].map(([path, bytes]) => [path, bytes.toString()]));

describe("canal download", () => {
  let dir: string;
  let runId: string;
  let runOutput: string;

  beforeAll(async () => {
    dir = makeProject({ from: join(import.meta.dirname, "fixtures/download") });
    const compiled = await canal(["compile", "pipeline.ts", "--out", "build"], dir);
    expect(compiled.stderr).toBe("");
    const run = await canal(["run", "build/results"], dir);
    expect(run.status, run.stdout + run.stderr).toBe(0);
    runId = runIdOf(run.stdout);
    runOutput = run.stdout;
  });

  it("ends `canal run` with the outputs, their sizes and the command that downloads them", async () => {
    expect(runOutput).toContain(
      "outputs: table (8 B), tree (30 B), parts (36 B), report (12 B), count (value)\n" +
        `  download: canal download ${runId}\n`,
    );
    const json = await canal(["run", "build/results", "--json"], dir);
    const parsed = JSON.parse(json.stdout);
    expect(parsed.download).toBe(`canal download ${parsed.run.id}`);
    expect(parsed.outputList).toEqual([
      { name: "table", kind: "file", size: 8 },
      { name: "tree", kind: "directory", size: 30 },
      { name: "parts", kind: "files", size: 36 },
      { name: "report", kind: "file", size: 12 },
      { name: "count", kind: "value", size: 1 },
    ]);
    // A run whose steps were all reused has the same outputs to download.
    expect(Object.values(parsed.steps)).toEqual(["cached", "cached", "cached", "cached", "cached"]);
    const cached = await canal(["download", parsed.run.id, "table", "--to", "cached"], dir);
    expect(cached.status, cached.stderr).toBe(0);
    expect(readFileSync(join(dir, "cached/table"))).toEqual(TABLE);
  });

  it("writes every pipeline output into ./RUN/ as the steps wrote it", async () => {
    const result = await canal(["download", runId], dir);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^table +file +8 B  -> ${runId}/table$`, "m"));
    expect(result.stdout).toMatch(new RegExp(`^count +value +1 B  -> ${runId}/count\\.json$`, "m"));
    const out = join(dir, runId);
    expect(readFileSync(join(out, "table"))).toEqual(TABLE);
    expect(asText(treeBytes(join(out, "tree")))).toEqual(TREE);
    expect(statSync(join(out, "tree/run.sh")).mode & 0o111).not.toBe(0);
    expect(statSync(join(out, "tree/top.txt")).mode & 0o111).toBe(0);
    expect(asText(treeBytes(join(out, "parts")))).toEqual(
      new Map([
        ["0", "scaled by 1\n"],
        ["1", "scaled by 2\n"],
        ["2", "scaled by 3\n"],
      ]),
    );
    expect(readFileSync(join(out, "report"), "utf8")).toBe('{"parts":3}\n');
    expect(readFileSync(join(out, "count.json"), "utf8")).toBe("3\n");
    // Nothing else: no staging folder left behind.
    expect([...treeBytes(out).keys()].filter((p) => p.startsWith("."))).toEqual([]);
  });

  it("writes the outputs named, a step's output and a fan-out instance's, into --to", async () => {
    const result = await canal(
      ["download", runId, "report", "make.tree", "scale[1].scaled", "--to", "picked", "--json"],
      dir,
    );
    expect(result.status, result.stderr).toBe(0);
    const parsed = JSON.parse(result.stdout);
    expect(parsed.outputs.map((o: { name: string; path: string }) => [o.name, o.path])).toEqual([
      ["report", join(dir, "picked/report")],
      ["make.tree", join(dir, "picked/make.tree")],
      ["scale[1].scaled", join(dir, "picked/scale[1].scaled")],
    ]);
    expect(asText(treeBytes(join(dir, "picked/make.tree")))).toEqual(TREE);
    expect(readFileSync(join(dir, "picked/scale[1].scaled"), "utf8")).toBe("scaled by 2\n");
    expect(existsSync(join(dir, "picked/table"))).toBe(false);
  });

  it("names what exists for an unknown run, output, step or instance", async () => {
    const typo = `${runId.slice(0, -1)}${runId.endsWith("x") ? "y" : "x"}`;
    const run = await canal(["download", typo], dir);
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(
      `canal download: CANAL_STORE_RUN_NOT_FOUND: no run \`${typo}\` in this workspace; did you mean \`${runId}\`? ` +
        `the latest is ${(JSON.parse((await canal(["runs", "--json"], dir)).stdout) as Array<{ id: string }>)[0]?.id}; \`canal runs\` lists them\n`,
    );
    const cases: Array<[string, string]> = [
      [
        "tabel",
        `run ${runId} has no pipeline output \`tabel\`; did you mean \`table\`? its outputs are table, tree, parts, report, count (a step's output is \`step.output\`)`,
      ],
      [
        "mak.tree",
        `run ${runId} has no step \`mak\`; did you mean \`make\`? its steps are make, scale[0], scale[1], scale[2], summarize`,
      ],
      ["make.tre", `step make has no output \`tre\`; did you mean \`tree\`? its outputs are table, tree`],
      [
        "scale.scaled",
        `step \`scale\` ran 3 times in run ${runId} (a fan-out); name one: scale[0].scaled, scale[1].scaled, scale[2].scaled`,
      ],
      [
        "scale[7].scaled",
        `step \`scale\` has no instance 7 in run ${runId}; it ran scale[0], scale[1], scale[2]`,
      ],
      ["make[0].table", "step `make` is not fanned out; name its output `make.table`"],
    ];
    for (const [spec, message] of cases) {
      const result = await canal(["download", runId, spec, "--to", "never"], dir);
      expect(result.status, spec).toBe(1);
      expect(result.stderr, spec).toBe(`canal download: CANAL_DOWNLOAD_UNKNOWN_OUTPUT: ${message}\n`);
    }
    expect(existsSync(join(dir, "never"))).toBe(false);
  });

  it("does not overwrite a non-empty target without --force", async () => {
    const to = join(dir, "kept");
    mkdirSync(join(to, "tree"), { recursive: true });
    writeFileSync(join(to, "tree/mine.txt"), "mine\n");
    writeFileSync(join(to, "table"), "mine\n");
    const refused = await canal(["download", runId, "--to", "kept"], dir);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toBe(
      "canal download: CANAL_DOWNLOAD_TARGET_EXISTS: kept/table, kept/tree are already there and not empty; " +
        "pass --force to replace them, or choose another --to\n",
    );
    expect(asText(treeBytes(to))).toEqual(
      new Map([
        ["table", "mine\n"],
        ["tree/mine.txt", "mine\n"],
      ]),
    );
    const forced = await canal(["download", runId, "--to", "kept", "--force"], dir);
    expect(forced.status, forced.stderr).toBe(0);
    expect(readFileSync(join(to, "table"))).toEqual(TABLE);
    expect(asText(treeBytes(join(to, "tree")))).toEqual(TREE);
  });

  it("refuses a damaged blob and writes nothing", async () => {
    const workspace = await openWorkspace(dir);
    let blob: string;
    try {
      const make = await workspace.metadata.getStepRun(runId, "make");
      const { table } = await workspace.metadata.getOutputs(make.id);
      const digest = (table as { digest: string }).digest;
      blob = join(workspace.root, ".canal/blobs/sha256", digest.slice(0, 2), digest.slice(2));
    } finally {
      await workspace.close();
    }
    chmodSync(blob, 0o644);
    writeFileSync(blob, "damaged");
    const result = await canal(["download", runId, "table", "tree", "--to", "damaged"], dir);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(
      /^canal download: CANAL_STORE_BLOB_CORRUPT: artifact sha256:[0-9a-f]{64} at .* is corrupt/,
    );
    expect(existsSync(join(dir, "damaged"))).toBe(false);
  });
});
