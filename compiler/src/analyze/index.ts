/**
 * The analysis stage: reads `@pipeline` methods statically (through ts-morph and the type checker,
 * never running user code) into pipeline models and diagnostics.
 *
 * @example
 * ```ts
 * const root = findProjectRoot("/repo/pipeline.ts");
 * const project = createProject(["/repo/pipeline.ts"], root);
 * const { models, diagnostics } = analyze(project, ["/repo/pipeline.ts"], root);
 * ```
 */
import { resolve } from "node:path";
import type { Project, SourceFile } from "ts-morph";
import type { Diagnostic, PipelineModel } from "../model.js";
import type { ReadLog } from "../read-log.js";
import { Exports, findPipelines } from "./find.js";
import { readPipeline } from "./pipeline.js";
import { Reporter, relativePath } from "./report.js";
import { unresolvedSdkImport } from "./sdk.js";
import { StepCatalog } from "./steps.js";
import { reportTypeScriptErrors } from "./typescript.js";

export { createProject, findProjectRoot } from "./project.js";

function compareLocations(a: Diagnostic, b: Diagnostic): number {
  const x = a.location;
  const y = b.location;
  if (x.file !== y.file) return x.file < y.file ? -1 : 1;
  return x.line - y.line || x.column - y.column || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0);
}

/** The same problem reached twice (a step shared by two pipelines) is reported once. */
function unique(diagnostics: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diagnostics.filter((d) => {
    const key = `${d.code}\0${d.location.file}\0${d.location.line}\0${d.location.column}\0${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Analyses every `@pipeline` of the entry files. Reports all diagnostics it finds (sorted by
 * place); a pipeline with any error yields no model.
 */
export function analyze(
  project: Project,
  entries: string[],
  projectRoot: string,
  reads?: ReadLog,
): { models: PipelineModel[]; diagnostics: Diagnostic[] } {
  const reporter = new Reporter(projectRoot, reads);
  const exports = new Exports(reporter);
  const catalog = new StepCatalog(reporter, exports);
  const candidates: Array<{ model: PipelineModel | undefined; file: SourceFile }> = [];

  const files: SourceFile[] = [];
  for (const entry of entries) {
    const path = resolve(projectRoot, entry);
    const sourceFile = project.getSourceFile(path) ?? project.addSourceFileAtPath(path);
    files.push(sourceFile);
    // Without the SDK no decorator resolves to it, so the file would seem to hold no pipeline:
    // the missing package is the one thing to say (its TS2307 is covered by this diagnostic).
    const missingSdk = unresolvedSdkImport(sourceFile);
    if (missingSdk) {
      reporter.error(
        "CANAL1020",
        missingSdk,
        `${sourceFile.getBaseName()} imports "@canal/sdk", which is not installed in this project (nothing resolves it from ${relativePath(projectRoot, sourceFile.getDirectoryPath()) || "."})`,
        "install it: `npm install @canal/sdk` (and `npm install -D @canal/cli` for the canal command); `npx canal init` sets up a project",
      );
      continue;
    }
    const pipelines = findPipelines(sourceFile);
    if (pipelines.length === 0) {
      reporter.fileError(
        "CANAL1001",
        sourceFile,
        `no @pipeline found in ${sourceFile.getBaseName()}`,
        'decorate a method of an exported class with @pipeline from "@canal/sdk": `@pipeline() run(data: Dataset) { ... }`',
      );
    }
    for (const declaration of pipelines) {
      candidates.push({
        model: readPipeline(reporter, exports, catalog, declaration, projectRoot),
        file: sourceFile,
      });
    }
  }
  const failedFiles = reportTypeScriptErrors(reporter, files);
  const models = candidates
    .filter((c) => c.model !== undefined && !failedFiles.has(c.file))
    .map((c) => ({ ...(c.model as PipelineModel), pathsRead: reporter.pathsRead }));
  return { models, diagnostics: unique(reporter.all()).sort(compareLocations) };
}
