// Pipelines the benchmarks generate into temp directories: Canal sources, and the same work as a
// Makefile and a Snakefile, so every tool runs identical commands on identical shapes.
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** A standalone project: package.json, a Node tsconfig, @canal/sdk and the Node types linked in. */
export function benchProject(dir) {
  mkdirSync(join(dir, "node_modules/@canal"), { recursive: true });
  symlinkSync(join(repo, "packages/sdk"), join(dir, "node_modules/@canal/sdk"));
  symlinkSync(join(repo, "node_modules/@types"), join(dir, "node_modules/@types"));
  writeFileSync(join(dir, "package.json"), '{ "name": "bench", "private": true, "type": "module" }\n');
  // A Node project: no DOM lib (the default lib of a bare ES2022 target would add it).
  const compilerOptions = {
    target: "ES2022",
    lib: ["ES2022"],
    module: "NodeNext",
    moduleResolution: "NodeNext",
    strict: true,
    skipLibCheck: true,
    types: ["node"],
  };
  writeFileSync(join(dir, "tsconfig.json"), `${JSON.stringify({ compilerOptions })}\n`);
}

function project(dir) {
  benchProject(dir);
  writeFileSync(join(dir, "seed.txt"), "0\n");
}

/** A chain of N calls of one TypeScript step that copies its input and appends a line (as compile-bench.mjs). */
export function generateChain(dir, n) {
  project(dir);
  const lines = [
    'import { appendFile, copyFile } from "node:fs/promises";',
    'import { context, File, pipeline, step } from "@canal/sdk";',
    "",
    "export class Chain {",
    "  @step",
    "  async inc(x: File): Promise<{ out: File }> {",
    '    const out = context().outputPath("out");',
    "    await copyFile(x.path, out);",
    '    await appendFile(out, "1\\n");',
    "    return { out: new File(out) };",
    "  }",
    "",
    `  @pipeline({ name: "chain-${n}" })`,
    '  async run(seed: File = File.from("seed.txt")) {',
    "    const s1 = await this.inc(seed);",
  ];
  for (let i = 2; i <= n; i++) lines.push(`    const s${i} = await this.inc(s${i - 1}.out);`);
  lines.push(`    return s${n}.out;`, "  }", "}", "");
  writeFileSync(join(dir, "pipeline.ts"), lines.join("\n"));
}

/** The command of script step i, as every tool runs it. */
export const stepCommand = (input, output, i) => `cat ${input} > ${output}; echo ${i} >> ${output}`;

/**
 * N script steps: a "chain" (step i reads step i-1's output) or a "fan-out" (every step reads the
 * seed). Step i runs `cat in > out; echo i >> out`.
 */
export function generateScripts(dir, shape, n) {
  project(dir);
  mkdirSync(join(dir, "src"));
  writeFileSync(join(dir, "src/README"), "The script steps run in a snapshot of this folder.\n");
  const lines = [
    'import { File, pipeline, step } from "@canal/sdk";',
    "",
    "export class Bench {",
    `  @step.script({ source: "./src", run: ${JSON.stringify(stepCommand("{x}", "{out}", "{i}"))} })`,
    "  inc(x: File, i: number): { out: File } {",
    "    return step.declared();",
    "  }",
    "",
    `  @pipeline({ name: "${shape}-${n}" })`,
    '  run(seed: File = File.from("seed.txt")) {',
  ];
  for (let i = 1; i <= n; i++) {
    const input = shape === "chain" && i > 1 ? `s${i - 1}.out` : "seed";
    lines.push(`    const s${i} = this.inc(${input}, ${i});`);
  }
  lines.push(shape === "chain" ? `    return s${n}.out;` : "    return s1.out;", "  }", "}", "");
  writeFileSync(join(dir, "pipeline.ts"), lines.join("\n"));
}

/**
 * One script step mapped over a list parameter of N items (`items.map((i) => this.inc(seed, i))`):
 * a fan-out of N instances of one IR step, every one reading the seed; the pipeline's output
 * collects all N outputs.
 */
export function generateFanOut(dir, n) {
  generateScripts(dir, "fan-out", 1);
  const items = Array.from({ length: n }, (_, i) => i + 1);
  const lines = [
    'import { File, pipeline, step } from "@canal/sdk";',
    "",
    "export class Bench {",
    `  @step.script({ source: "./src", run: ${JSON.stringify(stepCommand("{x}", "{out}", "{i}"))} })`,
    "  inc(x: File, i: number): { out: File } {",
    "    return step.declared();",
    "  }",
    "",
    `  @pipeline({ name: "fan-out-items-${n}" })`,
    `  run(seed: File = File.from("seed.txt"), items: number[] = [${items.join(", ")}]) {`,
    "    const steps = items.map((i) => this.inc(seed, i));",
    "    return steps.map((s) => s.out);",
    "  }",
    "}",
    "",
  ];
  writeFileSync(join(dir, "pipeline.ts"), lines.join("\n"));
}

/** The same steps as a Makefile (the first target builds everything). */
export function generateMakefile(dir, shape, n) {
  writeFileSync(join(dir, "seed.txt"), "0\n");
  const target = (i) => `s${i}.txt`;
  const input = (i) => (shape === "chain" && i > 1 ? target(i - 1) : "seed.txt");
  const all = shape === "chain" ? target(n) : Array.from({ length: n }, (_, i) => target(i + 1)).join(" ");
  const lines = [`all: ${all}`, ""];
  for (let i = 1; i <= n; i++)
    lines.push(`${target(i)}: ${input(i)}`, `\t${stepCommand(input(i), target(i), i)}`);
  writeFileSync(join(dir, "Makefile"), `${lines.join("\n")}\n`);
}

/** The same steps as a Snakefile: one wildcard rule, as a Snakemake user would write it. */
export function generateSnakefile(dir, shape, n) {
  writeFileSync(join(dir, "seed.txt"), "0\n");
  const all = shape === "chain" ? `"s${n}.txt"` : `expand("s{i}.txt", i=range(1, ${n + 1}))`;
  const input =
    shape === "chain" ? `lambda w: "seed.txt" if int(w.i) == 1 else f"s{int(w.i) - 1}.txt"` : `"seed.txt"`;
  writeFileSync(
    join(dir, "Snakefile"),
    [
      // Snakemake builds its DAG recursively: a 1,000-step chain needs a deeper stack than Python's default.
      "import sys",
      "sys.setrecursionlimit(100_000)",
      "",
      "rule all:",
      `    input: ${all}`,
      "",
      "rule step:",
      `    input: ${input}`,
      '    output: "s{i,[0-9]+}.txt"',
      `    shell: "${stepCommand("{input}", "{output}", "{wildcards.i}")}"`,
      "",
    ].join("\n"),
  );
}

/**
 * The commands alone, at the same parallelism as the tools run them: one shell script per lane, so
 * what is left of a tool's wall time after this is its orchestration.
 */
export function generateCommandScripts(dir, shape, n, lanes) {
  writeFileSync(join(dir, "seed.txt"), "0\n");
  const scripts = Array.from({ length: shape === "chain" ? 1 : lanes }, () => []);
  for (let i = 1; i <= n; i++) {
    const input = shape === "chain" && i > 1 ? `s${i - 1}.txt` : "seed.txt";
    scripts[(i - 1) % scripts.length].push(stepCommand(input, `s${i}.txt`, i));
  }
  return scripts.map((commands, lane) => {
    const path = join(dir, `lane${lane}.sh`);
    writeFileSync(path, `${commands.join("\n")}\n`);
    return path;
  });
}
