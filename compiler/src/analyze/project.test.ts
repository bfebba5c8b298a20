import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ts } from "ts-morph";
import { afterAll, describe, expect, test } from "vitest";
import { createProject, findProjectRoot } from "./index.js";

const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "canal-project-"));
  roots.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, ".."), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe("findProjectRoot", () => {
  test("the nearest package-lock.json wins over a nearer package.json (a workspace root)", () => {
    const root = tree({
      "package-lock.json": "{}",
      "package.json": "{}",
      "apps/a/package.json": "{}",
      "apps/a/src/p.ts": "",
    });
    expect(findProjectRoot(join(root, "apps/a/src/p.ts"))).toBe(root);
  });

  test("else the nearest package.json, else the entry's directory", () => {
    const withPackage = tree({ "lib/package.json": "{}", "lib/src/p.ts": "" });
    expect(findProjectRoot(join(withPackage, "lib/src/p.ts"))).toBe(join(withPackage, "lib"));
    // Assumes no package.json above the system's temporary directory.
    const bare = tree({ "x/p.ts": "" });
    expect(findProjectRoot(join(bare, "x/p.ts"))).toBe(join(bare, "x"));
  });
});

describe("createProject", () => {
  test("loads the entry and what it imports, with strict defaults when no tsconfig.json is near", () => {
    const root = tree({
      "package.json": "{}",
      "p.ts": 'import { x } from "./dep.js";\nexport const y = x;\n',
      "dep.ts": "export const x = 1;\n",
    });
    const project = createProject([join(root, "p.ts")], root);
    expect(
      project
        .getSourceFiles()
        .map((f) => f.getBaseName())
        .sort(),
    ).toEqual(["dep.ts", "p.ts"]);
    const options = project.getCompilerOptions();
    expect(options.strict).toBe(true);
    expect(options.module).toBe(ts.ModuleKind.NodeNext);
    expect(options.noEmit).toBe(true);
  });

  test("uses the nearest tsconfig.json, without its build-graph settings", () => {
    const root = tree({
      "package.json": "{}",
      "tsconfig.json": JSON.stringify({
        compilerOptions: { strict: false, composite: true, target: "ES2020" },
        include: ["other"],
      }),
      "src/p.ts": "export const y = 1;\n",
    });
    const project = createProject([join(root, "src/p.ts")], root);
    const options = project.getCompilerOptions();
    expect(options.strict).toBe(false);
    expect(options.target).toBe(ts.ScriptTarget.ES2020);
    expect(options.composite).toBe(false);
    expect(project.getSourceFiles().map((f) => f.getBaseName())).toEqual(["p.ts"]);
  });
});
