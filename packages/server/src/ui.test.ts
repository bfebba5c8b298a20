// The web UI's side of the server, in-process over real HTTP on a real SQLite workspace: the
// one-time sign-in codes and the sessions they open, the routes the UI's pages read (one step run,
// its files, two runs compared), and the UI's files served at / with their policy.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RuntimeRegistry } from "@canal/runner";
import { initWorkspace, openWorkspace, type Workspace } from "@canal/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Launcher } from "./context.js";
import { type RunningServer, startServer } from "./listen.js";
import { SignIns } from "./signin.js";
import { createToken } from "./tokens.js";

let dir: string;
let workspace: Workspace;
let server: RunningServer;
let noUi: RunningServer;
let clock = 1_000_000;
const signIns = new SignIns({ now: () => clock });
const logged: string[] = [];
const secrets: Record<string, string> = {};
const runs: string[] = [];
const launcher: Launcher = {
  start: () => Promise.reject(new Error("no run is started in these tests")),
  rerun: () => Promise.reject(new Error("no run is started in these tests")),
};

function call(path: string, init: RequestInit & { as?: string; cookie?: string } = {}, at = server) {
  const headers = new Headers(init.headers);
  if (init.as) headers.set("authorization", `Bearer ${secrets[init.as]}`);
  if (init.cookie) headers.set("cookie", init.cookie);
  if (init.body) headers.set("content-type", "application/json");
  return fetch(`${at.url}${path.startsWith("/ui") || !path.startsWith("/") ? "" : "/api/v1"}${path}`, {
    ...init,
    headers,
  });
}
const page = (path: string, at = server) => fetch(`${at.url}${path}`);

async function code(answer: Response): Promise<string> {
  return ((await answer.json()) as { error: { code: string } }).error.code;
}

/** Signs in with `body`; the session cookie (name=value) the answer set. */
async function signIn(body: object): Promise<{ status: number; cookie: string; setCookie: string }> {
  const answer = await call("/signin", { method: "POST", body: JSON.stringify(body) });
  const setCookie = answer.headers.get("set-cookie") ?? "";
  await answer.body?.cancel();
  return { status: answer.status, cookie: setCookie.split(";")[0] ?? "", setCookie };
}

const components = (files: Record<string, string>, input: string) => ({
  stepHash: "s",
  codeHash: JSON.stringify(files),
  codeFiles: Object.entries(files).map(([path, sha256]) => ({ path, sha256 })),
  environment: "e",
  inputs: { n: input },
});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "canal-ui-"));
  initWorkspace(dir, "ui");
  workspace = await openWorkspace(dir);
  for (const role of ["viewer", "launcher"] as const)
    secrets[role] = (await createToken(workspace.metadata, { role, name: role })).secret;
  const version = await workspace.metadata.registerPipelineVersion({
    pipeline: "p",
    hash: "h".repeat(64),
    ir: JSON.stringify({ name: "p", steps: [{ id: "make" }] }),
  });
  const { metadata } = workspace;
  const table = { digest: await workspace.blobs.put("a,b\n1,2\n") };
  for (const [i, n] of [1, 2].entries()) {
    const run = await metadata.createRun({
      pipelineVersionId: version.id,
      runtime: "local",
      parameters: { n, mode: "fast" },
      status: "succeeded",
      createdAt: 1000 + i,
    });
    runs.push(run.id);
    const step = await metadata.createStepRun({ runId: run.id, stepId: "make" });
    await metadata.startAttempt(step.id, 1);
    await metadata.finishStepRun(step.id, {
      status: "succeeded",
      attempt: { number: 1, status: "succeeded", exitCode: 0 },
      cacheKey: `key-${n}`,
      components: components({ "make.ts": i === 0 ? "aaa" : "bbb", "util.ts": "ccc" }, JSON.stringify(n)),
      inputs: { n: { json: JSON.stringify(n) } },
      outputs: { table: { digest: table.digest, directory: false, name: "table.csv" } },
      metrics: [{ name: "rows", value: n * 10, sequence: 0, at: 3000 }],
      reusable: true,
    });
  }
  const registered = await metadata.registerDatasetVersion({
    name: "images",
    kind: "file",
    digest: "d".repeat(64),
    datastore: "workspace",
    pattern: "images/*.png",
    files: ["a.png", "b.png", "c.png"].map((path, i) => ({
      path,
      digest: String(i).repeat(64),
      size: 10 + i,
    })),
  });
  await metadata.recordDatasetUse({
    runId: runs[0] as string,
    versionId: registered.version.id,
    direction: "input",
    name: "images",
  });
  const ui = join(dir, "ui-dist");
  mkdirSync(ui);
  writeFileSync(join(ui, "index.html"), "<!doctype html><title>Canal</title><main></main>");
  writeFileSync(join(ui, "app.js"), "console.log('canal');");
  writeFileSync(join(dir, "secret.txt"), "outside");
  const options = { workspace, launcher, runtimes: new RuntimeRegistry(), port: 0 };
  server = await startServer({ ...options, signIns, uiDir: ui, log: (line) => logged.push(line) });
  noUi = await startServer({ ...options, uiDir: join(dir, "nowhere") });
});

afterAll(async () => {
  await server?.close();
  await noUi?.close();
  await workspace?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("signing in to the UI", () => {
  it("exchanges a one-time code for an HttpOnly, SameSite=Strict session, once", async () => {
    const issued = signIns.issueCode("viewer", "ui:ana");
    const first = await signIn({ code: issued });
    expect(first.status).toBe(200);
    expect(first.setCookie).toMatch(
      /^canal_session=[\w-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/,
    );
    const session = await call("/session", { cookie: first.cookie });
    expect(await session.json()).toEqual({ role: "viewer", name: "ui:ana" });
    expect((await call("/runs", { cookie: first.cookie })).status).toBe(200);
    // Used: refused, and nothing is set.
    const again = await signIn({ code: issued });
    expect(again.status).toBe(401);
    expect(again.setCookie).toBe("");
    // The session acts with its role only.
    const cancel = await call(`/runs/${runs[0]}/cancel`, {
      method: "POST",
      body: "{}",
      cookie: first.cookie,
    });
    expect(cancel.status).toBe(403);
    expect(logged.join("\n")).not.toContain(issued);
    expect(logged.join("\n")).not.toContain(first.cookie.split("=")[1]);
  });

  it("refuses a code past five minutes, an unknown one and a made-up session", async () => {
    const issued = signIns.issueCode("launcher");
    clock += 5 * 60_000 + 1;
    expect((await signIn({ code: issued })).status).toBe(401);
    expect((await signIn({ code: "nope" })).status).toBe(401);
    expect((await signIn({})).status).toBe(400);
    const made = await call("/runs", { cookie: `canal_session=${"x".repeat(43)}` });
    expect(made.status).toBe(401);
    expect(await code(made)).toBe("CANAL_API_UNAUTHORIZED");
  });

  it("signs in with a token, whose revocation ends the session; signing out ends it too", async () => {
    expect((await signIn({ token: "canal_bad" })).status).toBe(401);
    const made = await createToken(workspace.metadata, { role: "launcher", name: "brief" });
    const { cookie } = await signIn({ token: made.secret });
    expect(await (await call("/session", { cookie })).json()).toEqual({ role: "launcher", name: "brief" });
    await workspace.metadata.revokeToken(made.token.id);
    expect((await call("/session", { cookie })).status).toBe(401);

    const other = await signIn({ token: secrets.viewer as string });
    expect((await call("/session", { cookie: other.cookie })).status).toBe(200);
    const out = await call("/signout", { method: "POST", cookie: other.cookie });
    expect(out.headers.get("set-cookie")).toMatch(/^canal_session=; .*Max-Age=0$/);
    expect((await call("/session", { cookie: other.cookie })).status).toBe(401);
  });
});

describe("the routes the UI reads", () => {
  it("answers one step run with its attempts, inputs, outputs and cache decision", async () => {
    expect((await call(`/runs/${runs[1]}/steps/make`)).status).toBe(401);
    const answer = await call(`/runs/${runs[1]}/steps/make`, { as: "viewer" });
    expect(answer.status).toBe(200);
    const body = (await answer.json()) as Record<string, any>;
    expect(body.step).toMatchObject({ stepId: "make", status: "succeeded", cacheKey: "key-2" });
    expect(body.step.cacheComponents).toBeUndefined();
    expect(body.attempts).toMatchObject([{ number: 1, status: "succeeded", exitCode: 0 }]);
    expect(body.inputs).toEqual([{ name: "n", kind: "value", value: 2 }]);
    expect(body.outputs).toMatchObject([{ name: "table", kind: "file" }]);
    expect(body.cache.decision).toBe("ran");
    expect(body.cache.run).toBe(runs[0]);
    expect(body.cache.why.join("\n")).toContain("make.ts");
    const first = (await (await call(`/runs/${runs[0]}/steps/make`, { as: "viewer" })).json()) as any;
    expect(first.cache.why[0]).toContain("never ran before");
    expect((await call(`/runs/${runs[1]}/steps/nope`, { as: "viewer" })).status).toBe(404);
    expect((await call("/runs/run-20200101-000000-abcd/steps/make", { as: "viewer" })).status).toBe(404);
  });

  it("downloads a step's outputs and inputs", async () => {
    expect((await call(`/runs/${runs[0]}/steps/make/outputs/table`)).status).toBe(401);
    const file = await call(`/runs/${runs[0]}/steps/make/outputs/table`, { as: "viewer" });
    expect(file.status).toBe(200);
    expect(file.headers.get("content-disposition")).toContain("table.csv");
    expect(await file.text()).toBe("a,b\n1,2\n");
    const input = await call(`/runs/${runs[0]}/steps/make/inputs/n`, { as: "viewer" });
    expect(await input.json()).toEqual({ name: "n", value: 1 });
    const gone = await call(`/runs/${runs[0]}/steps/make/outputs/nope`, { as: "viewer" });
    expect(gone.status).toBe(404);
    expect(((await gone.json()) as { error: { message: string } }).error.message).toContain("table");
    expect((await call(`/runs/${runs[0]}/steps/make/outputs/table?path=..`, { as: "viewer" })).status).toBe(
      400,
    );
  });

  it("compares two runs: parameters, last metrics, cache keys and changed code files", async () => {
    expect((await call(`/compare?a=${runs[0]}&b=${runs[1]}`)).status).toBe(401);
    const answer = await call(`/compare?a=${runs[0]}&b=${runs[1]}`, { as: "viewer" });
    expect(answer.status).toBe(200);
    const body = (await answer.json()) as Record<string, any>;
    expect(body.runs.map((r: { id: string }) => r.id)).toEqual(runs);
    expect(body.parameters).toEqual([
      { name: "mode", a: "fast", b: "fast", same: true },
      { name: "n", a: 1, b: 2, same: false },
    ]);
    expect(body.metrics).toEqual([{ stepId: "make", instance: -1, name: "rows", a: 10, b: 20 }]);
    expect(body.steps).toEqual([
      {
        stepId: "make",
        instance: -1,
        a: { status: "succeeded", cacheKey: "key-1" },
        b: { status: "succeeded", cacheKey: "key-2" },
        sameKey: false,
        codeFiles: [{ path: "make.ts", change: "changed" }],
      },
    ]);
    expect((await call(`/compare?a=${runs[0]}&b=run-20200101-000000-abcd`, { as: "viewer" })).status).toBe(
      404,
    );
    expect((await call(`/compare?a=${runs[0]}`, { as: "viewer" })).status).toBe(400);
  });
});

describe("datasets", () => {
  it("lists the datasets, a dataset's versions, and a version's files a page at a time with its runs", async () => {
    expect((await call("/datasets")).status).toBe(401);
    const list = (await (await call("/datasets", { as: "viewer" })).json()) as Record<string, any>;
    expect(list.datasets).toMatchObject([
      { name: "images", versions: 1, latest: { version: 1, fileCount: 3 } },
    ]);
    const versions = (await (await call("/datasets/images/versions", { as: "viewer" })).json()) as any;
    expect(versions.versions).toMatchObject([{ name: "images", version: 1, size: 33 }]);
    const first = (await (await call("/datasets/images/versions/1?limit=2", { as: "viewer" })).json()) as any;
    expect(first.files.map((f: { path: string }) => f.path)).toEqual(["a.png", "b.png"]);
    expect(first.next).toBe("b.png");
    expect(first.uses).toMatchObject([{ runId: runs[0], direction: "input", name: "images", pipeline: "p" }]);
    const rest = (await (
      await call(`/datasets/images/versions/1?limit=2&after=${first.next}`, { as: "viewer" })
    ).json()) as any;
    expect(rest.files.map((f: { path: string }) => f.path)).toEqual(["c.png"]);
    expect(rest.next).toBeUndefined();
  });

  it("pages a version's files in the store's order, past paths that UTF-16 and UTF-8 order apart", async () => {
    await workspace.metadata.registerDatasetVersion({
      name: "names",
      kind: "file",
      digest: "e".repeat(64),
      datastore: "workspace",
      pattern: "names/*",
      files: ["z", "\uFFFD", "\u{1F600}"].map((path) => ({ path, digest: "f".repeat(64), size: 1 })),
    });
    const paths: string[] = [];
    let after = "";
    for (let round = 0; round < 4; round++) {
      const query = after ? `&after=${encodeURIComponent(after)}` : "";
      const page = (await (
        await call(`/datasets/names/versions/1?limit=2${query}`, { as: "viewer" })
      ).json()) as any;
      paths.push(...page.files.map((f: { path: string }) => f.path));
      if (!page.next) break;
      after = page.next;
    }
    expect(paths).toEqual(["z", "\uFFFD", "\u{1F600}"]);
  });

  it("answers 404 for a dataset or version that is not there, naming what is", async () => {
    const none = await call("/datasets/nope/versions", { as: "viewer" });
    expect(none.status).toBe(404);
    expect(await code(none)).toBe("CANAL_API_NOT_FOUND");
    const version = await call("/datasets/images/versions/7", { as: "viewer" });
    expect(version.status).toBe(404);
    expect(((await version.json()) as { error: { message: string } }).error.message).toContain("1");
  });
});

describe("the UI's files", () => {
  it("serves index.html at / and at every page's path, with a same-origin policy", async () => {
    for (const path of ["/", "/runs/run-1", "/signin", "/compare"]) {
      const answer = await page(path);
      expect(answer.status, path).toBe(200);
      expect(answer.headers.get("content-type")).toMatch(/^text\/html/);
      expect(answer.headers.get("content-security-policy")).toContain("default-src 'self'");
      expect(await answer.text()).toContain("<main>");
    }
    const script = await page("/ui/app.js");
    expect(script.headers.get("content-type")).toMatch(/^text\/javascript/);
    expect(await script.text()).toContain("canal");
    // Revalidated by its ETag: a browser that has it gets 304 and no bytes.
    const etag = script.headers.get("etag") ?? "";
    expect(etag).toMatch(/^"[\w-]{22}"$/);
    const again = await fetch(`${server.url}/ui/app.js`, { headers: { "if-none-match": etag } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe("");
    expect((await page("/ui/..%2Fsecret.txt")).status).not.toBe(200);
    expect((await page("/ui/missing.js")).status).toBe(401);
  });

  it("leaves /api/ to the API, and says how to build a UI that is missing", async () => {
    const api = await page("/api/v1/nothing");
    expect(api.status).toBe(401);
    expect(api.headers.get("content-type")).toMatch(/json/);
    const missing = await page("/", noUi);
    expect(missing.status).toBe(503);
    expect(await missing.text()).toContain("npm run build -w @canal/server");
  });
});
