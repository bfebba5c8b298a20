// The environment rule, as every runtime must show it: a step gets the variables it declares
// (`passEnv`) and no other of the run's environment, and a declared value keys exactly the steps
// that declare it, without ever being written anywhere.
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { runPipeline } from "@canal/runner";
import type { Runtime } from "@canal/runtime-core";
import type { Workspace } from "@canal/store";
import { expect } from "vitest";
import { waitFor } from "../helpers.js";

export const SEED = "ENVKEY_TEST_SEED";
export const HIDDEN = "ENVKEY_TEST_HIDDEN";

// What a step writes of the two (the declared one, then one it does not declare): each in hex,
// so that its output shows what it saw without holding the value itself.
const shHex = (name: string) =>
  `$(if [ -n "\${${name}+set}" ]; then printf '%s' "$${name}" | od -An -tx1 | tr -d ' \\n'; else printf unset; fi)`;
const tsHex = (name: string) =>
  `\${process.env.${name} === undefined ? "unset" : Buffer.from(process.env.${name}).toString("hex")}`;
const tsSeen = `\`${tsHex(SEED)}|${tsHex(HIDDEN)}\``;
export const hex = (value: string) => Buffer.from(value).toString("hex");

/** The step declarations of the rule's pipeline: a script and a TypeScript step, each with and without `passEnv`. */
export const ruleSteps = `
  @step.script({ source: "./src", run: "sh show.sh {out}", passEnv: ["${SEED}"] })
  scriptDeclares(): { out: File } {
    return step.declared();
  }

  @step.script({ source: "./src", run: "sh show.sh {out}" })
  scriptPlain(): { out: File } {
    return step.declared();
  }

  @step({ passEnv: ["${SEED}"] })
  async tsDeclares(): Promise<{ out: File }> {
    const out = context().outputPath("out");
    await writeFile(out, ${tsSeen});
    return { out: new File(out) };
  }

  @step
  async tsPlain(): Promise<{ out: File }> {
    const out = context().outputPath("out");
    await writeFile(out, ${tsSeen});
    return { out: new File(out) };
  }
`;

export const ruleImports = `import { writeFile } from "node:fs/promises";
import { context, File, pipeline, step } from "@canal/sdk";
`;

/** A project holding the rule's pipeline alone, `env-rule`, for makeProject's `files`. */
export const ruleProjectFiles: Record<string, string> = {
  "pipeline.ts": `${ruleImports}
export class EnvRule {
${ruleSteps}
  @pipeline({ name: "env-rule" })
  async run() {
    const a = this.scriptDeclares();
    const b = this.scriptPlain();
    const c = await this.tsDeclares();
    const d = await this.tsPlain();
    return { a: a.out, b: b.out, c: c.out, d: d.out };
  }
}
`,
  "src/show.sh": `printf '%s' "${shHex(SEED)}|${shHex(HIDDEN)}" > "$1"\n`,
};

function readIfThere(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

/** Every file under `dir` (which must be there) that holds `text` (a store's database, blobs, logs, job files). */
export function filesHolding(dir: string, text: string): string[] {
  expect(statSync(dir).isDirectory()).toBe(true);
  const found: string[] = [];
  const walk = (current: string) => {
    // A job's folder may go while it is read: what is gone holds nothing.
    let names: string[] = [];
    try {
      names = readdirSync(current);
    } catch {}
    for (const name of names) {
      const path = join(current, name);
      const stat = statSync(path, { throwIfNoEntry: false });
      if (stat?.isDirectory()) walk(path);
      else if (stat?.isFile() && readIfThere(path)?.includes(text)) found.push(path);
    }
  };
  walk(dir);
  return found;
}

/** Runs the rule's pipeline on `runtime` (closing it after) and reads each step's output. */
export async function runRule(
  workspace: Workspace,
  artifactDir: string,
  runtime: Runtime,
  dir: string,
): Promise<RuleRun> {
  try {
    const { run, summary } = await runPipeline({ workspace, artifactDir, runtime, onEvent: () => {} });
    expect(run.status, run.error).toBe("succeeded");
    const outputs: Record<string, string> = {};
    for (const step of await workspace.metadata.listStepRuns(run.id)) {
      const { out } = await workspace.metadata.getOutputs(step.id);
      const path = join(mkdtempSync(join(dir, "read-")), "out");
      await workspace.blobs.materialize((out as { digest: string }).digest, path);
      outputs[step.stepId] = readFileSync(path, "utf8");
    }
    return { steps: summary.steps, outputs };
  } finally {
    await runtime.close();
  }
}

/** A run of the rule's pipeline: each step's state, and each step's output text. */
export interface RuleRun {
  steps: Record<string, string>;
  outputs: Record<string, string>;
}

/**
 * Runs the rule's pipeline three times on one runtime: with a declared and an undeclared variable
 * set, then with both changed. `searched`: folders that must never hold a value (the workspace);
 * `eventually`: folders that may hold one only while a step's job runs (a Slurm job's script, in
 * the shared folder, removed with the job's files). Restores this process's environment.
 */
export async function expectEnvironmentRule(
  run: () => Promise<RuleRun>,
  searched: string[],
  eventually: string[] = [],
): Promise<void> {
  const saved = { seed: process.env[SEED], hidden: process.env[HIDDEN] };
  const first = `seed-${randomBytes(12).toString("hex")}`;
  const second = `seed-${randomBytes(12).toString("hex")}`;
  const hidden = `hidden-${randomBytes(12).toString("hex")}`;
  try {
    process.env[SEED] = first;
    process.env[HIDDEN] = hidden;
    const one = await run();
    expect(one.outputs).toEqual({
      scriptDeclares: `${hex(first)}|unset`,
      scriptPlain: "unset|unset",
      tsDeclares: `${hex(first)}|unset`,
      tsPlain: "unset|unset",
    });
    process.env[SEED] = second;
    process.env[HIDDEN] = `${hidden}-changed`;
    const two = await run();
    expect(two.steps).toEqual({
      scriptDeclares: "succeeded",
      scriptPlain: "cached",
      tsDeclares: "succeeded",
      tsPlain: "cached",
    });
    expect(two.outputs.scriptDeclares).toBe(`${hex(second)}|unset`);
    expect(two.outputs.tsDeclares).toBe(`${hex(second)}|unset`);
    const values = [first, second, hidden];
    for (const dir of eventually)
      await waitFor(`the job files in ${dir} to be removed`, () =>
        values.every((value) => filesHolding(dir, value).length === 0),
      );
    for (const dir of searched) for (const value of values) expect(filesHolding(dir, value)).toEqual([]);
  } finally {
    for (const [name, value] of [
      [SEED, saved.seed],
      [HIDDEN, saved.hidden],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}
