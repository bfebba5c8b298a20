import { readFileSync, statSync } from "node:fs";
import { relative, resolve } from "node:path";
import {
  type BlobRef,
  type BlobSource,
  blobRef,
  IR_VERSION,
  MediaType,
  type Pipeline,
  pipelineHash,
  type Step,
  sha256,
  stepHash,
  writeArtifact,
} from "@canal/ir";
import type { Project } from "ts-morph";
import { analyze, createProject, findProjectRoot } from "./analyze/index.js";
import { bundleStep, type StepBundleSource } from "./bundle.js";
import { type CodeIdentity, typescriptStepCode } from "./code-hash.js";
import { CodeHashError } from "./errors.js";
import { hasErrors } from "./format.js";
import { gitInfo } from "./git.js";
import { type Lockfile, readLockfile } from "./lockfile.js";
import type { Diagnostic, PipelineModel, StepDefinition } from "./model.js";
import type { ReadLog } from "./read-log.js";
import { hashedContent, type Snapshot, scriptStepIdentity, snapshotDirectory } from "./snapshot.js";
import { sourceFiles } from "./sources.js";
import { COMPILER_VERSION, MIN_RUNTIME_VERSION } from "./version.js";

export interface CompileOptions {
  /** Entry files, absolute or relative to `cwd`. */
  entries: string[];
  /** Where artifacts go: one directory per pipeline, `<outDir>/<pipeline name>`. Default `<root>/canal-out`. */
  outDir?: string;
  cwd?: string;
  /** Analyse and hash but write nothing. */
  dryRun?: boolean;
  /** Notes what the compile reads, for the compile cache (compile-cache.ts). */
  reads?: ReadLog;
}

export interface CompiledPipeline {
  pipeline: Pipeline;
  /** The artifact directory (absent on a dry run). */
  dir?: string;
  bytes: number;
}

export interface CompileResult {
  projectRoot: string;
  pipelines: CompiledPipeline[];
  diagnostics: Diagnostic[];
  /** The artifacts were those of an earlier compile of the same, unchanged sources (compile cache). */
  fromCache?: boolean;
}

export { hasErrors };

class Blobs {
  readonly sources = new Map<string, BlobSource>();
  add(bytes: Uint8Array, mediaType: string): string {
    const digest = sha256(bytes);
    if (!this.sources.has(digest)) this.sources.set(digest, { bytes, mediaType });
    return digest;
  }
  addSnapshot(snapshot: Snapshot): string {
    // The manifest names each file by the hash of its normalised bytes (CRLF -> LF in text), so
    // those are the bytes shipped: a runtime verifies every file against the manifest.
    for (const file of snapshot.files) this.add(hashedContent(readFileSync(file.absolute)), MediaType.file);
    return this.add(snapshot.manifest, MediaType.snapshotManifest);
  }
  refs(): BlobRef[] {
    return [...this.sources]
      .map(([digest, blob]) => ({ ...blobRef(blob.bytes, blob.mediaType), sha256: digest }))
      .sort((a, b) => (a.sha256 < b.sha256 ? -1 : 1));
  }
}

/**
 * Compiles pipeline source into artifacts: analysis (statically, never running user code), code
 * identity and content hashes, the bundle of TypeScript steps, snapshots of script steps, and the
 * written artifact. Returns every diagnostic; writes nothing when there is an error.
 */
export async function compile(options: CompileOptions): Promise<CompileResult> {
  const cwd = options.cwd ?? process.cwd();
  const entries = options.entries.map((entry) => resolve(cwd, entry));
  const projectRoot = findProjectRoot(entries[0] ?? cwd);
  const project = createProject(entries, projectRoot, options.reads);
  const { models, diagnostics } = analyze(project, entries, projectRoot, options.reads);
  const result: CompileResult = { projectRoot, pipelines: [], diagnostics };
  if (hasErrors(result)) return result;

  const git = gitInfo(projectRoot);
  const outDir = resolve(cwd, options.outDir ?? resolve(projectRoot, "canal-out"));
  for (const model of models) {
    try {
      const lockfile = readLockfile(projectRoot);
      options.reads?.lockfile(lockfile);
      const { pipeline, blobs } = await finish(model, { project, projectRoot, lockfile });
      pipeline.source = { entry: pipeline.source?.entry ?? "", ...git };
      pipeline.source.files = sourceFiles(pipeline, model, { project, projectRoot, lockfile });
      pipeline.hash = pipelineHash(pipeline);
      const bytes = [...blobs.sources.values()].reduce((sum, b) => sum + b.bytes.length, 0);
      if (options.dryRun) {
        result.pipelines.push({ pipeline, bytes });
        continue;
      }
      const dir = resolve(outDir, pipeline.name);
      writeArtifact(dir, pipeline, blobs.sources);
      result.pipelines.push({ pipeline, dir, bytes });
    } catch (error) {
      if (!(error instanceof CodeHashError)) throw error;
      const lockfile = error.code.startsWith("CANAL_LOCKFILE");
      result.diagnostics.push({
        code: error.code === "CANAL_PATH_ESCAPES" ? "CANAL1017" : lockfile ? "CANAL1018" : "CANAL1012",
        severity: "error",
        message: error.problem,
        hint: error.hint,
        location: lockfile
          ? { file: "package-lock.json", line: 1, column: 1 }
          : (model.pipeline.steps[0]?.location ?? {
              file: relative(projectRoot, entries[0] ?? ""),
              line: 1,
              column: 1,
            }),
      });
    }
  }
  return result;
}

interface HashContext {
  project: Project;
  projectRoot: string;
  lockfile: Lockfile;
}

async function finish(model: PipelineModel, ctx: HashContext): Promise<{ pipeline: Pipeline; blobs: Blobs }> {
  const pipeline = model.pipeline;
  const blobs = new Blobs();
  const identities = new Map<string, CodeIdentity>();
  const snapshots = new Map<string, string>();
  const bundleSources = new Map<string, StepBundleSource>();
  const identityOf = (definition: StepDefinition): CodeIdentity => {
    let identity = identities.get(definition.key);
    if (!identity) {
      if (definition.kind === "SCRIPT") {
        const script = scriptStepIdentity(definition, ctx.projectRoot);
        identity = script.identity;
        snapshots.set(definition.key, blobs.addSnapshot(script.snapshot));
      } else {
        const code = typescriptStepCode(definition, ctx);
        identity = code.identity;
        bundleSources.set(definition.key, {
          file: definition.file,
          exportName: definition.exportName,
          ...(code.slice ? { slice: code.slice } : {}),
        });
      }
      identities.set(definition.key, identity);
    }
    return identity;
  };

  const tsSteps: Array<{ step: Step; definition: StepDefinition }> = [];
  for (const step of pipeline.steps) {
    const definition = model.stepDefinitions.get(step.id);
    if (!definition) throw new Error(`internal: step ${step.id} has no definition`);
    const identity = identityOf(definition);
    step.codeHash = identity.hash;
    step.codeFiles = identity.files;
    if (step.script) step.script.snapshot = snapshots.get(definition.key) ?? "";
    else tsSteps.push({ step, definition });
  }

  // One bundle per step definition, built side by side; a fan-out's instances share theirs.
  const printed = new Map<string, string>();
  const bundles = new Map(
    await Promise.all(
      [...bundleSources].map(
        async ([key, source]) =>
          [key, blobs.add(await bundleStep(source, ctx.projectRoot, printed), MediaType.bundle)] as const,
      ),
    ),
  );
  for (const { step, definition } of tsSteps) {
    const digest = bundles.get(definition.key) ?? "";
    step.code = {
      bundle: digest,
      exportName: definition.exportName,
      ...(definition.member ? { member: definition.member } : {}),
    };
  }

  for (const parameter of pipeline.parameters) {
    const path = model.datasetDefaults.get(parameter.name);
    if (!path || !parameter.defaultArtifact) continue;
    parameter.defaultArtifact.blob = statSync(path).isDirectory()
      ? blobs.addSnapshot(snapshotDirectory(path, ctx.projectRoot))
      : blobs.add(readFileSync(path), MediaType.file);
  }

  for (const step of pipeline.steps) step.hash = stepHash(step);
  pipeline.environments = [...model.environments.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
  pipeline.blobs = blobs.refs();
  pipeline.irVersion = IR_VERSION;
  pipeline.minRuntimeVersion = MIN_RUNTIME_VERSION;
  pipeline.compilerVersion = COMPILER_VERSION;
  return { pipeline, blobs };
}
