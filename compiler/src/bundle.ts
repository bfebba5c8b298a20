import { existsSync, readFileSync } from "node:fs";
import { dirname, extname, join, relative, resolve, sep } from "node:path";
import { build, type Loader, type Plugin } from "esbuild";
import { ts } from "ts-morph";
import { BundleError } from "./errors.js";
import { printCode, type StepSlice } from "./slice.js";
import { isInside, realpath } from "./snapshot.js";

const sliceSpecifier = "canal-step-slice";
const scriptFile = /\.(?:[cm]?[jt]s|[jt]sx)$/;

function loaderFor(path: string): Loader {
  const extension = extname(path);
  if (extension === ".tsx") return "tsx";
  if (extension === ".jsx") return "jsx";
  return /^\.[cm]?ts$/.test(extension) ? "ts" : "js";
}

function scriptKindFor(path: string): ts.ScriptKind {
  const loader = loaderFor(path);
  return (
    { ts: ts.ScriptKind.TS, tsx: ts.ScriptKind.TSX, jsx: ts.ScriptKind.JSX }[loader as string] ??
    ts.ScriptKind.JS
  );
}

/** A local module's source printed from its syntax tree, without comments, as the code hash reads it. */
function withoutComments(path: string, printed: Map<string, string>): string {
  let text = printed.get(path);
  if (text === undefined) {
    const sf = ts.createSourceFile(
      path,
      readFileSync(path, "utf8"),
      ts.ScriptTarget.Latest,
      true,
      scriptKindFor(path),
    );
    text = printCode(sf.statements, sf);
    printed.set(path, text);
  }
  return text;
}

/** A TypeScript step's code: the class or function a runtime loads from its bundle by name. */
export interface StepBundleSource {
  /** Absolute path of the module declaring it. */
  file: string;
  /** Its export name in that module, and in the bundle. */
  exportName: string;
  /** The module cut down to what the step's code hash covers; without one, the module is bundled whole. */
  slice?: StepSlice;
}

/**
 * Bundles one TypeScript step, with every module and package it imports, into one self-contained
 * ES module: the step's own file is its slice (what its code hash covers), so the bundle's bytes,
 * which enter the step's hash, change exactly when the step's code does and never with another
 * step's. esbuild lowers the stage-3 decorators that Node 20 cannot run. Paths inside the bundle
 * are relative to the project root and comments are dropped, so the bytes depend on the code alone:
 * not on where the project is checked out, nor on comments or formatting. `printed` keeps local
 * modules as printed without comments, for the next step of the same compile.
 */
export async function bundleStep(
  source: StepBundleSource,
  projectRoot: string,
  printed: Map<string, string> = new Map(),
): Promise<Buffer> {
  const relativeFile = relative(projectRoot, source.file).split("\\").join("/");
  // The slice stands beside the file it is cut from, under a name no file has, so its imports
  // resolve as the file's do and its tsconfig is the file's; a module that imports the file itself
  // still gets the whole file.
  const slicePath = `${source.file}#canal-step`;
  const specifier = source.slice ? sliceSpecifier : `./${relativeFile}`;
  const lines = [
    `export { ${source.exportName} } from ${JSON.stringify(specifier)};`,
    // The SDK's artifact classes travel with the step, so a worker hands it real `Model`,
    // `Table` … instances of the bundle's own copy of the SDK.
    'export * as __canalSdk from "@canal/sdk";',
  ];
  const slice = source.slice;
  const root = realpath(projectRoot);
  const plugin: Plugin = {
    name: "canal-step-code",
    setup(build) {
      build.onResolve({ filter: new RegExp(`^${sliceSpecifier}$`) }, () => ({ path: slicePath }));
      build.onLoad({ filter: /#canal-step$/ }, (args) =>
        slice && args.path === slicePath
          ? { contents: slice.text, loader: "ts", resolveDir: dirname(source.file) }
          : undefined,
      );
      // Local modules without their comments, which esbuild keeps in class bodies: the code hash
      // leaves comments out, so the bundle must too.
      build.onLoad({ filter: scriptFile }, (args) => {
        const real = realpath(args.path);
        if (!isInside(root, real) || relative(root, real).split(sep).includes("node_modules"))
          return undefined;
        return { contents: withoutComments(real, printed), loader: loaderFor(real) };
      });
    },
  };
  const result = await build({
    stdin: {
      contents: lines.join("\n"),
      resolveDir: projectRoot,
      sourcefile: "canal-steps.js",
      loader: "js",
    },
    absWorkingDir: projectRoot,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    legalComments: "none",
    charset: "utf8",
    write: false,
    metafile: true,
    logLevel: "silent",
    plugins: [plugin],
    // Packages written as CommonJS call require(); give the ES module bundle one.
    banner: {
      js: 'import { createRequire as __canalCreateRequire } from "node:module"; const require = __canalCreateRequire(import.meta.url);',
    },
  }).catch(
    (error: {
      errors?: Array<{ text: string; location?: { file: string; line: number; column: number } }>;
    }) => {
      const first = error.errors?.[0];
      const where = first?.location
        ? `${first.location.file}:${first.location.line}:${first.location.column + 1}: `
        : "";
      throw new BundleError(
        `bundling TypeScript step \`${source.exportName}\` (${relativeFile}) failed: ${where}${first?.text ?? String(error)}; fix the import or install the package (npm install)`,
      );
    },
  );
  const output = result.outputFiles[0];
  if (!output) throw new BundleError(`bundling TypeScript step \`${source.exportName}\` produced no output`);
  return Buffer.from(placeIndependent(output.text, Object.keys(result.metafile?.inputs ?? {}), projectRoot));
}

/**
 * esbuild heads each module's code with `// <path relative to the project>`; for a module outside
 * the project (a package linked from elsewhere) that path says where the checkout is. It is named
 * instead by its package and its path in that package, as the code hash names linked packages.
 */
function placeIndependent(code: string, inputs: string[], projectRoot: string): string {
  let text = code;
  for (const input of inputs) {
    if (!input.startsWith("../")) continue;
    const absolute = resolve(projectRoot, input);
    for (let dir = dirname(absolute); dir !== dirname(dir); dir = dirname(dir)) {
      const manifest = join(dir, "package.json");
      if (!existsSync(manifest)) continue;
      let name = "";
      try {
        name = String((JSON.parse(readFileSync(manifest, "utf8")) as { name?: unknown }).name ?? "");
      } catch {}
      const named = `link:${name}/${relative(dir, absolute).split(sep).join("/")}`;
      text = text.split(`\n// ${input}\n`).join(`\n// ${named}\n`);
      break;
    }
  }
  return text;
}
