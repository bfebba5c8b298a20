// Tokens, managed by an admin token as `canal tokens` manages them: created (the secret shown in
// that one answer), listed without secrets, revoked.
import type { ServerOptions } from "./context.js";
import { ApiError } from "./errors.js";
import { type Route, route } from "./route.js";
import { CreatedToken, NewTokenBody, Token, TokenParams, Tokens } from "./service-schemas.js";
import { startedBy } from "./shown.js";
import { createToken } from "./tokens.js";

export function tokensRoutes(options: ServerOptions): Route[] {
  const { metadata } = options.workspace;
  return [
    route({
      method: "get",
      path: "/tokens",
      role: "admin",
      summary: "Every token, without secrets",
      answers: { 200: { description: "The tokens", schema: Tokens } },
      async handle({ c }) {
        return c.json({ tokens: await metadata.listTokens() });
      },
    }),
    route({
      method: "post",
      path: "/tokens",
      role: "admin",
      summary: "Create a token; the answer is the only place its secret is shown",
      body: NewTokenBody,
      errors: ["CANAL_API_INVALID_REQUEST", "CANAL_API_NOT_FOUND"],
      answers: { 201: { description: "The token and its secret", schema: CreatedToken } },
      async handle({ body, token, c }) {
        if (body.endpoint !== undefined && body.role !== "launcher")
          throw new ApiError(
            "CANAL_API_INVALID_REQUEST",
            `\`endpoint\` scopes a launcher token to one endpoint; a ${body.role} token cannot be scoped`,
          );
        if (body.endpoint !== undefined && !(await metadata.getEndpoint(body.endpoint)))
          throw new ApiError(
            "CANAL_API_NOT_FOUND",
            `no endpoint ${body.endpoint}; GET /api/v1/endpoints lists them, \`canal publish\` makes one`,
          );
        const created = await createToken(metadata, { ...body, createdBy: startedBy(token) });
        return c.json(created, 201);
      },
    }),
    route({
      method: "delete",
      path: "/tokens/{id}",
      role: "admin",
      summary: "Revoke a token: every request with it is refused from now on",
      params: TokenParams,
      errors: ["CANAL_API_NOT_FOUND"],
      answers: { 200: { description: "The revoked token", schema: Token } },
      async handle({ params, c }) {
        const revoked = await metadata.revokeToken(params.id);
        if (!revoked)
          throw new ApiError("CANAL_API_NOT_FOUND", `no token ${params.id}; GET /api/v1/tokens lists them`);
        return c.json(revoked);
      },
    }),
  ];
}
