// The OpenAPI document: every route of the table, from its own schemas, and for each published
// endpoint its own `POST /endpoints/NAME/runs` whose body is made from its pipeline's parameter types.
import { OpenAPIRegistry, OpenApiGeneratorV3 } from "@asteasolutions/zod-to-openapi";
import type { MetadataStore } from "@canal/store";
import type { ZodType } from "zod";
import { endpointBodySchema, parametersOf } from "./endpoints-routes.js";
import { type Route, registerRoute } from "./route.js";
import { ErrorBody, Started } from "./schemas.js";

export function baseRegistry(routes: Route[]): OpenAPIRegistry {
  const registry = new OpenAPIRegistry();
  registry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "A token of `canal tokens create` (viewer, launcher or admin)",
  });
  for (const r of routes) registerRoute(registry, r);
  return registry;
}

export async function openApiDocument(
  base: OpenAPIRegistry,
  metadata: MetadataStore,
  version: string,
): Promise<object> {
  const registry = new OpenAPIRegistry([base]);
  for (const endpoint of await metadata.listEndpoints()) {
    const current = endpoint.versions.find((v) => v.version === endpoint.defaultVersion);
    if (!current) continue;
    const pipelineVersion = await metadata.getPipelineVersion(current.pipelineVersionId);
    let body: ZodType;
    try {
      body = endpointBodySchema(parametersOf(pipelineVersion.ir));
    } catch {
      // An IR this build cannot read has no body schema to offer; the generic route still stands.
      continue;
    }
    registry.registerPath({
      method: "post",
      path: `/api/v1/endpoints/${encodeURIComponent(endpoint.name)}/runs`,
      summary: `Start a run of ${current.pipeline} (endpoint ${endpoint.name}, default version ${endpoint.defaultVersion})`,
      tags: ["endpoints"],
      request: { body: { required: true, content: { "application/json": { schema: body } } } },
      responses: {
        202: {
          description: "Started in the background",
          content: { "application/json": { schema: Started } },
        },
        422: {
          description: "The parameters do not fit (every problem listed; CANAL_API_PARAMETERS_INVALID)",
          content: { "application/json": { schema: ErrorBody } },
        },
      },
    });
  }
  return new OpenApiGeneratorV3(registry.definitions).generateDocument({
    openapi: "3.0.3",
    info: {
      title: "Canal",
      version,
      description:
        "Runs, their steps, logs, metrics and outputs; published pipeline endpoints (docs/server.md)",
    },
    security: [{ bearer: [] }],
  });
}
