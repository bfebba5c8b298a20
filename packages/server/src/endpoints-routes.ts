// Published pipelines (AzureML PublishedPipeline / PipelineEndpoint): an endpoint is a name with
// numbered versions, each a pipeline version whose artifact the blob store keeps. A launcher
// starts a run of one with typed parameters, checked as `canal run` checks them.
import { irType, nameProblem, type Parameter, type Pipeline, type Problem, readArtifact } from "@canal/ir";
import { versionArtifact } from "@canal/runner";
import { ParameterError, resolveParameters, schemaFor } from "@canal/runtime-core";
import type {
  Endpoint,
  MetadataStore,
  PipelineVersion as PipelineVersionRecord,
  Workspace,
} from "@canal/store";
import { z } from "zod";
import type { ServerOptions } from "./context.js";
import { ApiError } from "./errors.js";
import { type Route, route } from "./route.js";
import {
  PipelineParams,
  Pipelines,
  PipelineVersion,
  PipelineVersionParams,
  PipelineVersions,
  Started,
} from "./schemas.js";
import {
  DefaultVersionBody,
  EndpointParams,
  EndpointRunBody,
  Endpoint as EndpointSchema,
  Endpoints,
} from "./service-schemas.js";
import { started, startedBy } from "./shown.js";

/** A pipeline's parameters from its readable IR (a pipeline version's `ir`), as a decoded IR has them. */
export function parametersOf(ir: string): Parameter[] {
  const type = irType("Pipeline");
  const plain = type.toObject(type.fromObject(JSON.parse(ir) as object), {
    enums: String,
    longs: Number,
    defaults: false,
    arrays: true,
  }) as { parameters?: Parameter[] };
  return plain.parameters ?? [];
}

/** A pipeline's version by its number, or the API's 404 naming the versions there are. */
export async function findPipelineVersion(
  metadata: MetadataStore,
  name: string,
  version: number,
): Promise<PipelineVersionRecord> {
  const versions = await metadata.listPipelineVersions(name);
  const v = versions.find((x) => x.version === version);
  if (!v)
    throw new ApiError(
      "CANAL_API_NOT_FOUND",
      versions.length
        ? `pipeline ${name} has no version ${version}; its versions are 1…${versions.length}`
        : `no pipeline ${name} in this workspace; GET /api/v1/pipelines lists them`,
    );
  return v;
}

const isArtifact = (parameter: Parameter) => "artifact" in parameter.type;

/**
 * The body an endpoint's runs take, from its pipeline's parameter types (`schemaFor`, as a run
 * checks them): a parameter with a default may be left out. Artifact parameters take their
 * default: a path would name a file on the server's machine, which a caller has no business reading.
 */
export function endpointBodySchema(parameters: Parameter[]): z.ZodType {
  const fields = Object.fromEntries(
    parameters
      .filter((p) => !isArtifact(p))
      .map((p) => {
        const schema = schemaFor(p.type).meta({ ...(p.description ? { description: p.description } : {}) });
        return [p.name, p.hasDefault ? schema.optional() : schema];
      }),
  );
  return z
    .object({
      parameters: z.object(fields).strict(),
      experiment: z.string().optional(),
      version: z
        .number()
        .int()
        .min(1)
        .optional()
        .meta({ description: "Default: the endpoint's default version" }),
    })
    .strict();
}

/** A run of an endpoint to start: what `POST /endpoints/NAME/runs` and a schedule's tick ask for. */
export interface EndpointRunRequest {
  endpoint: string;
  /** Default: the endpoint's default version. */
  version?: number;
  /** Or what makes them from the pipeline: a schedule fills in what its pipeline declares. */
  parameters: Record<string, unknown> | ((pipeline: Pipeline) => Record<string, unknown>);
  experiment?: string;
  startedBy: string;
}

/** The endpoint, or a 404 naming those there are. */
export async function findEndpoint(metadata: MetadataStore, name: string): Promise<Endpoint> {
  const found = await metadata.getEndpoint(name);
  if (found) return found;
  throw noSuchEndpoint(
    name,
    (await metadata.listEndpoints()).map((e) => e.name),
  );
}

/** The pipeline a version of an endpoint runs, and where its artifact is (fetched from the blob store). */
export async function endpointPipeline(
  workspace: Workspace,
  name: string,
  version?: number,
): Promise<{ endpoint: Endpoint; pipeline: Pipeline; artifactDir: string }> {
  const found = await findEndpoint(workspace.metadata, name);
  const number = version ?? found.defaultVersion;
  const chosen = found.versions.find((v) => v.version === number);
  if (!chosen)
    throw new ApiError(
      "CANAL_API_NOT_FOUND",
      `endpoint ${name} has no version ${number}; its versions are ${found.versions.map((v) => v.version).join(", ")}`,
    );
  const pipelineVersion = await workspace.metadata.getPipelineVersion(chosen.pipelineVersionId);
  const artifactDir = await versionArtifact(workspace, pipelineVersion);
  return { endpoint: found, pipeline: readArtifact(artifactDir).pipeline, artifactDir };
}

/**
 * Starts a run of an endpoint: its parameters checked against the pipeline's (every problem at
 * once, 422), then a driver process started by the server's launcher. Resolves with the run id.
 */
export async function startEndpointRun(
  options: Pick<ServerOptions, "workspace" | "launcher">,
  request: EndpointRunRequest,
): Promise<string> {
  const { pipeline, artifactDir } = await endpointPipeline(
    options.workspace,
    request.endpoint,
    request.version,
  );
  const parameters =
    typeof request.parameters === "function" ? request.parameters(pipeline) : request.parameters;
  checkParameters(pipeline, parameters, request.experiment);
  return options.launcher.start({
    artifactDir,
    parameters,
    ...(request.experiment !== undefined ? { experiment: request.experiment } : {}),
    startedBy: request.startedBy,
  });
}

function noSuchEndpoint(name: string, known: string[]): ApiError {
  return new ApiError(
    "CANAL_API_NOT_FOUND",
    `no endpoint ${name} in this workspace; ${known.length ? `its endpoints are ${known.join(", ")}` : "publish one with `canal publish ARTIFACT --name NAME`"}`,
  );
}

export function endpointsRoutes(options: ServerOptions): Route[] {
  const { workspace } = options;
  const { metadata } = workspace;
  const endpoint = (name: string): Promise<Endpoint> => findEndpoint(metadata, name);
  return [
    route({
      method: "get",
      path: "/pipelines",
      role: "viewer",
      summary: "The pipelines recorded in the workspace",
      answers: { 200: { description: "The pipelines", schema: Pipelines } },
      async handle({ c }) {
        return c.json({ pipelines: await metadata.listPipelines() });
      },
    }),
    route({
      method: "get",
      path: "/pipelines/{name}/versions",
      role: "viewer",
      summary: "A pipeline's versions, oldest first",
      params: PipelineParams,
      errors: ["CANAL_API_NOT_FOUND"],
      answers: { 200: { description: "The versions", schema: PipelineVersions } },
      async handle({ params, c }) {
        const versions = await metadata.listPipelineVersions(params.name);
        if (versions.length === 0)
          throw new ApiError(
            "CANAL_API_NOT_FOUND",
            `no pipeline ${params.name} in this workspace; GET /api/v1/pipelines lists them`,
          );
        return c.json({
          versions: versions.map((v) => ({
            pipeline: v.pipeline,
            version: v.version,
            hash: v.hash,
            createdAt: v.createdAt,
          })),
        });
      },
    }),
    route({
      method: "get",
      path: "/pipelines/{name}/versions/{version}",
      role: "viewer",
      summary: "One pipeline version with its IR as JSON",
      params: PipelineVersionParams,
      errors: ["CANAL_API_NOT_FOUND"],
      answers: { 200: { description: "The version", schema: PipelineVersion } },
      async handle({ params, c }) {
        const v = await findPipelineVersion(metadata, params.name, params.version);
        return c.json({
          pipeline: v.pipeline,
          version: v.version,
          hash: v.hash,
          createdAt: v.createdAt,
          ir: JSON.parse(v.ir) as unknown,
        });
      },
    }),
    route({
      method: "get",
      path: "/endpoints",
      role: "viewer",
      summary: "The published endpoints with their versions",
      answers: { 200: { description: "The endpoints", schema: Endpoints } },
      async handle({ c }) {
        return c.json({ endpoints: (await metadata.listEndpoints()).map(shownEndpoint) });
      },
    }),
    route({
      method: "get",
      path: "/endpoints/{name}",
      role: "viewer",
      summary: "An endpoint, its versions, and the JSON Schema of the body its runs take",
      params: EndpointParams,
      errors: ["CANAL_API_NOT_FOUND"],
      answers: { 200: { description: "The endpoint", schema: EndpointSchema } },
      async handle({ params, c }) {
        const found = await endpoint(params.name);
        const current = found.versions.find((v) => v.version === found.defaultVersion);
        const version = current ? await metadata.getPipelineVersion(current.pipelineVersionId) : undefined;
        const body = version
          ? z.toJSONSchema(endpointBodySchema(parametersOf(version.ir)), { unrepresentable: "any" })
          : undefined;
        return c.json({ ...shownEndpoint(found), ...(body ? { requestBody: body } : {}) });
      },
    }),
    route({
      method: "put",
      path: "/endpoints/{name}/default",
      role: "admin",
      summary: "Make one of the endpoint's versions its default",
      params: EndpointParams,
      body: DefaultVersionBody,
      errors: ["CANAL_API_NOT_FOUND", "CANAL_API_INVALID_REQUEST"],
      answers: { 200: { description: "The endpoint", schema: EndpointSchema } },
      async handle({ params, body, c }) {
        const found = await endpoint(params.name);
        const changed = await metadata.setDefaultVersion(params.name, body.version);
        if (!changed)
          throw new ApiError(
            "CANAL_API_NOT_FOUND",
            `endpoint ${params.name} has no version ${body.version}; its versions are ${found.versions.map((v) => v.version).join(", ")}`,
          );
        return c.json(shownEndpoint(changed));
      },
    }),
    route({
      method: "post",
      path: "/endpoints/{name}/runs",
      role: "launcher",
      summary:
        "Start a run of the endpoint's pipeline with parameters (each endpoint's body schema: /endpoints/NAME in this document)",
      params: EndpointParams,
      body: EndpointRunBody,
      errors: ["CANAL_API_NOT_FOUND", "CANAL_API_PARAMETERS_INVALID", "CANAL_API_INVALID_REQUEST"],
      answers: { 202: { description: "Started in the background", schema: Started } },
      async handle({ params, body, token, c }) {
        if (token.endpoint !== undefined && token.endpoint !== params.name)
          throw new ApiError(
            "CANAL_API_FORBIDDEN",
            `this token only starts runs of endpoint ${token.endpoint}, not ${params.name}`,
          );
        const runId = await startEndpointRun(options, {
          endpoint: params.name,
          parameters: body.parameters,
          ...(body.version !== undefined ? { version: body.version } : {}),
          ...(body.experiment !== undefined ? { experiment: body.experiment } : {}),
          startedBy: startedBy(token),
        });
        return c.json(started(runId), 202);
      },
    }),
  ];
}

/** Every problem of the request at once: artifact parameters, the experiment's name, each parameter. */
export function checkParameters(
  pipeline: Pipeline,
  given: Record<string, unknown>,
  experiment?: string,
): void {
  const problems: Problem[] = [];
  for (const parameter of pipeline.parameters) {
    if (isArtifact(parameter) && parameter.name in given)
      problems.push({
        path: `parameters.${parameter.name}`,
        message: `parameter \`${parameter.name}\` is an artifact; an endpoint's run takes its default, not a path on the server`,
        hint: `leave \`${parameter.name}\` out, or publish a version whose default is the data to use`,
      });
  }
  const experimentProblem = experiment === undefined ? undefined : nameProblem(experiment);
  if (experimentProblem)
    problems.push({
      path: "experiment",
      message: `experiment ${JSON.stringify(experiment)} ${experimentProblem}`,
      hint: "use letters, digits, '.', '_' and '-'",
    });
  const rest = Object.fromEntries(
    Object.entries(given).filter(
      ([name]) => !pipeline.parameters.some((p) => p.name === name && isArtifact(p)),
    ),
  );
  try {
    resolveParameters(pipeline, rest);
  } catch (error) {
    if (!(error instanceof ParameterError)) throw error;
    for (const p of error.problems)
      problems.push({ ...p, path: `parameters.${p.path}`, ...(p.hint ? { hint: httpHint(p.hint) } : {}) });
  }
  if (problems.length)
    throw new ApiError(
      "CANAL_API_PARAMETERS_INVALID",
      `pipeline ${pipeline.name} cannot run with these parameters; nothing ran (${problems.length} problem${problems.length > 1 ? "s" : ""})`,
      problems,
    );
}

/** A hint written for `-p name=value`, said for a JSON body. */
function httpHint(hint: string): string {
  return hint.replace(
    /(pass it with |e\.g\. )-p ([\w-]+)=(.*)$/,
    (_, lead: string, name: string, value: string) =>
      `${lead === "e.g. " ? lead : "send it: "}"parameters": {"${name}": ${value.replace(/^'|'$/g, "")}}`,
  );
}

function shownEndpoint(endpoint: Endpoint) {
  return {
    ...endpoint,
    versions: endpoint.versions.map(({ pipelineVersionId: _, ...v }) => v),
  };
}
