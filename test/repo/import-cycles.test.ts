// No module of Canal's packages imports itself back through others: a cycle makes the order in
// which modules initialise matter, and ties parts together that should be separable.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../helpers.js";

const sourceRoots = ["ir/src", "compiler/src", "packages", "runtimes"];

function sources(): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        if (!["node_modules", "dist", "fixtures", "canal_step"].includes(name)) walk(path);
      } else if (name.endsWith(".ts") && !name.endsWith(".test.ts") && !name.endsWith(".d.ts")) {
        found.push(path);
      }
    }
  };
  for (const root of sourceRoots) walk(join(repoRoot, root));
  return found;
}

/** Each cycle once, as the modules around it, relative to the repository. */
function importCycles(files: string[], read = (file: string) => readFileSync(file, "utf8")): string[][] {
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = read(file);
    const targets = [...text.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s+"(\.{1,2}\/[^"]+)"/gms)].map((m) =>
      resolve(dirname(file), (m[1] as string).replace(/\.js$/, ".ts")),
    );
    graph.set(
      file,
      targets.filter((target) => known.has(target)),
    );
  }
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (file: string) => {
    state.set(file, "open");
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === "open") cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, "done");
  };
  for (const file of files) if (!state.has(file)) visit(file);
  return cycles.map((cycle) => cycle.map((file) => relative(repoRoot, file)));
}

describe("the module graph", () => {
  it("has no import cycle, type-only imports included", () => {
    const files = sources();
    expect(files.length).toBeGreaterThan(100);
    expect(importCycles(files)).toEqual([]);
  });

  it("finds a cycle where there is one, through a type-only import too", () => {
    const texts: Record<string, string> = {
      "x/a.ts": 'import { b } from "./b.js";\nexport const a = b;\n',
      "x/b.ts": 'import type { C } from "./c.js";\nexport const b = 1 as unknown as C;\n',
      "x/c.ts": 'export type { A } from "./a.js";\nexport interface C {}\n',
      "x/d.ts": 'import { a } from "./a.js";\n',
    };
    const files = Object.keys(texts).map((name) => join(repoRoot, name));
    const cycles = importCycles(files, (file) => texts[relative(repoRoot, file)] as string);
    expect(cycles).toEqual([["x/a.ts", "x/b.ts", "x/c.ts", "x/a.ts"]]);
  });
});
