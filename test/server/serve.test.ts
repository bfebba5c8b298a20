// `canal serve` as its own process, over real HTTP: published endpoints start real runs (driver
// processes, as `canal run --detach` starts them), whose events, logs, metrics and outputs the API
// serves; cancel and rerun go through the runner's functions; tokens never show up anywhere.
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canal } from "../canal.js";
import { makeProject, repoRoot, stopServer, waitFor } from "../helpers.js";

const cli = join(repoRoot, "packages/cli/dist/main.js");
const fixture = join(import.meta.dirname, "fixtures/served");

let dir: string;
let server: ChildProcess;
let output = "";
let base = "";
const secrets: Record<string, string> = {};
const gates: string[] = [];

async function token(name: string, ...args: string[]): Promise<void> {
  const made = await canal(["tokens", "create", "--name", name, "--json", ...args], dir);
  expect(made.status, made.stderr).toBe(0);
  secrets[name] = (JSON.parse(made.stdout) as { secret: string }).secret;
}

function call(path: string, as?: string, init: RequestInit = {}) {
  const headers = new Headers(init.headers);
  if (as) headers.set("authorization", `Bearer ${secrets[as]}`);
  if (init.body) headers.set("content-type", "application/json");
  return fetch(`${base}/api/v1${path}`, { ...init, headers });
}

async function json<T = Record<string, unknown>>(path: string, as = "viewer"): Promise<T> {
  const answer = await call(path, as);
  expect(answer.status, `${path}: ${await answer.clone().text()}`).toBe(200);
  return (await answer.json()) as T;
}

async function start(parameters: Record<string, unknown>, as = "launcher", endpoint = "score") {
  const answer = await call(`/endpoints/${endpoint}/runs`, as, {
    method: "POST",
    body: JSON.stringify({ parameters, experiment: "served-tests" }),
  });
  return {
    status: answer.status,
    body: (await answer.json()) as { runId: string; error?: { code: string } },
  };
}

async function until(what: string, ready: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const runOf = (id: string) =>
  json<{ run: { status: string; startedBy?: string }; steps: Array<{ stepId: string; status: string }> }>(
    `/runs/${id}`,
  );

/** Reads a run's event stream to its end: each event's name and data. */
async function events(
  runId: string,
  onEvent: (event: string, data: { status?: string; stepId?: string }) => void,
) {
  const answer = await call(`/runs/${runId}/events`, "viewer");
  expect(answer.status).toBe(200);
  expect(answer.headers.get("content-type")).toMatch(/^text\/event-stream/);
  const reader = (answer.body as ReadableStream<Uint8Array>).pipeThrough(new TextDecoderStream()).getReader();
  const seen: Array<{ event: string; data: { status?: string; stepId?: string } }> = [];
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end = buffer.indexOf("\n\n");
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event && data) {
        const parsed = JSON.parse(data) as { status?: string; stepId?: string };
        seen.push({ event, data: parsed });
        onEvent(event, parsed);
      }
      end = buffer.indexOf("\n\n");
    }
  }
  return seen;
}

beforeAll(async () => {
  dir = makeProject({ from: fixture });
  expect((await canal(["init", "."], dir)).status).toBe(0);
  const compiled = await canal(["compile", "pipeline.ts"], dir);
  expect(compiled.status, compiled.stderr).toBe(0);
  for (const name of ["score", "other"]) {
    const published = await canal(["publish", "canal-out/served", "--name", name], dir);
    expect(published.status, published.stderr).toBe(0);
  }
  await token("viewer", "--role", "viewer");
  await token("launcher", "--role", "launcher");
  await token("admin", "--role", "admin");
  await token("scoped", "--role", "launcher", "--endpoint", "score");
  server = spawn(process.execPath, [cli, "serve", "--port", "0"], {
    cwd: dir,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  server.stdout?.on("data", collect);
  server.stderr?.on("data", collect);
  await waitFor("canal serve to listen", () => /listening on (http:\/\/127\.0\.0\.1:\d+)/.test(output));
  base = (/listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output) as RegExpExecArray)[1] as string;
});

afterAll(async () => {
  for (const gate of gates) writeFileSync(gate, "");
  await stopServer(server);
});

describe("canal serve", () => {
  it("refuses what a token does not allow", async () => {
    expect((await call("/runs")).status).toBe(401);
    expect((await start({ count: 1 }, "viewer")).status).toBe(403);
    const elsewhere = await start({ count: 1 }, "scoped", "other");
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.body.error?.code).toBe("CANAL_API_FORBIDDEN");
    expect((await call("/runs/run-20200101-000000-abcd", "viewer")).status).toBe(404);
    expect((await call("/endpoints/nope/runs", "launcher", { method: "POST", body: "{}" })).status).toBe(404);
  });

  it("answers 422 listing every problem of the parameters, and starts nothing", async () => {
    const before = (await json<{ runs: unknown[] }>("/runs")).runs.length;
    const answer = await call("/endpoints/score/runs", "launcher", {
      method: "POST",
      body: JSON.stringify({
        parameters: { count: "three", mode: "medium", colour: "red" },
        experiment: "bad name!",
      }),
    });
    expect(answer.status).toBe(422);
    const { error } = (await answer.json()) as { error: { code: string; problems: Array<{ path: string }> } };
    expect(error.code).toBe("CANAL_API_PARAMETERS_INVALID");
    expect(error.problems.map((p) => p.path).sort()).toEqual([
      "experiment",
      "parameters.colour",
      "parameters.count",
      "parameters.mode",
    ]);
    expect((await json<{ runs: unknown[] }>("/runs")).runs.length).toBe(before);
    const missing = await start({});
    expect(missing.status).toBe(422);
  });

  it("streams a real run's step events to its end, and serves its logs, metrics and outputs", async () => {
    const gate = join(dir, "gate-events");
    gates.push(gate);
    const launched = await start({ count: 3, label: "ev", gate }, "scoped");
    expect(launched.status).toBe(202);
    const { runId } = launched.body;
    const seen = await events(runId, (event, data) => {
      // The step is seen running before it may go on: the stream follows the run as it happens.
      if (event === "step" && data.status === "running") writeFileSync(gate, "");
    });
    const steps = seen.filter((e) => e.event === "step").map((e) => `${e.data.stepId}:${e.data.status}`);
    expect(steps).toContain("make:running");
    expect(steps[steps.length - 1]).toBe("make:succeeded");
    expect(seen[seen.length - 1]).toMatchObject({ event: "end", data: { status: "succeeded" } });

    const detail = await runOf(runId);
    expect(detail.run).toMatchObject({ status: "succeeded", startedBy: "token:scoped" });
    expect(detail.steps.map((s) => [s.stepId, s.status])).toEqual([["make", "succeeded"]]);

    const stdout = await json<{ chunks: Array<{ stream: string; text: string }>; next: number }>(
      `/runs/${runId}/steps/make/logs?stream=stdout`,
    );
    expect(stdout.chunks.map((c) => c.text).join("")).toContain("made 3 ev fast");
    expect(stdout.chunks.every((c) => c.stream === "stdout")).toBe(true);
    const stderr = await json<{ chunks: Array<{ text: string }> }>(
      `/runs/${runId}/steps/make/logs?stream=stderr`,
    );
    expect(stderr.chunks.map((c) => c.text).join("")).toContain("a line on stderr");
    const rest = await json<{ chunks: unknown[] }>(`/runs/${runId}/steps/make/logs?from=${stdout.next}`);
    expect(rest.chunks).toEqual([]);
    expect((await json<{ chunks: unknown[] }>(`/runs/${runId}/logs`)).chunks.length).toBeGreaterThan(0);

    const { metrics } = await json<{ metrics: Array<{ name: string; value: unknown }> }>(
      `/runs/${runId}/metrics`,
    );
    expect(metrics).toMatchObject([{ name: "count", value: 3 }]);

    const { outputs } = await json<{ outputs: Array<{ name: string; kind: string }> }>(
      `/runs/${runId}/outputs`,
    );
    expect(outputs.map((o) => [o.name, o.kind])).toEqual([
      ["table", "file"],
      ["tree", "directory"],
    ]);
    const table = await call(`/runs/${runId}/outputs/table`, "viewer");
    expect(table.status).toBe(200);
    expect(await table.text()).toBe("ev\nev\nev\n");
    const listing = await json<{ files: Array<{ path: string }> }>(`/runs/${runId}/outputs/tree`);
    expect(listing.files.map((f) => f.path)).toEqual(["nested/leaf.csv", "top.txt"]);
    const leaf = await call(`/runs/${runId}/outputs/tree?path=nested/leaf.csv`, "viewer");
    expect(await leaf.text()).toBe("a,b\n1,2\n");
    for (const outside of ["../top.txt", "nested/../../x", "/etc/passwd"]) {
      const answer = await call(`/runs/${runId}/outputs/tree?path=${encodeURIComponent(outside)}`, "viewer");
      expect(answer.status, outside).toBe(400);
      expect(((await answer.json()) as { error: { code: string } }).error.code).toBe(
        "CANAL_API_PATH_INVALID",
      );
    }
    expect((await call(`/runs/${runId}/outputs/nope`, "viewer")).status).toBe(404);

    const page = await json<{ runs: Array<{ id: string }> }>(
      "/runs?pipeline=served&status=succeeded&experiment=served-tests&user=token:scoped",
    );
    expect(page.runs.map((r) => r.id)).toContain(runId);
  });

  it("cancels a running run, and reruns a run from a step, through the runner's functions", async () => {
    const gate = join(dir, "gate-cancel");
    gates.push(gate);
    const { body } = await start({ count: 2, label: "cancel-me", gate });
    await until("the step to run", async () => (await runOf(body.runId)).steps[0]?.status === "running");
    expect((await call(`/runs/${body.runId}/cancel`, "viewer", { method: "POST", body: "{}" })).status).toBe(
      403,
    );
    expect((await call(`/runs/${body.runId}/cancel`, "scoped", { method: "POST", body: "{}" })).status).toBe(
      403,
    );
    const canceled = await call(`/runs/${body.runId}/cancel`, "launcher", {
      method: "POST",
      body: JSON.stringify({ reason: "from the API" }),
    });
    expect([200, 202]).toContain(canceled.status);
    await until("the run to be canceled", async () => (await runOf(body.runId)).run.status === "canceled");
    const shown = await json<{ state: { cancel?: { by?: string; reason?: string } } }>(`/runs/${body.runId}`);
    expect(shown.state.cancel).toMatchObject({ by: "token:launcher", reason: "from the API" });
    const again = await call(`/runs/${body.runId}/cancel`, "launcher", { method: "POST", body: "{}" });
    expect(again.status).toBe(409);

    const done = (await json<{ runs: Array<{ id: string }> }>("/runs?status=succeeded&limit=1")).runs[0] as {
      id: string;
    };
    const unknownStep = await call(`/runs/${done.id}/rerun`, "launcher", {
      method: "POST",
      body: JSON.stringify({ from: "nope" }),
    });
    expect(unknownStep.status).toBe(400);
    const rerun = await call(`/runs/${done.id}/rerun`, "launcher", {
      method: "POST",
      body: JSON.stringify({ from: "make" }),
    });
    expect(rerun.status).toBe(202);
    const { runId } = (await rerun.json()) as { runId: string };
    expect(runId).not.toBe(done.id);
    await until("the rerun to end", async () => (await runOf(runId)).run.status !== "running");
    // Forced from `make`: it ran again rather than coming from the cache.
    expect((await runOf(runId)).steps.map((s) => [s.stepId, s.status])).toEqual([["make", "succeeded"]]);
  });

  it("serves pipelines with their IR, experiments and endpoints", async () => {
    const { pipelines } = await json<{ pipelines: Array<{ name: string }> }>("/pipelines");
    expect(pipelines.map((p) => p.name)).toEqual(["served"]);
    const { versions } = await json<{ versions: Array<{ version: number }> }>("/pipelines/served/versions");
    expect(versions.map((v) => v.version)).toEqual([1]);
    const version = await json<{ ir: { name: string; parameters: unknown[] } }>(
      "/pipelines/served/versions/1",
    );
    expect(version.ir.name).toBe("served");
    expect((await call("/pipelines/served/versions/9", "viewer")).status).toBe(404);
    const { experiments } = await json<{ experiments: Array<{ name: string }> }>("/experiments");
    expect(experiments.map((e) => e.name)).toContain("served-tests");
    const { endpoints } = await json<{ endpoints: Array<{ name: string }> }>("/endpoints");
    expect(endpoints.map((e) => e.name)).toEqual(["other", "score"]);
    const score = await json<{ requestBody: { properties: { parameters: { required: string[] } } } }>(
      "/endpoints/score",
    );
    expect(score.requestBody.properties.parameters.required).toEqual(["count"]);
    expect(
      (await call("/endpoints/score/default", "launcher", { method: "PUT", body: '{"version":1}' })).status,
    ).toBe(403);
    expect(
      (await call("/endpoints/score/default", "admin", { method: "PUT", body: '{"version":1}' })).status,
    ).toBe(200);
  });

  it("never shows a token: not in its output, the runs' logs or the store (only the hash)", async () => {
    const files: string[] = [];
    const walk = (d: string) => {
      for (const name of readdirSync(d)) {
        if (name === "node_modules") continue;
        const path = join(d, name);
        if (statSync(path).isDirectory()) walk(path);
        else files.push(path);
      }
    };
    walk(dir);
    const stored = files.map((f) => readFileSync(f).toString("latin1")).join("\n");
    const listed = await canal(["tokens", "--json"], dir);
    for (const secret of Object.values(secrets)) {
      expect(output).not.toContain(secret);
      expect(stored).not.toContain(secret);
      expect(listed.stdout).not.toContain(secret);
    }
    expect(output).toMatch(/POST \/api\/v1\/endpoints\/score\/runs 202 tok-/);
  });

  it("stops cleanly on SIGTERM", async () => {
    const exited = new Promise<number | null>((resolve) => server.once("close", (code) => resolve(code)));
    server.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(output).toContain("canal serve: stopping");
  });
});

describe("canal tokens, publish and endpoints", () => {
  it("refuse what they cannot do, naming the fix", async () => {
    const scopedViewer = await canal(["tokens", "create", "--role", "viewer", "--endpoint", "score"], dir);
    expect(scopedViewer.status).toBe(2);
    expect(scopedViewer.stderr).toContain("--endpoint scopes a launcher token");
    const noRole = await canal(["tokens", "create"], dir);
    expect(noRole.status).toBe(2);
    expect(noRole.stderr).toContain("--role is needed: one of viewer, launcher, admin");
    const unknownEndpoint = await canal(
      ["tokens", "create", "--role", "launcher", "--endpoint", "nope"],
      dir,
    );
    expect(unknownEndpoint.stderr).toContain("no endpoint nope; the endpoints are other, score");
    expect((await canal(["tokens", "revoke", "tok-000000000000"], dir)).status).toBe(2);
    const badName = await canal(["publish", "canal-out/served", "--name", "no spaces"], dir);
    expect(badName.status).toBe(2);
    const listed = await canal(["endpoints"], dir);
    expect(listed.stdout).toMatch(/^other {2}default v1\n {2}\* v1 {2}served v1 /);
  });

  it("publish a new version, made the default only when asked", async () => {
    const second = await canal(["publish", "canal-out/served", "--name", "other", "--json"], dir);
    expect(JSON.parse(second.stdout)).toMatchObject({
      defaultVersion: 1,
      versions: [{ version: 1 }, { version: 2 }],
    });
    const third = await canal(["publish", "canal-out/served", "--name", "other", "--default"], dir);
    expect(third.stdout).toContain("endpoint other v3: pipeline served v1");
    expect(third.stdout).toContain("the default");
  });
});

describe("canal serve's address", () => {
  it("warns before serving beyond this machine without TLS", async () => {
    // A documentation address (RFC 5737) no machine has: the warning comes, then binding fails.
    const child = spawn(process.execPath, [cli, "serve", "--port", "0", "--host", "192.0.2.1"], {
      cwd: dir,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let text = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      text += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
    expect(text).toContain("warning: listening on 192.0.2.1 without TLS");
    expect(code).not.toBe(0);
  });
});
