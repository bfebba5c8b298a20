// One table of routes serves two readers: the app (each route's handler, behind its role and its
// validated inputs) and the OpenAPI document (the same zod schemas, registered as paths).
import type { OpenAPIRegistry, RouteConfig } from "@asteasolutions/zod-to-openapi";
import type { ApiToken, TokenRole } from "@canal/store";
import type { Context } from "hono";
import { type ZodObject, type ZodType, z } from "zod";
import { ApiError, type ApiErrorCode } from "./errors.js";
import { ErrorBody } from "./schemas.js";

export type Method = "get" | "post" | "put" | "patch" | "delete";

/** What an answer of a route is, for the document: JSON of a schema, or other content. */
export interface Answer {
  description: string;
  schema?: ZodType;
  /** Default application/json. */
  contentType?: string;
}

export interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  /** The caller's token (absent only on public routes). */
  token: ApiToken;
  c: Context;
}

export interface Route<P = unknown, Q = unknown, B = unknown> {
  method: Method;
  /** OpenAPI style, under /api/v1: `/runs/{id}`. */
  path: string;
  /** The least role that may call it; "public" needs no token. */
  role: TokenRole | "public";
  summary: string;
  description?: string;
  params?: ZodObject;
  query?: ZodObject;
  body?: ZodType;
  answers: Record<number, Answer>;
  /** The error codes this route answers with beyond every route's (401, 403, 413, 500). */
  errors?: ApiErrorCode[];
  handle(input: RouteInput<P, Q, B>): Promise<Response> | Response;
}

type Infer<S> = S extends ZodType ? z.infer<S> : undefined;

/** A route, its handler's inputs typed by its schemas. */
export function route<
  PS extends ZodObject | undefined = undefined,
  QS extends ZodObject | undefined = undefined,
  BS extends ZodType | undefined = undefined,
>(
  definition: Omit<Route, "handle" | "params" | "query" | "body"> & {
    params?: PS;
    query?: QS;
    body?: BS;
    handle(input: RouteInput<Infer<PS>, Infer<QS>, Infer<BS>>): Promise<Response> | Response;
  },
): Route {
  return definition as unknown as Route;
}

const STATUS_TEXT: Record<string, string> = {
  CANAL_API_NOT_FOUND: "Not found",
  CANAL_API_INVALID_REQUEST: "The request is not valid",
  CANAL_API_PATH_INVALID: "The path is outside the output",
  CANAL_API_CONFLICT: "The run is not in a state that allows it",
  CANAL_API_PARAMETERS_INVALID: "The parameters do not fit the pipeline (every problem listed)",
  CANAL_API_SCHEDULE_INVALID: "The schedule cannot be made as given (every problem listed)",
};

/** Registers the route as a path of the document. */
export function registerRoute(registry: OpenAPIRegistry, r: Route): void {
  const responses: RouteConfig["responses"] = {};
  for (const [status, answer] of Object.entries(r.answers)) {
    responses[status] = {
      description: answer.description,
      ...(answer.schema || answer.contentType
        ? { content: { [answer.contentType ?? "application/json"]: { schema: answer.schema ?? z.string() } } }
        : {}),
    };
  }
  const error = (description: string) => ({
    description,
    content: { "application/json": { schema: ErrorBody } },
  });
  if (r.role !== "public") {
    responses[401] = error("No token, or one that is unknown or revoked (CANAL_API_UNAUTHORIZED)");
    responses[403] = error("The token's role does not allow it (CANAL_API_FORBIDDEN)");
  }
  for (const code of r.errors ?? []) {
    const status = new ApiError(code, "").status;
    responses[status] = error(`${STATUS_TEXT[code] ?? code} (${code})`);
  }
  registry.registerPath({
    method: r.method,
    path: `/api/v1${r.path}`,
    summary: r.summary,
    ...(r.description ? { description: r.description } : {}),
    tags: [r.path.split("/")[1] ?? "api"],
    ...(r.role === "public" ? { security: [] } : { "x-canal-role": r.role }),
    request: {
      ...(r.params ? { params: r.params } : {}),
      ...(r.query ? { query: r.query } : {}),
      ...(r.body ? { body: { content: { "application/json": { schema: r.body } }, required: true } } : {}),
    },
    responses,
  });
}

/** The route's path as hono matches it: `/runs/:id`. */
export function honoPath(path: string): string {
  return `/api/v1${path.replace(/\{(\w+)\}/g, ":$1")}`;
}
