import { relative } from "node:path";
import { build } from "esbuild";

/** A class or function that a runtime loads from the bundle by name. */
export interface BundleExport {
  /** Absolute path of the module declaring it. */
  file: string;
  /** Its export name in that module. */
  exportName: string;
}

export interface Bundle {
  code: Buffer;
  /** `${file}#${exportName}` -> the name it is exported under from the bundle. */
  names: Map<string, string>;
}

export class BundleError extends Error {
  readonly code = "CANAL_BUNDLE_FAILED";
}

/**
 * Bundles the modules holding the pipeline's TypeScript steps, with every package they import,
 * into one self-contained ES module. esbuild lowers the stage-3 decorators that Node 20 cannot run.
 * Paths inside the bundle are relative to the project root and comments are dropped, so the bytes
 * depend on the code alone: not on where the project is checked out, nor on comments.
 */
export async function bundleSteps(exports: BundleExport[], projectRoot: string): Promise<Bundle> {
  const names = new Map<string, string>();
  const taken = new Set<string>();
  const lines: string[] = [];
  const sorted = [...exports].sort((a, b) =>
    `${a.file}#${a.exportName}` < `${b.file}#${b.exportName}` ? -1 : 1,
  );
  for (const item of sorted) {
    const key = `${item.file}#${item.exportName}`;
    if (names.has(key)) continue;
    let alias = item.exportName;
    for (let n = 2; taken.has(alias); n++) alias = `${item.exportName}$${n}`;
    taken.add(alias);
    names.set(key, alias);
    const specifier = `./${relative(projectRoot, item.file).split("\\").join("/")}`;
    lines.push(`export { ${item.exportName} as ${alias} } from ${JSON.stringify(specifier)};`);
  }
  // The SDK's artifact classes travel with the steps, so a worker hands a step real `Model`,
  // `Table` … instances of the bundle's own copy of the SDK.
  lines.push('export * as __canalSdk from "@canal/sdk";');
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
    logLevel: "silent",
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
        `bundling the TypeScript steps failed: ${where}${first?.text ?? String(error)}; fix the import or install the package (npm install)`,
      );
    },
  );
  const output = result.outputFiles[0];
  if (!output) throw new BundleError("bundling the TypeScript steps produced no output");
  return { code: Buffer.from(output.contents), names };
}
