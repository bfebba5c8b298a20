// The web UI's sign-in: a one-time code (from `canal ui`) or a token exchanged for a session
// cookie, the session read back, and signing out.
import type { ServerOptions } from "./context.js";
import { ApiError } from "./errors.js";
import { type Route, route } from "./route.js";
import { SessionAnswer, SignInBody } from "./schemas.js";
import { type SignIns, sessionCookie, sessionIdOf } from "./signin.js";
import { hashToken, looksLikeToken } from "./tokens.js";

export function signInRoutes(options: ServerOptions, signIns: SignIns): Route[] {
  const secure = options.secureCookies ?? false;
  return [
    route({
      method: "post",
      path: "/signin",
      role: "public",
      summary: "Exchange a one-time sign-in code (`canal ui`) or a token for a session cookie",
      description:
        "Sets the `canal_session` cookie (HttpOnly, SameSite=Strict). A code works once, within five minutes of being given.",
      body: SignInBody,
      errors: ["CANAL_API_UNAUTHORIZED", "CANAL_API_INVALID_REQUEST"],
      answers: { 200: { description: "Signed in", schema: SessionAnswer } },
      async handle({ body, c }) {
        let session: string | undefined;
        let answer: { role: string; name?: string } | undefined;
        if (body.code !== undefined) {
          session = signIns.redeemCode(body.code);
          if (!session)
            throw new ApiError(
              "CANAL_API_UNAUTHORIZED",
              "this sign-in link was used already or has expired (links work once, for five minutes); run `canal ui` again for a new one",
            );
          const grant = signIns.grant(session);
          if (grant?.kind === "code") answer = { role: grant.role, name: grant.name };
        } else if (body.token !== undefined) {
          const token = looksLikeToken(body.token)
            ? await options.workspace.metadata.findToken(hashToken(body.token))
            : undefined;
          if (!token)
            throw new ApiError(
              "CANAL_API_UNAUTHORIZED",
              "the token given is not a token of this workspace, or it was revoked; `canal tokens` lists the tokens",
            );
          session = signIns.openForToken(hashToken(body.token));
          answer = { role: token.role, ...(token.name ? { name: token.name } : {}) };
        }
        if (!session || !answer)
          throw new ApiError("CANAL_API_INVALID_REQUEST", "send `code` (from `canal ui`'s link) or `token`");
        c.header("set-cookie", sessionCookie(session, secure));
        c.header("cache-control", "no-store");
        return c.json(answer);
      },
    }),
    route({
      method: "post",
      path: "/signout",
      role: "public",
      summary: "End this browser's session",
      answers: { 200: { description: "Signed out" } },
      handle({ c }) {
        const id = sessionIdOf(c.req.header("cookie"));
        if (id !== undefined) signIns.close(id);
        c.header("set-cookie", sessionCookie(undefined, secure));
        return c.json({ ok: true });
      },
    }),
    route({
      method: "get",
      path: "/session",
      role: "viewer",
      summary: "Who this request is: the role and name of its token or session",
      answers: { 200: { description: "The caller", schema: SessionAnswer } },
      handle({ token, c }) {
        return c.json({ role: token.role, ...(token.name ? { name: token.name } : {}) });
      },
    }),
  ];
}
