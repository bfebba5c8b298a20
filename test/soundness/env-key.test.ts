// What a step reads enters its key: the environment variables it declares (and no other reaches
// it), and the content of the packages its bundle holds, not only the lockfile's claim of them.
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { openWorkspace } from "@canal/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canal } from "../canal.js";
import { makeProject } from "../helpers.js";
import { filesHolding, HIDDEN, hex, ruleImports, ruleProjectFiles, ruleSteps, SEED } from "./env-rule.js";

const pipelineSource = `${ruleImports}import { greet } from "canal-fixture-greet";

export class EnvKey {
${ruleSteps}
  @step
  async greeting(): Promise<{ out: File }> {
    const out = context().outputPath("out");
    await writeFile(out, greet("canal"));
    return { out: new File(out) };
  }

  @pipeline({ name: "env-key" })
  async run() {
    const a = this.scriptDeclares();
    const b = this.scriptPlain();
    const c = await this.tsDeclares();
    const d = await this.tsPlain();
    const e = await this.greeting();
    return { a: a.out, b: b.out, c: c.out, d: d.out, e: e.out };
  }
}
`;

const runIdOf = (stdout: string) => /^run (run-\S+): /m.exec(stdout)?.[1] ?? "";

async function states(dir: string, runId: string): Promise<Record<string, string>> {
  const shown = await canal(["runs", "show", runId, "--json"], dir);
  const steps = JSON.parse(shown.stdout).steps as Array<{ stepId: string; status: string }>;
  return Object.fromEntries(steps.map((s) => [s.stepId, s.status]));
}

async function outputs(dir: string, runId: string): Promise<Record<string, string>> {
  const workspace = await openWorkspace(dir);
  try {
    const found: Record<string, string> = {};
    for (const step of await workspace.metadata.listStepRuns(runId)) {
      const { out } = await workspace.metadata.getOutputs(step.id);
      found[step.stepId] = (await workspace.blobs.get((out as { digest: string }).digest)).toString();
    }
    return found;
  } finally {
    await workspace.close();
  }
}

describe("what a step reads is in its key", () => {
  let dir: string;
  let run: (expectCached?: number) => Promise<{ runId: string; stdout: string }>;
  // Values that would be found if they were written anywhere: long and random.
  const first = `seed-${randomBytes(12).toString("hex")}`;
  const second = `seed-${randomBytes(12).toString("hex")}`;
  const hidden = `hidden-${randomBytes(12).toString("hex")}`;
  const saved = { seed: process.env[SEED], hidden: process.env[HIDDEN] };
  const printed: string[] = [];

  beforeAll(async () => {
    dir = makeProject({
      files: {
        ...ruleProjectFiles,
        "pipeline.ts": pipelineSource,
        "node_modules/canal-fixture-greet/package.json": `${JSON.stringify({ name: "canal-fixture-greet", version: "1.0.0", type: "module", main: "index.js", types: "index.d.ts" })}\n`,
        "node_modules/canal-fixture-greet/index.js": 'export const greet = (name) => "hello " + name;\n',
        "node_modules/canal-fixture-greet/index.d.ts":
          "export declare const greet: (name: string) => string;\n",
        "package-lock.json": `${JSON.stringify({
          name: "canal-test-project",
          lockfileVersion: 3,
          requires: true,
          packages: {
            "": { name: "canal-test-project", dependencies: { "canal-fixture-greet": "1.0.0" } },
            "node_modules/canal-fixture-greet": {
              version: "1.0.0",
              resolved: "https://registry.npmjs.org/canal-fixture-greet/-/canal-fixture-greet-1.0.0.tgz",
              integrity: "sha512-c2FtZSBjbGFpbSBldmVyeSB0aW1lOyB0aGUgYnl0ZXMgZGlmZmVy",
            },
          },
        })}\n`,
      },
    });
    run = async () => {
      const compiled = await canal(["compile", "pipeline.ts", "--out", "build"], dir);
      expect(compiled.status, compiled.stderr).toBe(0);
      const ran = await canal(["run", "build/env-key"], dir);
      expect(ran.status, ran.stdout + ran.stderr).toBe(0);
      printed.push(compiled.stdout, compiled.stderr, ran.stdout, ran.stderr);
      return { runId: runIdOf(ran.stdout), stdout: ran.stdout };
    };
    process.env[SEED] = first;
    process.env[HIDDEN] = hidden;
  });

  afterAll(() => {
    for (const [name, value] of [
      [SEED, saved.seed],
      [HIDDEN, saved.hidden],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it("passes a declared variable and no other, to script and TypeScript steps", async () => {
    const { runId } = await run();
    expect(await outputs(dir, runId)).toEqual({
      scriptDeclares: `${hex(first)}|unset`,
      scriptPlain: "unset|unset",
      tsDeclares: `${hex(first)}|unset`,
      tsPlain: "unset|unset",
      greeting: "hello canal",
    });
  }, 60_000);

  it("re-runs exactly the steps that declare a changed variable, and `canal why` names it", async () => {
    const again = await run();
    expect(Object.values(await states(dir, again.runId))).toEqual(Array(5).fill("cached"));

    // A variable no step declares reaches none, so changing it changes nothing.
    process.env[HIDDEN] = `${hidden}-changed`;
    const undeclared = await run();
    expect(Object.values(await states(dir, undeclared.runId))).toEqual(Array(5).fill("cached"));

    process.env[SEED] = second;
    const changed = await run();
    expect(await states(dir, changed.runId)).toEqual({
      scriptDeclares: "succeeded",
      scriptPlain: "cached",
      tsDeclares: "succeeded",
      tsPlain: "cached",
      greeting: "cached",
    });
    expect((await outputs(dir, changed.runId)).tsDeclares).toBe(`${hex(second)}|unset`);
    for (const step of ["scriptDeclares", "tsDeclares"]) {
      const why = await canal(["why", changed.runId, step], dir);
      expect(why.stdout).toContain(`- environment variable ${SEED} changed\n`);
      printed.push(why.stdout, why.stderr);
    }

    delete process.env[SEED];
    const unset = await run();
    expect((await states(dir, unset.runId)).scriptDeclares).toBe("succeeded");
    expect((await outputs(dir, unset.runId)).scriptDeclares).toBe("unset|unset");
    const why = await canal(["why", unset.runId, "tsDeclares"], dir);
    expect(why.stdout).toContain(`- environment variable ${SEED} was unset\n`);

    // Back to the first value: its entry is still there.
    process.env[SEED] = first;
    const back = await run();
    expect(Object.values(await states(dir, back.runId))).toEqual(Array(5).fill("cached"));
  }, 120_000);

  it("keeps no value in the workspace, the artifact or what it prints", () => {
    for (const value of [first, second, hidden]) {
      expect(filesHolding(join(dir, ".canal"), value)).toEqual([]);
      expect(filesHolding(join(dir, "build"), value)).toEqual([]);
      expect(printed.join("\n")).not.toContain(value);
    }
  });

  it("re-runs the step whose bundled package was patched at the same locked version", async () => {
    const file = join(dir, "node_modules/canal-fixture-greet/index.js");
    writeFileSync(file, 'export const greet = (name) => "hi " + name;\n');
    const patched = await run();
    expect(await states(dir, patched.runId)).toEqual({
      scriptDeclares: "cached",
      scriptPlain: "cached",
      tsDeclares: "cached",
      tsPlain: "cached",
      greeting: "succeeded",
    });
    expect((await outputs(dir, patched.runId)).greeting).toBe("hi canal");
    const why = await canal(["why", patched.runId, "greeting"], dir);
    expect(why.stdout).toMatch(/- code file npm:canal-fixture-greet@1\.0\.0 changed: /);
  }, 60_000);
});
