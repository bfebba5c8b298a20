// Datasets as `canal datasets` shows them: each with its latest version, a dataset's versions, and
// one version with its files (a page of them) and the runs that read or registered it.
import type { ServerOptions } from "./context.js";
import {
  DatasetDetail,
  DatasetFilesQuery,
  DatasetParams,
  Datasets,
  DatasetVersionParams,
  DatasetVersions,
} from "./dataset-schemas.js";
import { type Route, route } from "./route.js";

export function datasetsRoutes(options: ServerOptions): Route[] {
  const { metadata } = options.workspace;
  return [
    route({
      method: "get",
      path: "/datasets",
      role: "viewer",
      summary: "The datasets, each with its latest version",
      answers: { 200: { description: "The datasets", schema: Datasets } },
      async handle({ c }) {
        return c.json({ datasets: await metadata.listDatasets() });
      },
    }),
    route({
      method: "get",
      path: "/datasets/{name}/versions",
      role: "viewer",
      summary: "A dataset's versions, newest first",
      params: DatasetParams,
      errors: ["CANAL_API_NOT_FOUND"],
      answers: { 200: { description: "The versions", schema: DatasetVersions } },
      async handle({ params, c }) {
        return c.json({ versions: await metadata.listDatasetVersions(params.name) });
      },
    }),
    route({
      method: "get",
      path: "/datasets/{name}/versions/{version}",
      role: "viewer",
      summary:
        "One version of a dataset: its files (a page, by path) and the runs that read or registered it",
      params: DatasetVersionParams,
      query: DatasetFilesQuery,
      errors: ["CANAL_API_NOT_FOUND"],
      answers: { 200: { description: "The version", schema: DatasetDetail } },
      async handle({ params, query, c }) {
        const version = await metadata.getDatasetVersion(params.name, params.version);
        // A page starts after the last path of the one before; one file more tells there is a next.
        const [files, uses] = await Promise.all([
          metadata.getDatasetFiles(version.id, { after: query.after, limit: query.limit + 1 }),
          metadata.listDatasetUses({ versionId: version.id }),
        ]);
        const page = files.slice(0, query.limit);
        const last = page[page.length - 1];
        return c.json({
          version,
          files: page,
          ...(files.length > query.limit && last ? { next: last.path } : {}),
          uses,
        });
      },
    }),
  ];
}
