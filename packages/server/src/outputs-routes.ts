// A run's outputs: listed as `canal download` reads them (pipelineOutputs), and streamed from the
// blob store, every byte verified: a file output whole, a file inside a directory output by its
// path. The bytes pass through a temporary file, so memory stays flat whatever the size.
import { createReadStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipelineOutputs, type RunOutput } from "@canal/runner";
import type { BlobStore, ManifestEntry, StoredValue } from "@canal/store";
import type { Context } from "hono";
import type { ServerOptions } from "./context.js";
import { ApiError } from "./errors.js";
import { type Route, route } from "./route.js";
import { DirectoryListing, OutputParams, OutputQuery, Outputs, RunParams } from "./schemas.js";

/**
 * A path inside an output, as "/"-separated names: never absolute, never `..` or `.`, no empty
 * name, no backslash or NUL (which a file system could read as a separator or an end).
 */
export function insidePath(path: string): string[] {
  const names = path.split("/");
  const bad = names.find((n) => n === "" || n === "." || n === ".." || /[\\\0]/.test(n));
  if (bad !== undefined)
    throw new ApiError(
      "CANAL_API_PATH_INVALID",
      `query \`path\` ${JSON.stringify(path)} is not a path inside the output: give a relative path of names separated by "/", without "..", "." or empty names`,
    );
  return names;
}

async function stream(blobs: BlobStore, digest: string, fileName: string): Promise<Response> {
  const dir = await mkdtemp(join(tmpdir(), "canal-serve-"));
  const file = join(dir, "blob");
  try {
    await blobs.materialize(digest, file);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const readable = createReadStream(file);
  readable.on("close", () => void rm(dir, { recursive: true, force: true }));
  return new Response(Readable.toWeb(readable) as ReadableStream, {
    headers: {
      "content-type": "application/octet-stream",
      "content-disposition": `attachment; filename*=UTF-8''${encodeURIComponent(fileName)}`,
      "x-content-type-options": "nosniff",
    },
  });
}

function kindOf(output: RunOutput): "file" | "directory" | "files" | "value" {
  const { value } = output;
  if ("json" in value) return "value";
  if ("digests" in value) return "files";
  return value.directory ? "directory" : "file";
}

export function outputsRoutes(options: ServerOptions): Route[] {
  const { metadata, blobs } = options.workspace;
  const outputsOf = async (runId: string) => pipelineOutputs(metadata, await metadata.getRun(runId));
  return [
    route({
      method: "get",
      path: "/runs/{id}/outputs",
      role: "viewer",
      summary: "The run's pipeline outputs: files, directories, lists of files and values",
      params: RunParams,
      errors: ["CANAL_API_NOT_FOUND"],
      answers: { 200: { description: "The outputs", schema: Outputs } },
      async handle({ params, c }) {
        const outputs = await outputsOf(params.id);
        const shown = await Promise.all(
          outputs.map(async (output) => {
            const { value } = output;
            const kind = kindOf(output);
            if ("json" in value) return { name: output.name, kind, value: JSON.parse(value.json) as unknown };
            if ("digests" in value) return { name: output.name, kind, size: value.digests.length };
            const info = await blobs.stat(value.digest);
            return { name: output.name, kind, digest: value.digest, ...(info ? { size: info.size } : {}) };
          }),
        );
        return c.json({ outputs: shown });
      },
    }),
    route({
      method: "get",
      path: "/runs/{id}/outputs/{name}",
      role: "viewer",
      summary: "Download an output: a file's bytes; for a directory its listing, or with `path` a file in it",
      params: OutputParams,
      query: OutputQuery,
      errors: ["CANAL_API_NOT_FOUND", "CANAL_API_PATH_INVALID"],
      answers: {
        200: {
          description: "The bytes (application/octet-stream), a directory listing, or a value as JSON",
          schema: DirectoryListing,
        },
      },
      async handle({ params, query, c }) {
        const outputs = await outputsOf(params.id);
        const output = outputs.find((o) => o.name === params.name);
        if (!output)
          throw new ApiError(
            "CANAL_API_NOT_FOUND",
            `run ${params.id} has no output \`${params.name}\`; its outputs are ${outputs.map((o) => o.name).join(", ") || "none"}`,
          );
        const names = query.path === undefined ? undefined : insidePath(query.path);
        return downloadValue(c, blobs, output.name, output.value, names);
      },
    }),
  ];
}

/**
 * A stored value as a download: a file's bytes; a directory's listing, or with `names` a file in
 * it; a list of artifacts by index first; a value as JSON.
 */
export async function downloadValue(
  c: Context,
  blobs: BlobStore,
  name: string,
  value: StoredValue,
  names: string[] | undefined,
): Promise<Response> {
  if ("json" in value) {
    if (names) throw new ApiError("CANAL_API_PATH_INVALID", `output \`${name}\` is a value; it has no paths`);
    return c.json({ name: name, value: JSON.parse(value.json) as unknown });
  }
  let digest: string;
  let directory: boolean;
  let rest = names;
  if ("digests" in value) {
    // A list of artifacts (fan-in): `path` starts with the index, as `canal download` writes it.
    const index = rest?.[0];
    const at = index === undefined || !/^\d+$/.test(index) ? undefined : value.digests[Number(index)];
    if (at === undefined)
      throw new ApiError(
        "CANAL_API_NOT_FOUND",
        `output \`${name}\` is a list of ${value.digests.length} artifacts; pass \`path\` as an index 0…${value.digests.length - 1}, then a path inside a directory`,
      );
    digest = at;
    rest = rest?.slice(1);
    directory = (await blobs.stat(digest))?.kind === "directory";
  } else {
    digest = value.digest;
    directory = value.directory;
  }
  if (!directory) {
    if (rest && rest.length > 0)
      throw new ApiError("CANAL_API_PATH_INVALID", `output \`${name}\` is a file; it has no paths inside`);
    const fileName = "digest" in value && value.name ? value.name : name;
    return stream(blobs, digest, fileName);
  }
  const manifest = await blobs.readManifest(digest);
  if (!rest || rest.length === 0) return c.json(listing(name, manifest));
  const wanted = rest.join("/");
  const entry = manifest.find((e) => e.path === wanted);
  if (!entry) {
    const under = manifest.filter((e) => e.path.startsWith(`${wanted}/`));
    if (under.length > 0) return c.json(listing(`${name}/${wanted}`, under));
    throw new ApiError(
      "CANAL_API_NOT_FOUND",
      `output \`${name}\` has no file ${wanted}; leave out \`path\` to list its files`,
    );
  }
  return stream(blobs, entry.sha256, rest[rest.length - 1] as string);
}

function listing(name: string, entries: ManifestEntry[]) {
  return { name, files: entries.map((e) => ({ path: e.path, size: e.size })) };
}
