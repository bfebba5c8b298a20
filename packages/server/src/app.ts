// The API as a hono app: authentication, body limit, validation and errors around the route table.
import { isCanalError } from "@canal/ir";
import { type ApiToken, RunNotFoundError, StepRunNotFoundError } from "@canal/store";
import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { ZodType } from "zod";
import type { ServerOptions } from "./context.js";
import { datasetsRoutes } from "./datasets-routes.js";
import { endpointsRoutes } from "./endpoints-routes.js";
import { ApiError, type ErrorBody, ScheduleError } from "./errors.js";
import { layoutRoutes } from "./layout-routes.js";
import { Layouts } from "./layouts.js";
import { metricsRoutes } from "./metrics-routes.js";
import { baseRegistry, openApiDocument } from "./openapi.js";
import { outputsRoutes } from "./outputs-routes.js";
import { honoPath, type Route, registerRoute, route } from "./route.js";
import { runsRoutes } from "./runs-routes.js";
import { schedulesRoutes } from "./schedules-routes.js";
import { Health } from "./schemas.js";
import { SignIns, sessionIdOf, sessionToken } from "./signin.js";
import { signInRoutes } from "./signin-routes.js";
import { stepsRoutes } from "./steps-routes.js";
import { allows, hashToken, looksLikeToken } from "./tokens.js";
import { tokensRoutes } from "./tokens-routes.js";
import { defaultUiDir, uiRoutes } from "./ui-routes.js";

const DEFAULT_BODY_LIMIT = 1024 * 1024;

type Env = { Variables: { token?: ApiToken } };

function errorAnswer(c: Context, error: ApiError): Response {
  const body: ErrorBody = {
    error: { code: error.code, message: error.message, problems: [...error.problems] },
  };
  return c.json(body, error.status);
}

/** What a failure of a handler answers: the store's and runner's own errors by their meaning. */
function asApiError(error: unknown): ApiError | undefined {
  if (error instanceof ApiError) return error;
  if (error instanceof RunNotFoundError || error instanceof StepRunNotFoundError)
    return new ApiError("CANAL_API_NOT_FOUND", error.message);
  if (error instanceof ScheduleError)
    return error.code === "CANAL_SCHEDULE_NOT_FOUND"
      ? new ApiError("CANAL_API_NOT_FOUND", error.message)
      : new ApiError("CANAL_API_SCHEDULE_INVALID", `${error.code}: ${error.message}`, [...error.problems]);
  if (isCanalError(error)) {
    if (error.code === "CANAL_STORE_SCHEDULE_EXISTS")
      return new ApiError("CANAL_API_CONFLICT", error.message);
    if (error.code === "CANAL_RERUN_STEP_UNKNOWN")
      return new ApiError("CANAL_API_INVALID_REQUEST", error.message);
    if (
      error.code === "CANAL_STORE_PIPELINE_VERSION_NOT_FOUND" ||
      error.code === "CANAL_STORE_DATASET_NOT_FOUND" ||
      error.code === "CANAL_STORE_DATASET_VERSION_NOT_FOUND"
    )
      return new ApiError("CANAL_API_NOT_FOUND", error.message);
  }
  return undefined;
}

function invalid(where: string, issues: Array<{ path: PropertyKey[]; message: string }>): ApiError {
  return new ApiError(
    "CANAL_API_INVALID_REQUEST",
    `the request's ${where} is not valid`,
    issues.map((issue) => ({
      path: [where, ...issue.path.map(String)].join("."),
      message: issue.message,
    })),
  );
}

function parse<T>(schema: ZodType<T> | undefined, value: unknown, where: string): T {
  if (!schema) return undefined as T;
  const result = schema.safeParse(value);
  if (!result.success) throw invalid(where, result.error.issues);
  return result.data;
}

/**
 * The bearer token of the request, checked against the store's hashes; never logged or echoed.
 * Without one, the web UI's session cookie: a code's session, or a token's (looked up again, so a
 * revoked token's sessions end with it).
 */
async function authenticate(c: Context<Env>, options: ServerOptions, signIns: SignIns): Promise<ApiToken> {
  const header = c.req.header("authorization");
  const sessionId = header ? undefined : sessionIdOf(c.req.header("cookie"));
  if (sessionId !== undefined) {
    const grant = signIns.grant(sessionId);
    const token =
      grant?.kind === "code"
        ? sessionToken(grant)
        : grant?.kind === "token"
          ? await options.workspace.metadata.findToken(grant.tokenHash)
          : undefined;
    if (!token)
      throw new ApiError(
        "CANAL_API_UNAUTHORIZED",
        "this browser's session has ended (expired, signed out, its token revoked or the server restarted); sign in again",
      );
    return token;
  }
  if (!header)
    throw new ApiError(
      "CANAL_API_UNAUTHORIZED",
      "this request needs a token: send `Authorization: Bearer TOKEN` (`canal tokens create --role viewer` makes one)",
    );
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  const secret = match?.[1];
  const token =
    secret && looksLikeToken(secret)
      ? await options.workspace.metadata.findToken(hashToken(secret))
      : undefined;
  if (!token)
    throw new ApiError(
      "CANAL_API_UNAUTHORIZED",
      "the token sent is not a token of this workspace, or it was revoked; `canal tokens` lists the tokens",
    );
  return token;
}

/**
 * The API under /api/v1. Every route but `GET /api/v1/health` needs a token; no CORS headers are
 * ever sent (a page of another origin cannot read answers); bodies above the limit answer 413.
 */
export function createApp(options: ServerOptions): Hono<Env> {
  const version = options.version ?? "0.0.0";
  const signIns = options.signIns ?? new SignIns();
  const layouts = options.layouts ?? new Layouts();
  const routes: Route[] = [
    route({
      method: "get",
      path: "/health",
      role: "public",
      summary: "Whether the server is up (no token needed)",
      answers: { 200: { description: "Up", schema: Health } },
      handle: ({ c }) => c.json({ ok: true, version }),
    }),
    ...runsRoutes(options),
    ...outputsRoutes(options),
    ...endpointsRoutes(options),
    ...layoutRoutes(options, layouts),
    ...schedulesRoutes(options),
    ...tokensRoutes(options),
    ...stepsRoutes(options),
    ...metricsRoutes(options),
    ...datasetsRoutes(options),
    ...signInRoutes(options, signIns),
  ];
  const registry = baseRegistry(routes);
  routes.push(
    route({
      method: "get",
      path: "/openapi.json",
      role: "viewer",
      summary: "This document, with each published endpoint's body schema",
      answers: { 200: { description: "OpenAPI 3 document" } },
      handle: async ({ c }) => c.json(await openApiDocument(registry, options.workspace.metadata, version)),
    }),
  );
  registerRoute(registry, routes[routes.length - 1] as Route);

  const app = new Hono<Env>();
  app.onError((error, c) => {
    const known = asApiError(error);
    if (known) return errorAnswer(c, known);
    // The message of an unexpected failure stays in the server's log: it may name the machine's paths.
    options.log?.(
      `error ${c.req.method} ${c.req.path}: ${error instanceof Error ? error.message : String(error)}`,
    );
    return errorAnswer(
      c,
      new ApiError("CANAL_API_INTERNAL", "the server failed to answer this request; its log says why"),
    );
  });
  // Which routes exist is for token holders to learn, too.
  app.notFound(async (c) => {
    try {
      await authenticate(c, options, signIns);
    } catch (error) {
      return errorAnswer(c, error as ApiError);
    }
    return errorAnswer(
      c,
      new ApiError(
        "CANAL_API_NOT_FOUND",
        `no route ${c.req.method} ${c.req.path}; GET /api/v1/openapi.json lists them`,
      ),
    );
  });
  app.use(async (c, next) => {
    const start = Date.now();
    await next();
    const token = c.get("token");
    options.log?.(
      `${c.req.method} ${c.req.path} ${c.res.status} ${token ? token.id : "-"} ${Date.now() - start}ms`,
    );
  });
  const limit = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT;
  app.use(
    bodyLimit({
      maxSize: limit,
      onError: (c) =>
        errorAnswer(
          c,
          new ApiError(
            "CANAL_API_BODY_TOO_LARGE",
            `the request's body is over ${limit} bytes; send a smaller one`,
          ),
        ),
    }),
  );
  for (const r of routes) {
    app.on(r.method.toUpperCase(), honoPath(r.path), async (c) => {
      let token: ApiToken | undefined;
      if (r.role !== "public") {
        token = await authenticate(c, options, signIns);
        c.set("token", token);
        if (!allows(token.role, r.role))
          throw new ApiError(
            "CANAL_API_FORBIDDEN",
            `${r.method.toUpperCase()} /api/v1${r.path} needs a ${r.role} token; this one is a ${token.role}`,
          );
      }
      const params = parse(r.params, c.req.param(), "path");
      const query = parse(r.query, c.req.query(), "query");
      let body: unknown;
      if (r.body) {
        let raw: unknown = {};
        const text = await c.req.text();
        if (text.trim() !== "") {
          try {
            raw = JSON.parse(text);
          } catch {
            throw new ApiError(
              "CANAL_API_INVALID_REQUEST",
              "the request's body is not JSON; send a JSON object",
            );
          }
        }
        body = parse(r.body, raw, "body");
      }
      return r.handle({ params, query, body, token: token as ApiToken, c });
    });
  }
  // The web UI: its files, and its page for every other path outside the API.
  if (options.uiDir !== false) uiRoutes(app, options.uiDir ?? defaultUiDir());
  return app;
}
