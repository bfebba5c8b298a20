// The answer shapes of the datasets' routes (see schemas.ts).
import { z } from "zod";

const DatasetVersion = z
  .object({
    id: z.number().int(),
    name: z.string(),
    version: z.number().int(),
    kind: z.enum(["file", "table"]),
    digest: z.string(),
    datastore: z.string(),
    pattern: z.string(),
    fileCount: z.number().int(),
    size: z.number(),
    table: z.unknown().optional(),
    description: z.string().optional(),
    registeredBy: z.string().optional(),
    host: z.string().optional(),
    createdAt: z.number(),
  })
  .meta({ id: "DatasetVersion" });
export const Datasets = z
  .object({
    datasets: z.array(z.object({ name: z.string(), versions: z.number().int(), latest: DatasetVersion })),
  })
  .meta({ id: "Datasets" });
export const DatasetVersions = z
  .object({ versions: z.array(DatasetVersion) })
  .meta({ id: "DatasetVersions" });
export const DatasetParams = z.object({ name: z.string() });
export const DatasetVersionParams = z.object({ name: z.string(), version: z.coerce.number().int().min(1) });
export const DatasetFilesQuery = z.object({
  after: z.string().optional().meta({ description: "The `next` of the page before: files after this path" }),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});
export const DatasetDetail = z
  .object({
    version: DatasetVersion,
    files: z.array(z.object({ path: z.string(), digest: z.string(), size: z.number() })),
    next: z.string().optional().meta({ description: "Pass as `after` for the next page of files" }),
    uses: z.array(
      z.object({
        runId: z.string(),
        direction: z.enum(["input", "output"]),
        name: z.string(),
        pipeline: z.string(),
        runStatus: z.string(),
        createdAt: z.number(),
      }),
    ),
  })
  .meta({ id: "DatasetDetail" });
