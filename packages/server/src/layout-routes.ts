// The layout of a pipeline version's graph, as the web UI's run page draws it first (every fan-out
// collapsed), made by the server's layout worker and kept per IR digest (layouts.ts).
import type { ServerOptions } from "./context.js";
import { findPipelineVersion } from "./endpoints-routes.js";
import type { IrStep } from "./graph-shape.js";
import type { Layouts } from "./layouts.js";
import { type Route, route } from "./route.js";
import { GraphLayout, PipelineVersionParams } from "./schemas.js";

export function layoutRoutes(options: ServerOptions, layouts: Layouts): Route[] {
  const { metadata } = options.workspace;
  return [
    route({
      method: "get",
      path: "/pipelines/{name}/versions/{version}/layout",
      role: "viewer",
      summary:
        "The laid-out graph of a pipeline version's steps, each fan-out one node (as the web UI first draws it)",
      params: PipelineVersionParams,
      errors: ["CANAL_API_NOT_FOUND"],
      answers: { 200: { description: "The layout", schema: GraphLayout } },
      async handle({ params, c }) {
        const v = await findPipelineVersion(metadata, params.name, params.version);
        const layout = await layouts.of(v.hash, () => (JSON.parse(v.ir) as { steps?: IrStep[] }).steps ?? []);
        return c.json(layout);
      },
    }),
  ];
}
