// A pipeline in a project where Canal is not installed: what the compiler says about imports that
// do not resolve. The projects live in the system's temporary directory, where no node_modules
// above them holds the SDK (as in a new user's folder before `npm install`).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { analyze, createProject, findProjectRoot } from "./index.js";

const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

function diagnose(source: string) {
  const root = mkdtempSync(join(tmpdir(), "canal-no-sdk-"));
  roots.push(root);
  const entry = join(root, "pipeline.ts");
  writeFileSync(entry, source);
  const projectRoot = findProjectRoot(entry);
  return analyze(createProject([entry], projectRoot), [entry], projectRoot);
}

describe("imports that do not resolve", () => {
  test("a missing @canal/sdk is one CANAL1020 that says how to install it, not a false CANAL1001", () => {
    const { models, diagnostics } = diagnose(
      [
        'import { Dataset, pipeline, step } from "@canal/sdk";',
        "export class Wine {",
        '  @step.script({ source: "./src", run: "python prep.py {raw}" })',
        "  prepare(raw: Dataset) { return step.declared(); }",
        "  @pipeline()",
        "  run(raw: Dataset) { return this.prepare(raw); }",
        "}",
        "",
      ].join("\n"),
    );
    expect(models).toHaveLength(0);
    expect(diagnostics).toHaveLength(1);
    const [only] = diagnostics;
    expect(only?.code).toBe("CANAL1020");
    expect(only?.location).toMatchObject({ file: "pipeline.ts", line: 1, column: 41 });
    expect(only?.message).toContain('pipeline.ts imports "@canal/sdk", which is not installed');
    expect(only?.hint).toContain("npm install @canal/sdk");
  });

  test("a missing Node built-in or package names what to install", () => {
    const { diagnostics } = diagnose(
      [
        'import { readFile } from "node:fs/promises";',
        'import { parse } from "@acme/csv-kit/sync";',
        "export const both = [readFile, parse];",
        "",
      ].join("\n"),
    );
    const typeErrors = diagnostics.filter((d) => d.code === "CANAL1016");
    expect(typeErrors.map((d) => [d.location.line, d.hint])).toEqual([
      [
        1,
        'install Node\'s type declarations, `npm install -D @types/node`, and name them in tsconfig.json: `"types": ["node"]`',
      ],
      [2, "install the package: `npm install @acme/csv-kit` (and its types, if it ships none)"],
    ]);
  });
});
