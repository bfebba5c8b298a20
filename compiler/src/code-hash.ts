import { framedHash } from "@canal/ir";
import { CodeGraph, type CodeHashContext } from "./code-hash/graph.js";
import { StepSource } from "./code-hash/step-source.js";
import type { CodeIdentity, StepDefinition } from "./model.js";
import { type StepSlice, stepSlice } from "./slice.js";
import { pathsIdentity, sortedEntries } from "./snapshot.js";

export type { CodeHashContext } from "./code-hash/graph.js";
export { CodeHashError } from "./errors.js";
export type { CodeIdentity } from "./model.js";

/**
 * The code identity of a TypeScript step: its own code (a method's signature and body, or the
 * function given to `step.fn`), the declarations of its file that it reaches through the checker's
 * symbols, every local module it imports transitively (whole), the locked versions and installed
 * content of the packages those reach, and its hashPaths. Decorator and `step.fn` options are left out: they are config,
 * hashed with the step. Paths are relative to the project root, so any checkout hashes alike.
 *
 * @example
 * ```ts
 * const { hash, files } = typescriptStepIdentity(definition, { project, projectRoot, lockfile: readLockfile(projectRoot) });
 * // files: [{ path: "npm:lodash@4.17.21", ... }, { path: "pipeline.ts#Iris.train", ... }, { path: "src/features.ts", ... }]
 * ```
 */
export function typescriptStepIdentity(def: StepDefinition, ctx: CodeHashContext): CodeIdentity {
  return typescriptStepCode(def, ctx).identity;
}

/** A TypeScript step's code identity, and its own file cut down to what that identity covers. */
export function typescriptStepCode(
  def: StepDefinition,
  ctx: CodeHashContext,
): { identity: CodeIdentity; slice: StepSlice | undefined } {
  const owner = `step \`${def.name}\``;
  const source = new StepSource(def, ctx.project);
  const graph = new CodeGraph(ctx, owner);
  const sf = def.declaration.node.getSourceFile().compilerNode;
  const label =
    def.declaration.form === "method"
      ? `${def.declaration.className}.${def.declaration.node.getName()}`
      : def.declaration.node.getName();
  graph.entries.set(
    `${graph.relative(sf.fileName)}#${label}`,
    framedHash("canal.code.step.v1", source.fields()),
  );
  for (const reference of source.references) graph.follow(sf, reference);
  for (const file of pathsIdentity(def.hashPaths, ctx.projectRoot, owner))
    graph.entries.set(file.path, file.sha256);
  const files = sortedEntries(graph.entries);
  const hash = framedHash(
    "canal.code.typescript.v1",
    files.flatMap((file) => [file.path, file.sha256]),
  );
  return { identity: { hash, files }, slice: stepSlice(source, def.exportName) };
}
