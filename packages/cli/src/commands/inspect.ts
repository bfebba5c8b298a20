import { parseArgs } from "node:util";
import { bindingText, type Pipeline, pipelineEdges, pipelineToJson, readArtifact, typeText } from "@canal/ir";
import { formatBytes, type Io, UsageError } from "../io.js";

export const inspectHelp = `Usage: canal inspect <artifact> [--json]

Prints a compiled artifact's parameters, steps (kind, inputs and where they come from, outputs,
types, content hashes) and edges. <artifact> is the directory canal compile wrote, or its pipeline.pb.

  --json      the IR as JSON, with the edges, for scripts
`;

export async function inspectCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: "boolean" } },
  });
  const [path] = positionals;
  if (!path) throw new UsageError("canal inspect needs an artifact, e.g. `canal inspect canal-out/iris`");
  const artifact = readArtifact(path.startsWith("/") ? path : `${io.cwd}/${path}`);
  const problems = artifact.verify();
  if (values.json) {
    const ir = JSON.parse(pipelineToJson(artifact.pipeline));
    const report = {
      pipeline: ir,
      edges: pipelineEdges(artifact.pipeline),
      problems: problems.map((p) => p.message),
    };
    io.stdout(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    io.stdout(render(artifact.pipeline));
    for (const problem of problems) io.stderr(`${problem.message}\n`);
  }
  return problems.length > 0 ? 1 : 0;
}

function render(pipeline: Pipeline): string {
  const out: string[] = [];
  const blobBytes = (pipeline.blobs ?? []).reduce((sum, b) => sum + b.size, 0);
  out.push(`pipeline ${pipeline.name}  ${pipeline.hash}`);
  if (pipeline.description) out.push(`  ${pipeline.description}`);
  const source = pipeline.source;
  if (source?.entry) {
    const git = source.gitCommit
      ? ` @ ${source.gitBranch} ${source.gitCommit.slice(0, 12)}${source.gitDirty ? " (dirty)" : ""}`
      : "";
    out.push(`  source ${source.entry}${git}`);
  }
  out.push(
    `  IR v${pipeline.irVersion}, runtime >= ${pipeline.minRuntimeVersion}, compiler ${pipeline.compilerVersion}, ${pipeline.blobs?.length ?? 0} blobs (${formatBytes(blobBytes)})`,
    "",
    "parameters",
  );
  for (const p of pipeline.parameters) {
    const value = p.defaultArtifact
      ? `= ${p.defaultArtifact.path}`
      : p.hasDefault
        ? `= ${p.defaultJson}`
        : "(required)";
    out.push(`  ${p.name}: ${typeText(p.type)} ${value}`);
  }
  const fanOuts = new Map((pipeline.fanOuts ?? []).map((f) => [f.id, f]));
  out.push("", "steps");
  for (const step of pipeline.steps) {
    const fanOut = step.fanOut ? fanOuts.get(step.fanOut) : undefined;
    const over = fanOut
      ? `  for each ${fanOut.itemName} in ${"parameter" in fanOut ? fanOut.parameter : fanOut.literalJson}`
      : "";
    const when = step.conditions?.length
      ? `  if ${step.conditions.map((c) => `${c.parameter} ${c.op}${c.valueJson ? ` ${c.valueJson}` : ""}`).join(" and ")}`
      : "";
    out.push(`  ${step.id}  [${step.kind.toLowerCase()}]  ${step.hash.slice(0, 16)}${over}${when}`);
    if (step.script) out.push(`    run: ${step.script.command}`);
    for (const input of step.inputs) {
      out.push(`    in  ${input.name}: ${typeText(input.type)} <- ${bindingText(input.binding)}`);
    }
    for (const output of step.outputs) out.push(`    out ${output.name}: ${typeText(output.type)}`);
  }
  const edges = pipelineEdges(pipeline);
  out.push("", `edges (${edges.length})`);
  for (const e of edges) {
    out.push(
      `  ${e.from} -> ${e.to}${e.output ? `  (${e.output} -> ${e.input}${e.kind === "fan-in" ? ", fan-in" : ""})` : "  (after)"}`,
    );
  }
  if (pipeline.outputs?.length) {
    out.push("", "outputs");
    for (const o of pipeline.outputs)
      out.push(`  ${o.name}: ${typeText(o.type)} <- ${bindingText(o.binding)}`);
  }
  return `${out.join("\n")}\n`;
}
