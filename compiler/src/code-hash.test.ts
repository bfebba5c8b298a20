import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { sha256 } from "@canal/ir";
import { Project, ts } from "ts-morph";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleStep } from "./bundle.js";
import { CodeHashError, type CodeIdentity, typescriptStepCode, typescriptStepIdentity } from "./code-hash.js";
import { edit, lockfile, makeProject as makeFixture, versions, write } from "./fixtures/hash/make.js";
import { readLockfile } from "./lockfile.js";
import type { StepDefinition } from "./model.js";
import { scriptStepIdentity } from "./snapshot.js";

const made: string[] = [];
const makeProject = () => makeFixture(made);

afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

const compilerOptions: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true,
  skipLibCheck: true,
};

function methodStep(
  project: Project,
  root: string,
  member: string,
  extra: Partial<StepDefinition> = {},
): StepDefinition {
  const file = join(root, "pipeline.ts");
  const node = project.getSourceFileOrThrow(file).getClassOrThrow("Demo").getMethodOrThrow(member);
  return {
    key: `pipeline.ts#Demo.${member}`,
    name: member,
    kind: "TYPESCRIPT",
    declaration: { form: "method", node, className: "Demo" },
    file,
    exportName: "Demo",
    member,
    hashPaths: [],
    ...extra,
  };
}

type Identities = Record<"train" | "evaluate" | "compare" | "clean" | "prepare", CodeIdentity>;

/** Every step's identity, from a fresh program (as each `canal compile` builds one). */
function identities(root: string, hashPaths: string[] = []): Identities {
  const project = new Project({ compilerOptions });
  const file = join(root, "pipeline.ts");
  const sf = project.addSourceFileAtPath(file);
  project.resolveSourceFileDependencies();
  const ctx = { project, projectRoot: root, lockfile: readLockfile(root) };
  const step = (member: string) =>
    typescriptStepIdentity(methodStep(project, root, member, { hashPaths }), ctx);
  const clean: StepDefinition = {
    key: "pipeline.ts#clean",
    name: "clean",
    kind: "TYPESCRIPT",
    declaration: { form: "function", node: sf.getVariableDeclarationOrThrow("clean") },
    file,
    exportName: "clean",
    hashPaths,
  };
  const prepare = methodStep(project, root, "prepare", {
    kind: "SCRIPT",
    source: join(root, "prep_src"),
    hashPaths,
  });
  return {
    train: step("train"),
    evaluate: step("evaluate"),
    compare: step("compare"),
    clean: typescriptStepIdentity(clean, ctx),
    prepare: scriptStepIdentity(prepare, root).identity,
  };
}

function hashes(ids: Identities): Record<string, string> {
  return Object.fromEntries(Object.entries(ids).map(([name, id]) => [name, id.hash]));
}

/** The steps whose hash differs between two runs. */
function changed(before: Identities, after: Identities): string[] {
  return Object.keys(before).filter(
    (name) => before[name as keyof Identities].hash !== after[name as keyof Identities].hash,
  );
}

function paths(id: CodeIdentity): string[] {
  return id.files.map((file) => file.path);
}

describe("typescriptStepIdentity", () => {
  let root = "";
  let base: Identities;
  beforeAll(() => {
    root = makeProject();
    base = identities(root);
  });

  it("lists the step's code, the local modules and packages it reaches, and nothing else", () => {
    expect(paths(base.train)).toEqual([
      "npm:@canal/sdk@0.1.0",
      "pipeline.ts#Demo.train",
      "src/deep.ts",
      "src/features.ts",
    ]);
    expect(paths(base.evaluate)).toEqual([
      "npm:@canal/sdk@0.1.0",
      "npm:leftpad@1.0.0",
      "npm:padcore@2.0.0",
      "pipeline.ts#Demo.evaluate",
      "src/index.ts",
      "src/math.ts",
    ]);
    expect(paths(base.compare)).toEqual([
      "npm:@canal/sdk@0.1.0",
      "npm:other@3.0.0",
      "npm:padcore@1.5.0",
      "packages/built/package.json",
      "packages/built/src/index.ts",
      "packages/shared/src/index.ts",
      "pipeline.ts#Demo.compare",
    ]);
    expect(paths(base.clean)).toEqual(["npm:@canal/sdk@0.1.0", "pipeline.ts#clean"]);
    for (const id of Object.values(base)) {
      expect(id.hash).toMatch(/^[0-9a-f]{64}$/);
      for (const file of id.files) expect(file.path.startsWith("/")).toBe(false);
    }
  });

  it("keeps every hash through comment and formatting edits", () => {
    const copy = makeProject();
    cpSync(join(import.meta.dirname, "fixtures/hash/reformatted"), copy, { recursive: true });
    expect(readFileSync(join(copy, "pipeline.ts"), "utf8")).not.toBe(
      readFileSync(join(root, "pipeline.ts"), "utf8"),
    );
    expect(hashes(identities(copy))).toEqual(hashes(base));
  });

  it("changes exactly the steps that import an edited helper module, directly or transitively", () => {
    const copy = makeProject();
    edit(copy, "src/deep.ts", "v + 1", "v + 2");
    expect(changed(base, identities(copy))).toEqual(["train"]);
  });

  it("follows aliased imports (featurize as makeFeatures)", () => {
    const copy = makeProject();
    edit(copy, "src/features.ts", "features-", "feats-");
    expect(changed(base, identities(copy))).toEqual(["train"]);
  });

  it("follows re-exports (export { scale } from)", () => {
    const copy = makeProject();
    edit(copy, "src/math.ts", "v * 3", "v * 4");
    expect(changed(base, identities(copy))).toEqual(["evaluate"]);
  });

  it("ignores type-only imports, which compilation erases", () => {
    const copy = makeProject();
    edit(copy, "src/types.ts", "epochs: number;", "epochs: number;\n  batch?: number;");
    expect(changed(base, identities(copy))).toEqual([]);
  });

  it("leaves a step alone when another step's method in the same class changes", () => {
    const copy = makeProject();
    edit(copy, "pipeline.ts", "String(sizes[0]), 3", "String(sizes[0]), 4");
    expect(changed(base, identities(copy))).toEqual(["evaluate"]);
  });

  it("follows this.x to other members and top-level declarations, transitively", () => {
    const member = makeProject();
    edit(member, "pipeline.ts", "private readonly base = 10;", "private readonly base = 11;");
    expect(changed(base, identities(member))).toEqual(["train"]);
    const constant = makeProject();
    edit(constant, "pipeline.ts", "const FACTOR = 2;", "const FACTOR = 3;");
    expect(changed(base, identities(constant))).toEqual(["train"]);
    const fn = makeProject();
    edit(fn, "pipeline.ts", ".clean`;", ".cleaned`;");
    expect(changed(base, identities(fn))).toEqual(["clean"]);
  });

  it("ignores unrelated declarations of the same file but not code that runs when it loads", () => {
    const unrelated = makeProject();
    edit(unrelated, "pipeline.ts", '"used by no step"', '"still used by no step"');
    expect(changed(base, identities(unrelated))).toEqual([]);
    const sideEffect = makeProject();
    edit(
      sideEffect,
      "pipeline.ts",
      "const FACTOR = 2;",
      'const FACTOR = 2;\nglobalThis.process.env.MODE = "fast";',
    );
    expect(changed(base, identities(sideEffect))).toEqual(["train", "evaluate", "compare", "clean"]);
  });

  it("leaves the step's options out: they are config, hashed with the step", () => {
    const copy = makeProject();
    edit(copy, "pipeline.ts", "@step({ retries: 1 })", "@step({ retries: 5 })");
    edit(copy, "pipeline.ts", "step.fn({ retries: 2 }", "step.fn({ retries: 3 }");
    expect(changed(base, identities(copy))).toEqual([]);
  });

  it("changes exactly the steps using a package whose locked version changes", () => {
    const bump = (patch: Partial<typeof versions>) => {
      const copy = makeProject();
      writeFileSync(join(copy, "package-lock.json"), lockfile({ ...versions, ...patch }));
      return changed(base, identities(copy));
    };
    expect(bump({ leftpad: "1.0.1" })).toEqual(["evaluate"]);
    // A dependency of a package the step imports: top-level padcore for leftpad, the nested one for other.
    expect(bump({ padcore: "2.0.1" })).toEqual(["evaluate"]);
    expect(bump({ nestedPadcore: "1.5.1" })).toEqual(["compare"]);
  });

  it("treats workspace-linked packages as local source", () => {
    const shared = makeProject();
    edit(shared, "packages/shared/src/index.ts", '"shared"', '"shared!"');
    expect(changed(base, identities(shared))).toEqual(["compare"]);
    // @fix/built resolves to its built .d.ts: its files are hashed, minus what .gitignore leaves out (dist/).
    const built = makeProject();
    edit(built, "packages/built/src/index.ts", '"built"', '"built!"');
    expect(changed(base, identities(built))).toEqual(["compare"]);
  });

  it("falls back to the installed versions without a lockfile, and says so", () => {
    const copy = makeProject();
    rmSync(join(copy, "package-lock.json"));
    expect(paths(identities(copy).evaluate)).toEqual([
      "npm:@canal/sdk@0.1.0 (no lockfile)",
      "npm:leftpad@1.0.0 (no lockfile)",
      "npm:padcore@2.0.0 (no lockfile)",
      "pipeline.ts#Demo.evaluate",
      "src/index.ts",
      "src/math.ts",
    ]);
  });

  it("includes hashPaths contents", () => {
    const withPaths = identities(root, [join(root, "data")]);
    expect(paths(withPaths.train)).toContain("data/config.json");
    const copy = makeProject();
    edit(copy, "data/config.json", '"seed": 1', '"seed": 2');
    expect(changed(withPaths, identities(copy, [join(copy, "data")]))).toEqual(Object.keys(base));
  });

  it("gives the same identities to the project copied to another directory", () => {
    const elsewhere = mkdtempSync(join(tmpdir(), "canal-elsewhere-"));
    made.push(elsewhere);
    const copy = join(elsewhere, "nested", "checkout");
    cpSync(root, copy, { recursive: true, verbatimSymlinks: true });
    expect(identities(copy)).toEqual(base);
  });

  it("rejects a relative import that leaves the project root", () => {
    const copy = makeProject();
    const outside = mkdtempSync(join(tmpdir(), "canal-outside-"));
    made.push(outside);
    write(outside, "outside.ts", "export const outside = 1;\n");
    edit(
      copy,
      "src/deep.ts",
      "export function",
      `import "${relative(join(copy, "src"), outside)}/outside.js";\nexport function`,
    );
    expect(() => identities(copy)).toThrow(CodeHashError);
    expect(() => identities(copy)).toThrow(
      /step `train`: src\/deep.ts imports "[^"]*outside.js", which is outside the project root/,
    );
  });
});

describe("script steps", () => {
  let base: Identities;
  beforeAll(() => {
    base = identities(makeProject());
  });

  it("changes when a file of the source directory changes", () => {
    const copy = makeProject();
    edit(copy, "prep_src/prepare.py", '"prepare"', '"prepare!"');
    expect(changed(base, identities(copy))).toEqual(["prepare"]);
  });

  it("ignores files that .gitignore or .canalignore leave out", () => {
    expect(paths(base.prepare)).toEqual([
      "prep_src/.canalignore",
      "prep_src/.gitignore",
      "prep_src/prepare.py",
    ]);
    const copy = makeProject();
    write(copy, "prep_src/cache.tmp", "changed");
    write(copy, "prep_src/notes/todo.txt", "changed");
    write(copy, "prep_src/__pycache__/prepare.pyc", "changed");
    expect(changed(base, identities(copy))).toEqual([]);
  });
});

/** A one-file project: `step.ts` holds class `S` whose method `run` is the step. */
function miniProject(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "canal-mini-"));
  made.push(root);
  write(root, "package.json", JSON.stringify({ name: "mini", type: "module" }));
  for (const [file, text] of Object.entries(files)) write(root, file, text);
  return root;
}

function runHash(root: string): CodeIdentity {
  const project = new Project({ compilerOptions: { ...compilerOptions, allowJs: false } });
  const file = join(root, "step.ts");
  const node = project.addSourceFileAtPath(file).getClassOrThrow("S").getMethodOrThrow("run");
  project.resolveSourceFileDependencies();
  const def: StepDefinition = {
    key: "step.ts#S.run",
    name: "run",
    kind: "TYPESCRIPT",
    declaration: { form: "method", node, className: "S" },
    file,
    exportName: "S",
    member: "run",
    hashPaths: [],
  };
  return typescriptStepIdentity(def, { project, projectRoot: root, lockfile: readLockfile(root) });
}

function hashOfBody(body: string, rest = ""): string {
  return runHash(
    miniProject({ "step.ts": `export class S {\n  run(a: any, b: any): any {\n${body}\n  }\n${rest}}\n` }),
  ).hash;
}

describe("normalisation", () => {
  it("keeps meaning-free edits and catches meaningful ones", () => {
    const base = hashOfBody(
      '    const x = { "k": [1, 2], s: "q" };\n    return (y) => x.k.map((n) => n + y);',
    );
    const same = [
      "const x = {k: [1, 2,], s: 'q',}; return y => x.k.map(n => n + y)",
      '\t// c\n\tconst x = {\n\t\t"k": [\n\t\t\t1,\n\t\t\t2,\n\t\t],\n\t\ts: "q", /* d */\n\t}\n\treturn (y) =>\n\t\tx.k.map((n) => n + y)',
    ];
    for (const body of same) expect(hashOfBody(body), body).toBe(base);
    const different = [
      'const x = { "k": [1, 3], s: "q" }; return (y) => x.k.map((n) => n + y);',
      'const x = { "k": [1, 2], s: "Q" }; return (y) => x.k.map((n) => n + y);',
      'const x = { "k": [1, 2], s: "q" }; return (y) => x.k.map((n) => n - y);',
      'let x = { "k": [1, 2], s: "q" }; return (y) => x.k.map((n) => n + y);',
    ];
    for (const body of different) expect(hashOfBody(body), body).not.toBe(base);
  });

  it("tells apart programs whose tokens differ only where a semicolon or parentheses were", () => {
    expect(hashOfBody("    a\n    (b)")).not.toBe(hashOfBody("    a;\n    (b)"));
    expect(hashOfBody("    return (a?.b).c;")).not.toBe(hashOfBody("    return a?.b.c;"));
    expect(hashOfBody("    for (a;;) {}")).not.toBe(hashOfBody("    for (;a;) {}"));
  });

  it("follows dynamic imports and the JavaScript file behind a local .d.ts", () => {
    const files = {
      "step.ts":
        'import { legacy } from "./legacy.js";\nexport class S {\n  async run() {\n    const m = await import("./dyn.js");\n    return m.dyn + legacy;\n  }\n}\n',
      "dyn.ts": "export const dyn = 1;\n",
      "legacy.js": "export const legacy = 1;\n",
      "legacy.d.ts": "export declare const legacy: number;\n",
    };
    const base = runHash(miniProject(files));
    expect(base.files.map((f) => f.path)).toEqual(["dyn.ts", "legacy.js", "step.ts#S.run"]);
    expect(runHash(miniProject({ ...files, "dyn.ts": "export const dyn = 2;\n" })).hash).not.toBe(base.hash);
    expect(runHash(miniProject({ ...files, "legacy.js": "export const legacy = 2;\n" })).hash).not.toBe(
      base.hash,
    );
  });

  it("takes every member once `this` is handed on, as any of them may then run", () => {
    const step = (other: string) =>
      hashOfBody("    return use(this);", `  other() {\n    return ${other};\n  }\n`);
    expect(step("1")).not.toBe(step("2"));
    const direct = (other: string) =>
      hashOfBody("    return this.run;", `  other() {\n    return ${other};\n  }\n`);
    expect(direct("1")).toBe(direct("2"));
  });
});

// Each TypeScript step is bundled from its slice of its own file: the bundle's digest enters the
// step's hash, so it must change exactly when the step's code identity does, and never run code
// the identity leaves out.
describe("step bundles", () => {
  type Digests = Record<"train" | "evaluate" | "compare" | "clean", string>;

  async function bundles(root: string): Promise<Digests> {
    const project = new Project({ compilerOptions });
    const file = join(root, "pipeline.ts");
    const sf = project.addSourceFileAtPath(file);
    project.resolveSourceFileDependencies();
    const ctx = { project, projectRoot: root, lockfile: readLockfile(root) };
    const clean: StepDefinition = {
      key: "pipeline.ts#clean",
      name: "clean",
      kind: "TYPESCRIPT",
      declaration: { form: "function", node: sf.getVariableDeclarationOrThrow("clean") },
      file,
      exportName: "clean",
      hashPaths: [],
    };
    const digest = async (definition: StepDefinition) => {
      const { slice } = typescriptStepCode(definition, ctx);
      expect(slice, `${definition.name} is cut from its file`).toBeDefined();
      const source = { file, exportName: definition.exportName, ...(slice ? { slice } : {}) };
      return sha256(await bundleStep(source, root));
    };
    const [train, evaluate, compare, cleaned] = await Promise.all([
      digest(methodStep(project, root, "train")),
      digest(methodStep(project, root, "evaluate")),
      digest(methodStep(project, root, "compare")),
      digest(clean),
    ]);
    return { train, evaluate, compare, clean: cleaned } as Digests;
  }

  const changedBundles = (before: Digests, after: Digests) =>
    Object.keys(before).filter((name) => before[name as keyof Digests] !== after[name as keyof Digests]);

  let base: Digests;
  beforeAll(async () => {
    base = await bundles(makeProject());
  });

  it("gives each step a bundle of its own", () => {
    expect(new Set(Object.values(base)).size).toBe(4);
  });

  it("gives the same bundles to the project copied deeper, with a package linked from outside it", async () => {
    const root = makeProject();
    const elsewhere = mkdtempSync(join(tmpdir(), "canal-elsewhere-"));
    made.push(elsewhere);
    const copy = join(elsewhere, "nested", "deeper", "checkout");
    cpSync(root, copy, { recursive: true, verbatimSymlinks: true });
    expect(await bundles(copy)).toEqual(await bundles(root));
  });

  it("keeps every bundle through comment and formatting edits, in the step's file and the modules it imports", async () => {
    const copy = makeProject();
    cpSync(join(import.meta.dirname, "fixtures/hash/reformatted"), copy, { recursive: true });
    write(
      copy,
      "src/deep.ts",
      "/** Adds one. */\nexport class Deep {\n  /** kept by esbuild unless removed */\n  n = 1; // trailing\n}\n// a line\nexport function deep(v: number): number {\n  return v + 1; /* one */\n}\n",
    );
    const reference = makeProject();
    write(
      reference,
      "src/deep.ts",
      "export class Deep {\n  n = 1;\n}\nexport function deep(v: number): number {\n  return v + 1;\n}\n",
    );
    expect(await bundles(copy)).toEqual(await bundles(reference));
  });

  it("changes exactly the bundles of the steps an edit reaches, as the code identity does", async () => {
    const cases: Array<[string, string, string, string[]]> = [
      ["pipeline.ts", "String(sizes[0]), 3", "String(sizes[0]), 4", ["evaluate"]],
      ["pipeline.ts", "private readonly base = 10;", "private readonly base = 11;", ["train"]],
      ["pipeline.ts", "const FACTOR = 2;", "const FACTOR = 3;", ["train"]],
      ["pipeline.ts", ".clean`;", ".cleaned`;", ["clean"]],
      ["pipeline.ts", '"used by no step"', '"still used by no step"', []],
      ["pipeline.ts", "@step({ retries: 1 })", "@step({ retries: 5 })", []],
      ["pipeline.ts", "step.fn({ retries: 2 }", "step.fn({ retries: 3 }", []],
      [
        "pipeline.ts",
        "const FACTOR = 2;",
        'const FACTOR = 2;\nglobalThis.process.env.MODE = "fast";',
        ["train", "evaluate", "compare", "clean"],
      ],
      ["src/deep.ts", "v + 1", "v + 2", ["train"]],
      ["packages/shared/src/index.ts", '"shared"', '"shared!"', ["compare"]],
      ["node_modules/padcore/index.js", "(s) => s", "(s) => s + s", ["evaluate"]],
    ];
    for (const [file, from, to, expected] of cases) {
      const copy = makeProject();
      edit(copy, file, from, to);
      expect(changedBundles(base, await bundles(copy)), `${file}: ${from} -> ${to}`).toEqual(expected);
    }
  });

  it("runs only what the step's identity covers: another step's code is not in its bundle", async () => {
    const root = makeProject();
    const project = new Project({ compilerOptions });
    project.addSourceFileAtPath(join(root, "pipeline.ts"));
    project.resolveSourceFileDependencies();
    const ctx = { project, projectRoot: root, lockfile: readLockfile(root) };
    const { slice } = typescriptStepCode(methodStep(project, root, "evaluate"), ctx);
    const code = (
      await bundleStep(
        { file: join(root, "pipeline.ts"), exportName: "Demo", ...(slice ? { slice } : {}) },
        root,
      )
    ).toString();
    expect(code).toContain("async evaluate(model)");
    expect(code).not.toContain("async train(");
    expect(code).not.toContain("used by no step");
    expect(code).not.toContain("retries");
    const path = join(root, "evaluate.mjs");
    writeFileSync(path, code);
    const loaded = (await import(path)) as { Demo: new () => object };
    expect(Object.getOwnPropertyNames(loaded.Demo.prototype).sort()).toEqual(["constructor", "evaluate"]);
  });
});
