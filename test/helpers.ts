import type { ChildProcess } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { isRunning } from "./processes.mjs";

export { isRunning };

export const repoRoot = resolve(import.meta.dirname, "..");

/**
 * How a user registers the flagship's raw data before its first run (`canal ARGS` in the example's
 * folder, as scripts/setup.sh and the README do): the table dataset `iris`, from the example's
 * datastore `raw` (its data/ folder), with the schema file beside the pipeline.
 */
export const IRIS_REGISTER = [
  "datasets",
  "register",
  "iris",
  "--from",
  "raw:iris.csv",
  "--table",
  "--schema",
  "iris.schema.json",
];

/**
 * A copy of the flagship example as its own project in a temp directory (with @canal/sdk linked
 * in), so tests can edit sources freely and compare against a pristine copy. It is a workspace of
 * its own (its canal.config.json) with no dataset registered yet: a test that runs it registers
 * `iris` first with IRIS_REGISTER, as a user does.
 */
export function copyIris(): string {
  const dir = mkdtempSync(join(tmpdir(), "canal-iris-"));
  cpSync(join(repoRoot, "examples/iris"), dir, {
    recursive: true,
    filter: (src) => !/\/(node_modules|dist|canal-out|\.canal)(\/|$)/.test(src),
  });
  mkdirSync(join(dir, "node_modules/@canal"), { recursive: true });
  symlinkSync(join(repoRoot, "packages/sdk"), join(dir, "node_modules/@canal/sdk"));
  symlinkSync(join(repoRoot, "node_modules/@types"), join(dir, "node_modules/@types"));
  // Its table schemas are zod objects.
  symlinkSync(join(repoRoot, "node_modules/zod"), join(dir, "node_modules/zod"));
  // A standalone project: the example's own tsconfig extends the repository's base.
  const base = JSON.parse(readFileSync(join(repoRoot, "tsconfig.base.json"), "utf8"));
  const options = {
    ...base.compilerOptions,
    composite: false,
    declaration: false,
    declarationMap: false,
    noEmit: true,
  };
  writeFileSync(
    join(dir, "tsconfig.json"),
    `${JSON.stringify({ compilerOptions: options, include: ["pipeline.ts", "src"] }, null, 2)}\n`,
  );
  return dir;
}

/**
 * A fresh pipeline project in a temp directory: package.json (ESM), a standalone tsconfig with the
 * node types, @canal/sdk and @types linked in, then `from` (a directory) copied in and `files`
 * written over it.
 */
export function makeProject(options: { from?: string; files?: Record<string, string> } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "canal-project-"));
  if (options.from) cpSync(options.from, dir, { recursive: true });
  writeFileSync(
    join(dir, "package.json"),
    `${JSON.stringify({ name: "canal-test-project", private: true, type: "module" })}\n`,
  );
  const base = JSON.parse(readFileSync(join(repoRoot, "tsconfig.base.json"), "utf8"));
  const compilerOptions = {
    ...base.compilerOptions,
    composite: false,
    declaration: false,
    declarationMap: false,
    noEmit: true,
    types: ["node"],
  };
  writeFileSync(
    join(dir, "tsconfig.json"),
    `${JSON.stringify({ compilerOptions, include: ["**/*.ts"] }, null, 2)}\n`,
  );
  mkdirSync(join(dir, "node_modules/@canal"), { recursive: true });
  symlinkSync(join(repoRoot, "packages/sdk"), join(dir, "node_modules/@canal/sdk"));
  symlinkSync(join(repoRoot, "node_modules/@types"), join(dir, "node_modules/@types"));
  for (const [path, text] of Object.entries(options.files ?? {})) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

/** Ids of this machine's processes whose environment has `name=value` (what a step process inherits). */
export function processesWithEnv(name: string, value: string): number[] {
  const found: number[] = [];
  for (const entry of existsSync("/proc") ? readdirSync("/proc") : []) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = readFileSync(`/proc/${entry}/environ`, "utf8").split("\0");
      if (environ.includes(`${name}=${value}`) && isRunning(Number(entry))) found.push(Number(entry));
    } catch {
      // Gone meanwhile, or another user's: neither is a step of ours.
    }
  }
  return found;
}

/** Polls until `ready()` holds (a condition, never a fixed sleep); throws naming `what` after `timeoutMs`. */
export async function waitFor(
  what: string,
  ready: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Every file under a directory with its bytes, keyed by relative path. */
export function treeBytes(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (current: string) => {
    for (const name of readdirSync(current).sort()) {
      const path = join(current, name);
      if (statSync(path).isDirectory()) walk(path);
      else files.set(relative(dir, path), readFileSync(path));
    }
  };
  walk(dir);
  return files;
}

/** Stops a server a test started, with SIGTERM to its PID, and waits for it to exit. */
export async function stopServer(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("close", resolve));
  child.kill("SIGTERM");
  await exited;
}
