// The compiler's internal vocabulary, shared by its stages:
//   analyze (pipeline body -> PipelineModel + diagnostics)
//   code-hash / snapshot (step definitions -> code identity)
//   bundle + artifact (-> the written, content-addressed artifact)
import type { Environment, HashedFile, Pipeline, SourceLocation } from "@canal/ir";
import type { MethodDeclaration, Node, VariableDeclaration } from "ts-morph";

/** A diagnostic's stable code. Documented, one fixture each, in compiler/src/diagnostics.test.ts. */
export type DiagnosticCode =
  | "CANAL1001" // no @pipeline found in the entry file(s)
  | "CANAL1002" // construct not allowed in a pipeline body
  | "CANAL1003" // type mismatch between a step input and the value bound to it
  | "CANAL1004" // missing input: a required step input got no argument
  | "CANAL1005" // unknown placeholder in a script step's command
  | "CANAL1006" // cycle in the step graph
  | "CANAL1007" // duplicate step name
  | "CANAL1008" // parameter type that cannot be serialised
  | "CANAL1009" // call of something that is not a step
  | "CANAL1010" // unsupported type in a step signature (e.g. a union)
  | "CANAL1011" // invalid step or pipeline option (non-literal, bad unit, unknown key)
  | "CANAL1012" // a path named by the pipeline (script source, requirements, hashPaths, dataset) is missing
  | "CANAL1013" // nested fan-out
  | "CANAL1014" // step or pipeline class not exported, so a runtime cannot load it
  | "CANAL1015" // unknown step in `after`
  | "CANAL1016" // TypeScript error in the program (reported with the TS code)
  | "CANAL1017" // a path that escapes the project root
  | "CANAL1018" // the lockfile cannot be read (damaged, or a format Canal does not know)
  | "CANAL1019" // a placeholder where a value could become shell syntax, or a command the shell cannot parse
  | "CANAL1020" // the entry imports @canal/sdk but it is not installed where the entry can resolve it
  | "CANAL1021"; // a table bound to a step input lacks a column the input's schema declares, or has it with another type

export interface Diagnostic {
  code: DiagnosticCode;
  severity: "error" | "warning";
  /** What is wrong, naming the component: step `train` input `data` ... */
  message: string;
  /** How to fix it. */
  hint: string;
  /** File relative to the project root, 1-based line and column. */
  location: SourceLocation;
}

/** How a step is declared in user code. */
export type StepDeclaration =
  | { form: "method"; node: MethodDeclaration; className: string }
  | { form: "function"; node: VariableDeclaration };

/**
 * One step definition (a decorated method or a `step.fn` / `step.script.fn` value), identified by
 * its resolved declaration, not by the text at the call site.
 */
export interface StepDefinition {
  /** Stable key: "<file relative to root>#<Class>.<method>" or "<file>#<variable>". */
  key: string;
  name: string;
  kind: "TYPESCRIPT" | "SCRIPT";
  declaration: StepDeclaration;
  /** Absolute path of the file declaring the step. */
  file: string;
  /** Name under which the declaring module exports the class or function. */
  exportName: string;
  /** Method name for the method form. */
  member?: string;
  /** Script steps: the source directory, absolute, and the command template. */
  source?: string;
  sourceAsWritten?: string;
  command?: string;
  /** Absolute paths whose contents enter the code hash (AzureML hash_paths). */
  hashPaths: string[];
}

/**
 * The result of analysis for one pipeline: the IR with everything but the content-derived fields
 * (Step.codeHash, codeFiles, hash, code.bundle, script.snapshot, Pipeline.hash, blobs), which
 * later stages fill in. Step ids in `pipeline.steps[i]` map to their definition in `definitions`.
 */
export interface PipelineModel {
  pipeline: Pipeline;
  /** Step id -> its definition. */
  stepDefinitions: Map<string, StepDefinition>;
  /** Environment id -> environment (ids already computed from the environment's content). */
  environments: Map<string, Environment>;
  /** Artifact parameters with a local default: parameter name -> absolute path. */
  datasetDefaults: Map<string, string>;
  /** The project paths the analysis read (requirements files, script folders, datasets…), absolute. */
  pathsRead?: ReadonlySet<string>;
  /** The class or function holding the @pipeline, for the bundle entry. */
  entryFile: string;
  node: Node;
}

/** What a step's code is: a hash over sorted entries, and the entries for people to read. */
export interface CodeIdentity {
  hash: string;
  /** Sorted by path: project-relative files, "<file>#<step>" for the step's own code, "npm:<name>@<version>". */
  files: HashedFile[];
}
