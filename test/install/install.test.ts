// Canal as a user gets it: the packages packed into tarballs (`npm run pack`), installed into a new
// project outside the repository (dependencies from the npm registry), then `npx canal init` and
// `npx canal run`. Packing and installing happen once, in beforeAll; each test uses the project.
import { spawn, spawnSync } from "node:child_process";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { basename, delimiter, dirname, join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { repoRoot } from "../helpers.js";

const minutes = 60_000;

/**
 * The environment of a shell a user opens: the variables npm gives the scripts of `npm test`
 * (npm_config_*, npm_package_*, INIT_CWD) would point npm at this repository, and PATH entries
 * inside it (node_modules/.bin) would find the repository's own canal.
 */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^npm_/i.test(name) || name === "INIT_CWD") continue;
    env[name] = value;
  }
  env.PATH = (process.env.PATH ?? "")
    .split(delimiter)
    .filter((entry) => entry && relative(repoRoot, entry).startsWith(".."))
    .join(delimiter);
  return env;
}

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command; a non-zero exit fails with everything it printed. */
function sh(command: string, args: string[], cwd: string, env = userEnv()): Result {
  const result = spawnSync(command, args, { cwd, env, encoding: "utf8", timeout: 8 * minutes });
  const out = { status: result.status, stdout: result.stdout ?? "", stderr: result.stderr ?? "" };
  if (out.status !== 0) {
    throw new Error(
      `\`${command} ${args.join(" ")}\` in ${cwd} exited ${out.status} (${result.error?.message ?? "no spawn error"})\n` +
        `--- stdout\n${out.stdout}\n--- stderr\n${out.stderr}`,
    );
  }
  return out;
}

/**
 * prebuild-install, which better-sqlite3's install script runs, takes a prebuilt binding from a
 * local folder before it tries to download one: the `local-prebuilds` setting of a
 * .prebuild-installrc it finds above the package. Here that is the binding the repository's own
 * install built, packed under the name it would download. A user gets the same binding from the
 * package's release; with neither, the script builds it from source (node-gyp against Node's
 * headers, about a minute), which is what this machine's own `npm ci` does.
 */
function localPrebuild(root: string): void {
  const require = createRequire(join(repoRoot, "packages/store/package.json"));
  const packageDir = dirname(require.resolve("better-sqlite3/package.json"));
  const binding = join(packageDir, "build/Release/better_sqlite3.node");
  if (!existsSync(binding)) return;
  const { version } = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8")) as {
    version: string;
  };
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  const dir = join(root, "prebuilds");
  mkdirSync(dir);
  sh("tar", ["-czf", join(dir, name), "-C", packageDir, "build/Release/better_sqlite3.node"], dir);
  writeFileSync(join(root, ".prebuild-installrc"), `local-prebuilds=${dir}\n`);
}

let root: string;
let project: string;
let tarballs: string[];
const npmFlags = ["--no-audit", "--no-fund", "--prefer-offline"];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "canal-install-"));
  expect(relative(repoRoot, root).startsWith("..")).toBe(true);
  tarballs = sh("node", [join(repoRoot, "scripts/pack.mjs"), join(root, "packages")], repoRoot, process.env)
    .stdout.trim()
    .split("\n");
  localPrebuild(root);

  // As the README's quick start: a new package, Canal installed into it, `canal init`, install.
  project = join(root, "wine");
  mkdirSync(project);
  sh("npm", ["init", "-y"], project);
  sh("npm", ["install", ...npmFlags, ...tarballs], project);
  sh("npx", ["canal", "init"], project);
  sh("npm", ["install", ...npmFlags], project);
}, 15 * minutes);

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

/** Every file of a tarball, as `tar -t` lists them (under package/). */
function contents(tarball: string): string[] {
  return sh("tar", ["-tzf", tarball], dirname(tarball)).stdout.trim().split("\n");
}

describe("installed from the packed tarballs, outside the repository", () => {
  test("the tarballs hold built JavaScript and type declarations, no TypeScript sources", () => {
    expect(tarballs.map((t) => basename(t)).sort()).toEqual(
      expect.arrayContaining([
        "canal-cli-0.1.0.tgz",
        "canal-sdk-0.1.0.tgz",
        "canal-store-0.1.0.tgz",
        "canal-server-0.1.0.tgz",
      ]),
    );
    for (const tarball of tarballs) {
      const files = contents(tarball);
      expect(files, tarball).toContain("package/package.json");
      expect(files, tarball).toContain("package/dist/index.js");
      expect(files, tarball).toContain("package/dist/index.d.ts");
      const sources = files.filter(
        (f) => f.startsWith("package/src/") || (/\.tsx?$/.test(f) && !f.endsWith(".d.ts")),
      );
      expect(sources, tarball).toEqual([]);
    }
    expect(contents(tarballs.find((t) => basename(t).startsWith("canal-cli-")) as string)).toEqual(
      expect.arrayContaining([
        "package/bin/canal.js",
        "package/dist/bundle/canal.cjs",
        "package/dist/bundle/stamp.json",
      ]),
    );
    // The web UI, built by the server package's prepack.
    expect(contents(tarballs.find((t) => basename(t).startsWith("canal-server-")) as string)).toEqual(
      expect.arrayContaining([
        "package/ui-dist/index.html",
        "package/ui-dist/app.js",
        "package/ui-dist/app.css",
        "package/ui-dist/elk-worker.min.js",
      ]),
    );
  });

  test("the packages are real folders in the project, not links into the repository", () => {
    const installed = readdirSync(join(project, "node_modules/@canal"));
    expect(installed).toEqual(
      expect.arrayContaining(["cli", "sdk", "compiler", "store", "runtime-local", "server"]),
    );
    for (const name of installed)
      expect(lstatSync(join(project, "node_modules/@canal", name)).isSymbolicLink()).toBe(false);
    const manifest = JSON.parse(readFileSync(join(project, "package.json"), "utf8"));
    expect(manifest.scripts).toMatchObject({
      run: "canal run pipeline.ts",
      compile: "canal compile pipeline.ts",
    });
    expect(manifest.allowScripts).toMatchObject({ "better-sqlite3": true });
  });

  test("the starter pipeline of `canal init` compiles and runs unchanged", () => {
    const { stdout } = sh("npx", ["canal", "run", "pipeline.ts"], project);
    expect(stdout).toMatch(/run run-\S+ succeeded in [\d.]+s \(2 succeeded\)/);
    const compiled = sh("npm", ["run", "--silent", "compile"], project);
    expect(compiled.stdout).toContain("compiled starter: 2 steps");
  });

  test("`npx canal` runs from the CLI's bundle, which finds the files of the packages it bundles", () => {
    // A run that the cache answers, then one that runs its steps again (the TypeScript step's
    // worker and the IR's schema are files of the bundled packages, found where npm put them).
    // The compiler is not bundled: the compile cache loads it, and the IR it uses, as modules.
    const trace = join(root, "bundle-trace");
    const env = { ...userEnv(), NODE_OPTIONS: `--import ${join(repoRoot, "test/cli/module-trace.mjs")}` };
    for (const args of [
      ["run", "pipeline.ts"],
      ["run", "pipeline.ts", "--regenerate"],
    ]) {
      rmSync(trace, { force: true });
      const { stdout } = sh("npx", ["canal", ...args], project, { ...env, CANAL_MODULE_TRACE: trace });
      expect(stdout).toMatch(/run run-\S+ succeeded in [\d.]+s \(2 (cached|succeeded)\)/);
      const modules = readFileSync(trace, "utf8").split("\n");
      expect(modules).toContain(join(realpathSync(project), "node_modules/@canal/cli/dist/main.js"));
      expect(
        modules.filter((m) =>
          /node_modules\/@canal\/(store|runner|runtime-core|runtime-local)\/dist\//.test(m),
        ),
      ).toEqual([]);
    }
    // The bundle ran, and left the code cache of its `run` beside itself.
    const bundle = join(project, "node_modules/@canal/cli/dist/bundle");
    const { id } = JSON.parse(readFileSync(join(bundle, "stamp.json"), "utf8")) as { id: string };
    expect(readdirSync(bundle)).toContain(`${id}.run.cache`);
  });

  test("a Python script step gets its input file and reads it", () => {
    mkdirSync(join(project, "raw"));
    writeFileSync(join(project, "raw/wine.csv"), "alcohol,quality\n12.8,6\n9.4,5\n");
    mkdirSync(join(project, "names_src"));
    writeFileSync(
      join(project, "names_src/show.py"),
      [
        "import sys",
        "path = sys.argv[1]",
        'print(f"input path: {path}")',
        'if not path.endswith(".csv"):',
        '    sys.exit(f"expected a .csv file, got {path}")',
        "with open(path) as f:",
        "    header = f.readline().strip()",
        'print(f"header: {header}")',
        'with open(sys.argv[2], "w") as f:',
        "    f.write(header)",
        "",
      ].join("\n"),
    );
    writeFileSync(
      join(project, "names.ts"),
      [
        'import { Dataset, env, Metrics, pipeline, step } from "@canal/sdk";',
        "",
        "export class Names {",
        '  @step.script({ source: "./names_src", run: "python show.py {raw} {report}", env: env.python() })',
        "  show(raw: Dataset): { report: Metrics } {",
        "    return step.declared();",
        "  }",
        "",
        '  @pipeline({ name: "names" })',
        '  run(raw: Dataset = Dataset.from("raw/wine.csv")) {',
        "    return this.show(raw);",
        "  }",
        "}",
        "",
      ].join("\n"),
    );
    const { stdout } = sh("npx", ["canal", "run", "names.ts", "--json"], project);
    const { run } = JSON.parse(stdout) as { run: { id: string; status: string } };
    expect(run.status).toBe("succeeded");
    const logs = sh("npx", ["canal", "logs", run.id, "show"], project).stdout;
    expect(logs).toContain("header: alcohol,quality");
    // The input reaches the step under its own name.
    const path = /input path: (\S+)/.exec(logs)?.[1] ?? "";
    expect(path).toMatch(/^\/.*\/in\/raw\/wine\.csv$/);
    // And the run's outputs come out of the store.
    const downloaded = sh("npx", ["canal", "download", run.id, "--to", "out"], project);
    expect(downloaded.stdout).toContain("report");
    expect(readdirSync(join(project, "out"))).toEqual(["report"]);
    expect(readFileSync(join(project, "out", "report"), "utf8")).toBe("alcohol,quality");
  });
});

describe("canal serve, installed", () => {
  test("npx canal serve answers with a token of `npx canal tokens create`, and stops on SIGTERM", async () => {
    const { secret } = JSON.parse(
      sh("npx", ["canal", "tokens", "create", "--role", "viewer", "--json"], project).stdout,
    ) as { secret: string };
    // Its own process group: npx and the canal it starts are stopped together, by the group's id.
    const child = spawn("npx", ["canal", "serve", "--port", "0"], {
      cwd: project,
      env: userEnv(),
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once("close", resolve));
    try {
      const deadline = Date.now() + 60_000;
      while (!/listening on (http:\/\/\S+) /.test(output)) {
        if (Date.now() > deadline || child.exitCode !== null)
          throw new Error(`canal serve did not start:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const url = (/listening on (http:\/\/\S+) /.exec(output) as RegExpExecArray)[1] as string;
      expect((await fetch(`${url}/api/v1/health`)).status).toBe(200);
      expect((await fetch(`${url}/api/v1/runs`)).status).toBe(401);
      const runs = await fetch(`${url}/api/v1/runs`, { headers: { authorization: `Bearer ${secret}` } });
      expect(runs.status).toBe(200);
      expect(((await runs.json()) as { runs: unknown[] }).runs.length).toBeGreaterThan(0);
      // The web UI, from the installed package's files.
      const page = await fetch(`${url}/runs`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain("/ui/app.js");
      for (const file of ["app.js", "app.css", "elk-worker.min.js"])
        expect((await fetch(`${url}/ui/${file}`)).status, file).toBe(200);
    } finally {
      if (child.pid && child.exitCode === null) process.kill(-child.pid, "SIGTERM");
    }
    await exited;
    expect(output).toContain("canal serve: stopping");
    expect(output).not.toContain(secret);
  });
});

describe("in this repository", () => {
  test("npx canal finds the CLI through the bin link npm made at install", () => {
    // The link goes to the committed shim, which exists before anything is built.
    expect(realpathSync(join(repoRoot, "node_modules/.bin/canal"))).toBe(
      realpathSync(join(repoRoot, "packages/cli/bin/canal.js")),
    );
    const { stdout } = sh("npx", ["canal", "--help"], repoRoot);
    expect(stdout).toContain("Usage: canal <command>");
  });
});
