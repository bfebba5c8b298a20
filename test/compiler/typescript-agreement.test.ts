// Canal reads user code with the TypeScript that ts-morph bundles; users' editors and `tsc` use the
// `typescript` package. The two are pinned to one version (package.json) and must agree on user
// code, or a pipeline could pass the editor and fail `canal compile` (or the reverse).
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ts as morphTs, Project } from "ts-morph";
import typescript from "typescript";
import { describe, expect, it } from "vitest";
import { copyIris, repoRoot } from "../helpers.js";

type Ts = typeof typescript;

function options(tsApi: Ts): typescript.CompilerOptions {
  return {
    target: tsApi.ScriptTarget.ES2022,
    module: tsApi.ModuleKind.NodeNext,
    moduleResolution: tsApi.ModuleResolutionKind.NodeNext,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: ["node"],
    typeRoots: [join(repoRoot, "node_modules/@types")],
  };
}

const show = (dir: string, d: { file?: { fileName: string }; start?: number; code: number }) =>
  `${d.file ? d.file.fileName.slice(dir.length) : ""}:${d.start ?? 0} TS${d.code}`;

/** What `tsc` says. */
function withTsc(dir: string): string[] {
  const program = typescript.createProgram([join(dir, "pipeline.ts")], options(typescript));
  return typescript
    .getPreEmitDiagnostics(program)
    .map((d) => show(dir, d))
    .sort();
}

/** What the compiler's TypeScript (ts-morph's) says. */
function withCompiler(dir: string): string[] {
  const project = new Project({ compilerOptions: options(morphTs as unknown as Ts) as never });
  project.addSourceFileAtPath(join(dir, "pipeline.ts"));
  project.resolveSourceFileDependencies();
  return project
    .getPreEmitDiagnostics()
    .map((d) =>
      show(dir, {
        file: d.getSourceFile() ? { fileName: d.getSourceFile()!.getFilePath() } : undefined,
        start: d.getStart(),
        code: d.getCode(),
      }),
    )
    .sort();
}

describe("the TypeScript versions", () => {
  it("are one pinned version for tsc and the compiler", () => {
    const pinned = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")).devDependencies
      .typescript;
    expect(typescript.version).toBe(pinned);
    expect(morphTs.version).toBe(typescript.version);
  });

  it("agree on user code, errors included", () => {
    const dir = copyIris();
    const good = withTsc(dir);
    expect(good).toEqual([]);
    expect(withCompiler(dir)).toEqual(good);

    const path = join(dir, "pipeline.ts");
    writeBad(path);
    const bad = withTsc(dir);
    expect(bad).toHaveLength(1);
    expect(withCompiler(dir)).toEqual(bad);
  });
});

function writeBad(path: string): void {
  const source = readFileSync(path, "utf8");
  // A Model where a Directory is expected: the editor's error that `canal compile` also reports.
  const bad = source.replace("this.score(best, prepped)", "this.score(best, best)");
  if (bad === source) throw new Error("the iris example changed; update this test's edit");
  writeFileSync(path, bad);
}
