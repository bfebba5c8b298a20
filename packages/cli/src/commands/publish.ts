// `canal publish` and `canal endpoints`: published pipelines (AzureML PipelineEndpoint). The
// artifact is kept in the blob store with its pipeline version; an endpoint names versions of it.
import { parseArgs } from "node:util";
import { nameProblem, readArtifact, shownName } from "@canal/ir";
import { keepArtifact, registerVersion, userName } from "@canal/runner";
import type { Endpoint } from "@canal/store";
import { type Io, UsageError } from "../io.js";
import { artifactFor, withWorkspace } from "../workspace.js";

export const publishHelp = `Usage: canal publish <artifact | pipeline.ts> --name NAME [--default] [--pipeline P] [--json]

Publishes a compiled pipeline as a new version of endpoint NAME (created when new): the artifact is
kept in the workspace's blob store, so \`canal serve\` starts runs of it with
POST /api/v1/endpoints/NAME/runs, checked against the pipeline's parameter types. An entry file is
compiled first. The first version of an endpoint is its default; --default makes this one it.

  --name NAME      the endpoint
  --default        make this version the endpoint's default
  --pipeline P     which pipeline, when the entry file has several
  --json           print the endpoint as JSON
`;

export const endpointsHelp = `Usage: canal endpoints [--json]

Lists the published endpoints (\`canal publish\`) with their versions: the pipeline version each
runs, who published it and when; * marks each endpoint's default.
`;

function endpointText(endpoint: Endpoint): string {
  const lines = [`${endpoint.name}  default v${endpoint.defaultVersion}\n`];
  for (const v of endpoint.versions)
    lines.push(
      `  ${v.version === endpoint.defaultVersion ? "*" : " "} v${v.version}  ${v.pipeline} v${v.pipelineVersion} (${v.pipelineHash.slice(0, 12)})  published ${new Date(v.publishedAt).toISOString()}${v.publishedBy ? ` by ${v.publishedBy}` : ""}\n`,
    );
  return lines.join("");
}

export async function publishCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      name: { type: "string" },
      default: { type: "boolean" },
      pipeline: { type: "string" },
      json: { type: "boolean" },
    },
  });
  const [target, extra] = positionals;
  if (!target)
    throw new UsageError("canal publish needs a compiled artifact (or an entry file) and --name NAME");
  if (extra !== undefined)
    throw new UsageError(`unexpected argument \`${extra}\`; canal publish takes one artifact`);
  if (values.name === undefined) throw new UsageError("--name NAME is needed: the endpoint to publish to");
  const problem = nameProblem(values.name);
  if (problem) throw new UsageError(`--name ${shownName(values.name)} ${problem}`);
  const name = values.name;
  return withWorkspace(io, async (workspace) => {
    const artifactDir = await artifactFor(target, io, workspace, values.pipeline);
    const artifact = readArtifact(artifactDir);
    const { pipeline } = artifact;
    // Kept by hash like a run's artifact, and stored as a directory blob with its version.
    const kept = keepArtifact(workspace, artifact);
    const version = await registerVersion(workspace, pipeline, kept);
    const endpoint = await workspace.metadata.publishEndpoint({
      endpoint: name,
      pipelineVersionId: version.id,
      makeDefault: values.default ?? false,
      publishedBy: userName(workspace.config.user),
    });
    const published = endpoint.versions[endpoint.versions.length - 1];
    if (values.json) io.stdout(`${JSON.stringify(endpoint, null, 2)}\n`);
    else
      io.stdout(
        `endpoint ${name} v${published?.version}: pipeline ${pipeline.name} v${version.version} (${pipeline.hash.slice(0, 12)})${endpoint.defaultVersion === published?.version ? ", the default" : `; the default stays v${endpoint.defaultVersion}`}\n` +
          `  start a run: POST /api/v1/endpoints/${name}/runs with {"parameters": {…}} (canal serve)\n`,
      );
    return 0;
  });
}

export async function endpointsCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: "boolean" } },
  });
  if (positionals.length) throw new UsageError(`unexpected argument \`${positionals[0]}\``);
  return withWorkspace(io, async ({ metadata }) => {
    const endpoints = await metadata.listEndpoints();
    if (values.json) io.stdout(`${JSON.stringify({ endpoints }, null, 2)}\n`);
    else if (endpoints.length === 0)
      io.stdout("no endpoints; publish a pipeline with `canal publish ARTIFACT --name NAME`\n");
    else for (const endpoint of endpoints) io.stdout(endpointText(endpoint));
    return 0;
  });
}
