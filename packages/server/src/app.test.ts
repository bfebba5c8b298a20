// The API in-process on an ephemeral port, over real HTTP, on a real SQLite workspace. Nothing
// here starts a run (that is test/server/serve.test.ts): a launcher that is called fails the test.
import { readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RuntimeRegistry } from "@canal/runner";
import { initWorkspace, openWorkspace, type Workspace } from "@canal/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Launcher } from "./context.js";
import { type RunningServer, startServer } from "./listen.js";
import { insidePath } from "./outputs-routes.js";
import { createToken, hashToken } from "./tokens.js";

let dir: string;
let workspace: Workspace;
let server: RunningServer;
const logged: string[] = [];
const secrets: Record<string, string> = {};
const launcher: Launcher = {
  start: () => Promise.reject(new Error("no run is started in these tests")),
  rerun: () => Promise.reject(new Error("no run is started in these tests")),
};

/** The error code of an error answer. */
async function code(answer: Response): Promise<string> {
  return ((await answer.json()) as { error: { code: string } }).error.code;
}

function call(path: string, init: RequestInit & { as?: string } = {}) {
  const headers = new Headers(init.headers);
  if (init.as) headers.set("authorization", `Bearer ${secrets[init.as]}`);
  return fetch(`${server.url}/api/v1${path}`, { ...init, headers });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "canal-server-"));
  initWorkspace(dir, "served");
  workspace = await openWorkspace(dir);
  for (const role of ["viewer", "launcher", "admin"] as const)
    secrets[role] = (await createToken(workspace.metadata, { role, name: role })).secret;
  const version = await workspace.metadata.registerPipelineVersion({
    pipeline: "p",
    hash: "h".repeat(64),
    ir: JSON.stringify({ name: "p", parameters: [{ name: "n", type: { primitive: "NUMBER" } }] }),
  });
  for (let i = 0; i < 5; i++)
    await workspace.metadata.createRun({
      pipelineVersionId: version.id,
      runtime: "local",
      createdAt: 1000 + (i < 3 ? 0 : i),
      startedBy: i % 2 ? "ana" : "bo",
      status: "succeeded",
      ...(i === 4 ? { experiment: "tuned" } : {}),
    });
  await workspace.metadata.publishEndpoint({ endpoint: "score", pipelineVersionId: version.id });
  server = await startServer({
    workspace,
    launcher,
    runtimes: new RuntimeRegistry(),
    port: 0,
    bodyLimitBytes: 4096,
    log: (line) => logged.push(line),
  });
});

afterAll(async () => {
  await server?.close();
  await workspace?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("the API's door", () => {
  it("answers health without a token, and binds to loopback by default", async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const answer = await call("/health");
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ ok: true });
  });

  it("refuses every other route without a valid token: 401 with a stable code", async () => {
    for (const path of ["/runs", "/openapi.json", "/no/such/route"]) {
      const answer = await call(path);
      expect(answer.status, path).toBe(401);
      expect(await code(answer)).toBe("CANAL_API_UNAUTHORIZED");
    }
    const forged = await call("/runs", { headers: { authorization: `Bearer canal_${"x".repeat(43)}` } });
    expect(forged.status).toBe(401);
    expect(await forged.text()).not.toContain("x".repeat(43));
  });

  it("gives a viewer reads but not runs, and a launcher not tokens: 403", async () => {
    const start = await call("/endpoints/score/runs", {
      as: "viewer",
      method: "POST",
      body: JSON.stringify({ parameters: { n: 1 } }),
    });
    expect(start.status).toBe(403);
    expect(await code(start)).toBe("CANAL_API_FORBIDDEN");
    expect((await call("/tokens", { as: "launcher" })).status).toBe(403);
    expect((await call("/tokens", { as: "admin" })).status).toBe(200);
  });

  it("sends no CORS headers, to a preflight or a request with an Origin", async () => {
    const origin = { origin: "https://elsewhere.example" };
    const get = await call("/runs", { as: "viewer", headers: origin });
    expect(get.status).toBe(200);
    const preflight = await call("/runs", {
      method: "OPTIONS",
      headers: { ...origin, "access-control-request-method": "GET" },
    });
    for (const answer of [get, preflight])
      for (const name of answer.headers.keys()) expect(name).not.toMatch(/^access-control-/);
  });

  it("answers 413 for a body over the limit, before reading it", async () => {
    const answer = await call("/endpoints/score/runs", {
      as: "launcher",
      method: "POST",
      body: JSON.stringify({ parameters: { n: "x".repeat(10_000) } }),
    });
    expect(answer.status).toBe(413);
    expect(await code(answer)).toBe("CANAL_API_BODY_TOO_LARGE");
  });

  it("answers 404 for an unknown run, 400 for a body that is not JSON or a bad cursor", async () => {
    const missing = await call("/runs/run-20200101-000000-abcd", { as: "viewer" });
    expect(missing.status).toBe(404);
    expect(await code(missing)).toBe("CANAL_API_NOT_FOUND");
    const garbled = await call("/runs/run-20200101-000000-abcd/cancel", {
      as: "launcher",
      method: "POST",
      body: "{not json",
    });
    expect(garbled.status).toBe(400);
    expect((await call("/runs?cursor=zzz", { as: "viewer" })).status).toBe(400);
    const limit = await call("/runs?limit=0", { as: "viewer" });
    expect(limit.status).toBe(400);
    const { error } = (await limit.json()) as { error: { problems: Array<{ path: string }> } };
    expect(error.problems[0]?.path).toBe("query.limit");
  });
});

describe("runs, a page at a time", () => {
  it("pages by cursor through every run once, newest first, and filters", async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const answer = await call(`/runs?limit=2${cursor ? `&cursor=${cursor}` : ""}`, { as: "viewer" });
      const page = (await answer.json()) as { runs: Array<{ id: string }>; next?: string };
      expect(page.runs.length).toBeLessThanOrEqual(2);
      seen.push(...page.runs.map((r) => r.id));
      cursor = page.next;
    } while (cursor);
    const all = await workspace.metadata.listRuns();
    expect(seen).toEqual(all.map((r) => r.id));
    const byUser = (await (await call("/runs?user=ana", { as: "viewer" })).json()) as { runs: unknown[] };
    expect(byUser.runs).toHaveLength(2);
    const tuned = (await (
      await call("/runs?experiment=tuned&status=succeeded&pipeline=p", { as: "viewer" })
    ).json()) as {
      runs: Array<{ experiment: string }>;
    };
    expect(tuned.runs.map((r) => r.experiment)).toEqual(["tuned"]);
  });
});

describe("the OpenAPI document", () => {
  it("lists every route, and each endpoint's body from its pipeline's parameter types", async () => {
    const doc = (await (await call("/openapi.json", { as: "viewer" })).json()) as {
      openapi: string;
      paths: Record<
        string,
        Record<string, { requestBody?: { content: Record<string, { schema: unknown }> } }>
      >;
    };
    expect(doc.openapi).toMatch(/^3\./);
    for (const path of [
      "/api/v1/runs",
      "/api/v1/runs/{id}",
      "/api/v1/runs/{id}/events",
      "/api/v1/runs/{id}/outputs/{name}",
      "/api/v1/endpoints/{name}/runs",
      "/api/v1/tokens",
    ])
      expect(doc.paths, path).toHaveProperty([path]);
    const body =
      doc.paths["/api/v1/endpoints/score/runs"]?.post?.requestBody?.content["application/json"]?.schema;
    expect(body).toMatchObject({
      properties: { parameters: { properties: { n: { type: "number" } }, required: ["n"] } },
    });
  });
});

describe("schedules", () => {
  const send = (path: string, as: string | undefined, method: string, body?: unknown) =>
    call(path, {
      method,
      ...(as ? { as } : {}),
      headers: { "content-type": "application/json" },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });

  it("are described in the OpenAPI document from their schemas", async () => {
    const doc = (await (await call("/openapi.json", { as: "viewer" })).json()) as {
      paths: Record<
        string,
        Record<string, { requestBody?: { content: Record<string, { schema: unknown }> } }>
      >;
    };
    expect(Object.keys(doc.paths["/api/v1/schedules"] ?? {}).sort()).toEqual(["get", "post"]);
    expect(Object.keys(doc.paths["/api/v1/schedules/{name}"] ?? {}).sort()).toEqual([
      "delete",
      "get",
      "patch",
    ]);
    expect(
      doc.paths["/api/v1/schedules"]?.post?.requestBody?.content["application/json"]?.schema,
    ).toMatchObject({
      properties: { cron: { type: "string" }, catchUp: { enum: ["none", "latest", "all"] } },
    });
  });

  it("refuse without a token (401), to a viewer (403), a scoped token elsewhere (403), and name what is unknown (404)", async () => {
    expect(await code(await call("/schedules"))).toBe("CANAL_API_UNAUTHORIZED");
    const body = { endpoint: "score", cron: "0 3 * * *", timezone: "Europe/Madrid" };
    const viewer = await send("/schedules", "viewer", "POST", body);
    expect(viewer.status).toBe(403);
    expect(await code(viewer)).toBe("CANAL_API_FORBIDDEN");
    secrets.scored = (
      await createToken(workspace.metadata, { role: "launcher", endpoint: "other", name: "scored" })
    ).secret;
    const elsewhere = await send("/schedules", "scored", "POST", body);
    expect(elsewhere.status).toBe(403);
    expect(((await elsewhere.json()) as { error: { message: string } }).error.message).toContain(
      "endpoint other",
    );
    const unknown = await send("/schedules", "launcher", "POST", { ...body, endpoint: "nope" });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { message: string } }).error.message).toContain("score");
    const missing = await call("/schedules/nope", { as: "viewer" });
    expect(missing.status).toBe(404);
    expect(await code(missing)).toBe("CANAL_API_NOT_FOUND");
    expect((await send("/schedules/nope", "launcher", "PATCH", { paused: true })).status).toBe(404);
    expect((await send("/schedules/nope", "launcher", "DELETE")).status).toBe(404);
    expect((await send("/schedules", "launcher", "POST", { ...body, every: "day" })).status).toBe(400);
  });

  it("refuse a cron or a zone that is not one: 422 naming the field and the fix, nothing made", async () => {
    const cron = await send("/schedules", "launcher", "POST", { endpoint: "score", cron: "0 25 * * *" });
    expect(cron.status).toBe(422);
    const cronError = (
      (await cron.json()) as { error: { code: string; message: string; problems: unknown[] } }
    ).error;
    expect(cronError.code).toBe("CANAL_API_SCHEDULE_INVALID");
    expect(cronError.message).toContain("CANAL_SCHEDULE_CRON_INVALID");
    expect(cronError.message).toContain('"0 3 * * *"');
    expect(cronError.problems).toMatchObject([{ path: "cron" }]);
    const zone = await send("/schedules", "launcher", "POST", {
      endpoint: "score",
      cron: "0 3 * * *",
      timezone: "Mars/Olympus",
    });
    expect(zone.status).toBe(422);
    const zoneError = ((await zone.json()) as { error: { message: string; problems: unknown[] } }).error;
    expect(zoneError.message).toContain("CANAL_SCHEDULE_TIMEZONE_INVALID");
    expect(zoneError.problems).toMatchObject([{ path: "timezone" }]);
    const both = await send("/schedules", "launcher", "POST", { endpoint: "score" });
    expect(both.status).toBe(422);
    expect((await (await call("/schedules", { as: "viewer" })).json()) as unknown).toEqual({ schedules: [] });
  });

  it("are shown with their ticks, paused, edited and deleted", async () => {
    const made = await workspace.metadata.createSchedule({
      name: "nightly",
      endpoint: "score",
      kind: "cron",
      cron: "0 3 * * *",
      timezone: "Europe/Madrid",
      parameters: { n: 1 },
    });
    await workspace.metadata.claimTick({
      scheduleId: made.id,
      scheduledAt: 1000,
      status: "missed",
      reason: "down",
    });
    const shown = (await (await call("/schedules/nightly", { as: "viewer" })).json()) as {
      schedule: Record<string, unknown>;
      ticks: Array<Record<string, unknown>>;
    };
    expect(shown.schedule).toMatchObject({ name: "nightly", cron: "0 3 * * *", paused: false });
    expect(shown.schedule.next).toBeGreaterThan(Date.now());
    expect(shown.schedule).not.toHaveProperty("state");
    expect(shown.ticks).toMatchObject([{ scheduledAt: 1000, status: "missed", reason: "down" }]);
    const viewerEdit = await send("/schedules/nightly", "viewer", "PATCH", { paused: true });
    expect(viewerEdit.status).toBe(403);
    const paused = await send("/schedules/nightly", "launcher", "PATCH", { paused: true });
    expect(paused.status).toBe(200);
    expect(await paused.json()).toMatchObject({ paused: true });
    const bad = await send("/schedules/nightly", "launcher", "PATCH", { cron: "every day" });
    expect(bad.status).toBe(422);
    const edited = await send("/schedules/nightly", "launcher", "PATCH", {
      cron: "0 4 * * *",
      paused: false,
    });
    const after = (await edited.json()) as { cron: string; anchorAt: number };
    expect(after.cron).toBe("0 4 * * *");
    expect(after.anchorAt).toBeGreaterThan(made.anchorAt - 1);
    expect((await send("/schedules/nightly", "scored", "DELETE")).status).toBe(403);
    expect((await send("/schedules/nightly", "admin", "DELETE")).status).toBe(200);
    expect((await call("/schedules/nightly", { as: "viewer" })).status).toBe(404);
  });
});

describe("tokens", () => {
  it("are created and revoked by an admin; a revoked token is refused", async () => {
    const made = await call("/tokens", {
      as: "admin",
      method: "POST",
      body: JSON.stringify({ role: "viewer", name: "short-lived" }),
    });
    expect(made.status).toBe(201);
    const { token, secret } = (await made.json()) as { token: { id: string }; secret: string };
    const auth = { authorization: `Bearer ${secret}` };
    expect((await call("/runs", { headers: auth })).status).toBe(200);
    expect((await call(`/tokens/${token.id}`, { as: "admin", method: "DELETE" })).status).toBe(200);
    expect((await call("/runs", { headers: auth })).status).toBe(401);
    const scopedViewer = await call("/tokens", {
      as: "admin",
      method: "POST",
      body: JSON.stringify({ role: "viewer", endpoint: "score" }),
    });
    expect(scopedViewer.status).toBe(400);
    const unknownEndpoint = await call("/tokens", {
      as: "admin",
      method: "POST",
      body: JSON.stringify({ role: "launcher", endpoint: "nope" }),
    });
    expect(unknownEndpoint.status).toBe(404);
    const scoped = await call("/tokens", {
      as: "admin",
      method: "POST",
      body: JSON.stringify({ role: "launcher", endpoint: "score" }),
    });
    expect(scoped.status).toBe(201);
  });

  it("are kept only as their hash: no secret in the store's files or the server's log", async () => {
    const files: string[] = [];
    const walk = (d: string) => {
      for (const name of readdirSync(d)) {
        const path = join(d, name);
        if (statSync(path).isDirectory()) walk(path);
        else files.push(path);
      }
    };
    walk(dir);
    const bytes = files.map((f) => readFileSync(f).toString("latin1")).join("\n");
    for (const secret of Object.values(secrets)) {
      expect(bytes).not.toContain(secret);
      expect(logged.join("\n")).not.toContain(secret);
    }
    expect(bytes).toContain(hashToken(secrets.viewer as string));
    expect(logged.some((line) => /^GET \/api\/v1\/runs 200 tok-/.test(line))).toBe(true);
  });
});

describe("paths inside an output", () => {
  it("takes relative names and refuses what could leave the output", () => {
    expect(insidePath("nested/leaf.csv")).toEqual(["nested", "leaf.csv"]);
    for (const bad of ["../x", "a/../../x", "/etc/passwd", "a//b", ".", "a\\..\\b", "a\0b", ""])
      expect(() => insidePath(bad), bad).toThrow(expect.objectContaining({ code: "CANAL_API_PATH_INVALID" }));
  });
});
