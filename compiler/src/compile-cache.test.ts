import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipelineToJson } from "@canal/ir";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CompileResult, compile } from "./compile.js";
import { edit, lockfile, makeProject, versions, write } from "./fixtures/hash/make.js";
import { compile as cachedCompile } from "./load.js";

// The compile cache may never hand out a stale artifact: every edit the code hash tests make (and
// every other input of a compile) must miss it, and what the cached path then gives must equal a
// fresh compile of the edited tree. An unchanged tree, or an edit no compile reads, hits it.

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/**
 * The hash fixture made a whole pipeline: a dataset default, hashPaths, and a Python environment
 * with a requirements file.
 */
function project(): string {
  const root = makeProject(made);
  edit(root, "pipeline.ts", "type Dataset,", "Dataset, env,");
  edit(
    root,
    "pipeline.ts",
    "@step({ retries: 1 })",
    '@step({ retries: 1, hashPaths: ["./data/config.json"] })',
  );
  edit(
    root,
    "pipeline.ts",
    'run: "python prepare.py {raw} {out}" })',
    'run: "python prepare.py {raw} {out}", env: env.python({ requirements: "requirements.txt" }) })',
  );
  const body = readFileSync(join(root, "pipeline.ts"), "utf8")
    .replaceAll("@step()", "@step")
    .replace("  run(raw: Dataset) {", '  async run(raw: Dataset = Dataset.from("data/raw.csv")) {')
    .replace("= this.train(out, 0.1);", "= await this.train(out, 0.1);")
    .replace("    this.compare(model);", "    await this.compare(model);");
  writeFileSync(join(root, "pipeline.ts"), body);
  write(root, "data/raw.csv", "a,b\n1,2\n");
  write(root, "requirements.txt", "numpy==2.0.0\n");
  return root;
}

/** The artifact as data: the IR (JSON form, hashes included) and every blob it ships. */
function artifactOf(result: CompileResult): string[] {
  expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return result.pipelines.map(({ pipeline, dir }) => {
    const blobs = (pipeline.blobs ?? []).map((b) =>
      readFileSync(join(dir as string, "blobs", b.sha256)).toString("base64"),
    );
    return `${pipelineToJson(pipeline)}\n${blobs.join("\n")}`;
  });
}

const cache = (root: string) => join(root, ".canal/cache/compile");
const run = (root: string) =>
  cachedCompile({ entries: ["pipeline.ts"], cwd: root, outDir: ".canal/build", cacheDir: cache(root) });
const fresh = (root: string) => {
  const out = mkdtempSync(join(tmpdir(), "canal-fresh-"));
  made.push(out);
  return compile({ entries: ["pipeline.ts"], cwd: root, outDir: out });
};

/** A project compiled once through the cache, then edited by `change`. */
async function changed(change: (root: string) => void): Promise<{ root: string; result: CompileResult }> {
  const root = project();
  const first = await run(root);
  expect(first.fromCache).toBeFalsy();
  change(root);
  return { root, result: await run(root) };
}

describe("the compile cache", () => {
  let base: string[];
  beforeAll(async () => {
    base = artifactOf(await fresh(project()));
  });

  it("hits for an unchanged tree, without a compile, and gives the artifact a compile gives", async () => {
    const root = project();
    const first = await run(root);
    expect(first.fromCache).toBeFalsy();
    expect(artifactOf(first)).toEqual(base);
    const second = await run(root);
    expect(second.fromCache).toBe(true);
    expect(artifactOf(second)).toEqual(base);
    expect(second.pipelines[0]?.dir).toBe(first.pipelines[0]?.dir);
  });

  const edits: Record<string, (root: string) => void> = {
    "step code": (root) => edit(root, "pipeline.ts", "const FACTOR = 2;", "const FACTOR = 3;"),
    "a step's option": (root) => edit(root, "pipeline.ts", "@step({ retries: 1,", "@step({ retries: 4,"),
    "a helper module, imported transitively": (root) => edit(root, "src/deep.ts", "v + 1", "v + 2"),
    "a module re-exported": (root) => edit(root, "src/math.ts", "v * 3", "v * 4"),
    "a type-only import": (root) =>
      edit(root, "src/types.ts", "epochs: number;", "epochs: number;\n  batch?: number;"),
    "a comment": (root) => edit(root, "src/deep.ts", "export function", "// why\nexport function"),
    "a package's locked version": (root) =>
      writeFileSync(join(root, "package-lock.json"), lockfile({ ...versions, leftpad: "1.0.1" })),
    "a nested dependency's locked version": (root) =>
      writeFileSync(join(root, "package-lock.json"), lockfile({ ...versions, nestedPadcore: "1.5.1" })),
    "a patched package (same version)": (root) =>
      edit(root, "node_modules/leftpad/index.js", "core(s, n)", "core(s, n + 1)"),
    "a package's types": (root) =>
      edit(root, "node_modules/other/index.d.ts", "(s: string): string", "(s: string, t?: string): string"),
    "a workspace package's source": (root) =>
      edit(root, "packages/shared/src/index.ts", '"shared"', '"shared!"'),
    "a script step's file": (root) => edit(root, "prep_src/prepare.py", '"prepare"', '"prepare!"'),
    "a new file in a script step's source": (root) => write(root, "prep_src/extra.py", "print(1)\n"),
    "an ignore rule of a script step": (root) => write(root, "prep_src/.canalignore", "notes/\nprepare.py\n"),
    "the tsconfig": (root) =>
      writeFileSync(
        join(root, "tsconfig.json"),
        JSON.stringify({
          compilerOptions: { module: "NodeNext", strict: true, exactOptionalPropertyTypes: true },
        }),
      ),
    "a new tsconfig beside a source": (root) =>
      write(
        root,
        "src/tsconfig.json",
        JSON.stringify({ compilerOptions: { useDefineForClassFields: false } }),
      ),
    "the dataset file": (root) => write(root, "data/raw.csv", "a,b\n1,3\n"),
    "a hashPaths file": (root) => edit(root, "data/config.json", '"seed": 1', '"seed": 2'),
    "the requirements file": (root) => write(root, "requirements.txt", "numpy==2.1.0\n"),
    "the package.json": (root) =>
      writeFileSync(
        join(root, "package.json"),
        JSON.stringify({ name: "fixture", private: true, type: "commonjs", workspaces: ["packages/*"] }),
      ),
    "the lockfile removed": (root) => rmSync(join(root, "package-lock.json")),
    "a module that now fails to type-check": (root) =>
      edit(root, "src/deep.ts", "v + 1", "v + undefinedName"),
  };

  for (const [what, change] of Object.entries(edits)) {
    it(`misses on an edit of ${what}, and then gives what a fresh compile gives`, async () => {
      const { root, result } = await changed(change);
      expect(result.fromCache).toBeFalsy();
      const expected = await fresh(root);
      expect(result.diagnostics).toEqual(expected.diagnostics);
      if (expected.diagnostics.some((d) => d.severity === "error")) return;
      expect(artifactOf(result)).toEqual(artifactOf(expected));
      // What was compiled after the edit is kept in turn.
      expect((await run(root)).fromCache).toBe(true);
    });
  }

  it("hits through edits of files the compile does not take: ignored files, files of no step", async () => {
    const { root, result } = await changed((root) => {
      write(root, "prep_src/cache.tmp", "changed, and ignored by prep_src/.gitignore");
      write(root, "prep_src/__pycache__/prepare.pyc", "changed, and ignored by the root .gitignore");
      write(root, "notes.txt", "a file no compile reads");
    });
    expect(result.fromCache).toBe(true);
    expect(artifactOf(result)).toEqual(artifactOf(await fresh(root)));
  });

  it("misses when the artifact it kept was damaged or replaced, and writes it again", async () => {
    const { root, result } = await changed((root) => {
      const dir = join(root, ".canal/build/demo");
      const blob = readdirBlob(dir);
      writeFileSync(join(dir, "blobs", blob), "damaged");
    });
    expect(result.fromCache).toBeFalsy();
    expect(artifactOf(result)).toEqual(base);
    expect((await run(root)).fromCache).toBe(true);
  });

  it("is keyed by the entries and the output directory", async () => {
    const root = project();
    await run(root);
    const elsewhere = await cachedCompile({
      entries: ["pipeline.ts"],
      cwd: root,
      outDir: ".canal/other",
      cacheDir: cache(root),
    });
    expect(elsewhere.fromCache).toBeFalsy();
    expect(artifactOf(elsewhere)).toEqual(base);
  });

  it("treats a damaged cache entry as none", async () => {
    const root = project();
    await run(root);
    for (const name of readdirJson(cache(root))) writeFileSync(join(cache(root), name), "{ not json");
    const result = await run(root);
    expect(result.fromCache).toBeFalsy();
    expect(artifactOf(result)).toEqual(base);
  });

  it("does not take a copied project's entries for the copy: it compiles it on its own", async () => {
    const root = project();
    await run(root);
    const copy = join(mkdtempSync(join(tmpdir(), "canal-moved-")), "checkout");
    made.push(copy);
    cpSync(root, copy, { recursive: true, verbatimSymlinks: true });
    const moved = await run(copy);
    expect(moved.fromCache).toBeFalsy();
    expect(artifactOf(moved)).toEqual(artifactOf(await fresh(copy)));
  });
});

function readdirBlob(dir: string): string {
  const ir = JSON.parse(readFileSync(join(dir, "pipeline.json"), "utf8")) as {
    blobs: Array<{ sha256: string }>;
  };
  return ir.blobs[0]?.sha256 as string;
}

function readdirJson(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.endsWith(".json"));
}
