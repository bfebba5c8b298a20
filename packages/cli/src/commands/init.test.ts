import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { runCli } from "../cli.js";
import type { Io } from "../io.js";

const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "canal-init-"));
  roots.push(dir);
  return dir;
}

async function init(args: string[], cwd: string) {
  let stdout = "";
  let stderr = "";
  const io: Io = {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    cwd,
  };
  const status = await runCli(["init", ...args], io);
  return { status, stdout, stderr };
}

const version = (
  JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version: string;
  }
).version;

/** Every file under `dir` with its text, .canal/ left out. */
function snapshot(dir: string, prefix = ""): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      if (path !== ".canal") Object.assign(files, snapshot(dir, path));
    } else files[path] = readFileSync(join(dir, path), "utf8");
  }
  return files;
}

describe("canal init", () => {
  test("makes a new folder a project: package.json at this version, tsconfig, .gitignore, config, starter", async () => {
    const cwd = tempDir();
    const { status, stdout } = await init(["wine-models"], cwd);
    expect(status).toBe(0);
    const dir = join(cwd, "wine-models");
    const files = snapshot(dir);
    expect(Object.keys(files).sort()).toEqual([
      ".gitignore",
      "canal.config.json",
      "data/measurements.csv",
      "package.json",
      "pipeline.ts",
      "prepare_src/prepare.py",
      "tsconfig.json",
    ]);
    const manifest = JSON.parse(files["package.json"] as string);
    expect(manifest).toMatchObject({
      name: "wine-models",
      type: "module",
      scripts: { compile: "canal compile pipeline.ts", run: "canal run pipeline.ts" },
      dependencies: { "@canal/sdk": `^${version}` },
      devDependencies: { "@canal/cli": `^${version}` },
      allowScripts: { "better-sqlite3": true, esbuild: true },
    });
    const tsconfig = JSON.parse(files["tsconfig.json"] as string);
    expect(tsconfig.compilerOptions.experimentalDecorators).toBeUndefined();
    expect(tsconfig.compilerOptions).toMatchObject({ module: "NodeNext", types: ["node"], strict: true });
    expect(files[".gitignore"]?.split("\n")).toEqual(expect.arrayContaining([".canal/", "canal-out/"]));
    expect(JSON.parse(files["canal.config.json"] as string).workspace).toBe("wine-models");
    expect(files["pipeline.ts"]).toContain('source: "./prepare_src"');
    expect(files["pipeline.ts"]).toContain("python prepare.py --raw {raw} --out {prepared}");
    expect(stdout).toContain("added package.json");
    expect(stdout).toContain("next: cd wine-models && npm install && npx canal run pipeline.ts");

    const again = await init([], dir);
    expect(again.stdout).toContain("nothing to add");
    expect(snapshot(dir)).toEqual(files);
  });

  test("in an existing package adds only what is missing, says what, and changes nothing that is there", async () => {
    const dir = tempDir();
    const manifest = {
      name: "legacy",
      version: "3.1.0",
      scripts: { run: "node server.js", test: "vitest" },
      dependencies: { "@canal/sdk": "file:../canal-sdk.tgz" },
    };
    writeFileSync(join(dir, "package.json"), `${JSON.stringify(manifest, null, 4)}\n`);
    writeFileSync(join(dir, ".gitignore"), "node_modules\ncanal-out/");
    const tsconfig = '{ "compilerOptions": { "experimentalDecorators": true } }\n';
    writeFileSync(join(dir, "tsconfig.json"), tsconfig);
    mkdirSync(join(dir, "data"));
    writeFileSync(join(dir, "data/measurements.csv"), "mine\n");

    const { status, stdout, stderr } = await init([".", "--name", "team"], dir);
    expect(status).toBe(0);
    const written = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    expect(written.scripts).toEqual({
      run: "node server.js",
      test: "vitest",
      compile: "canal compile pipeline.ts",
    });
    expect(written.dependencies).toEqual({ "@canal/sdk": "file:../canal-sdk.tgz" });
    expect(written.devDependencies["@canal/cli"]).toBe(`^${version}`);
    expect(written.type).toBeUndefined();
    expect(written.version).toBe("3.1.0");
    expect(readFileSync(join(dir, "package.json"), "utf8")).toMatch(/^\{\n {4}"name"/);
    expect(stdout).toContain("added to package.json: dev dependency @canal/cli");
    expect(stdout).toContain("script compile");
    expect(stdout).not.toContain("script run");

    expect(readFileSync(join(dir, ".gitignore"), "utf8")).toBe("node_modules\ncanal-out/\n.canal/\n");
    expect(stdout).toContain("added to .gitignore: .canal/\n");
    expect(readFileSync(join(dir, "tsconfig.json"), "utf8")).toBe(tsconfig);
    expect(stderr).toContain('"experimentalDecorators": true');
    expect(JSON.parse(readFileSync(join(dir, "canal.config.json"), "utf8")).workspace).toBe("team");
    // The starter goes in beside the user's files, never over them.
    expect(readFileSync(join(dir, "data/measurements.csv"), "utf8")).toBe("mine\n");
    expect(stdout).toContain("a starter pipeline: pipeline.ts, prepare_src/prepare.py\n");
    expect(stdout).toContain("kept tsconfig.json");
  });

  test("a folder with its own pipeline.ts gets no starter; a package.json that is not JSON is left alone", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "pipeline.ts"), "// mine\n");
    const { stdout } = await init([], dir);
    expect(readFileSync(join(dir, "pipeline.ts"), "utf8")).toBe("// mine\n");
    expect(snapshot(dir)["prepare_src/prepare.py"]).toBeUndefined();
    expect(stdout).toContain("pipeline.ts (no starter written)");

    const broken = tempDir();
    writeFileSync(join(broken, "package.json"), "{ name: oops");
    const failed = await init([], broken);
    expect(failed.status).toBe(1);
    expect(failed.stderr).toContain("package.json is not valid JSON");
    expect(readFileSync(join(broken, "package.json"), "utf8")).toBe("{ name: oops");
  });
});
