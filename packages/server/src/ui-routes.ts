// The web UI as static files: `ui-dist/` (built by `ui/build.mjs` when the package is built or
// packed) holds index.html and the assets it loads from /ui/. Every other path outside /api is a
// page of the UI, answered with index.html; the page then reads the API with the session cookie.
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Context, Env, Hono } from "hono";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
};

/**
 * The page's policy: its scripts, styles, workers and requests from this origin only (no CDN, no
 * inline script); never framed by another site.
 */
const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'self'; script-src 'self'; worker-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

/** The folder of the built UI: beside the package's src/ and dist/, wherever the package is installed. */
export function defaultUiDir(): string {
  const here = resolve(dirname(fileURLToPath(import.meta.url)), "../ui-dist");
  if (existsSync(here)) return here;
  // Bundled into another package's file, this module's own path says nothing: ask Node where the package is.
  try {
    const main = createRequire(import.meta.url).resolve("@canal/server");
    return resolve(dirname(main), "../ui-dist");
  } catch {
    return here;
  }
}

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Canal</title>
<p>Canal's web UI is not built in this installation: build it with <code>npm run build -w @canal/server</code>
(a packed <code>@canal/server</code> has it). The API is at <code>/api/v1</code>.</p>`;

export function uiRoutes<E extends Env>(app: Hono<E>, dir: string): void {
  const files = new Map<string, { bytes: Buffer; etag: string }>();
  const read = (name: string) => {
    const cached = files.get(name);
    if (cached) return cached;
    const path = join(dir, name);
    if (!existsSync(path)) return undefined;
    const bytes = readFileSync(path);
    const file = { bytes, etag: `"${createHash("sha256").update(bytes).digest("base64url").slice(0, 22)}"` };
    files.set(name, file);
    return file;
  };
  // Revalidated at each load (no-cache) by their ETag: a browser keeps what it has, and with it the
  // compiled code of the scripts, until the server has other files.
  const answer = (c: Context, name: string, file: { bytes: Buffer; etag: string }) => {
    const headers = {
      "content-type": TYPES[name.slice(name.lastIndexOf("."))] ?? "application/octet-stream",
      "cache-control": "no-cache",
      etag: file.etag,
      ...SECURITY_HEADERS,
    };
    if (c.req.header("if-none-match") === file.etag) return c.body(null, 304, headers);
    return c.body(new Uint8Array(file.bytes), 200, headers);
  };
  app.get("/ui/:name", (c) => {
    const name = c.req.param("name");
    // One level of plain names: nothing outside the folder can be named.
    const file = /^[\w.-]+$/.test(name) && !name.startsWith(".") ? read(name) : undefined;
    if (!file) return c.notFound();
    return answer(c, name, file);
  });
  app.get("*", (c) => {
    if (c.req.path === "/api" || c.req.path.startsWith("/api/")) return c.notFound();
    const page = read("index.html");
    if (!page) return c.html(NOT_BUILT, 503, SECURITY_HEADERS);
    return answer(c, "index.html", page);
  });
}
